//! The network poller's wake-up paths under load: readiness racing a
//! park, a deadline racing readiness, and a worker asleep in epoll woken
//! for other work (scheduler/netpoll.rs invariant 2). A lost wake-up shows
//! as a hang, which the watchdog turns into a failure.

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use goroutines_runtime::net::{TcpListener, TcpStream, UnixStream};
use goroutines_runtime::{chan, spawn, Builder, WaitGroup};

/// Aborts the test process if `what` has not finished in a generous time:
/// a lost wake-up hangs instead of failing.
fn watchdog(what: &'static str) -> std::sync::mpsc::Sender<()> {
    let (done, wait) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        if wait.recv_timeout(Duration::from_secs(120)) == Err(std::sync::mpsc::RecvTimeoutError::Timeout) {
            eprintln!("{what}: no progress in 120 s (a lost wake-up?)\n{}", goroutines_runtime::debug::dump());
            std::process::abort();
        }
    });
    done
}

/// Pairs of goroutines bounce one byte over Unix socket pairs: every read
/// finds the socket empty first and parks while the peer's write races it.
#[test]
fn readiness_racing_parks_loses_no_wake_up() {
    let _guard = watchdog("readiness_racing_parks_loses_no_wake_up");
    const PAIRS: usize = 8;
    const ROUND_TRIPS: usize = 2_000;
    let rt = Builder::new().max_procs(2).build().unwrap();
    rt.block_on(|| {
        let wg = WaitGroup::new();
        for _ in 0..PAIRS {
            let (a, b) = UnixStream::pair().unwrap();
            wg.go(move || {
                let mut byte = [0u8; 1];
                for i in 0..ROUND_TRIPS {
                    (&a).write_all(&[i as u8]).unwrap();
                    (&a).read_exact(&mut byte).unwrap();
                    assert_eq!(byte[0], i as u8);
                }
            });
            // Spread: the echo may start on either worker.
            goroutines_runtime::yield_now();
            wg.go(move || {
                let mut byte = [0u8; 1];
                while (&b).read_exact(&mut byte).is_ok() {
                    (&b).write_all(&byte).unwrap();
                }
            });
        }
        wg.wait();
    });
}

/// A read with a deadline a few microseconds away races a write: each
/// round ends with the byte or `TimedOut`, never a hang, and a byte a
/// timed-out read did not take is still there for the next one.
#[test]
fn deadlines_racing_readiness_lose_neither_wake_up_nor_data() {
    let _guard = watchdog("deadlines_racing_readiness_lose_neither_wake_up_nor_data");
    const ROUNDS: u32 = 2_000;
    let rt = Builder::new().max_procs(2).build().unwrap();
    rt.block_on(|| {
        let (a, b) = UnixStream::pair().unwrap();
        let (go_tx, go_rx) = chan::<u32>(0);
        let writer = spawn(move || {
            for i in go_rx {
                // Sometimes before, sometimes after the reader's deadline.
                for _ in 0..(i % 7) * 50 {
                    std::hint::spin_loop();
                }
                (&b).write_all(&[i as u8]).unwrap();
            }
        });
        let (mut timed_out, mut got) = (0, 0);
        let mut byte = [0u8; 1];
        for i in 0..ROUNDS {
            go_tx.send(i).unwrap();
            a.set_read_deadline(Some(Instant::now() + Duration::from_micros(u64::from(i % 5) * 20))).unwrap();
            match (&a).read(&mut byte) {
                Ok(1) => got += 1,
                Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                    timed_out += 1;
                    // The byte is on its way: it must still arrive.
                    a.set_read_deadline(None).unwrap();
                    (&a).read_exact(&mut byte).unwrap();
                    got += 1;
                }
                other => panic!("round {i}: {other:?}"),
            }
            assert_eq!(byte[0], i as u8, "round {i}: bytes arrive in order, none lost");
        }
        drop(go_tx);
        writer.join().unwrap();
        assert_eq!(got, ROUNDS);
        eprintln!("{timed_out} of {ROUNDS} reads timed out first");
    });
}

/// Worker 0 has a socket registered, so it sleeps in epoll; a plain
/// thread wakes goroutines pinned there through channels, again and
/// again. A wake lost between its announcement and its epoll_wait hangs.
#[test]
fn a_worker_asleep_in_epoll_is_woken_for_other_work() {
    let _guard = watchdog("a_worker_asleep_in_epoll_is_woken_for_other_work");
    const ROUNDS: usize = 20_000;
    let rt = Builder::new().max_procs(1).build().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (to_g, from_main) = chan::<usize>(0);
    let (to_main, from_g) = chan::<usize>(0);
    let g = rt.spawn(move || {
        // An accept that never completes keeps a socket registered with
        // this worker's poller while the loop below runs.
        let idle = spawn(move || listener.accept().map(|_| ()));
        for v in &from_main {
            to_main.send(v + 1).unwrap();
        }
        drop(idle);
    });
    for i in 0..ROUNDS {
        to_g.send(i).unwrap();
        assert_eq!(from_g.recv(), Some(i + 1));
        if i % 1000 == 0 {
            // Let the worker fall asleep for good now and then.
            std::thread::sleep(Duration::from_micros(200));
        }
    }
    drop(to_g);
    g.join().unwrap();
    // The accept is still parked; a connection ends it.
    drop(TcpStream::connect(addr).unwrap());
}
