use goroutines::worker_pool;

#[worker_pool]
fn shout(line: &str) -> String {
    line.to_uppercase()
}

fn main() {}
