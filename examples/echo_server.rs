//! A TCP echo server as a Go programmer writes it: an accept loop, a
//! goroutine per connection, plain blocking reads and writes (each one
//! suspends only its goroutine), an idle deadline per connection, and a
//! graceful shutdown.
//!
//! `cargo run --release --example echo_server` serves on a free loopback
//! port, talks to itself with 100 client goroutines, prints what it
//! measured, and shuts down. With an address it serves until Ctrl-C:
//! `cargo run --release --example echo_server -- 127.0.0.1:7000`, then
//! `nc 127.0.0.1 7000` in another terminal.

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use goroutines::net::{TcpListener, TcpStream};
use goroutines::prelude::*;

/// How long a connection may stay silent before the server hangs up
/// (Go's `conn.SetReadDeadline(time.Now().Add(idle))` before each read).
const IDLE: Duration = Duration::from_secs(30);

/// Echoes until the client hangs up, errs, or stays silent for `IDLE`.
fn handle(mut conn: TcpStream) -> io::Result<u64> {
    let mut buf = [0u8; 4096];
    let mut echoed = 0;
    loop {
        conn.set_read_deadline(Some(Instant::now() + IDLE))?;
        let n = match conn.read(&mut buf) {
            Ok(0) => return Ok(echoed),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::TimedOut => return Ok(echoed),
            Err(e) => return Err(e),
        };
        conn.write_all(&buf[..n])?;
        echoed += n as u64;
    }
}

/// Accepts until `ctx` is done, a goroutine per connection; then waits for
/// the connections in flight (Go's `http.Server.Shutdown`). Returns how
/// many connections it served.
fn serve(listener: TcpListener, ctx: Context) -> usize {
    // Stop accepting when the context ends: close the listener from
    // another goroutine, and `incoming()` ends.
    let closer = listener.try_clone().expect("a clone shares the listener");
    go!(move || {
        let _ = ctx.done().recv();
        closer.close();
    });
    let in_flight = WaitGroup::new();
    let mut served = 0;
    let mut backoff = Duration::from_millis(5);
    for conn in listener.incoming() {
        match conn {
            Ok(conn) => {
                backoff = Duration::from_millis(5);
                served += 1;
                in_flight.go(move || {
                    if let Err(e) = handle(conn) {
                        eprintln!("connection: {e}");
                    }
                });
            }
            // Out of file descriptors, or a connection reset before we
            // took it: back off rather than spin, as Go's server does.
            Err(e) => {
                eprintln!("accept: {e}; retrying in {backoff:?}");
                sleep(backoff);
                backoff = (backoff * 2).min(Duration::from_secs(1));
            }
        }
    }
    in_flight.wait();
    served
}

/// 100 client goroutines, 1,000 round trips of 64 bytes each.
fn talk_to(addr: std::net::SocketAddr) -> Duration {
    const CLIENTS: usize = 100;
    const ROUND_TRIPS: usize = 1_000;
    let start = Instant::now();
    let wg = WaitGroup::new();
    for id in 0..CLIENTS {
        wg.go(move || {
            let mut conn = TcpStream::connect(addr).expect("connect");
            let mut msg = [id as u8; 64];
            for _ in 0..ROUND_TRIPS {
                conn.write_all(&msg).expect("write");
                conn.read_exact(&mut msg).expect("read the echo");
                assert_eq!(msg, [id as u8; 64]);
            }
        });
    }
    wg.wait();
    let took = start.elapsed();
    println!(
        "{CLIENTS} clients x {ROUND_TRIPS} round trips: {:.1} us per round trip, on {} worker threads",
        took.as_secs_f64() * 1e6 / (CLIENTS * ROUND_TRIPS) as f64,
        max_procs()
    );
    took
}

#[goroutines::main]
fn main() -> io::Result<()> {
    if let Some(addr) = std::env::args().nth(1) {
        let listener = TcpListener::bind(addr)?;
        println!("echoing on {}; Ctrl-C stops accepting, then waits for the connections", listener.local_addr()?);
        let served = serve(listener, Context::on_signals());
        println!("served {served} connections; bye");
        return Ok(());
    }
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    println!("echoing on {addr}");
    let (ctx, stop) = Context::background().with_cancel();
    let server = go!(move || serve(listener, ctx));
    talk_to(addr);
    stop.cancel();
    let served = server.join().expect("the server goroutine ends");
    println!("stopped accepting; served {served} connections, all finished");
    Ok(())
}
