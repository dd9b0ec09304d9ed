use goroutines::prelude::*;

fn main() {
    let _p: Pipeline<u64> = pipeline! {};
}
