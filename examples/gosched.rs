//! `runtime.Gosched()` is `yield_now()`: a goroutine in a long loop lets the
//! others on its worker run. Run with `cargo run --release --example gosched`.

use goroutines::prelude::*;

#[goroutines::main]
fn main() {
    set_max_procs(1); // one worker: who runs when is visible
    let (tx, rx) = chan::<String>(16);
    let a = {
        let tx = tx.clone();
        go!(move || {
            for i in 0..3 {
                tx.send(format!("A{i}")).unwrap();
                yield_now(); // without it, A would finish before B starts
            }
        })
    };
    let b = go!(move || {
        for i in 0..3 {
            tx.send(format!("B{i}")).unwrap();
            yield_now();
        }
    });
    a.join().unwrap();
    b.join().unwrap();
    let order: Vec<String> = rx.iter().collect();
    println!("interleaved by yield_now: {order:?}");
}
