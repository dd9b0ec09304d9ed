// An unscoped goroutine may outlive the function: it cannot borrow a local
// (use `scope` for that, or move the value in).
use goroutines::prelude::*;

fn main() {
    let v = vec![1, 2, 3];
    go!(|| println!("{}", v.len()));
}
