use goroutines::prelude::*;

fn main() {
    let (_tx, rx) = chan::<u32>(1);
    select! {
        v = <-rx { println!("{v:?}") }
        default => {}
    }
}
