//! A reservation made by `Select` is always finished: completed through
//! any handle of its channel, or released when the `SelectedOperation` is
//! dropped (a panic between the select and the completion), so no later
//! operation, and never the timer thread, waits for it.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use goroutines_runtime::time::{sleep, Ticker};
use goroutines_runtime::{chan, Runtime, Select};

/// Runs `f` on a thread and fails if it has not finished within `secs`: a
/// hang guard, not a timing assertion.
fn within<T: Send + 'static>(secs: u64, what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(v) => v,
        Err(_) => panic!("{what}: still waiting after {secs} s"),
    }
}

/// The audit's first demonstration: a handler panicked between a select
/// on a ticker and its `recv`; the timer thread then spun on the ticker's
/// channel for ever and no `sleep` in the process finished.
#[test]
fn a_panic_after_selecting_a_ticker_stops_no_timer() {
    let ticker = Ticker::new(Duration::from_millis(1));
    let (_keep, never) = chan::<u8>(1);
    let caught = catch_unwind(AssertUnwindSafe(|| {
        let mut sel = Select::new();
        let t = sel.recv(ticker.receiver());
        sel.recv(&never);
        let op = sel.select();
        assert_eq!(op.index(), t);
        panic!("the handler failed before completing the receive");
    }));
    assert!(caught.is_err());
    // Ticks keep coming, and an unrelated sleeper wakes.
    within(10, "a sleep after the abandoned reservation", || {
        Runtime::global().block_on(|| sleep(Duration::from_millis(20)))
    });
    let rx = ticker.receiver().clone();
    within(10, "a tick after the abandoned reservation", move || rx.recv().unwrap());
}

/// The audit's second demonstration: the value of a send arm could not be
/// computed (a panic); the next send and receive on that channel hung.
#[test]
fn a_panic_computing_a_send_arms_value_leaves_the_channel_working() {
    let (tx, rx) = chan::<u32>(1);
    let tx2 = tx.clone();
    let caught = catch_unwind(AssertUnwindSafe(|| {
        let mut sel = Select::new();
        sel.send(&tx2);
        let op = sel.select();
        fn compute() -> u32 {
            panic!("computing the value failed")
        }
        let value = compute();
        op.send(&tx2, value).unwrap();
    }));
    assert!(caught.is_err());
    let got = within(10, "send then try_recv after the abandoned send", move || {
        tx.send(7).unwrap();
        rx.try_recv()
    });
    assert_eq!(got, Ok(7));
}

/// Dropping a selected send arm sends nothing, on a ring that wraps
/// around many times, and the channel keeps its order and capacity.
#[test]
fn abandoned_buffered_sends_leave_holes_that_receivers_pass() {
    let (tx, rx) = chan::<u32>(3);
    for i in 0..100u32 {
        let mut sel = Select::new();
        sel.send(&tx);
        drop(sel.select()); // abandoned: nothing sent
        tx.send(i).unwrap();
        assert_eq!(rx.try_recv(), Ok(i));
    }
    // The holes do not count against the buffer once passed.
    for i in 0..3 {
        tx.try_send(i).unwrap();
    }
    assert_eq!(rx.iter().take(3).collect::<Vec<_>>(), [0, 1, 2]);
}

/// A value in a ring whose last receiver is gone must still be dropped
/// exactly once, holes or not.
#[test]
fn a_channel_dropped_with_holes_drops_each_value_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let (tx, rx) = chan::<Counted>(4);
    tx.send(Counted(drops.clone())).unwrap();
    let mut sel = Select::new();
    sel.send(&tx);
    drop(sel.select()); // a hole between two values
    tx.send(Counted(drops.clone())).unwrap();
    drop((tx, rx));
    assert_eq!(drops.load(Ordering::SeqCst), 2);
}

/// An unbuffered send arm that paired with a blocked receiver, then was
/// dropped: the receiver does not wait for ever, and gets the next value.
#[test]
fn an_abandoned_unbuffered_send_lets_its_receiver_go_on() {
    let (tx, rx) = chan::<u32>(0);
    let receiver = std::thread::spawn(move || rx.recv());
    // The select pairs with the blocked receiver, or waits and is
    // selected by it: either way, it then abandons.
    let mut sel = Select::new();
    sel.send(&tx);
    drop(sel.select());
    within(10, "the receiver after an abandoned send", move || {
        tx.send(5).unwrap();
        receiver.join().unwrap()
    });
}

/// An unbuffered receive arm, then dropped: if it paired with a blocked
/// sender, the sender gets its value back and a later receive has it; if
/// the sender had already handed it over, it is dropped once, as by a
/// receiver that panicked. Nothing waits for ever either way.
#[test]
fn an_abandoned_unbuffered_receive_loses_no_value_silently() {
    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    for round in 0..20 {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = chan::<Counted>(0);
        let value = Counted(drops.clone());
        let sender = std::thread::spawn(move || tx.send(value).is_ok());
        if round % 2 == 0 {
            // Mostly lets the sender block first (the path that declines).
            std::thread::sleep(Duration::from_millis(5));
        }
        let mut sel = Select::new();
        sel.recv(&rx);
        drop(sel.select());
        let (got, sent) = within(10, "a receive after an abandoned receive", move || {
            let got = rx.recv();
            (got, sender.join().unwrap())
        });
        assert!(sent, "the send completes either way");
        match got {
            Some(v) => {
                assert_eq!(drops.load(Ordering::SeqCst), 0);
                drop(v);
            }
            None => assert_eq!(drops.load(Ordering::SeqCst), 1, "a value handed over is dropped once"),
        }
    }
}

