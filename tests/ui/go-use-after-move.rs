// The call form moves its arguments into the goroutine.
use goroutines::prelude::*;

fn consume(v: Vec<i32>) -> usize {
    v.len()
}

fn main() {
    let v = vec![1, 2, 3];
    go!(consume(v));
    println!("{}", v.len());
}
