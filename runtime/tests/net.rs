//! goroutines::net: sockets that suspend goroutines.

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::time::{Duration, Instant};

mod common;

use goroutines_runtime::net::{TcpListener, TcpStream, UdpSocket, UnixListener, UnixStream};
use goroutines_runtime::{chan, spawn, Builder, WaitGroup};

/// Generous: only catches a hang.
const HANG: Duration = Duration::from_secs(30);

fn echo_once(conn: TcpStream) -> io::Result<()> {
    let mut buf = [0u8; 64];
    let mut conn = conn;
    loop {
        let n = conn.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        conn.write_all(&buf[..n])?;
    }
}

#[test]
fn echo_from_goroutines() {
    let rt = Builder::new().max_procs(2).build().unwrap();
    rt.block_on(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = spawn(move || {
            for conn in listener.incoming().take(4) {
                let conn = conn.unwrap();
                spawn(move || echo_once(conn).unwrap());
            }
        });
        let wg = WaitGroup::new();
        for c in 0..4u8 {
            wg.add(1);
            let wg = wg.clone();
            spawn(move || {
                let mut s = TcpStream::connect(addr).unwrap();
                for i in 0..100u8 {
                    let msg = [c, i, 7, 9];
                    s.write_all(&msg).unwrap();
                    let mut back = [0u8; 4];
                    s.read_exact(&mut back).unwrap();
                    assert_eq!(back, msg);
                }
                wg.done();
            });
        }
        wg.wait();
        server.join().unwrap();
    });
}

#[test]
fn plain_thread_client_and_server() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (conn, _) = listener.accept().unwrap();
        echo_once(conn).unwrap();
    });
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(b"ping").unwrap();
    let mut back = [0u8; 4];
    s.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"ping");
    drop(s);
    server.join().unwrap();
}

#[test]
fn read_deadline_times_out_while_the_worker_runs_others() {
    let rt = Builder::new().max_procs(1).build().unwrap();
    rt.block_on(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (_conn_tx, conn_rx) = chan::<TcpStream>(1);
        let hold = spawn(move || {
            let (c, _) = listener.accept().unwrap();
            let _keep = conn_rx;
            c
        });
        let s = TcpStream::connect(addr).unwrap();
        let _server_side = hold.join().unwrap();
        // Another goroutine on the same (only) worker keeps running.
        let (tick_tx, tick_rx) = chan::<u32>(0);
        spawn(move || {
            for i in 0..5 {
                goroutines_runtime::time::sleep(Duration::from_millis(10));
                tick_tx.send(i).unwrap();
            }
        });
        let reader = spawn(move || {
            s.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
            let start = Instant::now();
            let err = (&s).read(&mut [0u8; 8]).unwrap_err();
            (err.kind(), start.elapsed())
        });
        let ticks: Vec<u32> = tick_rx.iter().collect();
        assert_eq!(ticks, [0, 1, 2, 3, 4]);
        let (kind, took) = reader.join().unwrap();
        assert_eq!(kind, io::ErrorKind::TimedOut);
        assert!(took >= Duration::from_millis(200) && took < HANG, "{took:?}");
    });
}

#[test]
fn deadline_set_while_blocked_applies() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let s = TcpStream::connect(addr).unwrap();
    let (_peer, _) = listener.accept().unwrap();
    let reader = {
        let s = s.try_clone().unwrap();
        spawn(move || (&s).read(&mut [0u8; 8]).unwrap_err().kind())
    };
    goroutines_runtime::time::sleep(Duration::from_millis(50));
    s.set_read_deadline(Some(Instant::now())).unwrap();
    assert_eq!(reader.join().unwrap(), io::ErrorKind::TimedOut);
}

#[test]
fn shutdown_through_a_clone_wakes_a_blocked_reader() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let s = TcpStream::connect(addr).unwrap();
    let (_peer, _) = listener.accept().unwrap();
    let reader = {
        let s = s.try_clone().unwrap();
        spawn(move || (&s).read(&mut [0u8; 8]))
    };
    goroutines_runtime::time::sleep(Duration::from_millis(50));
    s.shutdown(Shutdown::Read).unwrap();
    assert_eq!(reader.join().unwrap().unwrap(), 0);
}

