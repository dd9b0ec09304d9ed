use goroutines::prelude::*;

fn main() {
    // Both mistakes are reported, each at its place.
    let _p = pipeline! { 0..3u32 => mapp(|x| x) => filter(worker = 2, |x| *x > 0) };
}
