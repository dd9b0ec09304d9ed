//! Graceful shutdown with a Context: Ctrl-C (SIGINT) or SIGTERM cancels it,
//! workers see `<-ctx.done()`, finish what they hold and return; main
//! waits for them. Run with `cargo run --release --example
//! graceful_shutdown` and press Ctrl-C (it also stops by itself after 2 s).

use std::time::Duration;

use goroutines::prelude::*;

#[goroutines::main]
fn main() {
    let signals = Context::on_signals();
    // Stop by itself too, so the example ends without a Ctrl-C.
    let (ctx, _cancel) = signals.with_timeout(Duration::from_secs(2));
    println!("working; press Ctrl-C to stop (or wait 2 s)");

    let wg = WaitGroup::new();
    for id in 1..=3 {
        let ctx = ctx.clone();
        wg.go(move || {
            let ticks = tick(Duration::from_millis(300));
            let mut jobs = 0;
            loop {
                select! {
                    <-ctx.done() => {
                        println!("worker {id}: {} after {jobs} jobs, cleaning up", ctx.err().map(|e| e.to_string()).unwrap_or_default());
                        return;
                    }
                    _ = <-ticks => jobs += 1,
                }
            }
        });
    }
    wg.wait();
    println!("all workers stopped cleanly");
}
