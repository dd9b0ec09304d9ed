use goroutines::prelude::*;

fn main() {
    go!(println!("hello"));
}
