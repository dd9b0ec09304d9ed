//! Goroutine-aware sync primitives: contenders suspend instead of blocking
//! a worker; a Mutex hands over to a waiter that waited long.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use goroutines_runtime::sync::Mutex;
use goroutines_runtime::{chan, spawn, Builder};

#[test]
fn a_contended_mutex_loses_no_update() {
    let rt = Builder::new().max_procs(2).build().unwrap();
    let n = Arc::new(Mutex::new(0u64));
    let hs: Vec<_> = (0..8)
        .map(|_| {
            let n = n.clone();
            rt.spawn(move || {
                for _ in 0..20_000 {
                    *n.lock() += 1;
                }
            })
        })
        .collect();
    hs.into_iter().for_each(|h| h.join().unwrap());
    assert_eq!(*n.lock(), 160_000);
}

/// One worker: the holder waits on a channel while holding the lock; a
/// contender suspends (it does not block the worker), so the goroutine
/// that sends can run.
#[test]
fn holding_the_lock_across_a_channel_wait_stops_no_other_goroutine() {
    let rt = Builder::new().max_procs(1).build().unwrap();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let _main = rt.spawn(move || {
        let m = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = chan::<u32>(0);
        let holder = {
            let m = m.clone();
            spawn(move || {
                let mut g = m.lock();
                g.push(rx.recv().unwrap()); // waits holding the lock
            })
        };
        let contender = {
            let m = m.clone();
            spawn(move || m.lock().push(2))
        };
        let sender = spawn(move || tx.send(1).unwrap());
        holder.join().unwrap();
        contender.join().unwrap();
        sender.join().unwrap();
        done_tx.send(m.lock().clone()).unwrap();
    });
    // A hang guard, not a timing assertion.
    let got = done_rx.recv_timeout(Duration::from_secs(60)).expect("a contender blocked the worker");
    assert_eq!(got, [1, 2]);
}

/// A goroutine that locks and unlocks in a tight loop cannot keep a waiter
/// out for ever: after 1 ms of waiting the lock is handed to it.
#[test]
fn a_waiter_is_not_starved_by_a_barging_loop() {
    let rt = Builder::new().max_procs(2).build().unwrap();
    let m = Arc::new(Mutex::new(()));
    let hogging = Arc::new(AtomicBool::new(false));
    let got_it = Arc::new(AtomicBool::new(false));
    let hog = {
        let (m, hogging, got_it) = (m.clone(), hogging.clone(), got_it.clone());
        rt.spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(60); // hang guard
            let mut rounds = 0u64;
            while !got_it.load(Ordering::SeqCst) && Instant::now() < deadline {
                let _g = m.lock();
                hogging.store(true, Ordering::SeqCst);
                rounds += 1;
                if rounds % 1024 == 0 {
                    goroutines_runtime::yield_now(); // in case the waiter shares our worker
                }
            }
            rounds
        })
    };
    let waiter = {
        let (m, hogging, got_it) = (m.clone(), hogging.clone(), got_it.clone());
        rt.spawn(move || {
            // Until the hog runs (wherever the two started).
            let deadline = Instant::now() + Duration::from_secs(60); // hang guard
            while !hogging.load(Ordering::SeqCst) && Instant::now() < deadline {
                goroutines_runtime::yield_now();
            }
            drop(m.lock());
            got_it.store(true, Ordering::SeqCst);
        })
    };
    waiter.join().unwrap();
    assert!(hog.join().unwrap() > 0);
    assert!(got_it.load(Ordering::SeqCst));
}

#[test]
fn try_lock_and_threads() {
    let m = Arc::new(Mutex::new(5));
    let g = m.lock();
    assert!(m.try_lock().is_none());
    let m2 = m.clone();
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    let t = std::thread::spawn(move || {
        *m2.lock() += 1; // a plain thread parks
        c.fetch_add(1, Ordering::SeqCst);
    });
    std::thread::sleep(Duration::from_millis(5));
    assert_eq!(count.load(Ordering::SeqCst), 0);
    drop(g);
    t.join().unwrap();
    assert_eq!(*m.try_lock().unwrap(), 6);
}

/// Locks spend the cooperative budget, as channel operations do: a
/// goroutine that only takes an uncontended lock in a loop, on a one-worker
/// runtime, still lets the goroutine pinned beside it run (here the one
/// that ends the loop).
#[test]
fn a_goroutine_locking_in_a_loop_does_not_starve_its_worker() {
    let rt = Builder::new().max_procs(1).build().unwrap();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let h = rt.spawn(move || {
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        // Spawned from this goroutine: it waits on this very worker.
        let _stopper = spawn(move || s.store(true, Ordering::SeqCst));
        let m = Mutex::new(0u64);
        while !stop.load(Ordering::SeqCst) {
            *m.lock() += 1;
        }
        done_tx.send(*m.lock()).unwrap();
    });
    // A hang guard, not a timing assertion.
    let locks = done_rx.recv_timeout(Duration::from_secs(60)).expect("the locking goroutine starved its neighbour");
    assert!(locks >= 1);
    h.join().unwrap();
}

