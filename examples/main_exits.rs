//! Main exiting before its goroutines: in Go, when main returns the
//! program ends and running goroutines vanish mid-work. Here too: but
//! `#[goroutines::main]` runs main as a goroutine, and waiting is one
//! `join()` or `WaitGroup::wait()` away. Run with
//! `cargo run --release --example main_exits`.

use std::time::Duration;

use goroutines::prelude::*;

#[goroutines::main]
fn main() {
    let h = go!({
        sleep(Duration::from_millis(20));
        println!("background work finished");
    });
    // Without this join, main would return first and the process would end
    // before the goroutine prints (as in Go).
    h.join().unwrap();
    println!("main returns after its goroutine");
}
