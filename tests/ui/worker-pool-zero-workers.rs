use goroutines::worker_pool;

#[worker_pool(workers = 0)]
fn square(n: u64) -> u64 {
    n * n
}

fn main() {}
