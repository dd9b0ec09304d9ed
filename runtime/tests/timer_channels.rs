//! Timer channels as Go's: never closed by the runtime (a fired `after`
//! stays silent, it does not turn "ready for ever"), a zero or past
//! deadline delivers at once, and `tick(0)` is Go's nil channel.

mod common;

use std::time::{Duration, Instant};

use goroutines_runtime::time::{after, every, sleep, tick, Ticker, Timer};
use goroutines_runtime::{chan, spawn, Builder, RecvTimeoutError, Select, TryRecvError};

/// Long enough to see that nothing came, short enough for a test.
const A_WHILE: Duration = Duration::from_millis(20);

#[test]
fn a_fired_after_channel_stays_open_and_silent() {
    let rx = after(Duration::from_millis(1));
    assert!(rx.recv().is_some());
    assert!(!rx.is_closed(), "Go never closes a timer's channel");
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(rx.recv_timeout(A_WHILE), Err(RecvTimeoutError::Timeout));
}

/// Go's `timeout := time.After(d); for { select { case <-data: …; case
/// <-timeout: … } }`: the timeout arm runs once, then never again.
#[test]
fn a_timeout_made_once_outside_a_select_loop_runs_its_arm_once() {
    let (_data_tx, data) = chan::<u32>(0);
    let (stop_tx, stop) = chan::<()>(0);
    let stopper = spawn(move || {
        sleep(Duration::from_millis(50));
        stop_tx.close();
    });
    let timeout = after(Duration::from_millis(5));
    let mut timeouts = 0;
    loop {
        let mut sel = Select::new();
        let d = sel.recv(&data);
        let t = sel.recv(&timeout);
        let s = sel.recv(&stop);
        let op = sel.select();
        match op.index() {
            i if i == d => unreachable!("no data is sent"),
            i if i == t => {
                let _ = op.recv(&timeout);
                timeouts += 1;
            }
            i if i == s => {
                let _ = op.recv(&stop);
                break;
            }
            _ => unreachable!(),
        }
    }
    stopper.join().unwrap();
    assert_eq!(timeouts, 1, "the timeout arm ran {timeouts} times");
}

#[test]
fn a_timer_or_ticker_channel_outlives_its_timer_open() {
    let t = Timer::new(Duration::from_millis(1));
    let rx = t.receiver().clone();
    assert!(rx.recv().is_some());
    drop(t);
    assert!(!rx.is_closed(), "a dropped Timer leaves its channel open, as Go's");
    assert_eq!(rx.recv_timeout(A_WHILE), Err(RecvTimeoutError::Timeout));

    let t = Ticker::new(Duration::from_millis(1));
    let rx = t.receiver().clone();
    assert!(rx.recv().is_some());
    drop(t);
    let _ = rx.try_recv(); // a tick that came before the drop
    assert!(!rx.is_closed(), "a dropped Ticker leaves its channel open, as Go's");
    assert_eq!(rx.recv_timeout(A_WHILE), Err(RecvTimeoutError::Timeout));

    let rx = tick(Duration::from_millis(1));
    assert!(rx.recv().is_some());
    assert!(!rx.is_closed());
}

/// The deadlock detector still sees a goroutine waiting on a fired `after`
/// channel as stuck for good: no timer is left pending for it.
#[test]
fn waiting_again_on_a_fired_after_channel_is_a_deadlock() {
    let name = "waiting_again_on_a_fired_after_channel_is_a_deadlock";
    if !common::is_child(name) {
        let out = common::run_child(name, &[]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("all goroutines are asleep - deadlock!"), "{err}");
        assert!(err.contains("[chan receive"), "{err}");
        return;
    }
    let rt = Builder::new().max_procs(2).detect_deadlocks(true).build().unwrap();
    rt.block_on(|| {
        let rx = after(Duration::from_millis(1));
        rx.recv();
        rx.recv()
    });
    unreachable!("the detector ends the process");
}

#[test]
fn after_zero_is_ready_at_once() {
    for _ in 0..1_000 {
        let before = Instant::now();
        let rx = after(Duration::ZERO);
        let at = rx.try_recv().expect("after(0) is ready at once");
        assert!(at >= before && at <= Instant::now(), "the value is when it was due: its creation");
    }
}

