use goroutines::prelude::*;

fn main() {
    let _p = pipeline! { 1..=10u64 => map(workers = 2) };
}