#[test]
fn closing_a_listener_stops_accept_and_incoming() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let closer = listener.try_clone().unwrap();
    let acceptor = spawn(move || listener.incoming().count());
    goroutines_runtime::time::sleep(Duration::from_millis(50));
    let addr = closer.local_addr().unwrap();
    closer.close();
    assert_eq!(acceptor.join().unwrap(), 0);
    assert_eq!(closer.accept().unwrap_err().kind(), io::ErrorKind::NotConnected);
    // As when Go closes its listener: new connections are refused.
    let refused = spawn(move || TcpStream::connect(addr).unwrap_err().kind());
    assert_eq!(refused.join().unwrap(), io::ErrorKind::ConnectionRefused);
}

/// Two goroutines accept on one listener; two connections arrive in one
/// readiness edge. Both are taken: every waiter woken by an edge retries
/// (desc.rs invariant 2).
#[test]
fn two_acceptors_on_one_listener_both_take_a_connection() {
    let rt = Builder::new().max_procs(2).build().unwrap();
    rt.block_on(|| {
        for _ in 0..50 {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let (got_tx, got_rx) = chan::<()>(2);
            let acceptors: Vec<_> = (0..2)
                .map(|_| {
                    let (l, got) = (listener.clone(), got_tx.clone());
                    spawn(move || {
                        let (_c, _) = l.accept().unwrap();
                        got.send(()).unwrap();
                    })
                })
                .collect();
            goroutines_runtime::time::sleep(Duration::from_millis(2));
            let clients: Vec<_> = (0..2).map(|_| std::net::TcpStream::connect(addr).unwrap()).collect();
            got_rx.recv().unwrap();
            got_rx.recv().unwrap();
            for a in acceptors {
                a.join().unwrap();
            }
            drop(clients);
        }
    });
}

#[test]
fn a_timeout_past_the_clock_is_no_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let s = TcpStream::connect_timeout(&addr, Duration::MAX).unwrap();
    let (mut peer, _) = listener.accept().unwrap();
    s.set_read_timeout(Some(Duration::MAX)).unwrap();
    peer.write_all(b"x").unwrap();
    let mut b = [0u8; 1];
    assert_eq!((&s).read(&mut b).unwrap(), 1);
}

#[test]
fn refused_and_in_use_are_io_errors() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let err = TcpListener::bind(addr).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
    drop(listener);
    let h = spawn(move || TcpStream::connect(addr).unwrap_err().kind());
    assert_eq!(h.join().unwrap(), io::ErrorKind::ConnectionRefused);
}

#[test]
fn a_goroutine_waiting_on_a_socket_shows_as_io_wait_and_is_no_deadlock() {
    let rt = Builder::new().max_procs(2).detect_deadlocks(true).build().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // The peer is a plain thread, invisible to the detector: it answers
    // after several of the detector's grace periods (100 ms).
    let peer = std::thread::spawn(move || {
        let (mut c, _) = listener.accept().unwrap();
        std::thread::sleep(Duration::from_millis(500));
        c.write_all(b"late").unwrap();
    });
    let got = rt.block_on(move || {
        let s = TcpStream::connect(addr).unwrap();
        let reader = spawn(move || {
            let mut buf = [0u8; 4];
            (&s).read_exact(&mut buf).unwrap();
            buf
        });
        goroutines_runtime::time::sleep(Duration::from_millis(100));
        let dump = goroutines_runtime::debug::dump();
        assert!(dump.contains("[IO wait"), "{dump}");
        assert!(goroutines_runtime::debug::metrics().in_io_wait >= 1);
        reader.join().unwrap()
    });
    assert_eq!(&got, b"late");
    peer.join().unwrap();
}

