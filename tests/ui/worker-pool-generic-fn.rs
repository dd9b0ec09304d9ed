use goroutines::worker_pool;

#[worker_pool]
fn identity<T: Send + 'static>(job: T) -> T {
    job
}

fn main() {}
