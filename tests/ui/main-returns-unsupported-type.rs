// `main` may return what a plain `main` may: `()`, `ExitCode`, or a `Result`
// of those with a `Debug` error. An `i32` is not one of them.

#[goroutines::main]
fn main() -> i32 {
    0
}
