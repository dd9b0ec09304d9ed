use goroutines::prelude::*;

fn main() {
    let _p = pipeline! { 1..=10u64 => map(threads = 4, |n| n) };
}