#[test]
fn five_hundred_connections_on_two_workers_few_threads() {
    const CONNS: usize = 500;
    let rt = Builder::new().max_procs(2).build().unwrap();
    rt.block_on(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let before = common::thread_count();
        spawn(move || {
            for conn in listener.incoming().take(CONNS) {
                let conn = conn.unwrap();
                spawn(move || echo_once(conn).unwrap());
            }
        });
        let (started, go) = (WaitGroup::new(), WaitGroup::new());
        go.add(1);
        let clients: Vec<_> = (0..CONNS)
            .map(|c| {
                started.add(1);
                let (started, go) = (started.clone(), go.clone());
                spawn(move || {
                    let mut s = TcpStream::connect(addr).unwrap();
                    started.done();
                    go.wait();
                    for i in 0..10u32 {
                        let msg = (c as u32 * 1000 + i).to_le_bytes();
                        s.write_all(&msg).unwrap();
                        let mut back = [0u8; 4];
                        s.read_exact(&mut back).unwrap();
                        assert_eq!(back, msg);
                    }
                })
            })
            .collect();
        // Every connection is open at once here.
        started.wait();
        let during = common::thread_count();
        go.done();
        for c in clients {
            c.join().unwrap();
        }
        // Far from one per connection (or per connect: an address needs no
        // name lookup on the blocking pool). Other tests of this binary
        // start threads meanwhile, hence the margin.
        assert!(during < before + 24, "{before} threads before, {during} with {CONNS} connections");
    });
}

#[test]
fn half_close_lets_the_peer_finish_writing() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = spawn(move || {
        let (mut c, _) = listener.accept().unwrap();
        let mut got = Vec::new();
        c.read_to_end(&mut got).unwrap();
        c.write_all(&got).unwrap();
        c.write_all(b"!").unwrap();
    });
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(b"request").unwrap();
    s.shutdown(Shutdown::Write).unwrap();
    let mut back = Vec::new();
    s.read_to_end(&mut back).unwrap();
    assert_eq!(back, b"request!");
    server.join().unwrap();
}

#[test]
fn a_peer_reset_mid_write_is_an_error_not_a_signal() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let s = TcpStream::connect(addr).unwrap();
    let (peer, _) = listener.accept().unwrap();
    drop(peer);
    let writer = spawn(move || {
        let chunk = vec![0u8; 64 * 1024];
        loop {
            if let Err(e) = (&s).write(&chunk) {
                return e.kind();
            }
        }
    });
    let kind = writer.join().unwrap();
    assert!(matches!(kind, io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset), "{kind:?}");
}

#[test]
fn a_deadline_in_the_past_fails_at_once() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let s = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    s.set_read_deadline(Some(Instant::now() - Duration::from_millis(1))).unwrap();
    let err = (&s).read(&mut [0u8; 4]).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    // As Go's: even with data waiting, a passed deadline fails the read
    // (a deadline set to now stops a reader that always has data).
    let (mut peer, _) = listener.accept().unwrap();
    peer.write_all(b"data").unwrap();
    goroutines_runtime::time::sleep(Duration::from_millis(20));
    assert_eq!((&s).read(&mut [0u8; 4]).unwrap_err().kind(), io::ErrorKind::TimedOut);
    s.set_read_deadline(None).unwrap();
    let mut got = [0u8; 4];
    (&s).read_exact(&mut got).unwrap();
    assert_eq!(&got, b"data", "nothing was taken by the failed reads");
    assert_eq!(s.set_read_timeout(Some(Duration::ZERO)).unwrap_err().kind(), io::ErrorKind::InvalidInput);
}

#[test]
fn into_std_and_back() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let std_listener = listener.into_std().unwrap();
    let client = std::thread::spawn(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.write_all(b"hi").unwrap();
    });
    let (conn, _) = std_listener.accept().unwrap();
    let mut conn = TcpStream::from_std(conn).unwrap();
    let mut buf = [0u8; 2];
    conn.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"hi");
    let clone = conn.try_clone().unwrap();
    assert!(conn.into_std().is_err(), "a clone is alive");
    client.join().unwrap();
    drop(clone);
}

#[test]
fn a_udp_round_trip() {
    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    let to = server.local_addr().unwrap();
    let echo = spawn(move || {
        let mut buf = [0u8; 32];
        let (n, from) = server.recv_from(&mut buf).unwrap();
        server.send_to(&buf[..n], from).unwrap();
    });
    let client = spawn(move || {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        s.connect(to).unwrap();
        s.send(b"datagram").unwrap();
        let mut buf = [0u8; 32];
        let n = s.recv(&mut buf).unwrap();
        buf[..n].to_vec()
    });
    assert_eq!(client.join().unwrap(), b"datagram");
    echo.join().unwrap();
}

