//! The mutex and rate-limiter scenarios on our runtime, as a user of
//! `goroutines` writes them: `sync::Mutex` shared through an `Arc`,
//! `time::RateLimiter`. Each body runs in a goroutine of the global runtime
//! (`block_on`), which plays Go's `main`; mutex's runs where `p.shape` says
//! (`shape.rs`).

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use goroutines::sync::Mutex;
use goroutines::time::RateLimiter;
use goroutines::Builder;

use crate::child::{self, Params};
use crate::scenario::{fixed, metric, Scenario, MUTEX, RATE_LIMITER};

pub fn run(scenario: &Scenario, p: Params) -> Result<(), String> {
    let rt = Builder::new().max_procs(p.procs).build_global().expect("start the global runtime");
    let n = p.n;
    match scenario.name {
        MUTEX => child::repeat(p, metric::MUTEX_NS, || p.shape.run(move || mutex(n))),
        RATE_LIMITER => child::repeat_lines(p, || {
            vec![
                (metric::RATE_WAIT_NS.to_string(), rt.block_on(move || rate_wait(n)).as_nanos() as f64),
                (metric::RATE_ALLOW_NS.to_string(), rt.block_on(rate_allow).as_nanos() as f64),
            ]
        }),
        other => Err(format!("{other} is not a mutex or rate-limiter scenario")),
    }
}

/// 4 goroutines each lock, increment and unlock one shared `Mutex<u64>`
/// n / 4 times; this goroutine joins them.
fn mutex(n: usize) -> Duration {
    let per = n / fixed::LOCKERS;
    let counter = Arc::new(Mutex::new(0u64));
    let start = Instant::now();
    let lockers: Vec<_> = (0..fixed::LOCKERS)
        .map(|_| {
            let counter = counter.clone();
            goroutines::spawn(move || {
                for _ in 0..per {
                    *counter.lock() += 1;
                }
            })
        })
        .collect();
    lockers.into_iter().for_each(|g| g.join().expect("locker goroutine"));
    let elapsed = start.elapsed();
    assert_eq!(*counter.lock(), (per * fixed::LOCKERS) as u64, "every increment counted");
    elapsed
}

/// A fresh `RateLimiter::new(1000.0, 1)`: its first token (the full
/// bucket) is taken before the clock starts, then `n` more with `wait()`,
/// so the rate achieved is n / the time.
fn rate_wait(n: usize) -> Duration {
    let limiter = RateLimiter::new(fixed::WAIT_RATE, 1);
    limiter.wait();
    let start = Instant::now();
    for _ in 0..n {
        limiter.wait();
    }
    start.elapsed()
}

/// `allow()` on a `RateLimiter::new(100_000.0, 100)`, `ALLOW_CALLS` times
/// in a tight loop: after the burst, most calls find no token (the loop
/// asks far more often than 100,000 times a second).
fn rate_allow() -> Duration {
    let limiter = RateLimiter::new(fixed::ALLOW_RATE, fixed::ALLOW_BURST);
    let start = Instant::now();
    let mut allowed = 0u64;
    for _ in 0..fixed::ALLOW_CALLS {
        allowed += u64::from(black_box(&limiter).allow());
    }
    let elapsed = start.elapsed();
    black_box(allowed);
    elapsed
}
