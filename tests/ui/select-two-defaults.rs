use goroutines::prelude::*;

fn main() {
    let (_tx, rx) = chan::<u32>(1);
    let n = select! {
        v = <-rx => v.unwrap_or(0),
        default => 1,
        default => 2,
    };
    println!("{n}");
}
