//! Fan-out (several goroutines take from one channel) and fan-in (one
//! channel gathers several), by hand and with `fan_out` / `merge`. Run it
//! with
//!
//! ```text
//! cargo run --release --example fan_out_fan_in
//! ```

use std::time::{Duration, Instant};

use goroutines::prelude::*;

/// A job that takes a while (it sleeps: it waits, it does not compute).
fn slow_double(n: u32) -> u32 {
    sleep(Duration::from_millis(10));
    n * 2
}

#[goroutines::main]
fn main() {
    let jobs = || {
        let (tx, rx) = chan(0);
        go!(move || (1..=12).for_each(|n| tx.send(n).unwrap()));
        rx
    };

    println!("== by hand: 4 workers share one input channel, one output channel gathers them");
    let start = Instant::now();
    let input = jobs();
    let (tx, output) = chan(0);
    for _ in 0..4 {
        let (input, tx) = (input.clone(), tx.clone());
        go!(move || {
            for n in &input {
                tx.send(slow_double(n)).unwrap();
            }
        });
    }
    drop(tx); // the workers hold the only senders: output closes when they end
    let mut got: Vec<u32> = output.iter().collect();
    got.sort_unstable();
    println!("{got:?} in {:.0?} (12 jobs of 10 ms on 4 workers)", start.elapsed());

    println!("\n== with the helpers: fan_out gives one output per worker, merge gathers them");
    let start = Instant::now();
    let outputs = fan_out(jobs(), 4, slow_double);
    let mut got: Vec<u32> = merge(outputs).iter().collect();
    got.sort_unstable();
    println!("{got:?} in {:.0?}", start.elapsed());

    println!("\n== merge alone: two sources in the order their values arrive");
    let (a_tx, a) = chan(0);
    let (b_tx, b) = chan(0);
    go!(move || ["a1", "a2"].into_iter().for_each(|v| a_tx.send(v).unwrap()));
    go!(move || ["b1", "b2"].into_iter().for_each(|v| b_tx.send(v).unwrap()));
    let mut all: Vec<&str> = merge([a, b]).iter().collect();
    all.sort_unstable();
    println!("{all:?}");
}
