//! Timer channels as Go's: never closed by the runtime (a fired `after`
//! stays silent, it does not turn "ready for ever").

mod common;

use std::time::Duration;

use goroutines_runtime::time::{after, sleep, tick, Ticker, Timer};
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
