//! The channel and time scenarios on our runtime, as a user of
//! `goroutines` writes them: `chan`, `Select`, `time::{sleep, Ticker}`.
//! Each body runs where `p.shape` says (`shape.rs`; in the rounds mode a
//! goroutine of the global runtime, `block_on`, which plays Go's `main`);
//! spawned goroutines' handles are dropped (detached) unless the run waits
//! for them. "This goroutine" below is the child's main thread in the plain
//! shape.

use std::time::{Duration, Instant};

use goroutines::time::{sleep, Ticker};
use goroutines::{chan, Builder, Select, WaitGroup};

use crate::child::{self, Params};
use crate::scenario::{fixed, metric, Scenario, MPMC, PING_PONG, PIPELINE3, SELECT4, SLEEP, SPSC, TICKER};
use crate::ticks::TickLog;

pub fn run(scenario: &Scenario, p: Params) -> Result<(), String> {
    let rt = Builder::new().max_procs(p.procs).build_global().expect("start the global runtime");
    let (n, shape) = (p.n, p.shape);
    match scenario.name {
        PING_PONG => child::repeat(p, metric::PING_PONG_NS, || shape.run(move || ping_pong(n))),
        SPSC => child::repeat(p, metric::SPSC_NS, || shape.run(move || spsc(n))),
        MPMC => child::repeat(p, metric::MPMC_NS, || shape.run(move || mpmc(n))),
        SELECT4 => child::repeat(p, metric::SELECT4_NS, || shape.run(move || select4(n))),
        PIPELINE3 => child::repeat(p, metric::PIPELINE3_NS, || shape.run(move || pipeline3(n))),
        TICKER => child::repeat_lines(p, || rt.block_on(move || ticker(n))),
        SLEEP => child::repeat(p, metric::SLEEP_NS, || shape.run(move || sleep_many(n))),
        other => Err(format!("{other} is not a channel or time scenario")),
    }
}

/// This goroutine and an echo goroutine bounce a value over two unbuffered
/// channels, `n` round trips.
fn ping_pong(n: usize) -> Duration {
    let (ping_tx, ping_rx) = chan::<usize>(0);
    let (pong_tx, pong_rx) = chan::<usize>(0);
    let start = Instant::now();
    let echo = goroutines::spawn(move || {
        for v in &ping_rx {
            pong_tx.send(v).expect("the measuring goroutine receives");
        }
    });
    for i in 0..n {
        ping_tx.send(i).expect("the echo goroutine receives");
        pong_rx.recv().expect("the echo goroutine answers");
    }
    drop(ping_tx);
    echo.join().expect("echo goroutine");
    start.elapsed()
}

/// One producer goroutine, `chan(1024)`; this goroutine receives until the
/// producer's `Sender` is dropped.
fn spsc(n: usize) -> Duration {
    let (tx, rx) = chan::<usize>(fixed::BUFFER);
    let start = Instant::now();
    drop(goroutines::spawn(move || {
        for i in 0..n {
            tx.send(i).expect("the consumer receives");
        }
    }));
    let sum = rx.iter().fold(0, usize::wrapping_add);
    std::hint::black_box(sum);
    start.elapsed()
}

/// 4 producer goroutines, 4 consumer goroutines, one `chan(1024)`; it
/// closes when the last producer's `Sender` is dropped.
fn mpmc(n: usize) -> Duration {
    let (tx, rx) = chan::<usize>(fixed::BUFFER);
    let per = n / fixed::PRODUCERS;
    let start = Instant::now();
    for _ in 0..fixed::PRODUCERS {
        let tx = tx.clone();
        drop(goroutines::spawn(move || (0..per).for_each(|i| tx.send(i).expect("consumers receive"))));
    }
    drop(tx);
    let consumers: Vec<_> = (0..fixed::CONSUMERS)
        .map(|_| {
            let rx = rx.clone();
            goroutines::spawn(move || rx.iter().fold(0, usize::wrapping_add))
        })
        .collect();
    drop(rx);
    let sum = consumers.into_iter().map(|g| g.join().expect("consumer goroutine")).fold(0, usize::wrapping_add);
    std::hint::black_box(sum);
    start.elapsed()
}

/// 4 producer goroutines, a `chan(1024)` each; this goroutine takes all `n`
/// values through a select over the 4: a runtime `Select` built for each
/// message, which is what `select!` expands to.
fn select4(n: usize) -> Duration {
    let per = n / fixed::PRODUCERS;
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..fixed::PRODUCERS).map(|_| chan::<usize>(fixed::BUFFER)).unzip();
    let start = Instant::now();
    // The producers get clones: as in Go, no channel closes (a closed one
    // would be ready at once in every select).
    for tx in &txs {
        let tx = tx.clone();
        drop(goroutines::spawn(move || (0..per).for_each(|i| tx.send(i).expect("the selector receives"))));
    }
    let mut sum = 0usize;
    for _ in 0..per * fixed::PRODUCERS {
        // A fresh `Select` for each message, as `select!` in a loop expands
        // to (and as Go's `select` statement runs each time).
        let mut sel = Select::new();
        for rx in &rxs {
            sel.recv(rx);
        }
        let op = sel.select();
        let i = op.index();
        sum = sum.wrapping_add(op.recv(&rxs[i]).expect("no channel closes"));
    }
    drop(txs);
    std::hint::black_box(sum);
    start.elapsed()
}

/// generator goroutine → square goroutine → this goroutine sums, over
/// unbuffered channels (also pipeline_macro's hand-written version).
pub fn pipeline3(n: usize) -> Duration {
    let (nums_tx, nums_rx) = chan::<usize>(0);
    let (squares_tx, squares_rx) = chan::<usize>(0);
    let start = Instant::now();
    drop(goroutines::spawn(move || (0..n).for_each(|i| nums_tx.send(i).expect("square receives"))));
    drop(goroutines::spawn(move || {
        for v in &nums_rx {
            squares_tx.send(v.wrapping_mul(v)).expect("sum receives");
        }
    }));
    let sum = squares_rx.iter().fold(0, usize::wrapping_add);
    std::hint::black_box(sum);
    start.elapsed()
}

/// A 1 ms `Ticker` received in this goroutine.
fn ticker(n: usize) -> child::Lines {
    let start = Instant::now();
    let ticker = Ticker::new(fixed::TICK);
    let mut log = TickLog::new(start, fixed::TICK, n);
    while log.tick(ticker.recv().expect("a running ticker ticks")) {}
    ticker.stop();
    log.lines()
}

/// `n` goroutines each `sleep(10 ms)`, then `done`.
fn sleep_many(n: usize) -> Duration {
    let wg = WaitGroup::new();
    wg.add(n);
    let start = Instant::now();
    for _ in 0..n {
        let wg = wg.clone();
        drop(goroutines::spawn(move || {
            sleep(fixed::SLEEP);
            wg.done();
        }));
    }
    wg.wait();
    start.elapsed()
}
