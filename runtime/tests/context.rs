//! `Context`: cancellation down the tree (never up), deadlines, values,
//! `done()` in `select`, no growth in a loop of short-lived contexts, and
//! `on_signals`.

use std::time::{Duration, Instant};

use goroutines_runtime::context::{Context, ContextError};
use goroutines_runtime::{spawn, Builder, Select, WaitGroup};

#[test]
fn cancelling_a_parent_cancels_every_descendant_and_never_the_other_way() {
    let (parent, cancel_parent) = Context::background().with_cancel();
    let (child, cancel_child) = parent.with_cancel();
    let grandchild = child.with_value("request 7").with_timeout(Duration::from_secs(60)).0;
    let (sibling, _cancel_sibling) = parent.with_cancel();

    cancel_child.cancel();
    assert_eq!(child.err(), Some(ContextError::Canceled));
    assert_eq!(grandchild.err(), Some(ContextError::Canceled), "a descendant through a value node");
    assert_eq!(parent.err(), None, "a child never cancels its parent");
    assert_eq!(sibling.err(), None);

    cancel_parent.cancel();
    cancel_parent.cancel(); // idempotent
    assert_eq!(sibling.err(), Some(ContextError::Canceled));
    assert!(sibling.done().recv().is_none(), "done is closed");
}

#[test]
fn a_child_of_a_cancelled_context_is_born_cancelled() {
    let (parent, cancel) = Context::background().with_cancel();
    drop(cancel); // dropping the CancelFn cancels
    let (child, _c) = parent.with_timeout(Duration::from_secs(60));
    assert_eq!(child.err(), Some(ContextError::Canceled));
    assert!(child.done().try_recv().is_err_and(|e| e == goroutines_runtime::TryRecvError::Closed));
}

#[test]
fn deadlines_cancel_with_deadline_exceeded_and_the_earliest_applies() {
    let start = Instant::now();
    let (outer, _c1) = Context::background().with_timeout(Duration::from_millis(20));
    let (inner, _c2) = outer.with_timeout(Duration::from_secs(60));
    assert_eq!(inner.deadline(), outer.deadline(), "the earlier deadline is inherited");
    assert!(inner.done().recv().is_none());
    assert_eq!(inner.err(), Some(ContextError::DeadlineExceeded));
    assert!(start.elapsed() >= Duration::from_millis(20));

    let (past, _c3) = Context::background().with_deadline(Instant::now());
    assert_eq!(past.err(), Some(ContextError::DeadlineExceeded), "a deadline already past");
}

