//! What `select!` does: Go's arrows, `default`, disabled arms (`None`
//! operands and `Some(..)` arms on closed channels), send arms and what
//! happens to their values, timeouts, and `select!` as an expression.
//!
//! No test measures time; the ones that wait on other goroutines run under
//! a generous hang guard, so a lost wake-up fails instead of hanging.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use goroutines::prelude::*;
use goroutines::time::{after, Ticker};
use goroutines::{chan, select, Receiver, SendError, Sender};

/// Runs `body` in a goroutine and fails the test if it has not finished
/// within a minute (a hang guard, not a timing assertion).
fn within_a_minute(body: impl FnOnce() + Send + 'static) {
    let (done_tx, done_rx) = mpsc::channel();
    let h = go!(move || {
        body();
        let _ = done_tx.send(());
    });
    match done_rx.recv_timeout(Duration::from_secs(60)) {
        Ok(()) => h.join().unwrap(),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            // The body panicked: report its panic.
            let err = h.join().unwrap_err();
            panic!("{err}");
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("the select! test hung for a minute"),
    }
}

#[test]
fn receives_from_whichever_channel_is_ready() {
    let (tx_a, rx_a) = chan::<u32>(1);
    let (tx_b, rx_b) = chan::<&str>(1);
    tx_b.send("b").unwrap();
    let got = select! {
        v = <-rx_a => format!("a {v:?}"),
        v = <-rx_b => format!("b {v:?}"),
    };
    assert_eq!(got, r#"b Some("b")"#);
    tx_a.send(1).unwrap();
    let got = select! {
        v = <-rx_a => format!("a {v:?}"),
        v = <-rx_b => format!("b {v:?}"),
    };
    assert_eq!(got, "a Some(1)");
}

#[test]
fn receive_does_not_move_the_channel() {
    let (tx, rx) = chan::<u32>(2);
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    let first = select! { Some(v) = <-rx => v };
    let second = select! { Some(v) = <-&rx => v };
    assert_eq!((first, second), (1, 2));
    drop(rx); // still ours
}

#[test]
fn blocked_select_wakes_for_a_later_send() {
    within_a_minute(|| {
        let (tx_a, rx_a) = chan::<u32>(0);
        let (_tx_b, rx_b) = chan::<u32>(0);
        go!(move || tx_a.send(7).unwrap());
        let got = select! {
            Some(v) = <-rx_a => v,
            Some(v) = <-rx_b => v + 100,
        };
        assert_eq!(got, 7);
    });
}

#[test]
fn default_runs_when_nothing_is_ready() {
    let (_tx, rx) = chan::<u32>(1);
    let (full_tx, _full_rx) = chan::<u32>(1);
    full_tx.send(0).unwrap();
    let got = select! {
        v = <-rx => format!("received {v:?}"),
        full_tx <- 1 => "sent".to_string(),
        default => "default".to_string(),
    };
    assert_eq!(got, "default");
}

#[test]
fn default_is_not_taken_when_an_arm_is_ready() {
    let (tx, rx) = chan::<u32>(1);
    tx.send(5).unwrap();
    let got = select! {
        Some(v) = <-rx => v,
        default => 0,
    };
    assert_eq!(got, 5);
}

#[test]
fn send_arm_hands_its_value_to_the_channel() {
    let (tx, rx) = chan::<String>(1);
    let sent = select! {
        tx <- "hello".to_string() => true,
        default => false,
    };
    assert!(sent);
    assert_eq!(rx.recv().as_deref(), Some("hello"));
}

#[test]
fn send_arm_on_an_unbuffered_channel_meets_a_receiver() {
    within_a_minute(|| {
        let (tx, rx) = chan::<u64>(0);
        let h = go!(move || rx.recv());
        select! {
            tx <- 42 => {}
        }
        assert_eq!(h.join().unwrap(), Some(42));
    });
}

#[derive(Debug, PartialEq)]
struct Job {
    id: u32,
}

#[test]
fn send_arm_takes_a_struct_literal_and_binds_the_result() {
    let (tx, rx) = chan::<Job>(1);
    let res = select! {
        res = tx <- Job { id: 3 } => res,
    };
    assert_eq!(res, Ok(()));
    assert_eq!(rx.recv(), Some(Job { id: 3 }));
}

/// Counts the drops of the values it is given.
#[derive(Debug)]
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn losing_send_value_is_dropped_before_the_winning_body_runs() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (full_tx, full_rx) = chan::<Counted>(1);
    full_tx.send(Counted(drops.clone())).unwrap();
    let (tx, rx) = chan::<u32>(1);
    tx.send(1).unwrap();
    let drops_in_body = select! {
        full_tx <- Counted(drops.clone()) => unreachable!("the channel is full"),
        Some(_) = <-rx => drops.load(Ordering::SeqCst),
    };
    assert_eq!(drops_in_body, 1, "the losing send arm's value is dropped, as in Go");
    assert_eq!(full_rx.len(), 1);
}

