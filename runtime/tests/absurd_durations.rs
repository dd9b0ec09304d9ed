//! Durations too long for the clock (`Duration::MAX`, or anything whose
//! deadline `Instant` cannot represent) mean "never", as in Go, where such
//! a timer never fires: nothing panics, nothing fires, and what can be
//! stopped or reset still can.

use std::time::Duration;

use goroutines_runtime::context::Context;
use goroutines_runtime::time::{after, every, sleep, tick, timeout, RateLimiter, Ticker, Timer};
use goroutines_runtime::{chan, spawn, RecvTimeoutError, Select, TryRecvError};

/// Long enough to see that nothing came, short enough for a test.
const A_WHILE: Duration = Duration::from_millis(20);

#[test]
fn after_max_never_fires() {
    let rx = after(Duration::MAX);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(rx.recv_timeout(A_WHILE), Err(RecvTimeoutError::Timeout));
    assert!(!rx.is_closed());
}

#[test]
fn tick_max_never_ticks() {
    let rx = tick(Duration::MAX);
    assert_eq!(rx.recv_timeout(A_WHILE), Err(RecvTimeoutError::Timeout));
    assert!(!rx.is_closed());
}

#[test]
fn a_timer_for_ever_never_fires_and_can_be_stopped_and_reset() {
    let t = Timer::new(Duration::MAX);
    assert_eq!(t.receiver().recv_timeout(A_WHILE), Err(RecvTimeoutError::Timeout));
    assert!(t.stop(), "a timer that would fire one day is pending, as Go's");
    assert!(!t.stop());
    assert!(!t.reset(Duration::MAX));
    assert_eq!(t.receiver().recv_timeout(A_WHILE), Err(RecvTimeoutError::Timeout));
    assert!(t.reset(Duration::from_millis(1)), "it was pending");
    assert!(t.recv().is_some(), "a reset to a real duration fires");
    // A pending timer pushed out to never.
    let t = Timer::new(Duration::from_secs(3600));
    assert!(t.reset(Duration::MAX));
    assert!(t.stop());
}

#[test]
fn a_ticker_for_ever_never_ticks_and_can_be_reset() {
    let t = Ticker::new(Duration::MAX);
    assert_eq!(t.receiver().recv_timeout(A_WHILE), Err(RecvTimeoutError::Timeout));
    t.reset(Duration::from_millis(1));
    assert!(t.recv().is_some(), "a reset to a real period ticks");
    t.reset(Duration::MAX);
    let _ = t.receiver().try_recv(); // a tick that came before the reset
    assert_eq!(t.receiver().recv_timeout(A_WHILE), Err(RecvTimeoutError::Timeout));
    t.stop();
}

/// Half the clock's range: the first tick is representable, the second one
/// (`start + 2 * period`) is not; the schedule must not overflow either.
#[test]
fn a_ticker_with_a_period_near_the_clocks_range_never_ticks() {
    let t = Ticker::new(Duration::from_secs(i64::MAX as u64 / 2));
    assert_eq!(t.receiver().recv_timeout(A_WHILE), Err(RecvTimeoutError::Timeout));
    t.stop();
}

#[test]
fn timeout_max_waits_for_the_result() {
    assert_eq!(timeout(Duration::MAX, || 6 * 7), Ok(42));
    let slow = timeout(Duration::MAX, || {
        sleep(Duration::from_millis(5));
        "late but awaited"
    });
    assert_eq!(slow, Ok("late but awaited"));
}

#[test]
fn every_max_never_runs_and_stops_on_cancel() {
    let (ctx, cancel) = Context::background().with_cancel();
    let h = every(Duration::MAX, &ctx, || panic!("ran"));
    sleep(A_WHILE);
    cancel.cancel();
    assert_eq!(h.join().ok(), Some(0));
}

#[test]
fn a_context_with_timeout_max_has_no_deadline_and_still_cancels() {
    let (ctx, cancel) = Context::background().with_timeout(Duration::MAX);
    assert_eq!(ctx.deadline(), None);
    assert_eq!(ctx.done().recv_timeout(A_WHILE), Err(RecvTimeoutError::Timeout));
    cancel.cancel();
    assert!(ctx.done().recv().is_none());
    // Under a parent with a deadline, the parent's still applies.
    let (parent, _p) = Context::background().with_timeout(Duration::from_secs(3600));
    let (child, _c) = parent.with_timeout(Duration::MAX);
    assert_eq!(child.deadline(), parent.deadline());
}

#[test]
fn channel_timeouts_max_wait_for_the_other_side() {
    let (tx, rx) = chan::<u32>(0);
    let h = spawn(move || {
        sleep(Duration::from_millis(5));
        tx.send_timeout(7, Duration::MAX)
    });
    assert_eq!(rx.recv_timeout(Duration::MAX), Ok(7));
    assert!(h.join().unwrap().is_ok());

    let (tx, rx) = chan::<u32>(0);
    let h = spawn(move || {
        sleep(Duration::from_millis(5));
        rx.recv()
    });
    assert!(tx.send_timeout(8, Duration::MAX).is_ok());
    assert_eq!(h.join().unwrap(), Some(8));
}

#[test]
fn select_timeout_max_waits_for_an_arm() {
    let (tx, rx) = chan::<u32>(0);
    let h = spawn(move || {
        sleep(Duration::from_millis(5));
        tx.send(9)
    });
    let mut sel = Select::new();
    let i = sel.recv(&rx);
    let op = sel.select_timeout(Duration::MAX).expect("an arm, not a timeout");
    assert_eq!(op.index(), i);
    assert_eq!(op.recv(&rx), Some(9));
    assert!(h.join().unwrap().is_ok());
}

#[test]
fn sleep_max_in_a_goroutine_parks_without_panicking() {
    // The goroutine never wakes; it is left parked (the test process ends).
    let (tx, rx) = chan::<()>(1);
    drop(spawn(move || {
        tx.send(()).unwrap();
        sleep(Duration::MAX);
        unreachable!("sleep(Duration::MAX) returned");
    }));
    assert_eq!(rx.recv(), Some(()));
    sleep(A_WHILE);
}

#[test]
fn rate_limiters_at_the_ends_of_their_range_do_not_overflow() {
    // One token in ~31.7 years: the first is there, the next never comes.
    let slow = RateLimiter::new(1e-9, 1);
    assert!(slow.allow());
    assert!(!slow.allow());
    assert!(!slow.allow_n(1));
    // As fast and as deep as the types go: every request passes.
    let fast = RateLimiter::new(f64::MAX, usize::MAX);
    assert!(fast.allow_n(usize::MAX));
    assert!(fast.allow());
    fast.wait_n(usize::MAX);
    fast.wait();
}
