use goroutines::prelude::*;

fn main() {
    go!();
}
