//! The goroutine dump: states, wait reasons, wait and spawn sites.

use std::time::Duration;

mod common;

use goroutines_runtime::debug::{self, State, WaitReason};
use goroutines_runtime::sync::{Mutex, WaitGroup};
use goroutines_runtime::{chan, goroutine_id, spawn};

fn find(id: u64) -> Option<debug::GoroutineInfo> {
    debug::goroutines().into_iter().find(|g| g.id == id)
}

/// Waits (boundedly: a hang guard) until goroutine `id` waits.
fn waiting(id: u64) -> debug::GoroutineInfo {
    for _ in 0..6000 {
        if let Some(g) = find(id).filter(|g| g.state == State::Waiting) {
            return g;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("goroutine {id} never waited: {:?}\n{}", find(id), debug::dump());
}

#[test]
fn a_dump_shows_what_each_goroutine_waits_for_and_where() {
    let (tx, rx) = chan::<u32>(0);
    let (id_tx, id_rx) = chan::<u64>(1);
    let receiver = spawn(move || {
        id_tx.send(goroutine_id()).unwrap();
        rx.recv() // the wait site the dump names
    });
    let id = id_rx.recv().unwrap();
    let g = waiting(id);
    assert_eq!(g.wait_reason, Some(WaitReason::ChanReceive));
    let site = g.wait_site.expect("a wait site");
    assert_eq!(site.file(), file!());
    assert_eq!(g.spawn_site.file(), file!());
    assert_eq!(g.parent, 0, "spawned from the test's thread");

    let text = debug::dump();
    assert!(text.contains(&format!("goroutine {id} [chan receive")), "{text}");
    assert!(text.contains(&format!("waiting at {site}")), "{text}");

    tx.send(7).unwrap();
    assert_eq!(receiver.join().unwrap(), Some(7));
    // Ended goroutines leave the dump (their record may be reused later).
    assert!(find(id).is_none_or(|g| g.spawn_site.line() != site.line() || g.state != State::Waiting));
}

#[test]
fn reasons_for_sleep_waitgroup_mutex_and_join() {
    let wg = WaitGroup::new();
    wg.add(1);
    let m = std::sync::Arc::new(Mutex::new(()));
    let held = m.lock();
    let (ids_tx, ids) = chan::<(u64, WaitReason)>(8);
    let mut hs = Vec::new();
    {
        let t = ids_tx.clone();
        hs.push(spawn(move || {
            t.send((goroutine_id(), WaitReason::Sleep)).unwrap();
            goroutines_runtime::time::sleep(Duration::from_millis(300));
        }));
    }
    {
        let (t, wg) = (ids_tx.clone(), wg.clone());
        hs.push(spawn(move || {
            t.send((goroutine_id(), WaitReason::WaitGroup)).unwrap();
            wg.wait();
        }));
    }
    {
        let (t, m) = (ids_tx.clone(), m.clone());
        hs.push(spawn(move || {
            t.send((goroutine_id(), WaitReason::Mutex)).unwrap();
            drop(m.lock());
        }));
    }
    {
        let t = ids_tx.clone();
        hs.push(spawn(move || {
            t.send((goroutine_id(), WaitReason::Join)).unwrap();
            let inner = spawn(|| goroutines_runtime::time::sleep(Duration::from_millis(300)));
            inner.join().unwrap();
        }));
    }
    for _ in 0..4 {
        let (id, reason) = ids.recv().unwrap();
        assert_eq!(waiting(id).wait_reason, Some(reason), "goroutine {id}");
    }
    // The caller of a dump from a goroutine sees itself running.
    let me = spawn(|| find(goroutine_id()).map(|g| g.state)).join().unwrap();
    assert_eq!(me, Some(State::Running));
    wg.done();
    drop(held);
    for h in hs {
        h.join().unwrap();
    }
}

/// SIGQUIT prints the dump on stderr, as Go does, and the process keeps
/// running (here in a child process).
#[cfg(unix)]
#[test]
fn sigquit_prints_the_dump_and_the_process_goes_on() {
    if !common::is_child("sigquit_prints_the_dump_and_the_process_goes_on") {
        let out = common::run_child("sigquit_prints_the_dump_and_the_process_goes_on", &[]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "child failed:\n{err}");
        assert!(err.contains("SIGQUIT: goroutine dump"), "{err}");
        assert!(err.contains("[chan receive"), "{err}");
        return;
    }
    debug::dump_on_signal();
    let (tx, rx) = chan::<u32>(0);
    let h = spawn(move || rx.recv());
    std::thread::sleep(Duration::from_millis(50));
    // SAFETY: raise(3) with a valid signal number; its handler is installed.
    unsafe { libc::raise(libc::SIGQUIT) };
    std::thread::sleep(Duration::from_millis(1000)); // time for the dump thread to print
    tx.send(1).unwrap(); // still running
    assert_eq!(h.join().unwrap(), Some(1));
}

/// A goroutine that blocks its worker (here in `std::thread::sleep`) while
/// a goroutine pinned to that worker waits behind it (woken by its timer)
/// is reported once per spawn site, naming it and what to do, while the
/// program goes on.
#[test]
fn a_goroutine_holding_its_worker_is_reported_once() {
    if !common::is_child("a_goroutine_holding_its_worker_is_reported_once") {
        let out = common::run_child("a_goroutine_holding_its_worker_is_reported_once", &[]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{err}");
        assert_eq!(err.matches("has held worker").count(), 1, "once per spawn site: {err}");
        assert!(err.contains("debug.rs"), "names the spawn site: {err}");
        assert!(err.contains("blocking(|| ...)"), "says what to do: {err}");
        return;
    }
    let rt = goroutines_runtime::Builder::new().max_procs(2).build().unwrap();
    for _ in 0..2 {
        let h = rt.spawn(|| {
            // Starts here first (the yield), parks on its timer, and is
            // woken while this goroutine holds the worker.
            let beside = spawn(|| goroutines_runtime::time::sleep(Duration::from_millis(20)));
            goroutines_runtime::yield_now();
            std::thread::sleep(Duration::from_millis(300));
            beside.join().unwrap();
        });
        h.join().unwrap();
    }
}

/// A goroutine that never yields, on a runtime of one worker, with
/// goroutines it spawned waiting to start behind it: reported.
#[test]
fn a_goroutine_that_never_yields_is_reported_when_its_children_wait() {
    const NAME: &str = "a_goroutine_that_never_yields_is_reported_when_its_children_wait";
    if !common::is_child(NAME) {
        let out = common::run_child(NAME, &[]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{err}");
        assert_eq!(err.matches("has held worker").count(), 1, "{err}");
        assert!(err.contains("1 not started yet"), "says what waits: {err}");
        return;
    }
    let rt = goroutines_runtime::Builder::new()
        .max_procs(1)
        .held_worker_warning(Some(Duration::from_millis(50)))
        .build()
        .unwrap();
    rt.block_on(|| {
        let child = spawn(|| 1);
        let start = std::time::Instant::now();
        while start.elapsed() < Duration::from_millis(300) {
            std::hint::spin_loop();
        }
        assert_eq!(child.join().unwrap(), 1);
    });
}

/// A goroutine that holds its worker alone (a loop spawning goroutines,
/// which the other worker takes and runs) does no harm and is not
/// reported.
#[test]
fn a_spawning_loop_whose_children_run_elsewhere_is_not_reported() {
    const NAME: &str = "a_spawning_loop_whose_children_run_elsewhere_is_not_reported";
    if !common::is_child(NAME) {
        let out = common::run_child(NAME, &[]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{err}");
        assert!(!err.contains("has held worker"), "{err}");
        assert!(err.contains("CHILD RAN"), "{err}");
        return;
    }
    let rt = goroutines_runtime::Builder::new()
        .max_procs(2)
        .held_worker_warning(Some(Duration::from_millis(30)))
        .build()
        .unwrap();
    let ran = rt.block_on(|| {
        let wg = goroutines_runtime::WaitGroup::new();
        let start = std::time::Instant::now();
        let mut n = 0;
        // Spawns for 300 ms (ten times the threshold) without yielding.
        while start.elapsed() < Duration::from_millis(300) {
            for _ in 0..1000 {
                wg.add(1);
                let wg = wg.clone();
                drop(spawn(move || wg.done()));
            }
            n += 1000;
        }
        wg.wait();
        n
    });
    assert!(ran > 0);
    eprintln!("CHILD RAN {ran}");
}
