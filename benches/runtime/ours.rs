//! The scenarios on our runtime, as a user of `goroutines` writes them:
//! the runtime-core ones here, the channel and time ones in `ours_chan.rs`,
//! the worker-pool and `pipeline!` ones in `ours_pool.rs`, the `Context`
//! one in `ours_context.rs`, the `Mutex` and `RateLimiter` ones in
//! `ours_sync.rs`, the goroutine dump in `ours_debug.rs`.

use std::time::{Duration, Instant};

use goroutines::{Builder, WaitGroup};

use crate::child::{self, Params, ParkRun};
use crate::procfs;
use crate::scenario::{
    fixed, metric, work, CONTEXT_CANCEL, DUMP, ECHO_10, ECHO_1000, ECHO_200, HTTP, IDLE, MAP_WORKERS, MUTEX, PARALLEL,
    PARK, PIPELINE_MACRO, RATE_LIMITER, SPAWN_WAIT, WORKER_POOL, YIELD_SWITCH,
};

pub fn run(scenario: &crate::scenario::Scenario, p: Params) -> Result<(), String> {
    match scenario.name {
        SPAWN_WAIT => {
            // The global runtime (what `go!` uses), with `procs` workers.
            Builder::new().max_procs(p.procs).build_global().expect("start the global runtime");
            child::repeat(p, metric::SPAWN_WAIT_NS, || p.shape.run(move || spawn_wait(p.n)))
        }
        PARK => {
            child::cold_only(p)?;
            Builder::new().max_procs(p.procs).build_global().expect("start the global runtime");
            // First run in a fresh process: nothing pooled yet.
            p.shape.run(move || park(p.n)).emit_cold(p.n);
            // Second run: stacks come back from the pool.
            p.shape.run(move || park(p.n)).emit_warm();
            Ok(())
        }
        YIELD_SWITCH => {
            // A runtime of its own with one worker: both goroutines share it.
            let rt = Builder::new().max_procs(p.procs).build().expect("start a runtime");
            child::repeat(p, metric::YIELD_SWITCH_NS, || rt.block_on(move || yield_switch(p.n)))
        }
        WORKER_POOL | PIPELINE_MACRO | MAP_WORKERS => crate::ours_pool::run(scenario, p),
        CONTEXT_CANCEL => crate::ours_context::run(scenario, p),
        MUTEX | RATE_LIMITER => crate::ours_sync::run(scenario, p),
        DUMP => crate::ours_debug::run(scenario, p),
        ECHO_10 | ECHO_200 | ECHO_1000 | IDLE | HTTP => crate::ours_net::run(scenario, p),
        PARALLEL => {
            Builder::new().max_procs(p.procs).build_global().expect("start the global runtime");
            child::repeat(p, metric::PARALLEL_NS, || p.shape.run(move || parallel(p.n)))
        }
        _ => crate::ours_chan::run(scenario, p),
    }
}

/// From the shape's thread or goroutine: spawn `n` goroutines that each call `wg.done()`, then
/// `wg.wait()`. The counter is added once, before the clock starts (Go and
/// tokio do the same).
fn spawn_wait(n: usize) -> Duration {
    let wg = WaitGroup::new();
    wg.add(n);
    let start = Instant::now();
    for _ in 0..n {
        let wg = wg.clone();
        drop(goroutines::spawn(move || wg.done()));
    }
    wg.wait();
    start.elapsed()
}

/// `n` goroutines each do `started.done(); gate.wait();`. Timed from the
/// first spawn until `started.wait()` returns; memory and threads are read
/// while all `n` are parked; then the gate opens.
fn park(n: usize) -> ParkRun {
    let (started, gate, finished) = (WaitGroup::new(), WaitGroup::new(), WaitGroup::new());
    started.add(n);
    gate.add(1);
    finished.add(n);
    let rss_before = procfs::rss_bytes();
    let start = Instant::now();
    for _ in 0..n {
        let (started, gate, finished) = (started.clone(), gate.clone(), finished.clone());
        drop(goroutines::spawn(move || {
            started.done();
            gate.wait();
            finished.done();
        }));
    }
    started.wait();
    let spawn = start.elapsed();
    let rss_after = procfs::rss_bytes();
    let threads = procfs::threads();
    let start = Instant::now();
    gate.done();
    finished.wait();
    ParkRun { spawn, wake: start.elapsed(), rss_before, rss_after, threads }
}

/// `n` CPU-bound goroutines (~50 ms of work each, no runtime call)
/// spawned in a burst, then joined: what a second worker buys (issue 12's
/// "nothing regresses on parallel work").
fn parallel(n: usize) -> Duration {
    let start = Instant::now();
    let handles: Vec<_> = (0..n as u64).map(|i| goroutines::spawn(move || work(i, fixed::PARALLEL_ROUNDS))).collect();
    let sum = handles.into_iter().map(|h| h.join().expect("parallel goroutine")).fold(0, u64::wrapping_add);
    std::hint::black_box(sum);
    start.elapsed()
}

/// Two goroutines on one worker, each calling `yield_now()` `n` times.
fn yield_switch(n: usize) -> Duration {
    let start = Instant::now();
    let spin = move || (0..n).for_each(|_| goroutines::yield_now());
    let (a, b) = (goroutines::spawn(spin), goroutines::spawn(spin));
    a.join().expect("yielding goroutine");
    b.join().expect("yielding goroutine");
    start.elapsed()
}