#[test]
fn values_are_typed_inherited_and_the_nearest_wins() {
    #[derive(Debug, PartialEq)]
    struct User(&'static str);
    let ctx = Context::background().with_value(User("ann")).with_value(7u32);
    let (child, _c) = ctx.with_cancel();
    let child = child.with_value(User("bob"));
    assert_eq!(child.value::<User>(), Some(&User("bob")));
    assert_eq!(child.value::<u32>(), Some(&7));
    assert_eq!(ctx.value::<User>(), Some(&User("ann")));
    assert_eq!(child.value::<String>(), None);
}

#[test]
fn background_is_never_done() {
    let ctx = Context::background();
    assert!(ctx.done().recv_timeout(Duration::from_millis(5)).is_err());
    assert_eq!(ctx.err(), None);
    assert_eq!(ctx.deadline(), None);
}

#[test]
fn short_lived_children_leave_nothing_behind_in_the_parent() {
    let (parent, _cancel) = Context::background().with_cancel();
    for _ in 0..10_000 {
        let (child, cancel) = parent.with_timeout(Duration::from_secs(60));
        let _v = child.with_value(1u8);
        drop(cancel);
    }
    for _ in 0..10_000 {
        // Dropped without ever being cancelled by hand: the CancelFn's drop
        // cancels, and the last handle leaves the list.
        let _ = parent.with_cancel();
    }
    assert_eq!(parent.__listed_children(), 0);
}

#[test]
fn cancel_wakes_every_goroutine_selecting_on_done() {
    let rt = Builder::new().max_procs(2).build().unwrap();
    rt.block_on(|| {
        let (ctx, cancel) = Context::background().with_cancel();
        let (_never_tx, never) = goroutines_runtime::chan::<u32>(0);
        let wg = WaitGroup::new();
        for _ in 0..2_000 {
            let (ctx, never, wg) = (ctx.clone(), never.clone(), wg.clone());
            wg.add(1);
            drop(spawn(move || {
                let done = ctx.done();
                let mut sel = Select::new();
                let d = sel.recv(&done);
                let _n = sel.recv(&never);
                let op = sel.select();
                assert_eq!(op.index(), d);
                assert!(op.recv(&done).is_none());
                wg.done();
            }));
        }
        goroutines_runtime::time::sleep(Duration::from_millis(5));
        cancel.cancel();
        wg.wait();
    });
}

#[cfg(unix)]
#[test]
fn on_signals_is_cancelled_by_sigterm() {
    let ctx = Context::on_signals();
    assert_eq!(ctx.err(), None);
    // SAFETY: raise(3) with a valid signal number; the handler is installed.
    unsafe { libc::raise(libc::SIGTERM) };
    // A hang guard, not a timing assertion.
    assert!(ctx
        .done()
        .recv_timeout(Duration::from_secs(60))
        .is_err_and(|e| e == goroutines_runtime::RecvTimeoutError::Closed));
    assert_eq!(ctx.err(), Some(ContextError::Canceled));
    // One shared context: asking again after the signal gives it cancelled.
    assert_eq!(Context::on_signals().err(), Some(ContextError::Canceled));
}

/// A chain of thousands of contexts (a retry loop's `c = c.with_cancel().0`)
/// is cancelled without recursion: no goroutine stack overflows.
#[test]
fn cancelling_a_deep_chain_does_not_overflow_a_goroutine_stack() {
    let h = spawn(|| {
        let (root, cancel) = Context::background().with_cancel();
        let mut keep = Vec::new();
        let mut c = root.clone();
        for _ in 0..20_000 {
            let (child, cf) = c.with_cancel();
            keep.push(cf);
            c = child;
        }
        cancel.cancel();
        c.err()
    });
    assert_eq!(h.join().unwrap(), Some(ContextError::Canceled));
}

/// A cancel that finds its context already being cancelled (by a parent's
/// cancel on another thread) returns only once the descendants are
/// cancelled too.
#[test]
fn a_racing_cancel_returns_after_the_descendants_are_cancelled() {
    for _ in 0..200 {
        let (parent, cancel_parent) = Context::background().with_cancel();
        let (child, cancel_child) = parent.with_cancel();
        let grandchildren: Vec<_> = (0..64).map(|_| child.with_cancel()).collect();
        let t = std::thread::spawn(move || cancel_parent.cancel());
        // Wait until the parent's cancel has reached the child (a hang
        // guard bounds it), then cancel the child while it walks on.
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while !child.is_cancelled() && std::time::Instant::now() < deadline {
            std::hint::spin_loop();
        }
        cancel_child.cancel();
        for (g, _) in &grandchildren {
            assert!(g.is_cancelled(), "cancel() returned before a grandchild was cancelled");
        }
        t.join().unwrap();
    }
}

#[test]
fn after_func_runs_once_on_cancel_unless_stopped() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let ran = Arc::new(AtomicUsize::new(0));
    let (ctx, cancel) = Context::background().with_cancel();
    let (done_tx, done_rx) = goroutines_runtime::chan::<()>(1);
    let counted = ran.clone();
    let kept = ctx.after_func(move || {
        counted.fetch_add(1, Ordering::SeqCst);
        done_tx.send(()).unwrap();
    });
    let stopped = ctx.after_func(|| panic!("a stopped after_func ran"));
    assert!(stopped.stop(), "stopped before the cancel");
    assert!(!stopped.stop(), "a second stop stops nothing");
    cancel.cancel();
    done_rx.recv().unwrap();
    assert!(!kept.stop(), "it has started");
    assert_eq!(ran.load(Ordering::SeqCst), 1);

    // On a cancelled context it starts at once.
    let (tx, rx) = goroutines_runtime::chan::<u8>(1);
    let late = ctx.after_func(move || tx.send(7).unwrap());
    assert_eq!(rx.recv(), Some(7));
    assert!(!late.stop());

    // Nothing cancels the background context: it never runs.
    let never = Context::background().after_func(|| panic!("background is never cancelled"));
    assert!(never.stop());
    assert!(!never.stop());
}

#[test]
fn dropping_an_after_func_stops_it_and_what_it_owns_may_cancel_a_context() {
    let (ctx, cancel) = Context::background().with_cancel();
    let (child, child_cancel) = ctx.with_cancel();
    // It owns a CancelFn of a child of the same tree: stopping it drops
    // that, which cancels the child; no lock of the tree may be held then.
    let f = ctx.after_func(move || drop(child_cancel));
    assert!(f.stop());
    assert_eq!(child.err(), Some(ContextError::Canceled));
    // Dropped: stopped, as Go's `defer stop()`.
    drop(ctx.after_func(|| panic!("a dropped after_func ran")));
    // Detached: it runs.
    let (tx, rx) = goroutines_runtime::chan::<()>(1);
    ctx.after_func(move || tx.send(()).unwrap()).detach();
    cancel.cancel();
    assert_eq!(rx.recv(), Some(()));
}
