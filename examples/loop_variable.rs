//! The loop variable gotcha: before Go 1.22, `for i := ... { go func() {
//! use(i) }() }` could print the last `i` several times, since every
//! goroutine shared one variable. With `go!` it cannot happen: a goroutine
//! gets its own copy (a move) or the code does not compile. Run with
//! `cargo run --release --example loop_variable`.

use goroutines::prelude::*;

#[goroutines::main]
fn main() {
    let handles: Vec<_> = (0..5).map(|i| go!(move || i)).collect();
    let seen: Vec<i32> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    println!("each goroutine saw its own i: {seen:?}");

    let mut shared = 0;
    // go!(|| shared += 1);  // does not compile: a goroutine cannot borrow a
    //                       // local (use a channel, an atomic, a Mutex, or
    //                       // scope() for goroutines that may borrow)
    scope(|s| {
        s.go(|| println!("a scoped goroutine may borrow: shared = {shared}"));
    });
    shared += 1;
    println!("and main goes on with it: {shared}");
}
