//! Anonymous goroutines with parameters: Go's `go func(x int) {...}(i)` is a
//! `go!` block or closure; what it uses is moved in. Run with
//! `cargo run --release --example anonymous_goroutines`.

use goroutines::prelude::*;

#[goroutines::main]
fn main() {
    let greeting = String::from("hi");
    let handles: Vec<_> = (1..=3)
        .map(|n| {
            let greeting = greeting.clone();
            go!(move || format!("{greeting} from anonymous goroutine #{n}"))
        })
        .collect();
    for h in handles {
        println!("{}", h.join().unwrap());
    }
    // A block is a `move` closure too, and may return a value.
    let sum = go!({ (1..=10).sum::<u32>() }).join().unwrap();
    println!("a go!({{ ... }}) block computed {sum}");
}
