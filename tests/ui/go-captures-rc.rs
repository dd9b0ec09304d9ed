// A goroutine may run on another thread: an `Rc` cannot go there.
use goroutines::prelude::*;
use std::rc::Rc;

fn main() {
    let shared = Rc::new(5);
    go!(move || println!("{shared}"));
}
