use goroutines::worker_pool;

#[worker_pool(threads = 4)]
fn square(n: u64) -> u64 {
    n * n
}

fn main() {}
