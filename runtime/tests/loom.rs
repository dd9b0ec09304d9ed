//! The channels' wait-queue and hand-off protocol under loom, which runs
//! every interleaving of a small model (plain threads as waiters; small
//! capacities to reach the full/empty edges). Run with
//! `RUSTFLAGS="--cfg loom" cargo test -p goroutines-runtime --test loom --release`.
#![cfg(loom)]

use goroutines_runtime::{chan, Select};
use loom::thread;

#[test]
fn buffered_cap_one_handoff_blocks_and_wakes() {
    loom::model(|| {
        let (tx, rx) = chan::<u32>(1);
        let t = thread::spawn(move || {
            tx.send(1).unwrap();
            tx.send(2).unwrap(); // blocks until the first is received
        });
        assert_eq!(rx.recv(), Some(1));
        assert_eq!(rx.recv(), Some(2));
        t.join().unwrap();
        assert_eq!(rx.recv(), None, "the sender is gone: closed");
    });
}

#[test]
fn unbuffered_rendezvous_hands_over() {
    loom::model(|| {
        let (tx, rx) = chan::<u32>(0);
        let t = thread::spawn(move || tx.send(7).unwrap());
        assert_eq!(rx.recv(), Some(7));
        t.join().unwrap();
    });
}

#[test]
fn close_wakes_a_blocked_receiver_and_returns_a_blocked_send() {
    loom::model(|| {
        let (tx, rx) = chan::<u32>(0);
        let rx2 = rx.clone();
        let r = thread::spawn(move || rx2.recv());
        let tx2 = tx.clone();
        let s = thread::spawn(move || tx2.send(5));
        // Either the pair met, or close returned the value / woke the receiver.
        tx.close();
        let got = r.join().unwrap();
        let sent = s.join().unwrap();
        match (got, sent) {
            (Some(5), Ok(())) => {}
            (None, Err(e)) => assert_eq!(e.0, 5),
            other => panic!("value lost or duplicated: {other:?}"),
        }
        drop(rx);
    });
}

#[test]
fn select_takes_exactly_one_of_two_senders() {
    loom::model(|| {
        let (tx1, rx1) = chan::<u32>(0);
        let (tx2, rx2) = chan::<u32>(1);
        let a = thread::spawn(move || tx1.send(1).is_ok());
        let b = thread::spawn(move || tx2.send(2).is_ok());
        let mut sel = Select::new();
        let i1 = sel.recv(&rx1);
        let i2 = sel.recv(&rx2);
        let op = sel.select();
        let i = op.index();
        let v = if i == i1 { op.recv(&rx1) } else { op.recv(&rx2) };
        assert!(i == i1 || i == i2);
        assert_eq!(v, Some(if i == i1 { 1 } else { 2 }));
        // Drain the other so both senders finish.
        if i == i1 {
            assert_eq!(rx2.recv(), Some(2));
        } else {
            assert_eq!(rx1.recv(), Some(1));
        }
        assert!(a.join().unwrap() && b.join().unwrap());
    });
}

#[test]
fn a_select_send_arm_pairs_with_a_blocked_receiver() {
    loom::model(|| {
        let (tx, rx) = chan::<u32>(0);
        let r = thread::spawn(move || rx.recv());
        let mut sel = Select::new();
        sel.send(&tx);
        let op = sel.select();
        op.send(&tx, 9).unwrap();
        assert_eq!(r.join().unwrap(), Some(9));
    });
}

/// The goroutine park token (goroutine/park_token.rs), with the main loom
/// thread as the goroutine: `begin_park() == true` stands for switching out
/// and a waker that gets `wake() == true` for queueing it again (loom's
/// park/unpark, one unpark per such park). A stale wake (left over from an
/// earlier wait) coalesces with the real one; the goroutine must still see
/// the real waker's condition and never park for good.
/// An abandoned buffered send leaves a hole at the ring's head; a sender
/// blocked on the full ring is woken to pass it, in every interleaving
/// (select.rs invariant 3, array.rs invariant 4).
#[test]
fn an_abandoned_buffered_send_wakes_a_blocked_sender() {
    loom::model(|| {
        let (tx, rx) = chan::<u32>(1);
        let mut sel = Select::new();
        sel.send(&tx);
        let op = sel.select(); // the only slot reserved: full
        let tx2 = tx.clone();
        let s = thread::spawn(move || tx2.send(5).unwrap());
        drop(op); // a hole at the head
        assert_eq!(rx.recv(), Some(5));
        s.join().unwrap();
    });
}

/// A receiver meets holes and values in any order and gets each value once.
#[test]
fn receivers_pass_holes_between_values() {
    loom::model(|| {
        let (tx, rx) = chan::<u32>(2);
        let tx2 = tx.clone();
        let s = thread::spawn(move || {
            let mut sel = Select::new();
            sel.send(&tx2);
            drop(sel.select());
            tx2.send(2).unwrap();
        });
        tx.send(1).unwrap();
        let mut got = vec![rx.recv().unwrap(), rx.recv().unwrap()];
        s.join().unwrap();
        got.sort();
        assert_eq!(got, [1, 2]);
        assert!(rx.try_recv().is_err());
    });
}

/// An unbuffered send arm that paired with a blocked receiver and was
/// dropped declines; the receiver goes on to the next sender.
#[test]
fn an_abandoned_unbuffered_send_is_declined_not_lost() {
    loom::model(|| {
        let (tx, rx) = chan::<u32>(0);
        let r = thread::spawn(move || rx.recv());
        let mut sel = Select::new();
        sel.send(&tx);
        drop(sel.select());
        tx.send(8).unwrap();
        assert_eq!(r.join().unwrap(), Some(8));
    });
}

/// An unbuffered receive arm dropped after pairing: the value is either
/// given back to its sender (and received next) or was handed over and
/// dropped; the sender finishes either way.
#[test]
fn an_abandoned_unbuffered_receive_never_strands_its_sender() {
    loom::model(|| {
        let (tx, rx) = chan::<u32>(0);
        let s = thread::spawn(move || tx.send(3).is_ok());
        let mut sel = Select::new();
        sel.recv(&rx);
        drop(sel.select());
        let got = rx.recv(); // the value again, or None once the sender left
        assert!(s.join().unwrap());
        assert!(got == Some(3) || got.is_none());
    });
}

#[test]
fn park_token_never_loses_a_wake() {
    use goroutines_runtime::__loom::ParkToken;
    use loom::sync::atomic::{AtomicBool, Ordering};
    use loom::sync::Arc;

    loom::model(|| {
        let token = Arc::new(ParkToken::new());
        let ready = Arc::new(AtomicBool::new(false));
        let me = thread::current();
        let stale = {
            let (token, me) = (token.clone(), me.clone());
            thread::spawn(move || {
                if token.wake() {
                    me.unpark();
                }
            })
        };
        let real = {
            let (token, ready) = (token.clone(), ready.clone());
            thread::spawn(move || {
                ready.store(true, Ordering::Release);
                if token.wake() {
                    me.unpark();
                }
            })
        };
        while !ready.load(Ordering::Acquire) {
            if token.begin_park() {
                thread::park();
            }
        }
        stale.join().unwrap();
        real.join().unwrap();
    });
}