mod more {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use goroutines_runtime::sync::{Once, Pool, RwLock, Semaphore};
    use goroutines_runtime::time::sleep;
    use goroutines_runtime::{spawn, Builder};

    #[test]
    fn once_runs_once_even_when_many_ask_together() {
        let once = Arc::new(Once::new());
        let runs = Arc::new(AtomicUsize::new(0));
        let hs: Vec<_> = (0..50)
            .map(|_| {
                let (once, runs) = (once.clone(), runs.clone());
                spawn(move || {
                    once.call_once(|| {
                        sleep(Duration::from_millis(2)); // others wait, suspended
                        runs.fetch_add(1, Ordering::SeqCst);
                    });
                    assert!(once.is_completed());
                })
            })
            .collect();
        hs.into_iter().for_each(|h| h.join().unwrap());
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_semaphore_bounds_holders_and_serves_in_order() {
        let rt = Builder::new().max_procs(2).build().unwrap();
        let sem = Arc::new(Semaphore::new(3));
        let (now, max) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let hs: Vec<_> = (0..20)
            .map(|i| {
                let (sem, now, max) = (sem.clone(), now.clone(), max.clone());
                rt.spawn(move || {
                    let _p = sem.acquire_many(1 + i % 2);
                    let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                    max.fetch_max(n, Ordering::SeqCst);
                    sleep(Duration::from_millis(1));
                    now.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        hs.into_iter().for_each(|h| h.join().unwrap());
        assert!(max.load(Ordering::SeqCst) <= 3);
        assert_eq!(sem.available(), 3, "every permit came back");
    }

    #[test]
    fn acquiring_more_than_the_capacity_panics_instead_of_waiting_for_ever() {
        let sem = Semaphore::new(2);
        let p =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(sem.acquire_many(3)))).expect_err("refused");
        let msg = p.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(msg.contains("acquire_many(3)") && msg.contains("2 permits"), "{msg}");
    }

    #[test]
    fn rwlock_readers_share_and_a_waiting_writer_is_not_starved() {
        let l = Arc::new(RwLock::new(0u32));
        let r1 = l.read();
        let r2 = l.try_read().expect("readers share");
        assert!(l.try_write().is_none());
        let (id_tx, id_rx) = goroutines_runtime::chan::<u64>(1);
        let writer = {
            let l = l.clone();
            spawn(move || {
                id_tx.send(goroutines_runtime::goroutine_id()).unwrap();
                *l.write() += 1
            })
        };
        // Wait until the writer waits in the lock (a hang guard bounds it;
        // no timing assumption).
        let writer_id = id_rx.recv().unwrap();
        let queued = || {
            goroutines_runtime::debug::goroutines()
                .iter()
                .any(|g| g.id == writer_id && g.wait_reason == Some(goroutines_runtime::debug::WaitReason::RwLock))
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while !queued() && std::time::Instant::now() < deadline {
            sleep(Duration::from_millis(1));
        }
        assert!(l.try_read().is_none(), "a newcomer reader queues behind the waiting writer");
        drop((r1, r2));
        writer.join().unwrap();
        assert_eq!(*l.read(), 1);
    }

    #[test]
    fn a_pool_hands_values_back() {
        let made = Arc::new(AtomicUsize::new(0));
        let m = made.clone();
        let pool = Pool::new(move || {
            m.fetch_add(1, Ordering::SeqCst);
            String::with_capacity(64)
        });
        let a = pool.get();
        pool.put(a);
        let _b = pool.get();
        assert_eq!(made.load(Ordering::SeqCst), 1, "the second get reused the first value");
    }
}

/// The guards are `Send`/`Sync` exactly where a `&mut T`/`&T` is; the
/// cases where they must not be (`Cell` data) are compile-fail cases in
/// `tests/ui/sync-*-guard-of-cell-is-not-sync.rs`.
#[test]
fn guards_are_shareable_when_their_data_is() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<goroutines_runtime::sync::MutexGuard<'static, u64>>();
    send_sync::<goroutines_runtime::sync::RwLockReadGuard<'static, u64>>();
    send_sync::<goroutines_runtime::sync::RwLockWriteGuard<'static, u64>>();
    send_sync::<goroutines_runtime::sync::Permit<'static>>();
    send::<goroutines_runtime::sync::MutexGuard<'static, std::cell::Cell<u64>>>();
}
