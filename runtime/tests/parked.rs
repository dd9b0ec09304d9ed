//! Blocking in a runtime primitive suspends the goroutine and frees the
//! worker: thousands of blocked goroutines on two workers, few threads.

mod common;

use goroutines_runtime::{num_goroutines, set_max_procs, spawn, Runtime, WaitGroup};

#[test]
fn thousands_of_blocked_goroutines_use_few_threads() {
    if !common::is_child("thousands_of_blocked_goroutines_use_few_threads") {
        let out = common::run_child("thousands_of_blocked_goroutines_use_few_threads", &[]);
        assert!(out.status.success(), "child failed:\n{}", String::from_utf8_lossy(&out.stderr));
        return;
    }
    const N: usize = 10_000;
    set_max_procs(2);
    let before = common::thread_count();
    let (started, gate, done) = (WaitGroup::new(), WaitGroup::new(), WaitGroup::new());
    gate.add(1);
    for _ in 0..N {
        let (started, gate, done) = (started.clone(), gate.clone(), done.clone());
        started.add(1);
        done.add(1);
        drop(spawn(move || {
            started.done();
            gate.wait();
            done.done();
        }));
    }
    started.wait();
    // Every one of them is now blocked in `gate.wait()`.
    assert_eq!(num_goroutines(), N);
    let threads = common::thread_count();
    // The runtime's own threads: 2 workers and the held-worker monitor.
    assert!(threads <= before + 3, "{threads} threads for {N} blocked goroutines (before: {before})");
    assert!(threads < 16, "{threads} threads");
    gate.done();
    done.wait();
    common::eventually(30, "all goroutines ended", || num_goroutines() == 0);
    assert_eq!(Runtime::global().max_procs(), 2);
}

#[test]
fn goroutines_blocked_on_each_other_in_a_chain_complete() {
    // A chain longer than the number of workers: each waits for the next.
    fn link(n: u32) -> u32 {
        if n == 0 {
            0
        } else {
            spawn(move || link(n - 1)).join().unwrap() + 1
        }
    }
    assert_eq!(Runtime::global().block_on(|| link(2000)), 2000);
}
