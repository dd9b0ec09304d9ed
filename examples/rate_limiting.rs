//! Rate limiting: a token bucket lets requests through at a steady rate,
//! with a burst (Go's `golang.org/x/time/rate`, or a `time.Tick` loop). Run
//! with `cargo run --release --example rate_limiting`.

use std::time::Instant;

use goroutines::time::RateLimiter;

#[goroutines::main]
fn main() {
    let limiter = RateLimiter::new(20.0, 3); // 20 a second, 3 at once
    let start = Instant::now();
    for request in 1..=8 {
        limiter.wait(); // the goroutine sleeps until a token is there
        println!("request {request} at {:>4} ms", start.elapsed().as_millis());
    }
    println!("the first 3 went at once (the burst), then one every 50 ms");

    let allowed = (0..100).filter(|_| limiter.allow()).count();
    println!("allow() without waiting: {allowed} of 100 went through just now");
}
