//! A small HTTP/1.1 server as a Go programmer writes one: a goroutine per
//! connection, keep-alive, request heads parsed with `httparse`, an idle
//! deadline per connection, and a graceful shutdown on Ctrl-C (Go's
//! `http.Server.Shutdown`: stop accepting, close idle connections, let the
//! requests in flight finish, all within a deadline).
//!
//! `cargo run --release --example http_hello` serves on 127.0.0.1:8080 until
//! Ctrl-C; try `curl -v http://127.0.0.1:8080/`. An address may be given
//! (`-- 0.0.0.0:8000`; port 0 picks a free one, printed). With
//! `-- --self-test` it serves on a free port, sends 20,000 keep-alive
//! requests from 64 client goroutines, prints the rate, and shuts down.

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use goroutines::net::{TcpListener, TcpStream};
use goroutines::prelude::*;

/// How long a keep-alive connection may wait for its next request.
const IDLE: Duration = Duration::from_secs(60);
/// The largest request head accepted.
const MAX_HEAD: usize = 16 * 1024;
/// How long a shutdown waits for the requests in flight.
const DRAIN: Duration = Duration::from_secs(5);

const BODY: &[u8] = b"Hello, World!\n";

/// What one parsed request asks of the connection.
struct Parsed {
    /// Bytes of the buffer it used: head and body.
    len: usize,
    keep_alive: bool,
}

/// Parses one request at the front of `buf`: `None` if it is not all there
/// yet.
fn parse(buf: &[u8]) -> Result<Option<Parsed>, String> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut req = httparse::Request::new(&mut headers);
    let head = match req.parse(buf).map_err(|e| e.to_string())? {
        httparse::Status::Complete(n) => n,
        httparse::Status::Partial => return Ok(None),
    };
    let header = |name: &str| req.headers.iter().find(|h| h.name.eq_ignore_ascii_case(name)).map(|h| h.value);
    let body: usize = match header("content-length") {
        Some(v) => std::str::from_utf8(v).ok().and_then(|v| v.trim().parse().ok()).ok_or("bad Content-Length")?,
        None => 0,
    };
    let close = header("connection").is_some_and(|v| v.eq_ignore_ascii_case(b"close"));
    let keep_alive = !close && req.version == Some(1);
    if buf.len() < head + body {
        return Ok(None);
    }
    Ok(Some(Parsed { len: head + body, keep_alive }))
}

/// Serves one connection's requests until it closes, errs, idles past
/// `IDLE`, or the server shuts down (`ctx`).
fn handle(conn: TcpStream, ctx: &Context) -> io::Result<()> {
    // Shutdown closes idle connections: a read waiting for the next request
    // wakes with TimedOut (Go's Shutdown closes them likewise).
    let waker = conn.try_clone()?;
    let on_shutdown = ctx.after_func(move || {
        let _ = waker.set_read_deadline(Some(Instant::now()));
    });
    let mut buf = Vec::with_capacity(4096);
    let mut out = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    let result = loop {
        // Answer every complete request in the buffer (pipelining).
        let mut keep_alive = true;
        while let Some(req) = parse(&buf).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))? {
            buf.drain(..req.len);
            keep_alive = req.keep_alive && !ctx.is_cancelled();
            let connection = if keep_alive { "keep-alive" } else { "close" };
            write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: {connection}\r\n\r\n",
                BODY.len()
            )?;
            out.extend_from_slice(BODY);
            if !keep_alive {
                break;
            }
        }
        if !out.is_empty() {
            (&conn).write_all(&out)?;
            out.clear();
        }
        if !keep_alive {
            break Ok(());
        }
        if buf.len() > MAX_HEAD {
            break (&conn).write_all(b"HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n");
        }
        conn.set_read_deadline(Some(Instant::now() + IDLE))?;
        match (&conn).read(&mut chunk) {
            Ok(0) => break Ok(()),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            // Idle too long, or the server shuts down.
            Err(e) if e.kind() == io::ErrorKind::TimedOut => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    on_shutdown.stop();
    result
}

