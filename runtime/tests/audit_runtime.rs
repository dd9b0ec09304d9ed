//! Runtime misuse and failures get clear answers (audit findings 7, 8 and
//! 10): a worker thread that cannot start, the bounds of `max_procs`, and
//! goroutines spawned inside `blocking()`.

mod common;

use goroutines_runtime::{blocking, max_procs, num_goroutines, set_max_procs, spawn, Builder, MAX_PROCS};

/// One rule for every way to give a worker count: 1 to `MAX_PROCS`.
#[test]
fn max_procs_accepts_the_same_range_everywhere() {
    for bad in [0, MAX_PROCS + 1, usize::MAX] {
        let err = Builder::new().max_procs(bad).build().unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains(&format!("between 1 and {MAX_PROCS}, got {bad}")), "{err}");
    }
    let rt = Builder::new().max_procs(MAX_PROCS).build().expect("MAX_PROCS itself is allowed");
    assert_eq!(rt.max_procs(), MAX_PROCS);
    assert_eq!(rt.block_on(|| spawn(|| 7).join().unwrap()), 7);
}

/// A goroutine spawned inside `blocking()` belongs to the caller's
/// runtime: it runs on that runtime's workers, and the runtime functions
/// called there answer for it, not for the global runtime.
#[test]
fn blocking_calls_spawn_on_their_callers_runtime() {
    let rt = Builder::new().max_procs(3).thread_name("audit-custom").build().unwrap();
    let (thread, procs, seen) = rt.block_on(|| {
        blocking(|| {
            let h = spawn(|| std::thread::current().name().map(str::to_owned));
            (h.join().unwrap(), max_procs(), num_goroutines())
        })
    });
    let thread = thread.expect("worker threads are named");
    assert!(thread.starts_with("audit-custom-"), "the child ran on {thread}");
    assert_eq!(procs, 3, "max_procs() inside blocking() is the caller's runtime's");
    assert!(seen >= 1, "the caller is a goroutine of that runtime");
}

/// The audit's program: under a small address-space limit, the first
/// `set_max_procs` could not start a thread, and the second panicked with
/// "worker 24 started twice". Now each call reports and returns, and once
/// the limit is lifted the workers start.
#[test]
fn set_max_procs_after_a_failed_thread_start_tries_again() {
    if common::is_child("set_max_procs_after_a_failed_thread_start_tries_again") {
        let rt = Builder::new().max_procs(1).build().unwrap();
        rt.block_on(|| spawn(|| ()).join().unwrap());
        let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: reads this process's limit into a local.
        assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut limit) }, 0);
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let vm_kib: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmSize:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap();
        // Room for a few threads' stacks, not for 64.
        let tight = libc::rlimit { rlim_cur: (vm_kib + 16 * 1024) * 1024, rlim_max: limit.rlim_max };
        // SAFETY: lowers this process's own soft limit.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_AS, &tight) }, 0);
        rt.set_max_procs(64);
        let first = rt.max_procs();
        rt.set_max_procs(64);
        rt.set_max_procs(64);
        // SAFETY: restores the soft limit (never above the hard one).
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_AS, &limit) }, 0);
        rt.set_max_procs(64);
        println!("first={first} after={}", rt.max_procs());
        let sum: u32 = rt.block_on(|| (0..64).map(|i| spawn(move || i)).map(|h| h.join().unwrap()).sum());
        assert_eq!(sum, (0..64).sum());
        return;
    }
    let out = common::run_child("set_max_procs_after_a_failed_thread_start_tries_again", &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "child failed:\n{stdout}\n{stderr}");
    assert!(stderr.contains("could not start a worker thread"), "the failure is reported:\n{stderr}");
    assert!(!stderr.contains("started twice"), "{stderr}");
    assert!(stdout.contains("after=64"), "{stdout}");
}

/// `set_max_procs` before the global runtime starts takes the same range.
#[test]
fn set_max_procs_clamps_to_max_procs() {
    if common::is_child("set_max_procs_clamps_to_max_procs") {
        set_max_procs(MAX_PROCS + 10);
        println!("procs={}", max_procs());
        return;
    }
    let out = common::run_child("set_max_procs_clamps_to_max_procs", &[]);
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("procs={MAX_PROCS}")));
}
