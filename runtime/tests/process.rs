//! What a goroutine program does to its process: overflow and panic
//! reports, the abort policy, stack admission, environment settings. Each
//! scenario runs in a child process (re-executing this test binary).

mod common;

use std::hint::black_box;

use goroutines_runtime::{max_procs, spawn, Builder, PanicPolicy, Runtime, WaitGroup};

fn stderr_of(name: &str, envs: &[(&str, &str)]) -> (std::process::ExitStatus, String) {
    let out = common::run_child(name, envs);
    (out.status, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[inline(never)]
fn recurse(depth: u64) -> u64 {
    let frame = black_box([depth; 64]);
    if depth == u64::MAX {
        return 0;
    }
    recurse(depth + 1) + frame[7]
}

#[test]
fn stack_overflow_names_the_goroutine_and_aborts() {
    const NAME: &str = "stack_overflow_names_the_goroutine_and_aborts";
    if common::is_child(NAME) {
        eprintln!("spawned at line {}", line!() + 1);
        let h = spawn(|| recurse(0));
        let _ = h.join();
        unreachable!("the overflow must stop the process");
    }
    let (status, err) = stderr_of(NAME, &[]);
    assert!(!status.success());
    let line: u32 = err
        .lines()
        .find_map(|l| l.strip_prefix("spawned at line "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("child printed no spawn line:\n{err}"));
    let expected = format!("(spawned at runtime/tests/process.rs:{line}) has overflowed its stack of 262144 bytes");
    assert!(err.contains(&expected), "expected {expected:?} in:\n{err}");
    assert!(err.contains("goroutine "), "{err}");
}

#[test]
fn stack_size_comes_from_the_environment() {
    const NAME: &str = "stack_size_comes_from_the_environment";
    if common::is_child(NAME) {
        let _ = spawn(|| recurse(0)).join();
        return;
    }
    let (_, err) = stderr_of(NAME, &[("GOROUTINES_STACK_SIZE", "64k")]);
    assert!(err.contains("has overflowed its stack of 65536 bytes"), "{err}");
}

#[test]
fn panic_is_reported_with_goroutine_and_spawn_site() {
    const NAME: &str = "panic_is_reported_with_goroutine_and_spawn_site";
    if common::is_child(NAME) {
        let h = spawn(|| -> u32 { panic!("boom {}", 7) });
        let id = h.id();
        let site = h.spawn_site().to_string();
        let err = h.join().unwrap_err();
        assert_eq!(err.goroutine_id(), id);
        assert_eq!(err.message(), "boom 7");
        eprintln!("CHILD id={id} site={site}");
        // The runtime serves on after a panic.
        assert_eq!(spawn(|| 1).join().unwrap(), 1);
        return;
    }
    let (status, err) = stderr_of(NAME, &[]);
    assert!(status.success(), "{err}");
    let info = err.lines().find_map(|l| l.strip_prefix("CHILD ")).expect("child info line");
    let (id, site) = info.split_once(' ').unwrap();
    let id = id.strip_prefix("id=").unwrap();
    let site = site.strip_prefix("site=").unwrap();
    let header = format!("goroutine {id} (spawned at {site}) panicked at runtime/tests/process.rs:");
    assert!(err.contains(&header), "expected {header:?} in:\n{err}");
    assert!(err.contains("\nboom 7\n"), "{err}");
}

#[test]
fn abort_policy_stops_the_process() {
    const NAME: &str = "abort_policy_stops_the_process";
    if common::is_child(NAME) {
        let rt = Builder::new().max_procs(1).panic_policy(PanicPolicy::Abort).build().unwrap();
        let _ = rt.spawn(|| panic!("fatal boom")).join();
        eprintln!("CHILD SURVIVED");
        return;
    }
    let (status, err) = stderr_of(NAME, &[]);
    assert!(!status.success());
    assert!(!err.contains("CHILD SURVIVED"), "{err}");
    assert!(err.contains("fatal boom"), "{err}");
    assert!(err.contains("panic policy is Abort"), "{err}");
}

#[test]
fn goroutines_beyond_the_stack_limit_wait_for_a_stack() {
    const NAME: &str = "goroutines_beyond_the_stack_limit_wait_for_a_stack";
    if common::is_child(NAME) {
        const LIMIT: usize = 64;
        const N: usize = 1000;
        let (started, gate, done) = (WaitGroup::new(), WaitGroup::new(), WaitGroup::new());
        gate.add(1);
        started.add(N);
        done.add(N);
        for _ in 0..N {
            let (started, gate, done) = (started.clone(), gate.clone(), done.clone());
            drop(spawn(move || {
                started.done();
                gate.wait();
                done.done();
            }));
        }
        // Only LIMIT can start; the rest stay queued, unstarted.
        common::eventually(30, "the first goroutines started", || started.count() <= N - LIMIT);
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert_eq!(started.count(), N - LIMIT, "more goroutines started than stacks allowed");
        assert_eq!(goroutines_runtime::__stacks::live_and_limit().1, LIMIT);
        // Opening the gate lets them all run, a stack at a time.
        gate.done();
        done.wait();
        eprintln!("CHILD ALL DONE");
        return;
    }
    let (status, err) = stderr_of(NAME, &[("GOROUTINES_MAX_STACKS", "64")]);
    assert!(status.success(), "{err}");
    assert!(err.contains("CHILD ALL DONE"), "{err}");
    assert_eq!(err.matches("goroutines: no stack for new goroutines").count(), 1, "warned once:\n{err}");
    assert!(err.contains("vm.max_map_count"), "{err}");
}

#[test]
fn gomaxprocs_sets_the_number_of_workers() {
    const NAME: &str = "gomaxprocs_sets_the_number_of_workers";
    if common::is_child(NAME) {
        assert_eq!(max_procs(), 3);
        assert_eq!(Runtime::global().max_procs(), 3);
        eprintln!("CHILD OK");
        return;
    }
    let (status, err) = stderr_of(NAME, &[("GOMAXPROCS", "3")]);
    assert!(status.success() && err.contains("CHILD OK"), "{err}");
}

#[test]
fn bad_environment_values_are_ignored_with_a_warning() {
    const NAME: &str = "bad_environment_values_are_ignored_with_a_warning";
    if common::is_child(NAME) {
        assert_eq!(max_procs(), goroutines_runtime::num_cpu());
        assert_eq!(spawn(|| 5).join().unwrap(), 5);
        eprintln!("CHILD OK");
        return;
    }
    let (status, err) = stderr_of(NAME, &[("GOMAXPROCS", "lots"), ("GOROUTINES_STACK_SIZE", "12")]);
    assert!(status.success() && err.contains("CHILD OK"), "{err}");
    assert!(err.contains("ignoring GOMAXPROCS=\"lots\""), "{err}");
    assert!(err.contains("ignoring GOROUTINES_STACK_SIZE=\"12\""), "{err}");
}

#[test]
fn a_goroutine_deferred_for_a_stack_is_admitted_by_a_sleeping_worker_with_free_stacks() {
    // At the stack limit, worker 1's cache holds free stacks while it
    // sleeps; a goroutine deferred on worker 0 must still start.
    const NAME: &str = "a_goroutine_deferred_for_a_stack_is_admitted_by_a_sleeping_worker_with_free_stacks";
    if common::is_child(NAME) {
        use std::collections::HashSet;
        use std::time::Duration;
        let rt = Builder::new().max_procs(2).build().unwrap();
        // Both workers map a chunk of 64 stacks (the limit is 128). Each
        // new plain thread's goroutines start on the next worker (round
        // robin: scheduler/placement.rs invariant 2).
        let mut seen = HashSet::new();
        while seen.len() < 2 {
            let name = std::thread::scope(|s| {
                s.spawn(|| rt.block_on(|| std::thread::current().name().map(String::from))).join().unwrap()
            });
            seen.insert(name);
            std::thread::sleep(Duration::from_millis(1));
        }
        rt.set_max_procs(1);
        let v = rt.block_on(|| {
            let (hold_tx, hold_rx) = goroutines_runtime::chan::<()>(0);
            let kids: Vec<_> = (0..63)
                .map(|_| {
                    let rx = hold_rx.clone();
                    spawn(move || {
                        let _ = rx.recv();
                    })
                })
                .collect();
            goroutines_runtime::time::sleep(Duration::from_millis(50)); // all started: worker 0 is out
            goroutines_runtime::set_max_procs(2);
            goroutines_runtime::time::sleep(Duration::from_millis(50)); // worker 1 sleeps again
            let v = spawn(|| 42).join().unwrap();
            drop(hold_tx);
            kids.into_iter().for_each(|k| k.join().unwrap());
            v
        });
        assert_eq!(v, 42);
        eprintln!("CHILD OK");
        return;
    }
    let (status, err) = stderr_of(NAME, &[("GOROUTINES_MAX_STACKS", "128")]);
    assert!(status.success() && err.contains("CHILD OK"), "{err}");
}
