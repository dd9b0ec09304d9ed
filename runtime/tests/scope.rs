//! Scoped goroutines borrow from the caller; `scope` returns once all ended.

use std::sync::atomic::{AtomicUsize, Ordering};

use goroutines_runtime::{scope, spawn, yield_now};

#[test]
fn scoped_goroutines_borrow_and_mutate_locals() {
    let data = [1, 2, 3, 4];
    let mut out = vec![0; 4];
    let total = AtomicUsize::new(0);
    scope(|s| {
        for (x, o) in data.iter().zip(out.iter_mut()) {
            let total = &total;
            s.go(move || {
                yield_now();
                *o = x * 10;
                total.fetch_add(*x, Ordering::Relaxed);
            });
        }
    });
    assert_eq!(out, [10, 20, 30, 40]);
    assert_eq!(total.into_inner(), 10);
}

#[test]
fn scope_returns_only_after_every_goroutine_ended() {
    let finished = AtomicUsize::new(0);
    scope(|s| {
        for _ in 0..50 {
            s.go(|| {
                for _ in 0..10 {
                    yield_now();
                }
                finished.fetch_add(1, Ordering::SeqCst);
            });
        }
    });
    assert_eq!(finished.load(Ordering::SeqCst), 50);
}

#[test]
fn scoped_handles_return_values_and_joined_panics_are_handled() {
    let v = 21;
    let r = scope(|s| {
        let a = s.go(|| v * 2);
        let b = s.go(|| -> i32 { panic!("handled") });
        (a.join().unwrap(), b.join().is_err())
    });
    assert_eq!(r, (42, true));
}

#[test]
#[should_panic(expected = "a scoped goroutine panicked")]
fn an_unjoined_scoped_panic_makes_the_scope_panic() {
    scope(|s| {
        s.go(|| panic!("not joined"));
    });
}

#[test]
fn scope_works_inside_a_goroutine() {
    let v = spawn(|| {
        let words = ["a", "bb", "ccc"];
        let lens = AtomicUsize::new(0);
        scope(|s| {
            for w in &words {
                let lens = &lens;
                s.go(move || lens.fetch_add(w.len(), Ordering::Relaxed));
            }
        });
        lens.into_inner()
    });
    assert_eq!(v.join().unwrap(), 6);
}
