//! mutex on plain OS threads and `parking_lot::Mutex`, the mutex a Rust
//! user would otherwise pick between threads. Every goroutine of the Go
//! version is a `std::thread` here, spawned inside the timed region as Go's
//! `go` statements are; the measuring thread plays Go's `main`.

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::child::{self, Params};
use crate::scenario::{fixed, metric, Scenario, MUTEX};

pub fn run(scenario: &Scenario, p: Params) -> Result<(), String> {
    let n = p.n;
    match scenario.name {
        MUTEX => child::repeat(p, metric::MUTEX_NS, || mutex(n)),
        other => Err(format!("{other} has no parking_lot version")),
    }
}

/// 4 threads each lock, increment and unlock one shared `Mutex<u64>` n / 4
/// times; the measuring thread joins them.
fn mutex(n: usize) -> Duration {
    let per = n / fixed::LOCKERS;
    let counter = Arc::new(Mutex::new(0u64));
    let start = Instant::now();
    let lockers: Vec<_> = (0..fixed::LOCKERS)
        .map(|_| {
            let counter = counter.clone();
            thread::spawn(move || {
                for _ in 0..per {
                    *counter.lock() += 1;
                }
            })
        })
        .collect();
    lockers.into_iter().for_each(|t| t.join().expect("locker thread"));
    let elapsed = start.elapsed();
    assert_eq!(*counter.lock(), (per * fixed::LOCKERS) as u64, "every increment counted");
    elapsed
}
