//! Stress tests for the park/wake protocol, record recycling and stack reuse:
//! many goroutines and plain threads waking each other across workers.
//! They assert outcomes (counts, values); the machine's noise only changes
//! how long they take.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use goroutines_runtime::{scope, spawn, yield_now, Builder, WaitGroup};

/// Two WaitGroups used as a ping-pong between a goroutine and a thread: each
/// round both sides park and wake each other, racing the switch-out.
#[test]
fn goroutine_and_thread_ping_pong_without_lost_wakeups() {
    const ROUNDS: usize = 2000;
    let ping = WaitGroup::new();
    let pong = WaitGroup::new();
    let (pi, po) = (ping.clone(), pong.clone());
    ping.add(1);
    let g = spawn(move || {
        for _ in 0..ROUNDS {
            pi.wait(); // thread said ping
            pi.add(1);
            po.done(); // say pong
        }
    });
    for _ in 0..ROUNDS {
        pong.add(1);
        ping.done();
        pong.wait();
    }
    g.join().unwrap();
}

#[test]
fn many_threads_spawn_and_join_concurrently() {
    let rt = Builder::new().max_procs(2).build().unwrap();
    let total = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let total = total.clone();
            std::thread::spawn(move || {
                for round in 0..200 {
                    let hs: Vec<_> = (0..10)
                        .map(|i| {
                            let total = total.clone();
                            rt.spawn(move || {
                                if (i + round) % 3 == 0 {
                                    yield_now();
                                }
                                total.fetch_add(1, Ordering::Relaxed);
                                t * 1000 + i
                            })
                        })
                        .collect();
                    for (i, h) in hs.into_iter().enumerate() {
                        assert_eq!(h.join().unwrap(), t * 1000 + i);
                    }
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    assert_eq!(total.load(Ordering::Relaxed), 4 * 200 * 10);
}

#[test]
fn goroutines_fan_out_and_join_in_a_tree() {
    fn tree(depth: u32) -> u64 {
        if depth == 0 {
            return 1;
        }
        let a = spawn(move || tree(depth - 1));
        let b = spawn(move || tree(depth - 1));
        if depth % 2 == 0 {
            yield_now();
        }
        a.join().unwrap() + b.join().unwrap()
    }
    let rt = Builder::new().max_procs(2).build().unwrap();
    for _ in 0..3 {
        assert_eq!(rt.block_on(|| tree(12)), 4096);
    }
}

#[test]
fn wakes_from_other_workers_reach_pinned_goroutines() {
    // Each goroutine waits on its own gate, opened by a goroutine that is
    // likely on the other worker: remote wakes into pinned queues.
    let rt = Builder::new().max_procs(2).build().unwrap();
    rt.block_on(|| {
        for _ in 0..20 {
            let gates: Vec<WaitGroup> = (0..200)
                .map(|_| {
                    let g = WaitGroup::new();
                    g.add(1);
                    g
                })
                .collect();
            let done = WaitGroup::new();
            for gate in &gates {
                let (gate, done) = (gate.clone(), done.clone());
                done.add(1);
                drop(spawn(move || {
                    gate.wait();
                    done.done();
                }));
            }
            let openers = gates.clone();
            drop(spawn(move || openers.iter().rev().for_each(WaitGroup::done)));
            done.wait();
        }
    });
}

#[test]
fn scoped_goroutines_under_churn() {
    let mut data: Vec<u64> = (0..64).collect();
    for _ in 0..50 {
        scope(|s| {
            for chunk in data.chunks_mut(8) {
                s.go(move || {
                    for x in chunk.iter_mut() {
                        *x += 1;
                        yield_now();
                    }
                });
            }
        });
    }
    assert_eq!(data, (50..114).collect::<Vec<u64>>());
}

/// Closes racing selects on unbuffered channels: each round, goroutines
/// select on receiving from one channel and sending on another while both
/// get closed, so closes take out select arms (and free their packets)
/// while the selects wake, unregister and complete. Every select must end
/// exactly once, with the value of a lost send given back.
#[test]
fn closes_racing_selects_on_unbuffered_channels() {
    use goroutines_runtime::{chan, Select};
    let rt = Builder::new().max_procs(2).build().unwrap();
    rt.block_on(|| {
        for round in 0..200u32 {
            let (a_tx, a_rx) = chan::<u32>(0);
            let (b_tx, b_rx) = chan::<u32>(0);
            let ended = Arc::new(AtomicUsize::new(0));
            let hs: Vec<_> = (0..16)
                .map(|i| {
                    let (a_rx, b_tx, ended) = (a_rx.clone(), b_tx.clone(), ended.clone());
                    spawn(move || {
                        let mut sel = Select::new();
                        let r = sel.recv(&a_rx);
                        let s = sel.send(&b_tx);
                        let op = sel.select();
                        if op.index() == r {
                            let _ = op.recv(&a_rx);
                        } else {
                            assert_eq!(op.index(), s);
                            if let Err(e) = op.send(&b_tx, i) {
                                assert_eq!(e.0, i, "a failed send gives its value back");
                            }
                        }
                        ended.fetch_add(1, Ordering::SeqCst);
                    })
                })
                .collect();
            if round % 2 == 0 {
                goroutines_runtime::yield_now();
            }
            // Some selects may pair with these before the closes.
            let _ = b_rx.try_recv();
            a_tx.close();
            b_rx.close();
            for h in hs {
                h.join().unwrap();
            }
            assert_eq!(ended.load(Ordering::SeqCst), 16);
        }
    });
}
