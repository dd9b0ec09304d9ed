use goroutines::prelude::*;

fn main() {
    let (_tx, rx) = chan::<u32>(1);
    select! {
        Some(3) = <-rx => println!("three"),
        default => {}
    }
}
