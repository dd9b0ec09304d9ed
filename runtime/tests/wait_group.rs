//! `WaitGroup`, from goroutines and plain threads.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use goroutines_runtime::{spawn, Runtime, WaitGroup};

#[test]
fn wait_returns_at_once_when_nothing_was_added() {
    WaitGroup::new().wait();
}

#[test]
fn threads_and_goroutines_wait_for_goroutines() {
    let wg = WaitGroup::new();
    let sum = Arc::new(AtomicUsize::new(0));
    for i in 0..1000 {
        let (wg, sum) = (wg.clone(), sum.clone());
        wg.add(1);
        drop(spawn(move || {
            sum.fetch_add(i, Ordering::Relaxed);
            wg.done();
        }));
    }
    // A goroutine and a thread wait on the same group.
    let w = wg.clone();
    let in_goroutine = spawn(move || w.wait());
    wg.wait();
    in_goroutine.join().unwrap();
    assert_eq!(sum.load(Ordering::Relaxed), (0..1000).sum());
}

#[test]
fn goroutines_wait_for_plain_threads() {
    let wg = WaitGroup::new();
    wg.add(4);
    let w = wg.clone();
    let waiter = spawn(move || w.wait());
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let wg = wg.clone();
            std::thread::spawn(move || wg.done())
        })
        .collect();
    waiter.join().unwrap();
    threads.into_iter().for_each(|t| t.join().unwrap());
}

#[test]
fn go_counts_and_marks_done_even_on_panic() {
    let wg = WaitGroup::new();
    let a = wg.go(|| 1);
    let b = wg.go(|| -> i32 { panic!("member failed") });
    wg.wait();
    assert_eq!(wg.count(), 0);
    assert_eq!(a.join().unwrap(), 1);
    assert!(b.join().is_err());
}

#[test]
fn a_wait_group_can_be_reused_after_wait() {
    let wg = WaitGroup::new();
    for round in 0..20 {
        for _ in 0..round {
            let w = wg.clone();
            wg.add(1);
            drop(spawn(move || w.done()));
        }
        Runtime::global().block_on({
            let wg = wg.clone();
            move || wg.wait()
        });
        assert_eq!(wg.count(), 0);
    }
}

#[test]
#[should_panic(expected = "more times than WaitGroup::add counted")]
fn done_without_add_panics() {
    WaitGroup::new().done();
}