#[test]
fn operands_and_values_are_evaluated_once_in_source_order_on_entry() {
    let log = Mutex::new(Vec::new());
    let note = |what: &'static str| log.lock().unwrap().push(what);
    let (tx_a, rx_a) = chan::<u32>(1);
    let (tx_b, _rx_b) = chan::<u32>(1);
    tx_a.send(0).unwrap();
    let none: Option<&Sender<u32>> = None;
    select! {
        v = <-{ note("rx_a"); &rx_a } => assert_eq!(v, Some(0)),
        { note("none"); none } <- { note("value for none"); 1 } => unreachable!("disabled"),
        { note("tx_b"); &tx_b } <- { note("value for tx_b"); 2 } => {}
    }
    assert_eq!(*log.lock().unwrap(), ["rx_a", "none", "value for none", "tx_b", "value for tx_b"]);
}

#[test]
fn none_operand_disables_the_arm() {
    let (tx, rx) = chan::<u32>(1);
    tx.send(9).unwrap();
    let no_rx: Option<&Receiver<u32>> = None;
    let no_tx: Option<&Sender<u32>> = None;
    // Both disabled arms would be ready if they were `Some`.
    let got = select! {
        v = <-no_rx => panic!("disabled receive arm ran with {v:?}"),
        no_tx <- 1 => panic!("disabled send arm ran"),
        default => "default",
    };
    assert_eq!(got, "default");
    let got = select! {
        v = <-no_rx => panic!("disabled receive arm ran with {v:?}"),
        v = <-Some(&rx) => v,
    };
    assert_eq!(got, Some(9));
}

#[test]
fn some_arm_on_a_closed_channel_is_disabled_while_the_other_arm_fires() {
    within_a_minute(|| {
        let (closed_tx, closed) = chan::<u32>(1);
        drop(closed_tx);
        let (tx, rx) = chan::<u32>(0);
        go!(move || tx.send(5).unwrap());
        // `closed` is ready (closed) all along; the arm is disabled instead
        // of running, and the select waits for `rx`.
        let got = select! {
            Some(v) = <-closed => panic!("a closed channel gave {v}"),
            Some(v) = <-rx => v,
        };
        assert_eq!(got, 5);
    });
}

#[test]
fn some_arms_all_closed_fall_to_default() {
    let (tx, rx) = chan::<u32>(1);
    drop(tx); // dropping the last sender closes the channel
    let got = select! {
        Some(v) = <-rx => Some(v),
        default => None,
    };
    assert_eq!(got, None);
}

#[test]
fn plain_binding_sees_none_once_closed_and_drained() {
    let (tx, rx) = chan::<u32>(1);
    tx.send(1).unwrap();
    drop(tx);
    assert_eq!(select! { v = <-rx => v }, Some(1));
    assert_eq!(select! { v = <-rx => v }, None);
}

#[test]
fn bare_receive_discards_the_value_and_fires_on_close() {
    let (tx, rx) = chan::<u32>(1);
    tx.send(1).unwrap();
    assert!(select! { <-rx => true, default => false });
    assert!(rx.is_empty());
    drop(tx);
    assert!(select! { <-rx => true, default => false });
    assert!(select! { _ = <-rx => true, default => false });
}

#[test]
fn send_on_a_closed_channel_with_a_bound_result_gives_the_value_back() {
    let (tx, _rx) = chan::<String>(1);
    tx.close();
    let res = select! {
        res = tx <- "kept".to_string() => res,
    };
    assert_eq!(res, Err(SendError("kept".to_string())));
}

