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
use crate::scenario::{fixed, metric, Scenario, HTTP, IDLE};
use crate::shape::Shape;

/// The server http_hello measures is the example's, this very code.
#[path = "../../examples/http_hello.rs"]
#[allow(dead_code)]
mod http_hello;

pub fn run(scenario: &Scenario, p: Params) -> Result<(), String> {
    if scenario.name == HTTP {
        return http_load(Server::Ours, p);
    }
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

/// Whose HTTP server http_hello's load generator runs against.
pub enum Server {
    /// examples/http_hello.rs's `serve`, in a process of its own
    /// (`--http-server`).
    Ours,
    /// Go's net/http (benches/go, `-scenario http_server`).
    Go,
}

/// `--http-server PROCS`: examples/http_hello.rs's server on a free
/// loopback port, as its `#[goroutines::main]` runs it; prints
/// `listening on ADDR`, and shuts down gracefully when stdin closes.
pub fn http_server(args: &[String]) -> std::process::ExitCode {
    let procs = args.first().and_then(|p| p.parse().ok()).unwrap_or(2);
    Builder::new().max_procs(procs).build_global().expect("start the global runtime");
    Shape::Main.run(|| {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind on loopback");
        println!("listening on {}", listener.local_addr().expect("a bound address"));
        let (ctx, stop) = goroutines::Context::background().with_cancel();
        std::thread::spawn(move || {
            let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut Vec::new());
            stop.cancel();
        });
        http_hello::serve(listener, ctx);
    });
    std::process::ExitCode::SUCCESS
}

/// http_hello: starts `server` in a process of its own, then sends it n
/// keep-alive GETs over `fixed::HTTP_CONNS` connections with the example's
/// own client (`load`), on this process's runtime.
pub fn http_load(server: Server, p: Params) -> Result<(), String> {
    child::cold_only(p).map_err(|_| "http_hello: one fresh process per run (--runs 1, no --warmup or --serve)")?;
    let mut cmd = match server {
        Server::Ours => {
            let mut cmd = std::process::Command::new(std::env::current_exe().map_err(|e| e.to_string())?);
            cmd.args(["--http-server", &p.procs.to_string()]);
            cmd
        }
        Server::Go => {
            let mut cmd = std::process::Command::new(crate::golang::bin());
            cmd.args(["-scenario", "http_server", "-procs", &p.procs.to_string()]);
            cmd
        }
    };
    let mut child = cmd
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start the HTTP server: {e}"))?;
    let mut line = String::new();
    // Kept open until the server ends: it prints as it shuts down.
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("piped stdout"));
    std::io::BufRead::read_line(&mut stdout, &mut line).map_err(|e| e.to_string())?;
    let addr: std::net::SocketAddr = line
        .trim()
        .strip_prefix("listening on ")
        .and_then(|a| a.parse().ok())
        .ok_or(format!("the HTTP server said {line:?}, not its address"))?;
    Builder::new().max_procs(p.procs).build_global().expect("start the global runtime");
    let took = Shape::Main.run(move || http_hello::load(addr, fixed::HTTP_CONNS, p.n));
    emit(metric::HTTP_NS, took.as_nanos());
    drop(child.stdin.take());
    let _ = std::io::Read::read_to_end(&mut stdout, &mut Vec::new());
    let _ = child.wait();
    Ok(())
}
