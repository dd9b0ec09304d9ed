use goroutines::worker_pool;

#[worker_pool(workers = 2)]
struct Job {
    n: u32,
}

fn main() {}
