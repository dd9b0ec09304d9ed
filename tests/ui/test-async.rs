#[goroutines::test]
async fn waits() {
    std::future::ready(()).await;
}

fn main() {}
