//! WaitGroup: wait for a group of goroutines (Go's `sync.WaitGroup`). Run
//! with `cargo run --release --example wait_group`.

use std::time::Duration;

use goroutines::prelude::*;

#[goroutines::main]
fn main() {
    let wg = WaitGroup::new();
    for id in 1..=5u64 {
        wg.add(1);
        let wg = wg.clone();
        go!(move || {
            sleep(Duration::from_millis(id));
            println!("worker {id} done");
            wg.done();
        });
    }
    wg.wait(); // suspends main's goroutine; its worker runs the others
    println!("all 5 workers done");

    // wg.go(f) does add, spawn and done in one call (Go 1.25's wg.Go).
    let wg = WaitGroup::new();
    for id in 1..=3 {
        wg.go(move || println!("wg.go worker {id}"));
    }
    wg.wait();
}
