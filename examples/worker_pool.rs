//! The seed's worker pool: written with `go!` and channels, then with
//! `#[worker_pool]`. Run it with
//!
//! ```text
//! cargo run --release --example worker_pool
//! ```

use std::time::Duration;

use goroutines::prelude::*;
use goroutines::worker_pool;

/// Go's `worker(id, jobs, results)`: takes jobs until the channel closes.
fn worker(id: u32, jobs: Receiver<u32>, results: Sender<String>) {
    for job in &jobs {
        sleep(Duration::from_millis(5)); // some work
        results.send(format!("worker {id} did job {job}")).unwrap();
    }
}

/// The same work as a pool: `process::start()` and `process::run(jobs)`
/// are generated beside it; the function itself stays callable.
#[worker_pool(workers = 3, buffer = 10)]
fn process(job: u32) -> String {
    sleep(Duration::from_millis(5));
    if job == 4 {
        panic!("job 4 is cursed");
    }
    format!("job {job} done on goroutine {}", goroutine_id())
}

#[goroutines::main]
fn main() {
    println!("== by hand: 3 workers, a jobs channel and a results channel");
    let (jobs_tx, jobs) = chan(10);
    let (results_tx, results) = chan(10);
    for id in 1..=3 {
        go!(worker(id, jobs.clone(), results_tx.clone()));
    }
    drop(results_tx);
    for job in 1..=5 {
        jobs_tx.send(job).unwrap();
    }
    jobs_tx.close(); // no more jobs: the workers end after the last one
    for r in &results {
        println!("{r}");
    }

    println!("\n== #[worker_pool]: run() submits every job and returns the results");
    for r in process::run([1, 2, 3]) {
        println!("{r}");
    }

    println!("\n== start(): submit with backpressure, a job that panics, then close");
    let pool = process::start();
    let results = pool.results();
    for job in 4..=7 {
        pool.submit(job).unwrap(); // waits while 10 jobs are already waiting
    }
    pool.close(); // the workers finish what was submitted; results then closes
    let done: Vec<String> = results.iter().collect();
    println!("{} results; jobs that panicked (reported above, the worker went on): {}", done.len(), pool.panicked());
}
