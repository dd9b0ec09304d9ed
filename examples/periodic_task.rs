//! A periodic task: `every(period, &ctx, task)` runs `task` on a Ticker in
//! a goroutine until the Context is cancelled. Run with
//! `cargo run --release --example periodic_task`.

use std::time::{Duration, Instant};

use goroutines::prelude::*;
use goroutines::time::every;

#[goroutines::main]
fn main() {
    let (ctx, cancel) = Context::background().with_cancel();
    let start = Instant::now();
    let task = every(Duration::from_millis(20), &ctx, move || {
        println!("tick at {:>3} ms", start.elapsed().as_millis());
    });
    sleep(Duration::from_millis(110));
    cancel.cancel();
    println!("stopped after {} runs", task.join().unwrap());
}
