use goroutines::worker_pool;

struct Resizer;

impl Resizer {
    #[worker_pool]
    fn resize(&self, job: u32) -> u32 {
        job
    }
}

fn main() {}
