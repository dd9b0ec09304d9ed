//! `Group` (Go's errgroup): the first error wins and cancels the group's
//! context, a panic cancels at once and is resumed by `wait`, limits.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use goroutines_runtime::context::{Context, ContextError};
use goroutines_runtime::group::Group;
use goroutines_runtime::time::sleep;

#[test]
fn every_member_ok_is_ok() {
    let g = Group::<String>::new();
    let n = Arc::new(AtomicUsize::new(0));
    for _ in 0..100 {
        let n = n.clone();
        g.go(move || {
            n.fetch_add(1, Ordering::Relaxed);
            Ok(())
        });
    }
    assert_eq!(g.wait(), Ok(()));
    assert_eq!(n.load(Ordering::Relaxed), 100);
}

#[test]
fn the_first_error_wins_and_cancels_the_others() {
    let g = Group::<&'static str>::new();
    let stopped_early = Arc::new(AtomicUsize::new(0));
    for _ in 0..5 {
        let (ctx, stopped) = (g.context().clone(), stopped_early.clone());
        g.go(move || {
            // Waits for the group's cancellation (a hang guard bounds it).
            if ctx
                .done()
                .recv_timeout(Duration::from_secs(60))
                .is_err_and(|e| e == goroutines_runtime::RecvTimeoutError::Closed)
            {
                stopped.fetch_add(1, Ordering::Relaxed);
            }
            Ok(())
        });
    }
    g.go(|| Err("first"));
    let ctx = g.context().clone();
    assert_eq!(g.wait(), Err("first"));
    assert_eq!(stopped_early.load(Ordering::Relaxed), 5);
    assert_eq!(ctx.err(), Some(ContextError::Canceled));
}

#[test]
fn a_panicking_member_cancels_at_once_and_wait_resumes_the_panic() {
    let g = Group::<()>::new();
    let ctx = g.context().clone();
    let saw_cancel = Arc::new(AtomicUsize::new(0));
    let s = saw_cancel.clone();
    g.go(move || {
        // Sees the cancellation while the group still runs: the panic is
        // not kept until `wait`.
        if ctx
            .done()
            .recv_timeout(Duration::from_secs(60))
            .is_err_and(|e| e == goroutines_runtime::RecvTimeoutError::Closed)
        {
            s.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    });
    g.go(|| panic!("member exploded"));
    let payload =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| g.wait())).expect_err("wait resumes the panic");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"member exploded"));
    assert_eq!(saw_cancel.load(Ordering::Relaxed), 1);
}

#[test]
fn a_limit_bounds_the_members_running_at_once() {
    let g = Group::<()>::new();
    g.set_limit(2);
    let (now, max) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    for _ in 0..10 {
        let (now, max) = (now.clone(), max.clone());
        g.go(move || {
            let n = now.fetch_add(1, Ordering::SeqCst) + 1;
            max.fetch_max(n, Ordering::SeqCst);
            sleep(Duration::from_millis(2));
            now.fetch_sub(1, Ordering::SeqCst);
            Ok(())
        });
    }
    assert_eq!(g.wait(), Ok(()));
    assert!(max.load(Ordering::SeqCst) <= 2, "ran {} at once", max.load(Ordering::SeqCst));
}

#[test]
fn set_limit_zero_is_refused_with_a_clear_message() {
    let g = Group::<()>::new();
    let msg = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| g.set_limit(0))).expect_err("refused");
    let msg = msg.downcast_ref::<String>().cloned().or_else(|| msg.downcast_ref::<&str>().map(|s| s.to_string()));
    assert!(msg.is_some_and(|m| m.contains("set_limit(0)") && m.contains("at least 1")));
}

#[test]
fn a_group_made_with_a_context_is_cancelled_with_it() {
    let (parent, cancel) = Context::background().with_cancel();
    let g = Group::<()>::with_context(&parent);
    let ctx = g.context().clone();
    g.go(move || {
        let _ = ctx.done().recv_timeout(Duration::from_secs(60));
        Ok(())
    });
    cancel.cancel();
    assert_eq!(g.wait(), Ok(()));
}
