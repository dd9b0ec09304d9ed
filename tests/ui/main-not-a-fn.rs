#[goroutines::main]
struct Main;

fn main() {}