/// Accepts until `ctx` is cancelled, then waits up to `DRAIN` for the
/// connections in flight. Returns how many it served. (Public, as `load`
/// is: the benchmarks measure this very server, `benches/runtime`.)
pub fn serve(listener: TcpListener, ctx: Context) -> usize {
    let closer = listener.try_clone().expect("a clone shares the listener");
    let _stop_accepting = ctx.after_func(move || closer.close());
    let in_flight = WaitGroup::new();
    let mut served = 0;
    let mut backoff = Duration::from_millis(5);
    for conn in listener.incoming() {
        match conn {
            Ok(conn) => {
                backoff = Duration::from_millis(5);
                served += 1;
                let _ = conn.set_nodelay(true);
                let ctx = ctx.clone();
                in_flight.go(move || {
                    if let Err(e) = handle(conn, &ctx) {
                        if e.kind() != io::ErrorKind::ConnectionReset && e.kind() != io::ErrorKind::BrokenPipe {
                            eprintln!("connection: {e}");
                        }
                    }
                });
            }
            Err(e) => {
                // Out of file descriptors, say: back off as Go's server does.
                eprintln!("accept: {e}; retrying in {backoff:?}");
                sleep(backoff);
                backoff = (backoff * 2).min(Duration::from_secs(1));
            }
        }
    }
    match goroutines::time::timeout(DRAIN, move || in_flight.wait()) {
        Ok(()) => println!("shut down: every connection finished"),
        Err(_) => println!("shut down: connections still open after {DRAIN:?}, left behind"),
    }
    served
}

/// `clients` goroutines send `requests` keep-alive GETs in all.
pub fn load(addr: std::net::SocketAddr, clients: usize, requests: usize) -> Duration {
    let start = Instant::now();
    let wg = WaitGroup::new();
    for _ in 0..clients {
        wg.go(move || {
            let mut conn = TcpStream::connect(addr).expect("connect");
            conn.set_nodelay(true).expect("TCP_NODELAY");
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            for _ in 0..requests / clients {
                conn.write_all(b"GET / HTTP/1.1\r\nHost: hello\r\n\r\n").expect("send a request");
                // Read one response: its head, then Content-Length bytes.
                loop {
                    let mut headers = [httparse::EMPTY_HEADER; 16];
                    let mut resp = httparse::Response::new(&mut headers);
                    if let httparse::Status::Complete(head) = resp.parse(&buf).expect("a valid response") {
                        let len: usize = resp
                            .headers
                            .iter()
                            .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                            .and_then(|h| std::str::from_utf8(h.value).ok()?.parse().ok())
                            .expect("a Content-Length");
                        if buf.len() >= head + len {
                            assert_eq!(&buf[head..head + len], BODY);
                            buf.drain(..head + len);
                            break;
                        }
                    }
                    let n = conn.read(&mut chunk).expect("read a response");
                    assert!(n > 0, "the server closed a keep-alive connection");
                    buf.extend_from_slice(&chunk[..n]);
                }
            }
        });
    }
    wg.wait();
    start.elapsed()
}

#[goroutines::main]
fn main() -> io::Result<()> {
    let arg = std::env::args().nth(1);
    if arg.as_deref() == Some("--self-test") {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let (ctx, stop) = Context::background().with_cancel();
        let server = go!(move || serve(listener, ctx));
        let (clients, requests) = (64, 20_000);
        let took = load(addr, clients, requests);
        println!(
            "{requests} keep-alive requests from {clients} client goroutines: {:.0} requests/s",
            requests as f64 / took.as_secs_f64()
        );
        stop.cancel();
        let served = server.join().expect("the server goroutine ends");
        println!("served {served} connections");
        return Ok(());
    }
    let listener = TcpListener::bind(arg.as_deref().unwrap_or("127.0.0.1:8080"))?;
    // The bench harness reads this line for the address.
    println!("listening on {}", listener.local_addr()?);
    let served = serve(listener, Context::on_signals());
    println!("served {served} connections; bye");
    Ok(())
}
