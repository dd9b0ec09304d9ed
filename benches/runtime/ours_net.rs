//! The network scenarios on our runtime, as a Go programmer writes them
//! with `goroutines::net`: a goroutine per connection, a goroutine per
//! client, blocking reads and writes.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use goroutines::net::{TcpListener, TcpStream};
use goroutines::{Builder, WaitGroup};

use crate::child::{self, emit, Params};
use crate::connector::Connector;
use crate::procfs;
use crate::scenario::{fixed, metric, Scenario, IDLE};

pub fn run(scenario: &Scenario, p: Params) -> Result<(), String> {
    Builder::new().max_procs(p.procs).build_global().expect("start the global runtime");
    if scenario.name == IDLE {
        child::cold_only(p)?;
        procfs::raise_nofile(fixed::NOFILE);
        let run = p.shape.run(move || idle(p.n));
        emit(metric::IDLE_RSS_PER_CONN, (run.rss_after as f64 - run.rss_before as f64) / p.n as f64);
        emit(metric::IDLE_THREADS, run.threads);
        emit(metric::IDLE_SETUP_NS, run.setup.as_nanos());
        return Ok(());
    }
    let clients = fixed::echo_clients(scenario.name).ok_or(format!("{} is no echo scenario", scenario.name))?;
    child::repeat(p, metric::ECHO_NS, || p.shape.run(move || echo(clients, p.n)))
}

/// Echoes `ECHO_MSG`-byte messages until the client hangs up.
fn serve_echo(conn: TcpStream) {
    let mut conn = conn;
    let mut buf = [0u8; fixed::ECHO_MSG];
    while conn.read_exact(&mut buf).is_ok() && conn.write_all(&buf).is_ok() {}
}

/// `clients` clients, each connected before the clock starts, do `n`
/// round trips in all against a goroutine-per-connection echo server.
fn echo(clients: usize, n: usize) -> Duration {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind on loopback");
    let addr = listener.local_addr().expect("a bound address");
    let served = WaitGroup::new();
    let acceptor = {
        let (listener, served) = (listener.clone(), served.clone());
        goroutines::spawn(move || {
            for conn in listener.incoming() {
                let conn = conn.expect("accept");
                conn.set_nodelay(true).expect("TCP_NODELAY");
                served.add(1);
                let served = served.clone();
                goroutines::spawn(move || {
                    serve_echo(conn);
                    served.done();
                });
            }
        })
    };
    let (connected, start, finished) = (WaitGroup::new(), WaitGroup::new(), WaitGroup::new());
    start.add(1);
    for _ in 0..clients {
        connected.add(1);
        finished.add(1);
        let (connected, start, finished) = (connected.clone(), start.clone(), finished.clone());
        goroutines::spawn(move || {
            let mut s = TcpStream::connect(addr).expect("connect on loopback");
            s.set_nodelay(true).expect("TCP_NODELAY");
            connected.done();
            start.wait();
            let mut buf = [7u8; fixed::ECHO_MSG];
            for _ in 0..n / clients {
                s.write_all(&buf).expect("the server reads");
                s.read_exact(&mut buf).expect("the server echoes");
            }
            drop(s);
            finished.done();
        });
    }
    connected.wait();
    let clock = Instant::now();
    start.done();
    finished.wait();
    let took = clock.elapsed();
    // Nothing of this run outlives it.
    listener.close();
    acceptor.join().expect("the accept loop ends");
    served.wait();
    took
}

struct IdleRun {
    setup: Duration,
    rss_before: u64,
    rss_after: u64,
    threads: u64,
}

/// `n` connections, each with a reader goroutine parked in `read`; their
/// clients are another process's.
fn idle(n: usize) -> IdleRun {
    let rss_before = procfs::rss_bytes();
    let clock = Instant::now();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind on loopback");
    let addr = listener.local_addr().expect("a bound address");
    let (started, ended) = (WaitGroup::new(), WaitGroup::new());
    started.add(n);
    ended.add(n);
    {
        let (listener, started, ended) = (listener.clone(), started.clone(), ended.clone());
        goroutines::spawn(move || {
            for conn in listener.incoming().take(n) {
                let conn = conn.expect("accept");
                let (started, ended) = (started.clone(), ended.clone());
                goroutines::spawn(move || {
                    let mut buf = [0u8; 64];
                    started.done();
                    // Nobody writes: it parks until the client hangs up.
                    let _ = (&conn).read(&mut buf);
                    ended.done();
                });
            }
        });
    }
    // The clients' ends live in another process (connector.rs).
    // Starting it waits on a pipe: std I/O, so on the blocking pool.
    let clients = goroutines::blocking(|| Connector::start(addr, n));
    started.wait();
    goroutines::time::sleep(Duration::from_millis(50));
    let setup = clock.elapsed();
    let run = IdleRun { setup, rss_before, rss_after: procfs::rss_bytes(), threads: procfs::threads() };
    // Its end waits for the process: std I/O again.
    goroutines::blocking(move || drop(clients));
    ended.wait();
    listener.close();
    run
}
