#[goroutines::test]
#[test]
fn twice() {}

fn main() {}
