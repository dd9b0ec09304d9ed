//! The stack findings of the reliability audit: absurd stack sizes are
//! refused (never mapped wrong, never a dead worker), stacks the kernel
//! cannot map 64 at a time are mapped fewer at a time (or, if not even one
//! can be, `build()` fails), one
//! runtime's idle stacks never starve another, and goroutines that wait for
//! a stack no parked goroutine will give back are reported as a deadlock.
//! Scenarios that change the process (limits, rlimits, a deadlock that ends
//! it) run in a child process.

mod common;

use std::io;
use std::time::Duration;

use goroutines_runtime::{chan, spawn, Builder, Runtime, WaitGroup};

/// Ends a child that hung with a message and exit code 3, well before the
/// parent's own two-minute guard.
fn watchdog(secs: u64) {
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(secs));
        eprintln!("CHILD HUNG after {secs} s");
        std::process::exit(3);
    });
}

fn stderr_of(name: &str, envs: &[(&str, &str)]) -> (std::process::ExitStatus, String) {
    let out = common::run_child(name, envs);
    (out.status, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Runs the child `name` with `envs`, asserts that it succeeded and said
/// `CHILD OK`, and returns its stderr.
fn child_ok(name: &str, envs: &[(&str, &str)]) -> String {
    let (status, err) = stderr_of(name, envs);
    assert!(status.success() && err.contains("CHILD OK"), "{err}");
    err
}

/// Caps this process's address space at what it uses now plus `extra`
/// bytes (`RLIMIT_AS`), so that the kernel refuses big mappings.
fn limit_address_space(extra: u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmSize:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmSize: line");
    let cap = kib * 1024 + extra;
    let lim = libc::rlimit { rlim_cur: cap, rlim_max: cap };
    // SAFETY: setrlimit with a valid struct only changes this process's limit.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_AS, &lim) }, 0, "{}", io::Error::last_os_error());
}

const GIB: usize = 1 << 30;

// ---- Finding 2: a stack size near usize::MAX ----

#[test]
fn a_stack_size_near_usize_max_is_refused_by_build() {
    for size in [usize::MAX - 4095, usize::MAX, usize::MAX / 2, GIB + 1] {
        let err = Builder::new().max_procs(1).stack_size(size).build().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{size}: {err}");
        assert!(err.to_string().contains("at most 1073741824 bytes"), "{err}");
    }
}

#[test]
fn the_largest_stack_size_builds_and_runs() {
    match Builder::new().max_procs(1).stack_size(GIB).build() {
        Ok(rt) => assert_eq!(rt.block_on(|| 6 * 7), 42),
        // Strict overcommit (vm.overcommit_memory=2) may refuse 1 GiB: that
        // is the kernel's answer, not the size bound's.
        Err(e) => assert_eq!(e.kind(), io::ErrorKind::OutOfMemory, "{e}"),
    }
}

#[test]
fn a_stack_size_near_usize_max_from_the_environment_is_ignored_with_a_warning() {
    const NAME: &str = "a_stack_size_near_usize_max_from_the_environment_is_ignored_with_a_warning";
    if common::is_child(NAME) {
        watchdog(30);
        assert_eq!(Runtime::global().block_on(|| 6 * 7), 42);
        assert_eq!(spawn(|| 5).join().unwrap(), 5);
        eprintln!("CHILD OK");
        return;
    }
    let err = child_ok(NAME, &[("GOROUTINES_STACK_SIZE", "18446744073709547520")]);
    assert!(err.contains("ignoring GOROUTINES_STACK_SIZE=\"18446744073709547520\""), "{err}");
    assert!(err.contains("at most 1073741824"), "{err}");
}

// ---- Finding 6: a stack size the kernel cannot map 64 at a time ----

#[test]
fn a_huge_stack_size_is_refused_by_build() {
    let err = Builder::new().max_procs(1).stack_size(1 << 41).build().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
}

#[test]
fn stacks_the_kernel_cannot_map_64_at_a_time_are_mapped_fewer_at_a_time() {
    const NAME: &str = "stacks_the_kernel_cannot_map_64_at_a_time_are_mapped_fewer_at_a_time";
    if common::is_child(NAME) {
        watchdog(60);
        // Room for three 1 GiB stacks, not for 64 (nor 4).
        limit_address_space(3 * GIB as u64 + (GIB as u64) / 2);
        let rt = Builder::new().max_procs(1).stack_size(GIB).build().unwrap();
        assert_eq!(rt.block_on(|| 6 * 7), 42);
        // More goroutines at once than can be mapped: the last wait for a
        // stack, and all finish.
        let sum: usize = rt.block_on(|| {
            let hs: Vec<_> = (0..4)
                .map(|i| {
                    spawn(move || {
                        goroutines_runtime::time::sleep(Duration::from_millis(100));
                        i
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).sum()
        });
        assert_eq!(sum, 6);
        eprintln!("CHILD OK");
        return;
    }
    child_ok(NAME, &[]);
}

#[test]
fn a_stack_the_kernel_cannot_map_at_all_fails_build_with_the_os_error() {
    const NAME: &str = "a_stack_the_kernel_cannot_map_at_all_fails_build_with_the_os_error";
    if common::is_child(NAME) {
        watchdog(30);
        limit_address_space(512 << 20);
        let err = Builder::new().max_procs(1).stack_size(GIB).build().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::OutOfMemory, "{err}");
        assert!(err.to_string().contains("os error 12"), "{err}");
        // A size that fits still builds.
        let rt = Builder::new().max_procs(1).build().unwrap();
        assert_eq!(rt.block_on(|| 6 * 7), 42);
        eprintln!("CHILD OK");
        return;
    }
    child_ok(NAME, &[]);
}

#[test]
fn a_stack_size_from_the_environment_the_kernel_cannot_map_falls_back_to_the_default() {
    const NAME: &str = "a_stack_size_from_the_environment_the_kernel_cannot_map_falls_back_to_the_default";
    if common::is_child(NAME) {
        watchdog(30);
        limit_address_space(512 << 20);
        assert_eq!(spawn(|| 5).join().unwrap(), 5);
        eprintln!("CHILD OK");
        return;
    }
    let err = child_ok(NAME, &[("GOROUTINES_STACK_SIZE", "1073741824")]);
    assert!(err.contains("ignoring GOROUTINES_STACK_SIZE=\"1073741824\""), "{err}");
    assert!(err.contains("os error 12"), "{err}");
}

// ---- Finding 4: one runtime's idle stacks starve another ----

/// Runtime `b` runs a burst that takes every stack the process may map,
/// then goes idle; runtime `a` must still run a goroutine.
fn burst_then_other_runtime(b: Runtime, a: Runtime) {
    let n = 200;
    b.block_on(move || {
        let (gate_tx, gate) = chan::<()>(0);
        let wg = WaitGroup::new();
        for _ in 0..n {
            let (gate, wg) = (gate.clone(), wg.clone());
            wg.add(1);
            drop(spawn(move || {
                let _ = gate.recv();
                wg.done();
            }));
        }
        goroutines_runtime::time::sleep(Duration::from_millis(50));
        drop(gate_tx);
        wg.wait();
    });
    // `b` is idle, its stacks free in its workers' caches and pool.
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(a.block_on(|| 6 * 7), 42);
    // And back: `b` gets stacks again from what `a` holds.
    assert_eq!(b.block_on(|| 7 * 6), 42);
}

#[test]
fn one_runtimes_idle_stacks_do_not_starve_another() {
    const NAME: &str = "one_runtimes_idle_stacks_do_not_starve_another";
    if common::is_child(NAME) {
        watchdog(30);
        let b = Builder::new().max_procs(2).build().unwrap();
        let a = Builder::new().max_procs(2).build().unwrap();
        burst_then_other_runtime(b, a);
        eprintln!("CHILD OK");
        return;
    }
    child_ok(NAME, &[("GOROUTINES_MAX_STACKS", "64")]);
}

#[test]
fn idle_stacks_of_another_size_do_not_starve_a_runtime() {
    const NAME: &str = "idle_stacks_of_another_size_do_not_starve_a_runtime";
    if common::is_child(NAME) {
        watchdog(30);
        let b = Builder::new().max_procs(2).stack_size(512 * 1024).build().unwrap();
        let a = Builder::new().max_procs(2).stack_size(128 * 1024).build().unwrap();
        burst_then_other_runtime(b, a);
        eprintln!("CHILD OK");
        return;
    }
    child_ok(NAME, &[("GOROUTINES_MAX_STACKS", "64")]);
}

/// The worker holding the idle stacks never sleeps: it runs a goroutine
/// that yields in a loop. It still hands them over.
#[test]
fn a_busy_runtimes_cached_stacks_do_not_starve_another() {
    const NAME: &str = "a_busy_runtimes_cached_stacks_do_not_starve_another";
    if common::is_child(NAME) {
        watchdog(30);
        let b = Builder::new().max_procs(1).build().unwrap();
        let a = Builder::new().max_procs(1).build().unwrap();
        let (stop_tx, stop) = chan::<()>(1);
        let spinner = b.spawn(move || {
            // Take every stack, give them back to this worker's cache.
            let hs: Vec<_> = (0..63).map(|_| spawn(goroutines_runtime::yield_now)).collect();
            hs.into_iter().for_each(|h| h.join().unwrap());
            while stop.try_recv().is_err() {
                goroutines_runtime::yield_now();
            }
        });
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(a.block_on(|| 6 * 7), 42);
        stop_tx.send(()).unwrap();
        spinner.join().unwrap();
        eprintln!("CHILD OK");
        return;
    }
    child_ok(NAME, &[("GOROUTINES_MAX_STACKS", "64")]);
}

// ---- Finding 5: a dependency across more goroutines than stacks ----

#[test]
fn goroutines_that_wait_for_stacks_parked_goroutines_hold_are_a_deadlock() {
    const NAME: &str = "goroutines_that_wait_for_stacks_parked_goroutines_hold_are_a_deadlock";
    if common::is_child(NAME) {
        watchdog(60);
        // What #[goroutines::main] does.
        let rt = Runtime::global();
        rt.set_detect_deadlocks(true);
        rt.block_on(|| {
            // A barrier across 2,000 goroutines: each waits for all the
            // others to arrive, but only 1,000 can hold a stack.
            let barrier = WaitGroup::new();
            barrier.add(2000);
            let hs: Vec<_> = (0..2000)
                .map(|_| {
                    let barrier = barrier.clone();
                    spawn(move || {
                        barrier.done();
                        barrier.wait();
                    })
                })
                .collect();
            hs.into_iter().for_each(|h| h.join().unwrap());
        });
        eprintln!("CHILD SURVIVED");
        return;
    }
    let (status, err) = stderr_of(NAME, &[("GOROUTINES_MAX_STACKS", "1000")]);
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(!err.contains("CHILD SURVIVED") && !err.contains("CHILD HUNG"), "{err}");
    assert!(err.contains("fatal error: all goroutines are asleep or waiting for a stack - deadlock!"), "{err}");
    assert!(err.contains("GOROUTINES_MAX_STACKS"), "how to raise the limit: {err}");
    assert!(err.contains("vm.max_map_count"), "how to raise the limit: {err}");
    assert!(err.contains("[sync.WaitGroup.Wait") || err.contains("WaitGroup"), "the dump: {err}");
}

/// Goroutines wait for stacks that goroutines will give back: receivers of
/// what a running goroutine sends, and sleepers. No deadlock.
#[test]
fn goroutines_that_wait_for_stacks_that_will_free_are_no_deadlock() {
    const NAME: &str = "goroutines_that_wait_for_stacks_that_will_free_are_no_deadlock";
    if common::is_child(NAME) {
        watchdog(60);
        let rt = Runtime::global();
        rt.set_detect_deadlocks(true);
        let got = rt.block_on(|| {
            // Receivers of values this goroutine sends: those with a stack
            // take one and end, freeing their stack for the next.
            let (tx, rx) = chan::<u64>(0);
            let hs: Vec<_> = (0..500)
                .map(|_| {
                    let rx = rx.clone();
                    spawn(move || rx.recv().unwrap())
                })
                .collect();
            for i in 0..500 {
                tx.send(i).unwrap();
            }
            let v: u64 = hs.into_iter().map(|h| h.join().unwrap()).sum();
            // Sleepers: timers are pending while goroutines wait.
            let hs: Vec<_> = (0..300)
                .map(|i| {
                    spawn(move || {
                        goroutines_runtime::time::sleep(Duration::from_millis(5));
                        i
                    })
                })
                .collect();
            v + hs.into_iter().map(|h| h.join().unwrap()).sum::<u64>()
        });
        assert_eq!(got, 499 * 500 / 2 + 299 * 300 / 2);
        eprintln!("CHILD OK");
        return;
    }
    let err = child_ok(NAME, &[("GOROUTINES_MAX_STACKS", "64")]);
    assert!(!err.contains("deadlock"), "{err}");
}

/// Another runtime's goroutines hold the stacks and will free them (a plain
/// thread wakes them): the watched runtime waits, it is no deadlock.
#[test]
fn stacks_another_runtime_will_free_are_no_deadlock() {
    const NAME: &str = "stacks_another_runtime_will_free_are_no_deadlock";
    if common::is_child(NAME) {
        watchdog(60);
        let other = Builder::new().max_procs(1).build().unwrap();
        let (release_tx, release) = chan::<()>(0);
        let held = WaitGroup::new();
        let hs: Vec<_> = (0..64)
            .map(|_| {
                let (release, held) = (release.clone(), held.clone());
                held.add(1);
                other.spawn(move || {
                    held.done();
                    let _ = release.recv();
                })
            })
            .collect();
        held.wait();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(500));
            drop(release_tx);
        });
        let rt = Builder::new().max_procs(2).detect_deadlocks(true).build().unwrap();
        assert_eq!(rt.block_on(|| 6 * 7), 42);
        hs.into_iter().for_each(|h| h.join().unwrap());
        eprintln!("CHILD OK");
        return;
    }
    let err = child_ok(NAME, &[("GOROUTINES_MAX_STACKS", "64")]);
    assert!(!err.contains("deadlock"), "{err}");
}

// ---- The overflow handler on every stack of a chunk ----

/// With a limit of one stack, the goroutine runs on the first (lowest)
/// stack of its chunk, whose guard is the chunk's own inaccessible page:
/// an overflow there is reported like any other.
#[test]
fn an_overflow_on_the_lowest_stack_of_a_chunk_is_reported() {
    const NAME: &str = "an_overflow_on_the_lowest_stack_of_a_chunk_is_reported";
    if common::is_child(NAME) {
        watchdog(30);
        #[inline(never)]
        fn recurse(depth: u64) -> u64 {
            let frame = std::hint::black_box([depth; 64]);
            if depth == u64::MAX {
                return 0;
            }
            recurse(depth + 1) + frame[7]
        }
        let _ = spawn(|| recurse(0)).join();
        eprintln!("CHILD SURVIVED");
        return;
    }
    let (status, err) = stderr_of(NAME, &[("GOROUTINES_MAX_STACKS", "1")]);
    assert!(!status.success(), "{err}");
    assert!(err.contains("has overflowed its stack of 262144 bytes"), "{err}");
}
