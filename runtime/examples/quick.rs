use goroutines_runtime::*;
use std::time::Instant;
fn main() {
    let n: usize = std::env::args().nth(1).map(|s| s.parse().unwrap()).unwrap_or(1_000_000);
    for _ in 0..5 {
        let t = Runtime::global().block_on(move || {
            let t = Instant::now();
            let wg = WaitGroup::new();
            for _ in 0..n {
                wg.add(1);
                let wg = wg.clone();
                drop(spawn(move || wg.done()));
            }
            wg.wait();
            t.elapsed()
        });
        println!("spawn_wait {n}: {:?}", t);
    }
    // yield switch
    let rt = Builder::new().max_procs(1).build().unwrap();
    let t = rt.block_on(|| {
        let t = Instant::now();
        let a = spawn(|| {
            for _ in 0..2_000_000 {
                yield_now()
            }
        });
        let b = spawn(|| {
            for _ in 0..2_000_000 {
                yield_now()
            }
        });
        a.join().unwrap();
        b.join().unwrap();
        t.elapsed()
    });
    println!("yield: {:.1} ns/switch", t.as_nanos() as f64 / 4e6);
}
