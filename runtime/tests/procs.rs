//! `max_procs`, `set_max_procs`, `yield_now` and custom runtimes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use goroutines_runtime::{spawn, yield_now, Builder, Runtime, WaitGroup};

#[test]
fn builder_rejects_bad_settings() {
    assert!(Builder::new().max_procs(0).build().is_err());
    assert!(Builder::new().max_procs(100_000).build().is_err());
    let err = Builder::new().stack_size(100).build().unwrap_err();
    assert!(err.to_string().contains("at least 16384"), "{err}");
}

#[test]
fn set_max_procs_grows_and_shrinks_a_runtime() {
    let rt = Builder::new().max_procs(1).build().unwrap();
    assert_eq!(rt.max_procs(), 1);
    assert_eq!(rt.set_max_procs(3), 1);
    assert_eq!(rt.set_max_procs(0), 3, "0 only queries");
    // Work spreads and completes with 3 workers, then with 2.
    for procs in [3, 2] {
        rt.set_max_procs(procs);
        let n = Arc::new(AtomicUsize::new(0));
        rt.block_on({
            let n = n.clone();
            move || {
                let wg = WaitGroup::new();
                for _ in 0..1000 {
                    let n = n.clone();
                    wg.go(move || {
                        yield_now();
                        n.fetch_add(1, Ordering::Relaxed);
                    });
                }
                wg.wait();
            }
        });
        assert_eq!(n.load(Ordering::Relaxed), 1000);
    }
}

#[test]
fn goroutines_spawned_inside_a_runtime_stay_in_it() {
    let rt = Builder::new().max_procs(1).thread_name("custom").build().unwrap();
    let name = rt.block_on(|| spawn(|| std::thread::current().name().map(String::from)).join().unwrap());
    assert_eq!(name.as_deref(), Some("custom-0"));
    assert_eq!(rt.block_on(|| Runtime::current().max_procs()), 1);
}

#[test]
fn yield_now_lets_the_other_goroutines_of_a_worker_run() {
    // One worker: two goroutines that yield alternate.
    let rt = Builder::new().max_procs(1).build().unwrap();
    let log = rt.block_on(|| {
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let hs: Vec<_> = ["a", "b"]
            .into_iter()
            .map(|name| {
                let log = log.clone();
                spawn(move || {
                    for _ in 0..3 {
                        log.lock().unwrap().push(name);
                        yield_now();
                    }
                })
            })
            .collect();
        hs.into_iter().for_each(|h| h.join().unwrap());
        Arc::try_unwrap(log).unwrap().into_inner().unwrap()
    });
    // They alternate (which starts is the scheduler's choice: as in Go,
    // the newest spawned runs first).
    assert_eq!(log.len(), 6);
    assert!(log.windows(2).all(|w| w[0] != w[1]), "no alternation: {log:?}");
}

#[test]
fn yield_now_outside_a_goroutine_yields_the_thread() {
    yield_now();
}

#[test]
fn an_idle_worker_takes_a_child_whose_spawner_blocks_its_thread() {
    // The child waits in its spawner's worker; the spawner then blocks the
    // thread (a foreign wait, not a runtime primitive). The other, idle
    // worker must take the child rather than leave it stranded.
    use std::sync::atomic::AtomicBool;
    use std::time::{Duration, Instant};
    let rt = Builder::new().max_procs(2).build().unwrap();
    let ran = rt.block_on(|| {
        let flag = Arc::new(AtomicBool::new(false));
        let f = flag.clone();
        drop(spawn(move || f.store(true, Ordering::SeqCst)));
        let deadline = Instant::now() + Duration::from_secs(30);
        while !flag.load(Ordering::SeqCst) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        flag.load(Ordering::SeqCst)
    });
    assert!(ran, "the child never ran while its spawner blocked the worker");
}

