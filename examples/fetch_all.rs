//! A client fan-out as a Go programmer writes one: fetch many URLs with at
//! most 4 requests in flight (a `Group` with a limit: errgroup's
//! `SetLimit`), each request under its own deadline (a `Context` with a
//! timeout, applied to the socket), and the first hard failure cancelling
//! the rest.
//!
//! `cargo run --release --example fetch_all`. It starts a small local HTTP
//! server first (some items are slow, one is missing), so it needs no
//! network.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use goroutines::net::{TcpListener, TcpStream};
use goroutines::prelude::*;

/// Each request's deadline.
const PER_REQUEST: Duration = Duration::from_millis(300);

/// GETs `path` under `ctx`: its deadline bounds the connect and every read
/// and write; its cancellation ends a request in progress.
fn fetch(ctx: &Context, addr: SocketAddr, path: &str) -> io::Result<(u16, String)> {
    let deadline = ctx.deadline().unwrap_or_else(|| Instant::now() + Duration::from_secs(30));
    let left = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(1));
    let mut conn = TcpStream::connect_timeout(&addr, left)?;
    conn.set_deadline(Some(deadline))?;
    // Cancelled early (a sibling failed): wake whatever read or write waits.
    let waker = conn.try_clone()?;
    let stop = ctx.after_func(move || {
        let _ = waker.set_deadline(Some(Instant::now()));
    });
    write!(conn, "GET {path} HTTP/1.1\r\nHost: local\r\nConnection: close\r\n\r\n")?;
    let mut reply = Vec::new();
    let read = conn.read_to_end(&mut reply);
    stop.stop();
    read?;
    let mut headers = [httparse::EMPTY_HEADER; 16];
    let mut resp = httparse::Response::new(&mut headers);
    let bad = |e: String| io::Error::new(io::ErrorKind::InvalidData, e);
    match resp.parse(&reply).map_err(|e| bad(e.to_string()))? {
        httparse::Status::Complete(head) => {
            Ok((resp.code.unwrap_or(0), String::from_utf8_lossy(&reply[head..]).into_owned()))
        }
        httparse::Status::Partial => Err(bad("a truncated response".into())),
    }
}

/// The demo's server: `/item/N` answers after N * 40 ms, `/missing` is 404.
fn start_server() -> io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    go!(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            go!(move || {
                let mut buf = [0u8; 1024];
                let Ok(n) = conn.read(&mut buf) else { return };
                let line = String::from_utf8_lossy(&buf[..n]);
                let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
                let (status, body) = match path.strip_prefix("/item/").and_then(|n| n.parse::<u64>().ok()) {
                    Some(n) => {
                        sleep(Duration::from_millis(n * 40));
                        ("200 OK", format!("item {n}"))
                    }
                    None => ("404 Not Found", "no such item".to_string()),
                };
                let _ = write!(conn, "HTTP/1.1 {status}\r\nContent-Length: {}\r\n\r\n{body}", body.len());
            });
        }
    });
    Ok(addr)
}

#[goroutines::main]
fn main() -> io::Result<()> {
    let addr = start_server()?;

    // 1. Fetch everything, 4 at a time, each under its own deadline; a
    //    slow item times out and is reported, the others are not held up.
    let paths: Vec<String> = (0..12).map(|i| format!("/item/{}", i % 10)).collect();
    let start = Instant::now();
    let (results_tx, results_rx) = chan(paths.len());
    let group: Group<io::Error> = Group::new();
    group.set_limit(4);
    for path in paths {
        let (ctx, results_tx) = (group.context().clone(), results_tx.clone());
        group.go(move || {
            let (ctx, _cancel) = ctx.with_timeout(PER_REQUEST);
            let result = fetch(&ctx, addr, &path);
            results_tx.send((path, result)).expect("room for every result");
            Ok(())
        });
    }
    drop(results_tx);
    group.wait()?;
    for (path, result) in results_rx {
        match result {
            Ok((status, body)) => println!("{path:<10} {status} {body:?}"),
            Err(e) if e.kind() == io::ErrorKind::TimedOut => println!("{path:<10} gave up after {PER_REQUEST:?}"),
            Err(e) => println!("{path:<10} {e}"),
        }
    }
    println!("12 fetches, 4 at a time: {:?}\n", start.elapsed());

    // 2. All or nothing: the first failure (a 404) cancels the group's
    //    context, and the requests in flight stop at once.
    let start = Instant::now();
    let group: Group<String> = Group::new();
    for path in ["/item/9", "/missing", "/item/8", "/item/7"] {
        let ctx = group.context().clone();
        group.go(move || match fetch(&ctx, addr, path) {
            Ok((200, _)) => Ok(()),
            Ok((status, _)) => Err(format!("{path}: status {status}")),
            Err(e) => Err(format!("{path}: {e} (cancelled by the first failure)")),
        });
    }
    println!("all or nothing: {:?} after {:?}", group.wait(), start.elapsed());
    Ok(())
}
