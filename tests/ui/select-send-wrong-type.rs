use goroutines::prelude::*;

fn main() {
    let (tx, _rx) = chan::<u32>(1);
    select! {
        tx <- "seven" => {}
        default => {}
    }
}
