//! Channel semantics, in the spirit of Go's own channel tests (our own
//! tests): ordering, rendezvous, non-blocking operations in every state,
//! close, zero-sized values, thousands of goroutines chained by channels.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use goroutines_runtime::{
    chan, spawn, Builder, RecvTimeoutError, Runtime, SendTimeoutError, TryRecvError, TrySendError, WaitGroup,
};

#[test]
fn buffered_channel_is_fifo_per_sender() {
    let (tx, rx) = chan::<u32>(16);
    let h = spawn(move || {
        for i in 0..10_000 {
            tx.send(i).unwrap();
        }
    });
    let got: Vec<u32> = rx.iter().collect();
    h.join().unwrap();
    assert_eq!(got, (0..10_000).collect::<Vec<_>>());
}

#[test]
fn unbuffered_send_waits_for_receiver() {
    // The sender's next step happens only after the receiver took the value.
    let (tx, rx) = chan::<u32>(0);
    let took = Arc::new(AtomicUsize::new(0));
    let t = took.clone();
    let h = spawn(move || {
        for i in 0..100 {
            tx.send(i).unwrap();
            // The receiver has taken value i (it counts after recv returns,
            // so it may lag by one, never by two).
            assert!(t.load(Ordering::SeqCst) + 1 >= i as usize);
        }
    });
    for i in 0..100 {
        assert_eq!(rx.recv(), Some(i));
        took.fetch_add(1, Ordering::SeqCst);
    }
    h.join().unwrap();
}

#[test]
fn unbuffered_try_send_fails_without_a_waiting_receiver() {
    let (tx, rx) = chan::<u8>(0);
    assert_eq!(tx.try_send(1), Err(TrySendError::Full(1)));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(tx.cap(), 0);
    assert_eq!(tx.len(), 0);
}

#[test]
fn non_blocking_operations_in_every_state() {
    let (tx, rx) = chan::<u8>(2);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    tx.try_send(1).unwrap();
    tx.try_send(2).unwrap();
    assert_eq!(tx.try_send(3), Err(TrySendError::Full(3)));
    assert_eq!((tx.len(), tx.cap()), (2, 2));
    assert!(tx.close());
    assert!(!tx.close(), "close is idempotent and says so");
    assert_eq!(tx.try_send(4), Err(TrySendError::Closed(4)));
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.recv(), Some(2));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    assert_eq!(rx.recv(), None);
}

