//! Starting goroutines: `go f(x)` is `go!(f(x))`. Run with
//! `cargo run --release --example starting_goroutines`.

use std::time::Duration;

use goroutines::prelude::*;

fn say(word: &'static str, times: u32) {
    for i in 1..=times {
        println!("{word} {i} (goroutine {})", goroutine_id());
        sleep(Duration::from_millis(1));
    }
}

#[goroutines::main]
fn main() {
    let a = go!(say("hello", 3)); // runs concurrently with main
    let b = go!(say("world", 3));
    a.join().unwrap(); // Go would use a WaitGroup; a JoinHandle also works
    b.join().unwrap();
    println!("both goroutines finished; a goroutine costs about one 4 KiB page while parked");
}
