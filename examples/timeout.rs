//! Timeouts: `timeout(d, f)` (the seed's `doWorkWithTimeout`, without its
//! leak: an abandoned goroutine's result goes nowhere and nothing blocks),
//! and `select!` with `<-after(d)`. Run with
//! `cargo run --release --example timeout`.

use std::time::Duration;

use goroutines::prelude::*;
use goroutines::time::timeout;

fn slow_work(ms: u64) -> String {
    sleep(Duration::from_millis(ms));
    format!("finished after {ms} ms")
}

#[goroutines::main]
fn main() {
    println!("{:?}", timeout(Duration::from_millis(50), || slow_work(10)));
    println!("{:?}", timeout(Duration::from_millis(10), || slow_work(50)));

    let (tx, rx) = chan(1);
    go!(move || tx.send(slow_work(30)).unwrap());
    select! {
        v = <-rx => println!("select got {v:?}"),
        <-after(Duration::from_millis(5)) => println!("select: timed out after 5 ms"),
    }
}
