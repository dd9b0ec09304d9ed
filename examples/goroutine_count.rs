//! Goroutine count: `num_goroutines()` is Go's `runtime.NumGoroutine()`,
//! the number to watch in production for leaks. Run with
//! `cargo run --release --example goroutine_count`.

use std::time::Duration;

use goroutines::prelude::*;

#[goroutines::main]
fn main() {
    println!("at start: {} (main itself is one)", num_goroutines());
    let (tx, rx) = chan::<()>(0);
    let wg = WaitGroup::new();
    for _ in 0..10_000 {
        let rx = rx.clone();
        wg.go(move || {
            let _ = rx.recv(); // parked until the channel closes
        });
    }
    sleep(Duration::from_millis(10));
    println!("with 10,000 parked: {}", num_goroutines());
    drop((tx, rx)); // closing wakes them all
    wg.wait();
    println!("after they ended: {}", num_goroutines());
}
