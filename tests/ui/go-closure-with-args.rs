use goroutines::prelude::*;

fn main() {
    go!(move |n: i32| println!("{n}"));
}
