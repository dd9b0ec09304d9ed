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
//! The channel scenarios use `tokio::sync::mpsc` (`channel(1)` where Go's
//! channel is unbuffered: tokio has no rendezvous channel) and
//! `tokio::select!`; mpmc_4x4 has no tokio version (tokio has no MPMC
//! channel). ticker_1ms uses `tokio::time::interval_at`, sleep_20k
//! `tokio::time::sleep`. context_cancel's context is a `tokio::sync::watch`
//! channel whose `Sender` is dropped (tokio has no context; its
//! `CancellationToken` is in tokio-util, not a dependency here): every
//! task waiting in `changed()` is woken with an error, as a closed channel
//! wakes every `select` on `ctx.Done()`.
//!
//! Runtimes are built without the I/O driver, and without the time driver
//! except for ticker_1ms, sleep_20k and context_cancel (which sleeps before
//! its clock starts): no other scenario uses them, and without them idle
//! workers park on a condition variable rather than in `epoll`.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::runtime::Runtime;
use tokio::sync::{mpsc, watch, Notify};

use crate::child::{self, Params, ParkRun};
use crate::procfs;
use crate::scenario::{
    fixed, metric, Scenario, CONTEXT_CANCEL, ECHO_10, ECHO_1000, ECHO_200, IDLE, PARK, PING_PONG, PIPELINE3, SELECT4,
    SLEEP, SPAWN_WAIT, SPSC, TICKER, YIELD_SWITCH,
};
use crate::ticks::TickLog;

pub fn run(scenario: &Scenario, p: Params) -> Result<(), String> {
    if [ECHO_10, ECHO_200, ECHO_1000, IDLE].contains(&scenario.name) {
        return crate::tokio_net::run(scenario, p);
    }
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.worker_threads(p.procs);
    if [TICKER, SLEEP, CONTEXT_CANCEL].contains(&scenario.name) {
        builder.enable_time();
    }
    let rt = builder.build().expect("start a tokio runtime");
    let n = p.n;
    match scenario.name {
        SPAWN_WAIT => child::repeat(p, metric::SPAWN_WAIT_NS, || in_task(&rt, spawn_wait(p.n))),
        PARK => {
            child::cold_only(p)?;
            in_task(&rt, park(p.n)).emit_cold(p.n);
            in_task(&rt, park(p.n)).emit_warm();
            Ok(())
        }
        YIELD_SWITCH => child::repeat(p, metric::YIELD_SWITCH_NS, || in_task(&rt, yield_switch(p.n))),
        PING_PONG => child::repeat(p, metric::PING_PONG_NS, || in_task(&rt, ping_pong(n))),
        SPSC => child::repeat(p, metric::SPSC_NS, || in_task(&rt, spsc(n))),
        SELECT4 => child::repeat(p, metric::SELECT4_NS, || in_task(&rt, select4(n))),
        PIPELINE3 => child::repeat(p, metric::PIPELINE3_NS, || in_task(&rt, pipeline3(n))),
        TICKER => child::repeat_lines(p, || in_task(&rt, ticker(n))),
        SLEEP => child::repeat(p, metric::SLEEP_NS, || in_task(&rt, sleep_many(n))),
        CONTEXT_CANCEL => child::repeat(p, metric::CONTEXT_CANCEL_NS, || in_task(&rt, context_cancel(n))),
        other => Err(format!("{other} has no tokio version")),
    }
}

/// Runs `body` in a task, as ours runs in a goroutine and Go's in the main
/// goroutine: its spawns go to a worker's local queue, not the injector.
pub(crate) fn in_task<T: Send + 'static>(rt: &Runtime, body: impl Future<Output = T> + Send + 'static) -> T {
    rt.block_on(async move { tokio::spawn(body).await.expect("the scenario task") })
}

/// Go's `sync.WaitGroup` for tokio tasks: `done` is one atomic decrement;
/// the one that reaches zero wakes every waiter (tokio_net.rs uses it too).
pub(crate) struct WaitGroup {
    count: AtomicUsize,
    zero: Notify,
}

impl WaitGroup {
    pub(crate) fn new(n: usize) -> Arc<WaitGroup> {
        Arc::new(WaitGroup { count: AtomicUsize::new(n), zero: Notify::new() })
    }

