//! The scenarios on tokio, the runtime a Rust user would otherwise pick:
//! a multi-thread runtime with as many workers as our `max_procs`.
//!
//! Go's `sync.WaitGroup` has no tokio counterpart, so [`WaitGroup`] below is
//! the fairest equivalent: an atomic counter (one RMW per `done`, as Go and
//! ours) plus a `tokio::sync::Notify` woken once when it reaches zero. The
//! other candidates cost more per task: a `JoinHandle` awaited per task
//! (1M handles kept in a `Vec`), a `JoinSet` (a lock and a list entry per
//! task), a `Semaphore` permit per task or an `mpsc` message per task.
//!
//! Runtimes are built without the I/O and time drivers: no scenario uses
//! them, and without them idle workers park on a condition variable rather
//! than in `epoll`.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::runtime::Runtime;
use tokio::sync::Notify;

use crate::child::{self, Params, ParkRun};
use crate::procfs;
use crate::scenario::{metric, Scenario, PARK, SPAWN_WAIT, YIELD_SWITCH};

pub fn run(scenario: &Scenario, p: Params) -> Result<(), String> {
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(p.procs).build().expect("start a tokio runtime");
    match scenario.name {
        SPAWN_WAIT => child::repeat(p, metric::SPAWN_WAIT_NS, || in_task(&rt, spawn_wait(p.n))),
        PARK => {
            child::cold_only(p)?;
            in_task(&rt, park(p.n)).emit_cold(p.n);
            in_task(&rt, park(p.n)).emit_warm();
            Ok(())
        }
        YIELD_SWITCH => child::repeat(p, metric::YIELD_SWITCH_NS, || in_task(&rt, yield_switch(p.n))),
        other => unreachable!("no scenario {other}"),
    }
}

/// Runs `body` in a task, as ours runs in a goroutine and Go's in the main
/// goroutine: its spawns go to a worker's local queue, not the injector.
fn in_task<T: Send + 'static>(rt: &Runtime, body: impl Future<Output = T> + Send + 'static) -> T {
    rt.block_on(async move { tokio::spawn(body).await.expect("the scenario task") })
}

/// Go's `sync.WaitGroup` for tokio tasks: `done` is one atomic decrement;
/// the one that reaches zero wakes every waiter.
struct WaitGroup {
    count: AtomicUsize,
    zero: Notify,
}

impl WaitGroup {
    fn new(n: usize) -> Arc<WaitGroup> {
        Arc::new(WaitGroup { count: AtomicUsize::new(n), zero: Notify::new() })
    }

    fn done(&self) {
        if self.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.zero.notify_waiters();
        }
    }

    async fn wait(&self) {
        loop {
            let mut notified = std::pin::pin!(self.zero.notified());
            // Registered before the check, so a `notify_waiters` after it
            // reaches this waiter.
            notified.as_mut().enable();
            if self.count.load(Ordering::Acquire) == 0 {
                return;
            }
            notified.await;
        }
    }
}

async fn spawn_wait(n: usize) -> Duration {
    let wg = WaitGroup::new(n);
    let start = Instant::now();
    for _ in 0..n {
        let wg = Arc::clone(&wg);
        drop(tokio::spawn(async move { wg.done() }));
    }
    wg.wait().await;
    start.elapsed()
}

async fn park(n: usize) -> ParkRun {
    let (started, gate, finished) = (WaitGroup::new(n), WaitGroup::new(1), WaitGroup::new(n));
    let rss_before = procfs::rss_bytes();
    let start = Instant::now();
    for _ in 0..n {
        let (started, gate, finished) = (Arc::clone(&started), Arc::clone(&gate), Arc::clone(&finished));
        drop(tokio::spawn(async move {
            started.done();
            gate.wait().await;
            finished.done();
        }));
    }
    started.wait().await;
    let spawn = start.elapsed();
    let rss_after = procfs::rss_bytes();
    let threads = procfs::threads();
    let start = Instant::now();
    gate.done();
    finished.wait().await;
    ParkRun { spawn, wake: start.elapsed(), rss_before, rss_after, threads }
}

async fn yield_switch(n: usize) -> Duration {
    let start = Instant::now();
    let spin = move || async move {
        for _ in 0..n {
            tokio::task::yield_now().await;
        }
    };
    let (a, b) = (tokio::spawn(spin()), tokio::spawn(spin()));
    a.await.expect("yielding task");
    b.await.expect("yielding task");
    start.elapsed()
}
