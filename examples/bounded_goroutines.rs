//! Bounding how many goroutines work at once: a Semaphore (or a Group's
//! limit, or a worker pool) instead of one goroutine per job without
//! bound. Run with `cargo run --release --example bounded_goroutines`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use goroutines::prelude::*;
use goroutines::sync::Semaphore;

#[goroutines::main]
fn main() {
    let sem = Arc::new(Semaphore::new(3));
    let (now, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let wg = WaitGroup::new();
    for _ in 0..20 {
        let (sem, now, peak) = (sem.clone(), now.clone(), peak.clone());
        wg.go(move || {
            let _permit = sem.acquire(); // waits (suspended) for one of 3
            let n = now.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(n, Ordering::SeqCst);
            sleep(Duration::from_millis(2));
            now.fetch_sub(1, Ordering::SeqCst);
        });
    }
    wg.wait();
    println!("20 jobs, at most {} at once (the semaphore allows 3)", peak.load(Ordering::SeqCst));

    // The same bound with errgroup's set_limit.
    let g = Group::<String>::new();
    g.set_limit(2);
    for i in 0..6 {
        g.go(move || if i == 4 { Err(format!("job {i} failed")) } else { Ok(()) });
    }
    println!("group with a limit of 2: {:?}", g.wait());
}