#[test]
fn closed_channel_drains_then_none() {
    let (tx, rx) = chan::<i32>(8);
    for i in 0..5 {
        tx.send(i).unwrap();
    }
    tx.close();
    assert_eq!(rx.iter().collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
    assert_eq!(rx.recv(), None);
    assert_eq!(tx.send(9).unwrap_err().into_inner(), 9);
}

#[test]
fn dropping_the_last_sender_closes() {
    let (tx, rx) = chan::<i32>(0);
    let tx2 = tx.clone();
    drop(tx);
    assert!(!rx.is_closed());
    drop(tx2);
    assert!(rx.is_closed());
    assert_eq!(rx.recv(), None);
}

#[test]
fn sends_fail_with_the_value_once_every_receiver_is_gone() {
    for cap in [0, 4] {
        let (tx, rx) = chan::<String>(cap);
        drop(rx);
        assert_eq!(tx.send("kept".to_string()).unwrap_err().0, "kept");
    }
}

#[test]
fn close_wakes_blocked_senders_and_receivers_with_their_values() {
    Runtime::global().block_on(|| {
        for cap in [0, 1] {
            let (tx, rx) = chan::<u32>(cap);
            if cap == 1 {
                tx.send(0).unwrap(); // fill it, so senders block
            }
            let senders: Vec<_> = (1..=3)
                .map(|i| {
                    let tx = tx.clone();
                    spawn(move || tx.send(i))
                })
                .collect();
            let (_t2, r2) = chan::<u32>(cap);
            let receivers: Vec<_> = (0..3)
                .map(|_| {
                    let r = r2.clone();
                    spawn(move || r.recv())
                })
                .collect();
            goroutines_runtime::time::sleep(Duration::from_millis(20));
            tx.close();
            r2.close();
            let mut back: Vec<u32> = senders.into_iter().map(|h| h.join().unwrap().unwrap_err().0).collect();
            back.sort();
            assert_eq!(back, [1, 2, 3], "every blocked sender got its value back");
            assert!(receivers.into_iter().all(|h| h.join().unwrap().is_none()));
            drop(rx);
        }
    });
}

#[test]
fn zero_sized_values_flow() {
    let (tx, rx) = chan::<()>(3);
    let h = spawn(move || (0..1000).for_each(|_| tx.send(()).unwrap()));
    assert_eq!(rx.iter().count(), 1000);
    h.join().unwrap();
    let (tx, rx) = chan::<()>(0);
    let h = spawn(move || (0..1000).for_each(|_| tx.send(()).unwrap()));
    assert_eq!(rx.iter().count(), 1000);
    h.join().unwrap();
}

#[test]
fn timeouts_return_the_value_or_report_closed() {
    let (tx, rx) = chan::<u8>(0);
    assert_eq!(tx.send_timeout(5, Duration::from_millis(5)), Err(SendTimeoutError::Timeout(5)));
    assert_eq!(rx.recv_timeout(Duration::from_millis(5)), Err(RecvTimeoutError::Timeout));
    let h = spawn(move || rx.recv_timeout(Duration::from_millis(5)));
    assert_eq!(h.join().unwrap(), Err(RecvTimeoutError::Timeout));
    tx.close();
    assert_eq!(tx.send_timeout(6, Duration::from_millis(5)), Err(SendTimeoutError::Closed(6)));
}

#[test]
fn mpmc_delivers_every_value_exactly_once() {
    let rt = Builder::new().max_procs(2).build().unwrap();
    for cap in [0, 1, 64] {
        let total = rt.block_on(move || {
            let (tx, rx) = chan::<u64>(cap);
            let wg = WaitGroup::new();
            for p in 0..4u64 {
                let tx = tx.clone();
                wg.go(move || (0..2500).for_each(|i| tx.send(p * 10_000 + i).unwrap()));
            }
            drop(tx);
            let consumers: Vec<_> = (0..4)
                .map(|_| {
                    let rx = rx.clone();
                    spawn(move || rx.iter().collect::<Vec<u64>>())
                })
                .collect();
            wg.wait();
            let mut all: Vec<u64> = consumers.into_iter().flat_map(|h| h.join().unwrap()).collect();
            all.sort();
            all.dedup();
            all.len()
        });
        assert_eq!(total, 10_000, "cap {cap}");
    }
}

#[test]
fn threads_and_goroutines_share_a_channel() {
    let (tx, rx) = chan::<u32>(0);
    let t = std::thread::spawn(move || (0..500).for_each(|i| tx.send(i).unwrap()));
    let g = spawn(move || rx.iter().sum::<u32>());
    t.join().unwrap();
    assert_eq!(g.join().unwrap(), (0..500).sum());
}

#[test]
fn thousands_of_goroutines_chained_through_channels() {
    // Go's classic daisy chain: each goroutine passes value + 1 to the next.
    const N: usize = 5000;
    let v = Runtime::global().block_on(|| {
        let (first_tx, mut rx) = chan::<usize>(0);
        for _ in 0..N {
            let (tx, next_rx) = chan::<usize>(0);
            let prev = rx;
            drop(spawn(move || {
                let v = prev.recv().unwrap();
                tx.send(v + 1).unwrap();
            }));
            rx = next_rx;
        }
        first_tx.send(0).unwrap();
        rx.recv().unwrap()
    });
    assert_eq!(v, N);
}

#[test]
fn prime_sieve_of_goroutines() {
    fn generate(tx: goroutines_runtime::Sender<u32>) {
        for i in 2.. {
            if tx.send(i).is_err() {
                return;
            }
        }
    }
    fn filter(rx: goroutines_runtime::Receiver<u32>, tx: goroutines_runtime::Sender<u32>, p: u32) {
        for v in &rx {
            if v % p != 0 && tx.send(v).is_err() {
                return;
            }
        }
    }
    let primes = Runtime::global().block_on(|| {
        let (tx, mut rx) = chan(0);
        drop(spawn(move || generate(tx)));
        let mut primes = Vec::new();
        for _ in 0..25 {
            let p = rx.recv().unwrap();
            primes.push(p);
            let (tx2, rx2) = chan(0);
            let prev = std::mem::replace(&mut rx, rx2);
            drop(spawn(move || filter(prev, tx2, p)));
        }
        primes
    });
    assert_eq!(&primes[..10], [2, 3, 5, 7, 11, 13, 17, 19, 23, 29]);
    assert_eq!(primes[24], 97);
}

/// No preemption exists, so channel operations spend a budget and yield
/// when it runs out (DESIGN.md, "Cooperation"): a goroutine polling
/// `try_recv` in a hot loop on a one-worker runtime still lets the
/// goroutine pinned beside it run, here the one that ends the loop.
#[test]
fn a_goroutine_polling_a_channel_does_not_starve_its_worker() {
    let rt = Builder::new().max_procs(1).build().unwrap();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let h = rt.spawn(move || {
        let (stop_tx, stop_rx) = chan::<()>(1);
        // Spawned from this goroutine: it waits on this very worker.
        let _stopper = spawn(move || stop_tx.send(()).unwrap());
        let mut polls = 0u64;
        while let Err(TryRecvError::Empty) = stop_rx.try_recv() {
            polls += 1;
        }
        done_tx.send(polls).unwrap();
    });
    // A hang guard, not a timing assertion.
    let polls = done_rx.recv_timeout(Duration::from_secs(60)).expect("the polling goroutine starved its neighbour");
    assert!(polls >= 1);
    h.join().unwrap();
}

/// A blocked buffered operation looks again a few times before it parks
/// (chan/before_park.rs); deadlines shorter than that looking, and a close
/// during it, are still honoured, in a goroutine and on one worker.
#[test]
fn a_buffered_operation_looking_again_honours_deadlines_and_close() {
    let rt = Builder::new().max_procs(1).build().unwrap();
    let outcome = rt.block_on(|| {
        let (tx, rx) = chan::<u32>(1);
        let short = Duration::from_nanos(1);
        let recv_timed_out = rx.recv_timeout(short) == Err(RecvTimeoutError::Timeout);
        tx.send(1).unwrap();
        let send_timed_out = tx.send_timeout(2, short) == Err(SendTimeoutError::Timeout(2));
        assert_eq!(rx.recv(), Some(1));
        // A receiver looking again while another goroutine of its worker
        // closes the channel.
        let closer = spawn(move || drop(tx));
        let after_close = rx.recv();
        closer.join().unwrap();
        (recv_timed_out, send_timed_out, after_close)
    });
    assert_eq!(outcome, (true, true, None));
}
