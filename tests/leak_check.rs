//! `#[goroutines::test]` fails a test that leaves goroutines it started
//! behind, and tells tests running in parallel apart by ancestry.

use std::time::Duration;

use goroutines::prelude::*;

#[goroutines::test]
#[should_panic(expected = "[chan receive] spawned at tests/leak_check.rs:13")]
fn a_test_that_leaves_a_goroutine_behind_fails() {
    let (tx, rx) = chan::<u32>(0);
    std::mem::forget(tx); // nobody will ever send or close
    go!(move || rx.recv());
}

/// Runs beside the leaking test above (the harness runs tests in
/// parallel): its own goroutines all end, and the other test's leak is not
/// blamed on it.
#[goroutines::test]
fn a_test_whose_goroutines_end_passes_beside_a_leaking_one() {
    let wg = WaitGroup::new();
    for _ in 0..10 {
        wg.go(|| sleep(Duration::from_millis(2)));
    }
    wg.wait();
    // Detached but about to end: within the grace period.
    go!(|| sleep(Duration::from_millis(10)));
}

#[test]
fn leak_check_reports_each_leaked_goroutine_with_its_sites() {
    let leaked = goroutines::debug::leak_check(|| {
        let (tx, rx) = chan::<u32>(0);
        std::mem::forget(tx);
        go!(move || rx.recv());
    })
    .expect_err("one goroutine leaked");
    assert_eq!(leaked.goroutines.len(), 1);
    let text = leaked.to_string();
    assert!(text.contains("chan receive") && text.contains("leak_check.rs"), "{text}");
}
