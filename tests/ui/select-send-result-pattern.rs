use goroutines::prelude::*;

fn main() {
    let (tx, _rx) = chan::<u32>(1);
    select! {
        Ok(()) = tx <- 7 => println!("sent"),
        default => {}
    }
}
