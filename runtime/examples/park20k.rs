use goroutines_runtime::*;
use std::time::Instant;
fn main() {
    set_max_procs(2);
    let n: usize = std::env::args().nth(1).map(|s| s.parse().unwrap()).unwrap_or(20_000);
    Runtime::global().block_on(move || {
        let rss = || {
            std::fs::read_to_string("/proc/self/status")
                .unwrap()
                .lines()
                .find_map(|l| {
                    l.strip_prefix("VmRSS:").map(|v| v.trim().trim_end_matches(" kB").parse::<usize>().unwrap())
                })
                .unwrap()
        };
        let r0 = rss();
        let t = Instant::now();
        let (started, gate) = (WaitGroup::new(), WaitGroup::new());
        gate.add(1);
        for _ in 0..n {
            let (started, gate) = (started.clone(), gate.clone());
            started.add(1);
            drop(spawn(move || {
                started.done();
                gate.wait();
            }));
        }
        started.wait();
        let spawn_t = t.elapsed();
        println!("rss per goroutine: {} bytes", (rss() - r0) * 1024 / n);
        if std::env::var_os("EXIT_EARLY").is_some() {
            println!("spawn {:?}", spawn_t);
            std::process::exit(0);
        }
        let t2 = Instant::now();
        let done = WaitGroup::new();
        gate.done();
        // wait for them to end
        while num_goroutines() > 1 {
            yield_now();
        }
        println!("spawn+park {n}: {:?}; unpark+end: {:?}", spawn_t, t2.elapsed());
        drop(done);
    });
}
