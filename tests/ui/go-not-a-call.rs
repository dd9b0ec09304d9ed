use goroutines::prelude::*;

fn work() {}

fn main() {
    go!(work);
}