#[test]
fn unix_streams_echo_and_pair() {
    let dir = std::env::temp_dir().join(format!("goroutines-net-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("echo.sock");
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path).unwrap();
    let server = spawn(move || {
        let (mut c, _) = listener.accept().unwrap();
        let mut buf = [0u8; 5];
        c.read_exact(&mut buf).unwrap();
        c.write_all(&buf).unwrap();
    });
    let client = {
        let path = path.clone();
        spawn(move || {
            let mut s = UnixStream::connect(&path).unwrap();
            s.write_all(b"unix!").unwrap();
            let mut buf = [0u8; 5];
            s.read_exact(&mut buf).unwrap();
            buf
        })
    };
    assert_eq!(&client.join().unwrap(), b"unix!");
    server.join().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();

    let (a, b) = UnixStream::pair().unwrap();
    let reader = spawn(move || {
        let mut got = String::new();
        (&b).read_to_string(&mut got).unwrap();
        got
    });
    (&a).write_all(b"over a pair").unwrap();
    drop(a);
    assert_eq!(reader.join().unwrap(), "over a pair");
}

/// Out of file descriptors, `accept` fails with `EMFILE` while the
/// connections wait in the backlog; an accept loop that backs off, as the
/// docs say, takes them all once descriptors free up.
#[test]
fn fd_exhaustion_makes_accept_fail_and_a_backing_off_loop_recovers() {
    const NAME: &str = "fd_exhaustion_makes_accept_fail_and_a_backing_off_loop_recovers";
    const CONNS: usize = 20;
    if common::is_child(NAME) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        // Connected in the kernel's backlog, not accepted yet.
        let clients: Vec<_> = (0..CONNS).map(|_| std::net::TcpStream::connect(addr).unwrap()).collect();
        let open = std::fs::read_dir("/proc/self/fd").unwrap().count() as u64;
        let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: reads this process's limit into a local.
        assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) }, 0);
        let tight = libc::rlimit { rlim_cur: open + 4, rlim_max: limit.rlim_max };
        // SAFETY: lowers this process's own soft limit.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &tight) }, 0);
        let (accepted, emfile) = spawn(move || {
            let (mut held, mut accepted, mut emfile) = (Vec::new(), 0, 0);
            let mut backoff = Duration::from_millis(5);
            while accepted < CONNS {
                match listener.accept() {
                    Ok((c, _)) => {
                        accepted += 1;
                        held.push(c);
                        backoff = Duration::from_millis(5);
                    }
                    Err(e) => {
                        assert_eq!(e.raw_os_error(), Some(libc::EMFILE), "{e}");
                        emfile += 1;
                        // Connections end meanwhile, as they do in a server.
                        held.clear();
                        goroutines_runtime::time::sleep(backoff);
                        backoff = (backoff * 2).min(Duration::from_secs(1));
                    }
                }
            }
            (accepted, emfile)
        })
        .join()
        .unwrap();
        drop(clients);
        println!("accepted={accepted} emfile={emfile}");
        return;
    }
    let out = common::run_child(NAME, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let line = stdout.lines().find_map(|l| l.find("accepted=").map(|i| &l[i..])).expect("the child reports");
    assert!(line.starts_with(&format!("accepted={CONNS} ")), "{line}");
    assert!(!line.ends_with("emfile=0"), "accept never ran out of descriptors: {line}");
}

#[test]
fn a_context_ends_a_blocked_read_through_after_func() {
    use goroutines_runtime::context::Context;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let s = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (_peer, _) = listener.accept().unwrap();
    let (ctx, cancel) = Context::background().with_cancel();
    // Go's idiom: context.AfterFunc(ctx, func() { conn.SetReadDeadline(time.Now()) }).
    let waker = s.try_clone().unwrap();
    let _stop = ctx.after_func(move || waker.set_read_deadline(Some(Instant::now())).unwrap());
    let reader = spawn(move || (&s).read(&mut [0u8; 8]).unwrap_err().kind());
    goroutines_runtime::time::sleep(Duration::from_millis(30));
    cancel.cancel();
    assert_eq!(reader.join().unwrap(), io::ErrorKind::TimedOut);
}

