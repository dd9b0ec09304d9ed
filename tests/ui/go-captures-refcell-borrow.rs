// A `RefCell` borrow (`Ref<..>`) is not `Send`: it cannot go to a goroutine.
use goroutines::prelude::*;
use std::cell::{Ref, RefCell};

fn show(v: Ref<'static, Vec<i32>>) {
    println!("{:?}", *v);
}

fn main() {
    let cell: &'static RefCell<Vec<i32>> = Box::leak(Box::new(RefCell::new(vec![1])));
    go!(show(cell.borrow()));
}
