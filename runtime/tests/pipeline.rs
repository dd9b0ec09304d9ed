//! The runtime behind `pipeline!` (the macro's own tests are in the
//! `goroutines` crate): stage kinds, fan-out with and without order,
//! failures that stop every stage, and abandoned pipelines that leave no
//! goroutine behind.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use goroutines_runtime::pipeline::{fan_out, merge, Builder, Opts, PipelineError, DEFAULT_BUFFER};
use goroutines_runtime::{chan, num_goroutines, Builder as RuntimeBuilder, Runtime};

fn opts(stage: usize, kind: &'static str) -> Opts {
    Opts { stage, kind, workers: 1, ordered: false, buffer: DEFAULT_BUFFER }
}

fn par(stage: usize, kind: &'static str, workers: usize, ordered: bool) -> Opts {
    Opts { stage, kind, workers, ordered, buffer: 4 }
}

#[test]
fn every_stage_kind_in_one_pipeline() {
    let seen = Arc::new(AtomicUsize::new(0));
    let s = seen.clone();
    let out: Vec<u64> = Builder::from_iter(1..=10u64, 0)
        .map(opts(1, "map"), |n| n * n)
        .filter(opts(2, "filter"), |n| n % 2 == 0)
        .filter_map(opts(3, "filter_map"), |n| (n > 4).then_some(n + 1))
        .flat_map(opts(4, "flat_map"), |n| [n, n])
        .inspect(opts(5, "inspect"), move |_| {
            s.fetch_add(1, Ordering::Relaxed);
        })
        .try_map(opts(6, "try_map"), |n| Ok::<_, String>(n * 10))
        .finish()
        .collect();
    assert_eq!(out, [170, 170, 370, 370, 650, 650, 1010, 1010]);
    assert_eq!(seen.load(Ordering::Relaxed), 8);
}

#[test]
fn workers_fan_out_and_in_without_loss() {
    let mut out: Vec<u32> =
        Builder::from_iter(0..10_000u32, DEFAULT_BUFFER).map(par(1, "map", 4, false), |n| n * 2).finish().collect();
    out.sort_unstable();
    assert_eq!(out, (0..10_000).map(|n| n * 2).collect::<Vec<_>>());
}

#[test]
fn ordered_workers_keep_the_input_order() {
    let out: Vec<u32> = Builder::from_iter(0..5_000u32, DEFAULT_BUFFER)
        .map(par(1, "map", 4, true), |n| {
            if n % 7 == 0 {
                goroutines_runtime::yield_now(); // uneven work
            }
            n + 1
        })
        .filter(par(2, "filter", 3, true), |n| n % 3 != 0)
        .flat_map(par(3, "flat_map", 2, true), |n| vec![n; (n % 2) as usize + 1])
        .finish()
        .collect();
    let want: Vec<u32> = (1..=5_000u32).filter(|n| n % 3 != 0).flat_map(|n| vec![n; (n % 2) as usize + 1]).collect();
    assert_eq!(out, want);
}

#[test]
fn a_try_map_error_stops_the_pipeline_and_wait_returns_it() {
    let p = Builder::from_iter(0.., DEFAULT_BUFFER)
        .map(opts(1, "map"), |n: u64| n)
        .try_map(opts(2, "try_map"), |n| if n == 1000 { Err(format!("bad item {n}")) } else { Ok(n) })
        .finish();
    match p.wait() {
        Err(PipelineError::Failed { stage: 2, kind: "try_map", error }) => {
            assert_eq!(error.to_string(), "bad item 1000")
        }
        other => panic!("expected stage 2's error, got {other:?}"),
    }
}

#[test]
fn a_panicking_stage_is_named_and_stops_the_pipeline() {
    let p = Builder::from_iter(0..1_000_000u64, DEFAULT_BUFFER)
        .map(opts(1, "map"), |n| n + 1)
        .map(par(2, "map", 2, false), |n| if n == 500 { panic!("boom at {n}") } else { n })
        .finish();
    let e = p.wait().expect_err("stage 2 panicked");
    assert_eq!(e.to_string(), "stage 2 (map) panicked: boom at 500");
}

