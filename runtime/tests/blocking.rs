//! `blocking(f)`: a call that blocks its thread runs on the blocking pool
//! while the goroutine is suspended, so its worker runs the others.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use goroutines_runtime::{blocking, spawn, Builder, WaitGroup};

#[test]
fn on_a_plain_thread_it_runs_inline() {
    let me = std::thread::current().id();
    assert_eq!(blocking(|| std::thread::current().id()), me);
}

/// One worker: while a goroutine's `blocking` call holds a thread, the other
/// goroutine on that worker runs. The call waits (a hang guard bounds it)
/// until the other goroutine has run, which it could not if the call held
/// the worker itself.
#[test]
fn the_worker_runs_other_goroutines_meanwhile() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let rt = Builder::new().max_procs(1).build().unwrap();
    let (started, other_ran) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
    let order = Arc::new(Mutex::new(Vec::new()));
    let blocked = {
        let (started, other_ran, order) = (started.clone(), other_ran.clone(), order.clone());
        rt.spawn(move || {
            blocking(|| {
                started.store(true, Ordering::SeqCst);
                let deadline = std::time::Instant::now() + Duration::from_secs(60);
                while !other_ran.load(Ordering::SeqCst) && std::time::Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(1));
                }
            });
            order.lock().unwrap().push("blocking call");
        })
    };
    let other = {
        let order = order.clone();
        rt.spawn(move || {
            while !started.load(Ordering::SeqCst) {
                goroutines_runtime::time::sleep(Duration::from_millis(1));
            }
            order.lock().unwrap().push("other goroutine");
            other_ran.store(true, Ordering::SeqCst);
        })
    };
    blocked.join().unwrap();
    other.join().unwrap();
    assert_eq!(*order.lock().unwrap(), ["other goroutine", "blocking call"]);
}

#[test]
fn it_may_borrow_and_a_panic_comes_back() {
    let h = spawn(|| {
        let mut local = vec![1, 2, 3];
        let sum: i32 = blocking(|| {
            local.push(4); // a mutable borrow of the goroutine's stack
            local.iter().sum()
        });
        let caught = std::panic::catch_unwind(|| blocking(|| panic!("in the pool")));
        (sum, local.len(), caught.is_err())
    });
    assert_eq!(h.join().unwrap(), (10, 4, true));
}

#[test]
fn many_calls_at_once_all_complete() {
    let rt = Builder::new().max_procs(2).build().unwrap();
    rt.block_on(|| {
        let wg = WaitGroup::new();
        for _ in 0..64 {
            wg.go(|| blocking(|| std::thread::sleep(Duration::from_millis(20))));
        }
        wg.wait();
    });
}
