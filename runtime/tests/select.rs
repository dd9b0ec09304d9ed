//! `Select`: ready arms chosen uniformly, no value lost, closed arms, both
//! flavors, from goroutines and threads.

use std::time::Duration;

use goroutines_runtime::{chan, spawn, Runtime, Select};

#[test]
fn select_picks_ready_arms_uniformly() {
    let (tx1, rx1) = chan::<u8>(1);
    let (tx2, rx2) = chan::<u8>(1);
    let (tx3, rx3) = chan::<u8>(1);
    let mut counts = [0u32; 3];
    const N: u32 = 3000;
    for _ in 0..N {
        for tx in [&tx1, &tx2, &tx3] {
            let _ = tx.try_send(0);
        }
        let mut sel = Select::new();
        let ids = [sel.recv(&rx1), sel.recv(&rx2), sel.recv(&rx3)];
        let op = sel.select();
        let i = op.index();
        let rx = [&rx1, &rx2, &rx3][i];
        assert_eq!(op.recv(rx), Some(0));
        counts[ids.iter().position(|&x| x == i).unwrap()] += 1;
    }
    // Each arm should get about N/3 = 1000; a fair choice lands within
    // 1000 ± 150 with overwhelming probability (the bound is ~8 sigma).
    for c in counts {
        assert!((850..=1150).contains(&c), "unfair choice: {counts:?}");
    }
}

#[test]
fn select_over_both_flavors_loses_no_value() {
    Runtime::global().block_on(|| {
        let (tx_a, rx_a) = chan::<u32>(0);
        let (tx_b, rx_b) = chan::<u32>(3);
        let pa = spawn(move || (0..2000).for_each(|i| tx_a.send(i).unwrap()));
        let pb = spawn(move || (0..2000).for_each(|i| tx_b.send(10_000 + i).unwrap()));
        let (mut a_open, mut b_open) = (true, true);
        let mut got = Vec::new();
        while a_open || b_open {
            let mut sel = Select::new();
            let ia = a_open.then(|| sel.recv(&rx_a));
            let ib = b_open.then(|| sel.recv(&rx_b));
            let op = sel.select();
            if Some(op.index()) == ia {
                match op.recv(&rx_a) {
                    Some(v) => got.push(v),
                    None => a_open = false,
                }
            } else if Some(op.index()) == ib {
                match op.recv(&rx_b) {
                    Some(v) => got.push(v),
                    None => b_open = false,
                }
            }
        }
        pa.join().unwrap();
        pb.join().unwrap();
        got.sort();
        let want: Vec<u32> = (0..2000).chain(10_000..12_000).collect();
        assert_eq!(got, want);
    });
}

#[test]
fn select_send_arm_hands_over_only_when_chosen() {
    Runtime::global().block_on(|| {
        let (tx, rx) = chan::<String>(0);
        let (_never_tx, never_rx) = chan::<String>(0);
        let h = spawn(move || rx.recv());
        let mut sel = Select::new();
        let s = sel.send(&tx);
        let r = sel.recv(&never_rx);
        let op = sel.select();
        assert_eq!(op.index(), s);
        assert_ne!(op.index(), r);
        op.send(&tx, "hello".to_string()).unwrap();
        assert_eq!(h.join().unwrap().as_deref(), Some("hello"));
    });
}

#[test]
fn double_select_pairs_a_sending_select_with_a_receiving_select() {
    Runtime::global().block_on(|| {
        let (tx, rx) = chan::<u32>(0);
        let (_t2, r2) = chan::<u32>(0);
        let sender = spawn(move || {
            for i in 0..500 {
                let mut sel = Select::new();
                sel.send(&tx);
                let op = sel.select();
                op.send(&tx, i).unwrap();
            }
        });
        let mut got = Vec::new();
        for _ in 0..500 {
            let mut sel = Select::new();
            let a = sel.recv(&rx);
            sel.recv(&r2);
            let op = sel.select();
            assert_eq!(op.index(), a);
            got.push(op.recv(&rx).unwrap());
        }
        sender.join().unwrap();
        assert_eq!(got, (0..500).collect::<Vec<_>>());
    });
}

#[test]
fn try_select_and_timeouts() {
    let (tx, rx) = chan::<u8>(1);
    let mut sel = Select::new();
    sel.recv(&rx);
    assert!(sel.try_select().is_none(), "nothing ready: default");
    assert!(sel.select_timeout(Duration::from_millis(5)).is_none());
    tx.send(1).unwrap();
    let op = sel.try_select().expect("ready now");
    assert_eq!(op.recv(&rx), Some(1));
}

#[test]
fn a_closed_channel_is_always_ready() {
    let (tx, rx) = chan::<u8>(0);
    tx.close();
    let mut sel = Select::new();
    sel.recv(&rx);
    let op = sel.select();
    assert_eq!(op.recv(&rx), None);
    let mut sel = Select::new();
    sel.send(&tx);
    let op = sel.select();
    assert_eq!(op.send(&tx, 3).unwrap_err().0, 3);
}

#[test]
fn select_from_a_thread_wakes_on_a_goroutine_send() {
    let (tx, rx) = chan::<u8>(0);
    let (_t2, r2) = chan::<u8>(4);
    let g = spawn(move || tx.send(42));
    let mut sel = Select::new();
    let a = sel.recv(&rx);
    sel.recv(&r2);
    let op = sel.select();
    assert_eq!(op.index(), a);
    assert_eq!(op.recv(&rx), Some(42));
    g.join().unwrap().unwrap();
}

#[test]
fn one_worker_select_handoffs_between_goroutines_complete() {
    // A receiver waiting for a selected sender that shares its worker must
    // yield to it, not spin the worker away.
    let rt = goroutines_runtime::Builder::new().max_procs(1).build().unwrap();
    let got = rt.block_on(|| {
        let (tx, rx) = chan::<u32>(0);
        let (_t2, r2) = chan::<u32>(0);
        let sender = spawn(move || {
            for i in 0..300 {
                let mut sel = Select::new();
                sel.send(&tx);
                sel.select().send(&tx, i).unwrap();
            }
        });
        let receiver = spawn(move || {
            let mut got = Vec::new();
            for _ in 0..300 {
                let mut sel = Select::new();
                let a = sel.recv(&rx);
                sel.recv(&r2);
                let op = sel.select();
                assert_eq!(op.index(), a);
                got.push(op.recv(&rx).unwrap());
            }
            got
        });
        sender.join().unwrap();
        receiver.join().unwrap()
    });
    assert_eq!(got, (0..300).collect::<Vec<_>>());
}

#[test]
fn an_abandoned_send_reservation_does_not_drop_stale_values() {
    // A send arm reserved by `select` but never completed must not make the
    // channel drop the old bytes of that slot when it goes (a double free).
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = chan::<Counted>(1);
    tx.send(Counted(drops.clone())).unwrap();
    drop(rx.recv()); // slot 0 now holds stale bytes of a dropped value
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    let mut sel = Select::new();
    sel.send(&tx);
    let op = sel.select(); // reserves slot 0 again
    std::mem::forget(op); // abandoned: never written
    drop(tx);
    drop(rx);
    assert_eq!(drops.load(Ordering::SeqCst), 1, "the stale value was dropped again");
}
