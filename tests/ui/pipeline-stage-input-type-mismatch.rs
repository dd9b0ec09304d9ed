use goroutines::prelude::*;

fn main() {
    // Stage 2 takes a String, but stage 1 emits u64.
    let _p = pipeline! {
        1..=10u64
        => map(|n| n * 2)
        => map(|s: String| s.len())
    };
}