#[test]
fn send_on_a_closed_channel_without_a_binding_panics_as_in_go() {
    let (tx, _rx) = chan::<u32>(1);
    tx.close();
    let h = go!(move || {
        select! {
            tx <- 1 => {}
        }
    });
    let err = h.join().unwrap_err();
    assert!(err.message().contains("select!: send on a closed channel"), "{err}");
}

#[test]
fn select_is_an_expression() {
    let (tx, rx) = chan::<u32>(1);
    tx.send(20).unwrap();
    let doubled = 2 * select! {
        Some(n) = <-rx => n,
        default => 0,
    } + 2;
    assert_eq!(doubled, 42);
}

#[test]
fn break_and_continue_in_an_arm_belong_to_the_enclosing_loop() {
    let (tx, rx) = chan::<u32>(8);
    for i in 0..5 {
        tx.send(i).unwrap();
    }
    drop(tx);
    let mut odd = Vec::new();
    loop {
        select! {
            Some(n) = <-rx => {
                if n % 2 == 0 {
                    continue;
                }
                odd.push(n);
            }
            default => break,
        }
    }
    assert_eq!(odd, [1, 3]);
}

#[test]
fn after_is_a_timeout_arm() {
    within_a_minute(|| {
        let (_tx, never) = chan::<u32>(0);
        let got = select! {
            v = <-never => format!("received {v:?}"),
            <-after(Duration::from_millis(10)) => "timed out".to_string(),
        };
        assert_eq!(got, "timed out");
    });
}

#[test]
fn ticker_is_an_operand() {
    within_a_minute(|| {
        let ticker = Ticker::new(Duration::from_millis(1));
        let ticked = select! {
            Some(_) = <-ticker => true,
        };
        assert!(ticked);
        let ticked = select! {
            Some(_) = <-&ticker => true,
        };
        assert!(ticked);
    });
}

#[test]
fn ready_arms_are_all_chosen_over_many_selects() {
    let (tx_a, rx_a) = chan::<()>(1);
    let (tx_b, rx_b) = chan::<()>(1);
    let (mut a, mut b) = (0, 0);
    for _ in 0..1000 {
        let _ = tx_a.try_send(());
        let _ = tx_b.try_send(());
        select! {
            <-rx_a => a += 1,
            <-rx_b => b += 1,
        }
    }
    // Uniformity is the runtime's to test; here only that neither arm is
    // starved (each would be missed 1000 times with probability 2^-1000).
    assert!(a > 0 && b > 0, "a = {a}, b = {b}");
}

#[test]
fn every_value_is_received_exactly_once() {
    within_a_minute(|| {
        const N: u32 = 2000;
        let (tx_a, rx_a) = chan::<u32>(0);
        let (tx_b, rx_b) = chan::<u32>(4);
        go!(move || (0..N).for_each(|i| tx_a.send(2 * i).unwrap()));
        go!(move || (0..N).for_each(|i| tx_b.send(2 * i + 1).unwrap()));
        // Go's idiom: a drained channel is set to nil to disable its arm.
        let (mut a, mut b) = (Some(&rx_a), Some(&rx_b));
        let mut got = Vec::new();
        while a.is_some() || b.is_some() {
            select! {
                v = <-a => match v {
                    Some(v) => got.push(v),
                    None => a = None,
                },
                v = <-b => match v {
                    Some(v) => got.push(v),
                    None => b = None,
                },
            }
        }
        got.sort_unstable();
        assert_eq!(got, (0..2 * N).collect::<Vec<_>>());
    });
}

/// `select! {}` is Go's `select {}`: it never returns, so it has type `!`.
#[allow(dead_code)]
fn empty_select_never_returns() -> ! {
    select! {}
}

#[goroutines::test]
fn select_runs_inside_a_goroutine() {
    let (tx, rx) = chan::<u32>(0);
    let h = go!(move || {
        select! {
            tx <- 1 => {}
        }
    });
    assert_eq!(select! { v = <-rx => v }, Some(1));
    h.join().unwrap();
}
