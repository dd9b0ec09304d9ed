//! The channel scenarios on plain OS threads and crossbeam-channel, the
//! channel crate a Rust user would otherwise pick (MPMC, `bounded(0)`
//! rendezvous, `select!`, `tick`). Every goroutine of the Go version is a
//! `std::thread` here, spawned inside the timed region as Go's `go`
//! statements are; the measuring thread plays Go's `main`.

use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, select, tick};

use crate::child::{self, Params};
use crate::scenario::{fixed, metric, Scenario, MPMC, PING_PONG, PIPELINE3, SELECT4, SPSC, TICKER};
use crate::ticks::TickLog;

pub fn run(scenario: &Scenario, p: Params) -> Result<(), String> {
    let n = p.n;
    match scenario.name {
        PING_PONG => child::repeat(p, metric::PING_PONG_NS, || ping_pong(n)),
        SPSC => child::repeat(p, metric::SPSC_NS, || spsc(n)),
        MPMC => child::repeat(p, metric::MPMC_NS, || mpmc(n)),
        SELECT4 => child::repeat(p, metric::SELECT4_NS, || select4(n)),
        PIPELINE3 => child::repeat(p, metric::PIPELINE3_NS, || pipeline3(n)),
        TICKER => child::repeat_lines(p, || ticker(n)),
        other => Err(format!("{other} has no crossbeam version")),
    }
}

/// The measuring thread and an echo thread bounce a value over two
/// `bounded(0)` channels, `n` round trips.
fn ping_pong(n: usize) -> Duration {
    let (ping_tx, ping_rx) = bounded::<usize>(0);
    let (pong_tx, pong_rx) = bounded::<usize>(0);
    let start = Instant::now();
    let echo = thread::spawn(move || {
        for v in ping_rx {
            pong_tx.send(v).expect("the measuring thread receives");
        }
    });
    for i in 0..n {
        ping_tx.send(i).expect("the echo thread receives");
        pong_rx.recv().expect("the echo thread answers");
    }
    drop(ping_tx);
    echo.join().expect("echo thread");
    start.elapsed()
}

/// One producer thread, `bounded(1024)`, the measuring thread receives.
fn spsc(n: usize) -> Duration {
    let (tx, rx) = bounded::<usize>(fixed::BUFFER);
    let start = Instant::now();
    let producer = thread::spawn(move || {
        for i in 0..n {
            tx.send(i).expect("the consumer receives");
        }
    });
    let sum: usize = rx.iter().fold(0, usize::wrapping_add);
    producer.join().expect("producer thread");
    std::hint::black_box(sum);
    start.elapsed()
}

/// 4 producer threads, 4 consumer threads, one `bounded(1024)`; it
/// disconnects when the last producer has ended.
fn mpmc(n: usize) -> Duration {
    let (tx, rx) = bounded::<usize>(fixed::BUFFER);
    let per = n / fixed::PRODUCERS;
    let start = Instant::now();
    let producers: Vec<_> = (0..fixed::PRODUCERS)
        .map(|_| {
            let tx = tx.clone();
            thread::spawn(move || (0..per).for_each(|i| tx.send(i).expect("consumers receive")))
        })
        .collect();
    drop(tx);
    let consumers: Vec<_> = (0..fixed::CONSUMERS)
        .map(|_| {
            let rx = rx.clone();
            thread::spawn(move || rx.iter().fold(0, usize::wrapping_add))
        })
        .collect();
    drop(rx);
    producers.into_iter().for_each(|t| t.join().expect("producer thread"));
    let sum = consumers.into_iter().map(|t| t.join().expect("consumer thread")).fold(0, usize::wrapping_add);
    std::hint::black_box(sum);
    start.elapsed()
}

/// 4 producer threads, a `bounded(1024)` each; the measuring thread takes
/// all `n` values through `select!` over the 4.
fn select4(n: usize) -> Duration {
    let per = n / fixed::PRODUCERS;
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..fixed::PRODUCERS).map(|_| bounded::<usize>(fixed::BUFFER)).unzip();
    let start = Instant::now();
    // The producers get clones: as in Go, no channel closes (a disconnected
    // one would be ready at once in every `select!`).
    let producers: Vec<_> = txs
        .iter()
        .cloned()
        .map(|tx| thread::spawn(move || (0..per).for_each(|i| tx.send(i).expect("the selector receives"))))
        .collect();
    let mut sum = 0usize;
    for _ in 0..per * fixed::PRODUCERS {
        let v = select! {
            recv(rxs[0]) -> v => v,
            recv(rxs[1]) -> v => v,
            recv(rxs[2]) -> v => v,
            recv(rxs[3]) -> v => v,
        };
        sum = sum.wrapping_add(v.expect("no channel closes"));
    }
    producers.into_iter().for_each(|t| t.join().expect("producer thread"));
    drop(txs);
    std::hint::black_box(sum);
    start.elapsed()
}

/// generator thread → square thread → the measuring thread sums, over
/// `bounded(0)` channels.
fn pipeline3(n: usize) -> Duration {
    let (nums_tx, nums_rx) = bounded::<usize>(0);
    let (squares_tx, squares_rx) = bounded::<usize>(0);
    let start = Instant::now();
    let generator = thread::spawn(move || (0..n).for_each(|i| nums_tx.send(i).expect("square receives")));
    let square = thread::spawn(move || {
        for v in nums_rx {
            squares_tx.send(v.wrapping_mul(v)).expect("sum receives");
        }
    });
    let sum = squares_rx.iter().fold(0, usize::wrapping_add);
    generator.join().expect("generator thread");
    square.join().expect("square thread");
    std::hint::black_box(sum);
    start.elapsed()
}

/// `crossbeam_channel::tick(1 ms)` received on the measuring thread.
fn ticker(n: usize) -> child::Lines {
    let start = Instant::now();
    let ticks = tick(fixed::TICK);
    let mut log = TickLog::new(start, fixed::TICK, n);
    while log.tick(ticks.recv().expect("a tick channel never disconnects")) {}
    log.lines()
}
