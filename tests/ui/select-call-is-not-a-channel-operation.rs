use goroutines::prelude::*;

fn main() {
    let (_tx, rx) = chan::<u32>(1);
    select! {
        v = rx.recv() => println!("{v:?}"),
        default => {}
    }
}
