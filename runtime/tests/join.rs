//! `JoinHandle`: results, panics and detaching, from goroutines and threads.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use goroutines_runtime::{goroutine_id, num_goroutines, spawn, yield_now, Runtime, WaitGroup};

#[test]
fn join_from_a_thread_parks_until_the_value_is_ready() {
    let gate = WaitGroup::new();
    gate.add(1);
    let g = gate.clone();
    let h = spawn(move || {
        g.wait();
        "done"
    });
    assert!(!h.is_finished());
    let opener = std::thread::spawn(move || gate.done());
    assert_eq!(h.join().unwrap(), "done");
    opener.join().unwrap();
}

#[test]
fn join_from_a_goroutine_suspends_it() {
    let v = Runtime::global().block_on(|| {
        let hs: Vec<_> = (0..100u64).map(|i| spawn(move || i * i)).collect();
        hs.into_iter().map(|h| h.join().unwrap()).sum::<u64>()
    });
    assert_eq!(v, (0..100u64).map(|i| i * i).sum());
}

#[test]
fn a_panicking_goroutine_joins_as_err_naming_it() {
    let h = spawn(|| -> () { panic!("it broke") });
    let (id, site) = (h.id(), h.spawn_site());
    let err = h.join().unwrap_err();
    assert_eq!(err.goroutine_id(), id);
    assert_eq!(err.spawn_site(), site);
    assert_eq!(err.message(), "it broke");
    let shown = err.to_string();
    assert!(shown.starts_with(&format!("goroutine {id} (spawned at {site}) panicked: it broke")), "{shown}");
    assert_eq!(*err.into_panic().downcast::<&str>().unwrap(), "it broke");
}

#[test]
fn non_string_panic_payloads_are_kept() {
    let err = spawn(|| std::panic::panic_any(42u8)).join().unwrap_err();
    assert_eq!(err.message(), "Box<dyn Any>");
    assert_eq!(*err.into_panic().downcast::<u8>().unwrap(), 42);
}

#[test]
fn goroutine_ids_are_distinct_and_zero_outside() {
    assert_eq!(goroutine_id(), 0);
    let h = spawn(goroutine_id);
    let id = h.id();
    assert_eq!(h.join().unwrap(), id);
    assert_ne!(spawn(goroutine_id).join().unwrap(), id);
}

#[test]
fn a_dropped_handle_detaches_and_the_goroutine_still_runs() {
    let ran = Arc::new(AtomicUsize::new(0));
    let wg = WaitGroup::new();
    for _ in 0..100 {
        let (ran, wg) = (ran.clone(), wg.clone());
        wg.add(1);
        drop(spawn(move || {
            yield_now();
            ran.fetch_add(1, Ordering::Relaxed);
            wg.done();
        }));
    }
    wg.wait();
    assert_eq!(ran.load(Ordering::Relaxed), 100);
}

#[test]
fn results_not_joined_are_dropped_exactly_once() {
    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let hs: Vec<_> = (0..50)
        .map(|_| {
            let d = drops.clone();
            spawn(move || Counted(d))
        })
        .collect();
    for (i, h) in hs.into_iter().enumerate() {
        if i % 2 == 0 {
            drop(h.join().unwrap());
        } else {
            drop(h);
        }
    }
    // Detached results drop when their goroutine ends.
    let d = drops.clone();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while d.load(Ordering::Relaxed) < 50 {
        assert!(std::time::Instant::now() < deadline, "results never dropped");
        std::thread::yield_now();
    }
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert_eq!(drops.load(Ordering::Relaxed), 50);
}

#[test]
fn num_goroutines_counts_live_goroutines() {
    let rt = goroutines_runtime::Builder::new().max_procs(2).build().unwrap();
    let gate = WaitGroup::new();
    gate.add(1);
    let hs: Vec<_> = (0..10)
        .map(|_| {
            let g = gate.clone();
            rt.spawn(move || g.wait())
        })
        .collect();
    assert_eq!(rt.num_goroutines(), 10);
    gate.done();
    hs.into_iter().for_each(|h| h.join().unwrap());
    assert_eq!(rt.num_goroutines(), 0);
    let _ = num_goroutines();
}
