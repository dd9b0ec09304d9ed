use goroutines::worker_pool;

#[worker_pool]
fn tick() -> u32 {
    1
}

fn main() {}
