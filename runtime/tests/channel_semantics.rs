//! Channel semantics a peer's test suite pinned: a non-blocking select is
//! linearizable, the last receiver frees what is buffered, and a capacity
//! too large to allocate is a clear panic.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use goroutines_runtime::{chan, Builder, Receiver, Select, SelectedOperation, Sender, TryRecvError};

type Make = fn() -> (Sender<u32>, Receiver<u32>);
type Ask = for<'a, 'b> fn(&'b mut Select<'a>) -> Option<SelectedOperation<'a>>;

/// G puts a value in `r1`, then asks whether `r1` or `r2` is ready, while
/// M, in between, fills `r2` and only then drains `r1`. At every instant
/// one of the two holds a value, so "nothing ready" is never a right
/// answer; a select that looked at `r2` before M filled it and at `r1`
/// after M drained it, and answered from those two looks, would give it.
fn no_arm_is_ever_missed(iterations: usize, make: Make, g_is_goroutine: bool, ask: Ask) {
    let (s1, r1) = make();
    let (s2, r2) = make();
    let r1_for_m = r1.clone();
    // Buffered hand-offs that M polls: M reacts within nanoseconds, so
    // its two steps land inside G's select often.
    let (start_s, start_r) = chan::<()>(1);
    let (end_s, end_r) = chan::<()>(1);
    // M's "done with this round": G clears both channels only after it.
    let (ack_s, ack_r) = chan::<()>(1);
    let g = move || {
        for i in 0..iterations {
            start_s.send(()).unwrap();
            s1.send(1).unwrap();
            let mut sel = Select::new();
            let a = sel.recv(&r1);
            let b = sel.recv(&r2);
            match ask(&mut sel) {
                None => panic!("no arm ready at iteration {i}, though one always was"),
                Some(op) if op.index() == a => assert_eq!(op.recv(&r1), Some(1)),
                Some(op) => {
                    assert_eq!(op.index(), b);
                    assert_eq!(op.recv(&r2), Some(1));
                }
            }
            end_s.send(()).unwrap();
            ack_r.recv().unwrap();
            let _ = r2.try_recv();
            let _ = r1.try_recv();
        }
    };
    let rt = Builder::new().max_procs(2).build().unwrap();
    let join: Box<dyn FnOnce()> = if g_is_goroutine {
        let h = rt.spawn(g);
        Box::new(move || h.join().unwrap())
    } else {
        let h = std::thread::spawn(g);
        Box::new(move || h.join().unwrap())
    };
    // Polls `r`; false once G has gone (a failed assertion drops its ends).
    let poll = |r: &Receiver<()>| loop {
        match r.try_recv() {
            Ok(()) => return true,
            Err(TryRecvError::Empty) => std::hint::spin_loop(),
            Err(TryRecvError::Closed) => return false,
        }
    };
    for _ in 0..iterations {
        if !poll(&start_r) {
            break;
        }
        s2.send(1).unwrap();
        let _ = r1_for_m.try_recv();
        if !poll(&end_r) {
            break;
        }
        ack_s.send(()).unwrap();
    }
    join();
}

const ROUNDS: usize = 20_000;

fn buffered() -> (Sender<u32>, Receiver<u32>) {
    chan(1)
}

#[test]
fn try_select_is_linearizable_from_a_goroutine() {
    no_arm_is_ever_missed(ROUNDS, buffered, true, |sel| sel.try_select());
}

#[test]
fn try_select_is_linearizable_from_a_thread() {
    no_arm_is_ever_missed(ROUNDS, buffered, false, |sel| sel.try_select());
}

#[test]
fn a_select_past_its_deadline_is_linearizable() {
    no_arm_is_ever_missed(ROUNDS, buffered, true, |sel| sel.select_timeout(Duration::ZERO));
}

/// The same with a large buffer (`r1` and `r2` are never full).
#[test]
fn try_select_over_both_flavors_is_linearizable() {
    no_arm_is_ever_missed(ROUNDS / 2, || chan(64), true, |sel| sel.try_select());
}

/// Each value in a buffered channel dropped as soon as the last receiver
/// goes, not when the last sender does.
#[test]
fn the_last_receiver_drops_what_is_buffered() {
    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = chan::<Counted>(4);
    for _ in 0..3 {
        tx.send(Counted(drops.clone())).unwrap();
    }
    let rx2 = rx.clone();
    drop(rx);
    assert_eq!(drops.load(Ordering::SeqCst), 0, "a receiver is left: nothing is dropped");
    drop(rx2);
    assert_eq!(drops.load(Ordering::SeqCst), 3, "the last receiver went: the values go too");
    // Sends fail and give the value back; it is dropped by the caller.
    let back = tx.send(Counted(drops.clone())).unwrap_err();
    drop(back);
    assert_eq!(drops.load(Ordering::SeqCst), 4);
    drop(tx);
    assert_eq!(drops.load(Ordering::SeqCst), 4, "nothing is dropped twice");
}

fn panic_message(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
    let err = std::panic::catch_unwind(f).expect_err("expected a panic");
    err.downcast_ref::<String>().cloned().or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string())).unwrap()
}

#[test]
fn an_impossible_capacity_is_a_panic_that_names_it() {
    let msg = panic_message(|| drop(chan::<u8>(usize::MAX)));
    assert!(msg.contains(&usize::MAX.to_string()) && msg.contains("too large"), "{msg}");
    let msg = panic_message(|| drop(chan::<u64>(1 << 40)));
    assert!(msg.contains(&(1u64 << 40).to_string()) && msg.contains("too large"), "{msg}");
    // A large but possible one still works.
    let (tx, rx) = chan::<u8>(1 << 20);
    tx.send(1).unwrap();
    assert_eq!(rx.recv(), Some(1));
}

/// In a goroutine, the panic report names the goroutine and where it was
/// spawned, and the `chan` call is the panic's location.
#[test]
fn an_impossible_capacity_in_a_goroutine_names_the_goroutine() {
    let rt = Builder::new().max_procs(1).build().unwrap();
    let h = rt.spawn(|| drop(chan::<u64>(1 << 40)));
    let err = h.join().unwrap_err();
    let text = format!("{err}");
    assert!(text.contains("goroutine") && text.contains("channel_semantics.rs"), "{text}");
}
