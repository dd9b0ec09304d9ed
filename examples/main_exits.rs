//! Main exiting before its goroutines: in Go, when `main` returns the
//! program ends and running goroutines vanish mid-work. The same holds
//! here, on purpose: `#[goroutines::main]` runs `main` as a goroutine and
//! ends the process when it returns, whatever else still runs. Waiting is
//! one `join()` or `WaitGroup::wait()` away. Run with
//! `cargo run --release --example main_exits`.

use std::time::Duration;

use goroutines::prelude::*;

#[goroutines::main]
fn main() {
    let waited_for = go!({
        sleep(Duration::from_millis(20));
        println!("a goroutine main joins: finished");
    });
    go!({
        sleep(Duration::from_millis(500));
        println!("a detached goroutine: you will not see this line");
    });
    waited_for.join().unwrap();
    println!("main returns now; the detached goroutine is still asleep and ends with the process");
}
