// The call form evaluates its arguments in the caller and moves them into
// the goroutine: an `Rc` argument cannot go there.
use goroutines::prelude::*;
use std::rc::Rc;

fn show(n: Rc<i32>) {
    println!("{n}");
}

fn main() {
    let shared = Rc::new(5);
    go!(show(shared.clone()));
}
