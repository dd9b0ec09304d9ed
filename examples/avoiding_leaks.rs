//! Avoiding goroutine leaks: a goroutine blocked for ever on a channel
//! nobody will use again is a leak. Close the channel (or drop its last
//! Sender/Receiver), give it a Context, or use pipeline!, which stops every
//! stage when dropped. `num_goroutines()` shows the count. Run with
//! `cargo run --release --example avoiding_leaks`.

use std::time::Duration;

use goroutines::prelude::*;

fn settle(before: usize) -> usize {
    for _ in 0..100 {
        if num_goroutines() <= before {
            break;
        }
        sleep(Duration::from_millis(1));
    }
    num_goroutines()
}

#[goroutines::main]
fn main() {
    let before = num_goroutines();

    // Leaky in Go: the sender blocks for ever once nobody receives. Here the
    // receiver's drop closes the channel, and the send fails instead.
    let (tx, rx) = chan::<u32>(0);
    go!(move || {
        for i in 0.. {
            if tx.send(i).is_err() {
                return; // receiver gone: stop
            }
        }
    });
    println!("took {:?}, then dropped the receiver", rx.recv());
    drop(rx);
    println!("goroutines: {before} before, {} after", settle(before));

    // A Context stops a goroutine waiting on something else.
    let (ctx, cancel) = Context::background().with_cancel();
    let (_never_tx, never) = chan::<u32>(0);
    go!(move || select! {
        _ = <-never => {},
        <-ctx.done() => {},
    });
    cancel.cancel();
    println!("after cancel: {}", settle(before));

    // A pipeline abandoned mid-stream stops every stage.
    let first: Vec<u64> = pipeline! { 0u64.. => map(|n| n * n) }.take(3).collect();
    println!("pipeline took {first:?}; goroutines now: {}", settle(before));
}