#[test]
fn a_timer_for_zero_fires_at_once() {
    let t = Timer::new(Duration::ZERO);
    assert!(t.receiver().try_recv().is_ok(), "Timer::new(0) is ready at once");
    assert!(!t.stop(), "it has fired");

    let t = Timer::new(Duration::from_secs(3600));
    assert!(t.reset(Duration::ZERO), "it was pending");
    assert!(t.receiver().try_recv().is_ok(), "reset(0) fires at once");
    assert_eq!(t.receiver().try_recv(), Err(TryRecvError::Empty), "once");
    assert!(!t.reset(Duration::ZERO), "it had fired");
    assert!(t.receiver().try_recv().is_ok(), "reset(0) fires again");

    // An unreceived value is discarded by reset, which then fires anew.
    let t = Timer::new(Duration::ZERO);
    t.reset(Duration::ZERO);
    assert!(t.receiver().try_recv().is_ok());
    assert_eq!(t.receiver().try_recv(), Err(TryRecvError::Empty));
}

/// `reset(0)` sends under the timer's lock: it must never switch the
/// goroutine out there (see time.rs's test of the same for the drain).
/// Every offset of the cooperative budget is tried.
#[test]
fn reset_zero_never_switches_out_holding_the_timers_lock() {
    use std::sync::Arc;
    let rt = Builder::new().max_procs(1).build().unwrap();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let _main = rt.spawn(move || {
        for pre in 0..=130 {
            let t = Arc::new(Timer::new(Duration::from_secs(60)));
            let (go_tx, go_rx) = chan::<()>(1);
            let t2 = t.clone();
            let stopper = spawn(move || {
                go_rx.recv();
                t2.stop();
            });
            go_tx.send(()).unwrap(); // the stopper is ready to run beside us
            let (_idle_tx, idle) = chan::<()>(1);
            for _ in 0..pre {
                let _ = idle.try_recv();
            }
            t.reset(Duration::ZERO);
            stopper.join().unwrap();
        }
        done_tx.send(()).unwrap();
    });
    // A hang guard, not a timing assertion.
    done_rx.recv_timeout(Duration::from_secs(60)).expect("a worker blocked on the timer's lock");
}

/// Go's `time.Tick(d)` with `d <= 0` returns nil, a channel no select ever
/// picks: ours returns one that never delivers (and never closes).
#[test]
fn tick_zero_never_ticks() {
    let rx = tick(Duration::ZERO);
    assert_eq!(rx.recv_timeout(A_WHILE), Err(RecvTimeoutError::Timeout));
    assert!(!rx.is_closed());
}

fn panic_message(f: impl FnOnce()) -> String {
    let p = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).expect_err("refused");
    p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default()
}

/// Go's `NewTicker` and `Ticker.Reset` panic on a non-positive period.
#[test]
fn a_ticker_refuses_a_zero_period_and_loses_nothing() {
    let msg = panic_message(|| drop(Ticker::new(Duration::ZERO)));
    assert!(msg.contains("period must be positive"), "{msg}");
    let t = Ticker::new(Duration::from_millis(1));
    let msg = panic_message(|| t.reset(Duration::ZERO));
    assert!(msg.contains("period must be positive"), "{msg}");
    assert!(t.recv().is_some(), "the refused reset left the ticker ticking");
    assert!(t.recv().is_some());
    t.stop();
    let (ctx, _cancel) = goroutines_runtime::context::Context::background().with_cancel();
    let msg = panic_message(|| drop(every(Duration::ZERO, &ctx, || {})));
    assert!(msg.contains("period must be positive"), "{msg}");
}

/// The loop: a select over ready channels and a fresh `after(0)`
/// picks the timer arm about as often as each other arm.
#[test]
fn a_select_sees_after_zero_as_often_as_other_ready_arms() {
    let (a_tx, a) = chan::<u32>(1);
    let (b_tx, b) = chan::<u32>(1);
    let rounds = 3_000;
    let mut timer_arm = 0;
    for _ in 0..rounds {
        let _ = a_tx.try_send(1);
        let _ = b_tx.try_send(2);
        let t = after(Duration::ZERO);
        let mut sel = Select::new();
        let ia = sel.recv(&a);
        let ib = sel.recv(&b);
        let it = sel.recv(&t);
        let op = sel.select();
        match op.index() {
            i if i == ia => assert_eq!(op.recv(&a), Some(1)),
            i if i == ib => assert_eq!(op.recv(&b), Some(2)),
            i if i == it => {
                assert!(op.recv(&t).is_some());
                timer_arm += 1;
            }
            _ => unreachable!(),
        }
    }
    // A third of the rounds if uniform; a sixth leaves room for chance.
    assert!(timer_arm > rounds / 6, "the after(0) arm won {timer_arm} of {rounds}");
}
