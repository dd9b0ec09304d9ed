//! The seed's generator -> square pipeline, written by hand with `go!` and
//! channels, then as `pipeline!`. Run it with
//!
//! ```text
//! cargo run --release --example pipeline
//! ```

use goroutines::prelude::*;

/// Go's `gen`: a goroutine sends the numbers, then closes the channel.
fn generate(nums: Vec<u64>) -> Receiver<u64> {
    let (tx, rx) = chan(0);
    go!(move || {
        for n in nums {
            if tx.send(n).is_err() {
                return; // nobody listens any more
            }
        }
        // Dropping the last Sender closes the channel.
    });
    rx
}

/// Go's `sq`: receives until the input closes, sends the squares.
fn square(input: Receiver<u64>) -> Receiver<u64> {
    let (tx, rx) = chan(0);
    go!(move || {
        for n in &input {
            if tx.send(n * n).is_err() {
                return;
            }
        }
    });
    rx
}

#[goroutines::main]
fn main() {
    println!("== by hand: generate -> square -> print, each stage a goroutine");
    for v in &square(generate(vec![2, 3, 4])) {
        println!("{v}");
    }

    println!("\n== the same as pipeline!: the stages, the channels and their closing are written for you");
    for v in pipeline! { vec![2u64, 3, 4] => map(|n| n * n) } {
        println!("{v}");
    }

    println!("\n== options: a fan-out of 4 workers that keeps the order, then a filter");
    let evens: Vec<u64> = pipeline! {
        1..=10u64
        => map(workers = 4, ordered, |n| n * n)
        => filter(|n| n % 2 == 0)
    }
    .collect();
    println!("{evens:?}");

    println!("\n== errors: the first try_map error stops every stage; wait() says which stage");
    let p = pipeline! {
        ["1", "2", "three", "4"]
        => try_map(|s: &str| s.parse::<u32>())
        => map(|n| n * 10)
    };
    match p.wait() {
        Ok(()) => println!("all parsed"),
        Err(e) => println!("stopped: {e}"),
    }

    println!("\n== stopping early: breaking out of the loop stops every stage, even over an endless source");
    let before = num_goroutines();
    for v in pipeline! { 1u64.. => map(|n| n * n) } {
        if v > 50 {
            break;
        }
    }
    while num_goroutines() > before {
        yield_now();
    }
    println!("goroutines before: {before}, after: {}", num_goroutines());
}
