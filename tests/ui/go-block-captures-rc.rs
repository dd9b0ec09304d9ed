// The block form moves what it uses into the goroutine: not an `Rc`.
use goroutines::prelude::*;
use std::rc::Rc;

fn main() {
    let shared = Rc::new(5);
    go!({
        println!("{shared}");
    });
}