/// Waits (boundedly: a hang guard) until `rt` runs no more goroutines than
/// `n`.
fn settles_to(rt: &Runtime, n: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let now = rt.block_on(num_goroutines) - 1; // less the block_on goroutine
        if now <= n || Instant::now() > deadline {
            return now;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn an_abandoned_pipeline_leaves_no_goroutine_behind() {
    let rt = RuntimeBuilder::new().max_procs(2).build().unwrap();
    let before = rt.block_on(num_goroutines) - 1;
    rt.block_on(|| {
        // An endless source (blocked on a full channel), a slow stage and a
        // fan-out (blocked on empty ones), and an ordered fan-out.
        let mut p = Builder::from_iter(0u64.., 1)
            .map(opts(1, "map"), |n| n + 1)
            .filter(par(2, "filter", 3, false), |n| n % 2 == 0)
            .map(par(3, "map", 3, true), |n| n * 3)
            .finish();
        // Stage 2 is an unordered fan-out, so which even numbers come
        // first is not fixed; each is one of them, times 3.
        for _ in 0..2 {
            let v = p.next().expect("an endless source");
            assert_eq!(v % 6, 0, "{v} is not an even number times 3");
        }
        // Break out mid-stream.
    });
    assert_eq!(settles_to(&rt, before), before, "goroutines left behind");

    // A channel source that never sends nor closes: dropping the pipeline
    // closes it, so the stage blocked on it ends too.
    let (tx, rx) = chan::<u32>(0);
    rt.block_on(move || {
        let p = Builder::from_receiver(rx).map(opts(1, "map"), |n| n).finish();
        drop(p);
    });
    assert_eq!(settles_to(&rt, before), before, "a stage blocked on the source channel was left behind");
    assert!(tx.send(1).is_err(), "the abandoned pipeline closed its source channel");
}

#[test]
fn merge_and_fan_out_move_every_value_once() {
    let (tx, rx) = chan(16);
    let h = goroutines_runtime::spawn(move || {
        for i in 0..1_000u32 {
            tx.send(i).unwrap();
        }
    });
    let outs = fan_out(rx, 4, |v| v + 1);
    let mut all: Vec<u32> = merge(outs).iter().collect();
    h.join().unwrap();
    all.sort_unstable();
    assert_eq!(all, (1..=1_000).collect::<Vec<_>>());
}

/// A fan-out exists to run in parallel: its workers start on different
/// worker threads (left to stealing, a burst of spawns mostly starts on the
/// spawner's thread and stays there, pinned).
#[test]
fn a_fan_out_runs_on_every_worker_thread() {
    use std::collections::HashSet;
    use std::sync::Mutex;
    let rt = RuntimeBuilder::new().max_procs(2).build().unwrap();
    let threads = Arc::new(Mutex::new(HashSet::new()));
    let t = threads.clone();
    // One hang guard for the whole run, not one per item.
    let deadline = Instant::now() + Duration::from_secs(60);
    rt.block_on(move || {
        let n = Builder::from_iter(0..64u32, DEFAULT_BUFFER)
            .map(par(1, "map", 2, false), move |n| {
                t.lock().unwrap().insert(std::thread::current().id());
                // Wait until both threads took an item (a hang guard bounds
                // it): the other worker's goroutine gets one only if it
                // runs on its own thread.
                while t.lock().unwrap().len() < 2 && Instant::now() < deadline {
                    goroutines_runtime::time::sleep(Duration::from_millis(1));
                }
                n
            })
            .finish()
            .count();
        assert_eq!(n, 64);
    });
    assert_eq!(threads.lock().unwrap().len(), 2, "both workers of the stage ran on one thread");

    let pool_threads = Arc::new(Mutex::new(HashSet::new()));
    let t = pool_threads.clone();
    let deadline = Instant::now() + Duration::from_secs(60);
    rt.block_on(move || {
        let pool = goroutines_runtime::WorkerPool::start("threads", 2, 4, move |n: u32| {
            t.lock().unwrap().insert(std::thread::current().id());
            while t.lock().unwrap().len() < 2 && Instant::now() < deadline {
                goroutines_runtime::time::sleep(Duration::from_millis(1));
            }
            n
        });
        assert_eq!(pool.run(0..64).len(), 64);
    });
    assert_eq!(pool_threads.lock().unwrap().len(), 2, "the pool's two workers ran on one thread");
}

/// An ordered `flat_map` streams each input's outputs: an endless one is
/// bounded by the stage's buffer and stops when the pipeline is dropped.
#[test]
fn an_endless_ordered_flat_map_is_bounded_and_stops() {
    let rt = RuntimeBuilder::new().max_procs(2).build().unwrap();
    let before = rt.block_on(num_goroutines) - 1;
    let first: Vec<u64> = rt.block_on(|| {
        Builder::from_iter(0..4u64, DEFAULT_BUFFER)
            .flat_map(par(1, "flat_map", 2, true), |n| (0u64..).map(move |i| n * 1000 + i))
            .finish()
            .take(3)
            .collect()
    });
    assert_eq!(first, [0, 1, 2]);
    assert_eq!(settles_to(&rt, before), before, "the endless flat_map kept running");
}

/// A pipeline whose building panics half-way (a stage's option or
/// function) stops what it had started.
#[test]
fn a_pipeline_that_fails_to_build_leaves_no_goroutine_behind() {
    let rt = RuntimeBuilder::new().max_procs(2).build().unwrap();
    let before = rt.block_on(num_goroutines) - 1;
    let built = rt.block_on(|| {
        std::panic::catch_unwind(|| {
            let zero = std::hint::black_box(0);
            Builder::from_iter(0u64.., 1).map(opts(1, "map"), |n| n + 1).map(par(2, "map", zero, false), |n| n).finish()
        })
        .is_ok()
    });
    assert!(!built, "workers = 0 is refused");
    assert_eq!(settles_to(&rt, before), before, "the source and stage 1 were left behind");
}
