use goroutines::prelude::*;

fn main() {
    let (tx, _rx) = chan::<u32>(1);
    select! {
        v = <-tx => println!("{v:?}"),
        default => {}
    }
}