/// Placement never strands a goroutine: one a plain thread placed on a
/// worker whose goroutine then holds it (a CPU loop) is started by the
/// other worker after the steal grace (scheduler/placement.rs invariant 6).
#[test]
fn a_goroutine_placed_behind_a_held_worker_is_started_by_another() {
    use std::sync::atomic::AtomicBool;
    use std::time::{Duration, Instant};
    let rt = Builder::new().max_procs(2).build().unwrap();
    let flag = Arc::new(AtomicBool::new(false));
    let (f1, f2) = (flag.clone(), flag.clone());
    // Both go to this thread's home worker, in this order.
    let holder = rt.spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !f1.load(Ordering::SeqCst) && Instant::now() < deadline {
            std::hint::spin_loop();
        }
        (f1.load(Ordering::SeqCst), std::thread::current().id())
    });
    let behind = rt.spawn(move || {
        f2.store(true, Ordering::SeqCst);
        std::thread::current().id()
    });
    let (ran, holder_thread) = holder.join().unwrap();
    assert!(ran, "the goroutine behind the holder never ran");
    assert_ne!(behind.join().unwrap(), holder_thread);
}

/// Goroutines that block their threads, spawned by a goroutine that then
/// blocks its own: each needs a worker of its own, and every idle worker is
/// brought in (a thief that leaves work behind passes the wake on:
/// scheduler/placement.rs invariant 6), not only the first one woken.
#[test]
fn every_idle_worker_is_brought_in_for_goroutines_that_block_their_threads() {
    use std::sync::atomic::AtomicUsize;
    use std::time::{Duration, Instant};
    let rt = Builder::new().max_procs(4).build().unwrap();
    let all_ran = rt.block_on(|| {
        let running = Arc::new(AtomicUsize::new(0));
        let wait_for_all = |running: &AtomicUsize| {
            running.fetch_add(1, Ordering::SeqCst);
            let deadline = Instant::now() + Duration::from_secs(30);
            while running.load(Ordering::SeqCst) < 4 && Instant::now() < deadline {
                std::thread::sleep(Duration::from_micros(100));
            }
            running.load(Ordering::SeqCst) == 4
        };
        let kids: Vec<_> = (0..3)
            .map(|_| {
                let running = running.clone();
                spawn(move || wait_for_all(&running))
            })
            .collect();
        let me = wait_for_all(&running);
        kids.into_iter().all(|k| k.join().unwrap()) && me
    });
    assert!(all_ran, "the four did not all run at once on the four workers");
}

/// `set_max_procs` shrinking while goroutines are pinned to the workers it
/// makes inactive: they still run there, on the thread they started on.
#[test]
fn goroutines_pinned_to_workers_taken_out_of_service_still_run() {
    use goroutines_runtime::chan;
    use std::collections::HashSet;
    let rt = Builder::new().max_procs(4).build().unwrap();
    let name = || std::thread::current().name().map(String::from).unwrap_or_default();
    let mut parked = Vec::new();
    for i in 0..4u32 {
        let (go_on, wait) = chan::<u32>(0);
        let (started_tx, started) = chan::<()>(0);
        // Each plain thread's goroutines start on the next worker (round
        // robin: scheduler/placement.rs invariant 2): one per worker.
        let h = std::thread::scope(|s| {
            s.spawn(|| {
                rt.spawn(move || {
                    let before = name();
                    started_tx.send(()).unwrap();
                    let v = wait.recv().unwrap();
                    (before, name(), v)
                })
            })
            .join()
            .unwrap()
        });
        started.recv().unwrap();
        parked.push((i, go_on, h));
    }
    assert_eq!(rt.set_max_procs(1), 4);
    let mut threads = HashSet::new();
    for (i, go_on, h) in parked {
        go_on.send(i).unwrap();
        let (before, after, v) = h.join().unwrap();
        assert_eq!(v, i);
        assert_eq!(before, after, "a started goroutine never changes thread");
        threads.insert(after);
    }
    assert_eq!(threads.len(), 4, "the four ran on four workers, three of them now inactive: {threads:?}");
}