#[test]
fn a_write_times_out_when_the_peer_stops_reading_and_the_worker_runs_others() {
    let rt = Builder::new().max_procs(1).build().unwrap();
    rt.block_on(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let s = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (_peer, _) = listener.accept().unwrap();
        let (tick_tx, tick_rx) = chan::<u32>(0);
        spawn(move || {
            for i in 0..3 {
                goroutines_runtime::time::sleep(Duration::from_millis(10));
                tick_tx.send(i).unwrap();
            }
        });
        let writer = spawn(move || {
            s.set_write_timeout(Some(Duration::from_millis(150))).unwrap();
            let chunk = vec![1u8; 64 * 1024];
            let mut written = 0usize;
            loop {
                match (&s).write(&chunk) {
                    Ok(n) => written += n,
                    Err(e) => return (e.kind(), written),
                }
            }
        });
        assert_eq!(tick_rx.iter().count(), 3, "the other goroutine ran meanwhile");
        let (kind, written) = writer.join().unwrap();
        assert_eq!(kind, io::ErrorKind::TimedOut);
        assert!(written > 0, "the kernel buffers took some first");
    });
}

#[test]
fn a_plain_thread_read_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let s = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (_peer, _) = listener.accept().unwrap();
    s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    let start = Instant::now();
    let err = (&s).read(&mut [0u8; 8]).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    assert!(start.elapsed() >= Duration::from_millis(50) && start.elapsed() < HANG);
}

/// Reads shorter than the read-ahead take from bytes read ahead, in order;
/// `peek` sees them; `into_std` refuses to drop them; after a short read,
/// an end of stream or a reset still ends the next read at once.
#[test]
fn bytes_read_ahead_are_handed_out_in_order_and_never_lost() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let s = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (mut peer, _) = listener.accept().unwrap();
    // Reads read ahead once data has come (read_ahead.rs invariant 3).
    peer.write_all(b"0").unwrap();
    let mut first = [0u8; 1];
    (&s).read_exact(&mut first).unwrap();
    peer.write_all(b"abcdef").unwrap();
    // All six in the socket before the read that reads ahead.
    while s.peek(&mut [0u8; 8]).unwrap() < 6 {
        goroutines_runtime::time::sleep(Duration::from_millis(1));
    }
    let mut two = [0u8; 2];
    (&s).read_exact(&mut two).unwrap();
    assert_eq!(&two, b"ab");
    let mut peeked = [0u8; 8];
    let n = s.peek(&mut peeked).unwrap();
    assert_eq!(&peeked[..n], b"cdef", "peek sees the bytes read ahead");
    let clone = s.try_clone().unwrap();
    drop(clone);
    let err = s.clone().into_std().unwrap_err();
    assert!(err.to_string().contains("read ahead"), "{err}");
    let mut rest = [0u8; 4];
    (&s).read_exact(&mut rest).unwrap();
    assert_eq!(&rest, b"cdef");

    // A short read, then the peer resets: the next read fails at once.
    peer.write_all(b"xy").unwrap();
    let mut buf = [0u8; 16];
    assert_eq!((&s).read(&mut buf).unwrap(), 2);
    let std_peer = peer.into_std().unwrap();
    socket_linger_zero(&std_peer);
    drop(std_peer);
    let reader = spawn(move || (&s).read(&mut [0u8; 16]).map_err(|e| e.kind()));
    assert_eq!(reader.join().unwrap(), Err(io::ErrorKind::ConnectionReset));
}

/// Makes a close send a reset (SO_LINGER with a zero timeout).
fn socket_linger_zero(s: &std::net::TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger { l_onoff: 1, l_linger: 0 };
    // SAFETY: sets an option on a live socket from a local of the right size.
    let rc = unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0);
}

#[test]
fn the_leak_check_sees_a_goroutine_left_waiting_on_a_socket() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let leaked = goroutines_runtime::debug::leak_check(move || {
        // Left behind, parked in accept: nobody connects.
        drop(spawn(move || listener.accept().map(|_| ())));
    })
    .unwrap_err();
    assert_eq!(leaked.goroutines.len(), 1);
    let text = leaked.to_string();
    assert!(text.contains("IO wait"), "{text}");
    assert!(text.contains("net.rs"), "the wait site is the test's accept: {text}");
    // Let it end.
    drop(TcpStream::connect(addr).unwrap());
}
