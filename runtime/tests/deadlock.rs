//! The deadlock detector: a program whose goroutines all wait for good
//! stops with Go's message and the dump; waits that something will end (a
//! timer, a blocking() call) are not deadlocks. Child processes, since a
//! deadlock ends the process.

mod common;

use std::time::Duration;

use goroutines_runtime::{blocking, chan, spawn, Builder};

#[test]
fn a_deadlocked_program_stops_with_the_message_and_the_dump() {
    if !common::is_child("a_deadlocked_program_stops_with_the_message_and_the_dump") {
        let out = common::run_child("a_deadlocked_program_stops_with_the_message_and_the_dump", &[]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("fatal error: all goroutines are asleep - deadlock!"), "{err}");
        assert!(err.contains("[chan receive"), "{err}");
        assert!(err.contains("[chan send"), "{err}");
        assert!(err.contains("deadlock.rs"), "the wait sites are named: {err}");
        return;
    }
    let rt = Builder::new().max_procs(2).detect_deadlocks(true).build().unwrap();
    rt.block_on(|| {
        let (tx, rx) = chan::<u32>(0);
        let (tx2, _rx2) = chan::<u32>(0);
        // Sends where nobody will ever receive.
        let _h = spawn(move || tx2.send(1));
        // Receives what nobody will ever send (tx stays alive).
        let v = rx.recv();
        drop(tx);
        v
    });
    unreachable!("the detector ends the process");
}

#[test]
fn waits_that_will_end_are_not_deadlocks() {
    if !common::is_child("waits_that_will_end_are_not_deadlocks") {
        let out = common::run_child("waits_that_will_end_are_not_deadlocks", &[]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        return;
    }
    let rt = Builder::new().max_procs(2).detect_deadlocks(true).build().unwrap();
    let got = rt.block_on(|| {
        // Everyone asleep, but a timer is pending.
        goroutines_runtime::time::sleep(Duration::from_millis(400));
        // Everyone asleep, but a blocking() call is in flight.
        blocking(|| std::thread::sleep(Duration::from_millis(400)));
        let (tx, rx) = chan::<u32>(0);
        let _h = spawn(move || {
            goroutines_runtime::time::sleep(Duration::from_millis(300));
            tx.send(7)
        });
        rx.recv()
    });
    assert_eq!(got, Some(7));
}

/// After `set_max_procs` shrinks, a worker made inactive still runs the
/// goroutine pinned to it: busy computing, it is no deadlock.
#[test]
fn a_busy_inactive_worker_is_no_deadlock() {
    if !common::is_child("a_busy_inactive_worker_is_no_deadlock") {
        let out = common::run_child("a_busy_inactive_worker_is_no_deadlock", &[]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        return;
    }
    let rt = Builder::new().max_procs(4).detect_deadlocks(true).build().unwrap();
    let got = rt.block_on(|| {
        let (tx, rx) = chan::<u64>(0);
        let (started_tx, started) = chan::<()>(0);
        let _h = spawn(move || {
            started_tx.send(()).unwrap();
            let until = std::time::Instant::now() + Duration::from_millis(500);
            let mut n = 0u64;
            while std::time::Instant::now() < until {
                n = n.wrapping_add(1); // computes, never parks
            }
            tx.send(n.max(1))
        });
        started.recv();
        goroutines_runtime::set_max_procs(1);
        rx.recv()
    });
    assert!(got.is_some());
}

/// Calls that wait on each other each get a thread of the pool.
#[test]
fn blocking_calls_that_wait_on_each_other_all_run() {
    use std::sync::{Arc, Barrier};
    let rt = Builder::new().max_procs(2).build().unwrap();
    rt.block_on(|| {
        blocking(|| ()); // leaves an idle pool thread behind
        let barrier = Arc::new(Barrier::new(8));
        let wg = goroutines_runtime::WaitGroup::new();
        for _ in 0..8 {
            let b = barrier.clone();
            wg.go(move || {
                blocking(|| {
                    b.wait();
                })
            });
        }
        wg.wait(); // hangs if the calls queue behind one thread
    });
}

#[test]
fn a_deadlock_after_the_last_timer_ended_unseen_is_found() {
    let name = "a_deadlock_after_the_last_timer_ended_unseen_is_found";
    if !common::is_child(name) {
        let out = common::run_child(name, &[]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("all goroutines are asleep - deadlock!"), "{err}");
        return;
    }
    let rt = Builder::new().max_procs(2).detect_deadlocks(true).build().unwrap();
    rt.block_on(|| {
        // A ticker whose receiver is dropped ends at its next tick, waking
        // nobody: the workers fell asleep while it was pending.
        drop(goroutines_runtime::time::tick(Duration::from_millis(200)));
        let (tx, rx) = chan::<u32>(0);
        let v = rx.recv();
        drop(tx);
        v
    });
    unreachable!("the detector ends the process");
}
