//! A done channel: tell a goroutine to stop by closing a channel it selects
//! on. Run with `cargo run --release --example done_channel`.

use std::time::Duration;

use goroutines::prelude::*;

#[goroutines::main]
fn main() {
    let (done_tx, done) = chan::<()>(0);
    let worker = go!(move || {
        let ticks = tick(Duration::from_millis(2));
        let mut n = 0;
        loop {
            select! {
                <-done => return n,          // closed: runs at once, every time
                _ = <-ticks => n += 1,
            }
        }
    });
    sleep(Duration::from_millis(15));
    done_tx.close(); // or drop the last Sender
    println!("the worker stopped after {} ticks", worker.join().unwrap());
}
