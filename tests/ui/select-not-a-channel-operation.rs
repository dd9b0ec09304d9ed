use goroutines::prelude::*;

fn main() {
    let (_tx, rx) = chan::<u32>(1);
    select! {
        rx => println!("forgot the arrow"),
        default => {}
    }
}
