use goroutines::worker_pool;

#[worker_pool]
async fn fetch(url: String) -> usize {
    url.len()
}

fn main() {}
