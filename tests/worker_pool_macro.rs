//! `#[worker_pool]` as users write it: the generated `start` and `run`,
//! backpressure, close, panicking jobs, and a dropped pool whose workers
//! end.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use goroutines::prelude::*;
use goroutines::{worker_pool, TrySendError};

#[worker_pool(workers = 4, buffer = 8)]
fn square(n: u64) -> u64 {
    n * n
}

#[test]
fn run_returns_every_result_and_the_function_stays_callable() {
    assert_eq!(square(12), 144);
    let mut out = square::run(0..10_000u64);
    out.sort_unstable();
    assert_eq!(out, (0..10_000u64).map(|n| n * n).collect::<Vec<_>>());
}

static STARTED: AtomicUsize = AtomicUsize::new(0);

#[worker_pool(workers = 1, buffer = 1)]
fn wait_for(gate: Receiver<()>) {
    STARTED.fetch_add(1, Ordering::SeqCst);
    let _ = gate.recv();
}

#[test]
fn submit_waits_for_room_and_fails_once_closed() {
    let pool = wait_for::start();
    let (open, gate) = chan::<()>(0);
    pool.submit(gate.clone()).unwrap(); // taken by the one worker
    while STARTED.load(Ordering::SeqCst) == 0 {
        yield_now();
    }
    pool.submit(gate.clone()).unwrap(); // fills the one-job buffer
    assert!(matches!(pool.try_submit(gate.clone()), Err(TrySendError::Full(_))), "the buffer is full");
    drop(open); // every job returns
    assert!(pool.close());
    assert!(!pool.close(), "closing twice is harmless");
    assert!(pool.submit(gate.clone()).is_err(), "a closed pool gives the job back");
    assert!(matches!(pool.try_submit(gate), Err(TrySendError::Closed(_))));
    assert_eq!(pool.finish().len(), 2);
}

#[worker_pool(workers = 2)]
fn fragile(n: u32) -> u32 {
    if n % 10 == 3 {
        panic!("job {n} broke");
    }
    n
}

#[test]
fn a_panicking_job_is_counted_and_its_worker_goes_on() {
    let pool = fragile::start();
    let results = pool.results();
    let collector = go!(move || results.iter().count());
    for n in 0..100 {
        pool.submit(n).unwrap();
    }
    pool.close();
    assert_eq!(collector.join().unwrap(), 90, "every other job's result arrives");
    assert_eq!(pool.panicked(), 10);
}

#[worker_pool(workers = 3, buffer = 2)]
fn unread(n: u32) -> u32 {
    n
}

#[test]
fn a_dropped_pool_leaves_no_worker_behind_even_with_results_unread() {
    let rt = goroutines::Builder::new().max_procs(2).build().unwrap();
    rt.block_on(|| {
        let before = num_goroutines();
        let pool = unread::start();
        for n in 0..7 {
            pool.submit(n).unwrap(); // more than the results buffer holds
        }
        drop(pool);
        // A hang guard, not a timing assertion.
        let deadline = Instant::now() + Duration::from_secs(60);
        while num_goroutines() > before && Instant::now() < deadline {
            sleep(Duration::from_millis(1));
        }
        assert_eq!(num_goroutines(), before, "a worker outlived its pool");
    });
}

pub struct Job(pub u32);

mod nested {
    use goroutines::worker_pool;

    /// Types written relative to this module (`super::Job`) keep their
    /// meaning in the generated module.
    #[worker_pool(workers = 2)]
    pub fn triple(job: super::Job) -> u32 {
        job.0 * 3
    }
}

#[test]
fn signature_paths_keep_their_meaning() {
    let mut out = nested::triple::run((1..=3).map(Job));
    out.sort_unstable();
    assert_eq!(out, [3, 6, 9]);
}
