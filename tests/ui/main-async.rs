#[goroutines::main]
async fn main() {
    println!("hello");
}
