//! Panic recovery: Go's `defer recover()` in a "safe goroutine". Here a
//! panic is caught at the goroutine's edge, reported on stderr with the
//! goroutine and where it was spawned, and returned by `join()`. Run with
//! `cargo run --release --example panic_recovery`.

use goroutines::prelude::*;

fn parse(input: &'static str) -> u32 {
    input.parse().expect("a number")
}

#[goroutines::main]
fn main() {
    let good = go!(parse("42"));
    let bad = go!(parse("forty-two")); // panics inside the goroutine
    println!("good: {:?}", good.join());
    match bad.join() {
        Ok(v) => println!("bad: {v}"),
        Err(panicked) => println!("bad: recovered a panic ({panicked}); main goes on"),
    }
    // A #[worker_pool] job that panics is counted and its worker goes on:
    // see examples/worker_pool.rs.
}
