// The call form moves its arguments into a goroutine that may outlive the
// function: a reference to a local cannot go there.
use goroutines::prelude::*;

fn total(v: &[i32]) -> i32 {
    v.iter().sum()
}

fn main() {
    let v = vec![1, 2, 3];
    go!(total(&v));
}