    pub(crate) fn done(&self) {
        if self.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.zero.notify_waiters();
        }
    }

    pub(crate) async fn wait(&self) {
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

/// The scenario task and an echo task bounce a value over two
/// `mpsc::channel(1)`s, `n` round trips.
async fn ping_pong(n: usize) -> Duration {
    let (ping_tx, mut ping_rx) = mpsc::channel::<usize>(1);
    let (pong_tx, mut pong_rx) = mpsc::channel::<usize>(1);
    let start = Instant::now();
    let echo = tokio::spawn(async move {
        while let Some(v) = ping_rx.recv().await {
            pong_tx.send(v).await.expect("the scenario task receives");
        }
    });
    for i in 0..n {
        ping_tx.send(i).await.expect("the echo task receives");
        pong_rx.recv().await.expect("the echo task answers");
    }
    drop(ping_tx);
    echo.await.expect("echo task");
    start.elapsed()
}

/// One producer task, `mpsc::channel(1024)`, the scenario task receives.
async fn spsc(n: usize) -> Duration {
    let (tx, mut rx) = mpsc::channel::<usize>(fixed::BUFFER);
    let start = Instant::now();
    drop(tokio::spawn(async move {
        for i in 0..n {
            tx.send(i).await.expect("the consumer receives");
        }
    }));
    let mut sum = 0usize;
    while let Some(v) = rx.recv().await {
        sum = sum.wrapping_add(v);
    }
    std::hint::black_box(sum);
    start.elapsed()
}

/// 4 producer tasks, a `mpsc::channel(1024)` each; the scenario task takes
/// all `n` values through `tokio::select!` over the 4.
async fn select4(n: usize) -> Duration {
    let per = n / fixed::PRODUCERS;
    let (txs, mut rxs): (Vec<_>, Vec<_>) = (0..fixed::PRODUCERS).map(|_| mpsc::channel::<usize>(fixed::BUFFER)).unzip();
    let start = Instant::now();
    // The producers get clones: as in Go, no channel closes.
    for tx in &txs {
        let tx = tx.clone();
        drop(tokio::spawn(async move {
            for i in 0..per {
                tx.send(i).await.expect("the selector receives");
            }
        }));
    }
    let [r0, r1, r2, r3] = &mut rxs[..] else { unreachable!("four channels") };
    let mut sum = 0usize;
    for _ in 0..per * fixed::PRODUCERS {
        let v = tokio::select! {
            Some(v) = r0.recv() => v,
            Some(v) = r1.recv() => v,
            Some(v) = r2.recv() => v,
            Some(v) = r3.recv() => v,
        };
        sum = sum.wrapping_add(v);
    }
    drop(txs);
    std::hint::black_box(sum);
    start.elapsed()
}

/// generator task → square task → the scenario task sums, over
/// `mpsc::channel(1)`s.
async fn pipeline3(n: usize) -> Duration {
    let (nums_tx, mut nums_rx) = mpsc::channel::<usize>(1);
    let (squares_tx, mut squares_rx) = mpsc::channel::<usize>(1);
    let start = Instant::now();
    drop(tokio::spawn(async move {
        for i in 0..n {
            nums_tx.send(i).await.expect("square receives");
        }
    }));
    drop(tokio::spawn(async move {
        while let Some(v) = nums_rx.recv().await {
            squares_tx.send(v.wrapping_mul(v)).await.expect("sum receives");
        }
    }));
    let mut sum = 0usize;
    while let Some(v) = squares_rx.recv().await {
        sum = sum.wrapping_add(v);
    }
    std::hint::black_box(sum);
    start.elapsed()
}

/// A 1 ms `tokio::time::interval`, first tick one period after it is made
/// (as Go's ticker; `interval` alone ticks at once), received in the
/// scenario task. Its value is the tick's due time.
async fn ticker(n: usize) -> child::Lines {
    let start = Instant::now();
    let mut interval = tokio::time::interval_at(tokio::time::Instant::now() + fixed::TICK, fixed::TICK);
    let mut log = TickLog::new(start, fixed::TICK, n);
    while log.tick(interval.tick().await.into_std()) {}
    log.lines()
}

/// `n` tasks each `tokio::time::sleep(10 ms)`, then `done`.
async fn sleep_many(n: usize) -> Duration {
    let wg = WaitGroup::new(n);
    let start = Instant::now();
    for _ in 0..n {
        let wg = Arc::clone(&wg);
        drop(tokio::spawn(async move {
            tokio::time::sleep(fixed::SLEEP).await;
            wg.done();
        }));
    }
    wg.wait().await;
    start.elapsed()
}

/// `n` tasks each do `started.done()`, then wait in `tokio::select!` on
/// `changed()` of two `watch` channels: the context's, and one nobody sends
/// on (ours' and Go's `never`); then `exited.done()`. Once all have started
/// and had `fixed::SETTLE` to park, timed from dropping the context's
/// `Sender` (the cancel) until `exited` reaches zero.
async fn context_cancel(n: usize) -> Duration {
    let (cancel, done) = watch::channel(());
    // Never sent on and never dropped while the tasks wait.
    let (_never_tx, never) = watch::channel(());
    let (started, exited) = (WaitGroup::new(n), WaitGroup::new(n));
    for _ in 0..n {
        let (mut done, mut never) = (done.clone(), never.clone());
        let (started, exited) = (Arc::clone(&started), Arc::clone(&exited));
        drop(tokio::spawn(async move {
            started.done();
            tokio::select! {
                _ = done.changed() => {},
                _ = never.changed() => {},
            }
            exited.done();
        }));
    }
    started.wait().await;
    tokio::time::sleep(fixed::SETTLE).await;
    let start = Instant::now();
    drop(cancel);
    exited.wait().await;
    start.elapsed()
}