/// A select send arm that won while blocked (a receiver selected it), then
/// was dropped: the receiver goes on and gets a later value.
#[test]
fn a_blocked_send_arm_abandoned_after_winning_lets_the_receiver_go_on() {
    Runtime::global().block_on(|| {
        let (tx, rx) = chan::<u32>(0);
        let (ready_tx, ready_rx) = chan::<()>(0);
        let receiver = goroutines_runtime::spawn(move || {
            ready_rx.recv();
            std::iter::from_fn(|| rx.recv()).collect::<Vec<_>>()
        });
        let mut sel = Select::new();
        sel.send(&tx);
        // Blocked in the select when the receiver arrives.
        let sent = goroutines_runtime::spawn(move || ready_tx.send(()));
        drop(sel.select());
        sent.join().unwrap().unwrap();
        tx.send(9).unwrap();
        drop(tx);
        assert_eq!(receiver.join().unwrap(), [9]);
    });
}

/// Completing through a clone of the registered handle works (it is the
/// same channel); through another channel, or in the other direction,
/// panics, and the reservation is released.
#[test]
fn a_selected_operation_completes_through_any_handle_of_its_channel() {
    let (tx, rx) = chan::<u32>(2);
    tx.send(1).unwrap();
    let rx_clone = rx.clone();
    let mut sel = Select::new();
    sel.recv(&rx);
    assert_eq!(sel.select().recv(&rx_clone), Some(1));

    let tx_clone = tx.clone();
    let mut sel = Select::new();
    sel.send(&tx);
    sel.select().send(&tx_clone, 2).unwrap();
    assert_eq!(rx.try_recv(), Ok(2));

    let (_other_tx, other_rx) = chan::<u32>(1);
    tx.send(3).unwrap();
    let wrong = catch_unwind(AssertUnwindSafe(|| {
        let mut sel = Select::new();
        sel.recv(&rx);
        sel.select().recv(&other_rx)
    }));
    let msg = *wrong.unwrap_err().downcast::<String>().unwrap();
    assert!(msg.contains("not a receive on this channel"), "{msg}");
    // Released: the value was received and dropped, the channel works.
    tx.send(4).unwrap();
    assert_eq!(rx.try_recv(), Ok(4));
}

#[test]
fn a_select_can_be_reused_cloned_and_sent() {
    fn send<T: Send>(_: &T) {}
    let (tx, rx) = chan::<u32>(8);
    let mut sel = Select::new();
    let arm = sel.recv(&rx);
    send(&sel);
    for i in 0..4 {
        tx.send(i).unwrap();
    }
    let mut copy = sel.clone();
    for i in 0..2 {
        let op = sel.select();
        assert_eq!(op.index(), arm);
        assert_eq!(op.recv(&rx), Some(2 * i));
        let op = copy.select();
        assert_eq!(op.recv(&rx), Some(2 * i + 1));
    }
    assert!(sel.try_select().is_none());
    let rx = &rx;
    std::thread::scope(|s| {
        s.spawn(move || {
            tx.send(9).unwrap();
            assert_eq!(copy.select().recv(rx), Some(9));
        });
    });
}

#[test]
fn channel_ends_cross_catch_unwind() {
    fn unwind_safe<T: std::panic::UnwindSafe + std::panic::RefUnwindSafe>(_: &T) {}
    let (tx, rx) = chan::<std::cell::Cell<u8>>(1);
    unwind_safe(&tx);
    unwind_safe(&rx);
    assert!(catch_unwind(move || drop(rx)).is_ok());
    assert!(tx.send(std::cell::Cell::new(1)).is_err());
}

/// A timed select whose deadline passes answers in time even while the
/// other arms stay busy (it retries only while its channels move).
#[test]
fn a_past_deadline_select_answers() {
    let (_tx, rx) = chan::<u8>(1);
    let (_tx2, rx2) = chan::<u8>(0);
    let start = Instant::now();
    let mut sel = Select::new();
    sel.recv(&rx);
    sel.recv(&rx2);
    assert!(sel.select_timeout(Duration::from_millis(10)).is_none());
    assert!(start.elapsed() < Duration::from_secs(10));
}

/// A sender parked on a full ring is woken when the reservation at the
/// ring's head is abandoned, and passes the hole (a review's interleaving:
/// without the wake it slept while there was room).
#[test]
fn a_sender_parked_behind_an_abandoned_reservation_is_woken() {
    let (tx, rx) = chan::<u32>(2);
    tx.send(1).unwrap();
    let mut sel = Select::new();
    sel.send(&tx);
    let op = sel.select(); // slot 1 reserved, the ring is full
    let (tx2, tx3) = (tx.clone(), tx.clone());
    let d1 = std::thread::spawn(move || tx2.send(2));
    let d2 = std::thread::spawn(move || tx3.send(3));
    // Let both senders park on the full ring (a shaping pause, not an
    // assertion: the test passes whether or not they did).
    std::thread::sleep(Duration::from_millis(20));
    // A receive takes 1 and wakes one sender, which fills slot 0; the head
    // is now the reserved slot.
    assert_eq!(rx.recv(), Some(1));
    std::thread::sleep(Duration::from_millis(20));
    drop(op); // the hole is now at the head
    let got = within(10, "both parked senders", move || {
        d1.join().unwrap().unwrap();
        d2.join().unwrap().unwrap();
        let mut v = vec![rx.recv().unwrap(), rx.recv().unwrap()];
        v.sort();
        v
    });
    assert_eq!(got, [2, 3]);
}
