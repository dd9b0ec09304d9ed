//! GOMAXPROCS: how many worker threads run goroutines. `max_procs()` reads
//! it, `set_max_procs(n)` changes it, the `GOMAXPROCS` variable sets it at
//! start. Run with `GOMAXPROCS=1 cargo run --release --example gomaxprocs`.

use goroutines::prelude::*;

#[goroutines::main]
fn main() {
    println!("CPUs: {}, worker threads: {}", goroutines::num_cpu(), max_procs());
    let previous = set_max_procs(1);
    println!("set_max_procs(1): was {previous}, now {}", max_procs());
    // 1,000 goroutines still run, one at a time on the one worker.
    let wg = WaitGroup::new();
    for _ in 0..1000 {
        wg.go(yield_now);
    }
    wg.wait();
    set_max_procs(previous);
    println!("back to {}", max_procs());
}
