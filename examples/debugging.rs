//! Debugging goroutines: how many there are, what each is doing and where
//! (Go's goroutine dump), the debug page, and Go's deadlock message.
//!
//! ```text
//! cargo run --release --example debugging              # count, dump, page
//! cargo run --release --example debugging -- serve     # keep the page up (Ctrl-C ends)
//! cargo run --release --example debugging -- deadlock  # end in a deadlock
//! ```

use std::io::{Read, Write};
use std::time::Duration;

use goroutines::debug;
use goroutines::prelude::*;

#[goroutines::main]
fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();

    // Some goroutines with something to wait for: workers blocked on a
    // channel nobody sends on yet, and a ticker loop.
    let (jobs_tx, jobs_rx) = chan::<u64>(0);
    let wg = WaitGroup::new();
    for _ in 0..100 {
        let jobs = jobs_rx.clone();
        wg.go(move || for _job in &jobs {});
    }
    let (ticking, stop_ticking) = Context::background().with_cancel();
    go!(move || {
        let ticker = tick(Duration::from_millis(50));
        loop {
            select! {
                _ = <-ticking.done() => return,
                _ = <-ticker => {}
            }
        }
    });
    sleep(Duration::from_millis(20));

    // 1. How many: Go's runtime.NumGoroutine().
    println!("{} goroutines (main is one)\n", num_goroutines());

    // 2. What each is doing, where it waits and where it was spawned: Go's
    //    dump. debug::goroutines() gives the same as values.
    let dump = debug::dump();
    let first: Vec<&str> = dump.split("\n\n").take(3).collect();
    println!("the dump's first entries:\n\n{}\n...\n", first.join("\n\n"));
    let waiting = debug::goroutines().iter().filter(|g| g.doing() == "chan receive").count();
    println!("{waiting} goroutines wait in a chan receive\n");

    // 3. The debug page, the dump and the metrics over HTTP (loopback only).
    let addr = if mode == "serve" { "127.0.0.1:6060" } else { "127.0.0.1:0" };
    let server = match debug::serve(addr) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot serve the debug page on {addr}: {e}");
            return;
        }
    };
    let at = server.local_addr();
    println!("debug page at http://{at}/ (and /debug/goroutines, /debug/metrics)");
    // A socket read blocks its thread: blocking() runs it off the workers.
    let metrics = goroutines::blocking(move || get(at, "/debug/metrics"));
    let by_state: Vec<&str> = metrics.lines().filter(|l| l.starts_with("goroutines{")).collect();
    println!("/debug/metrics says:\n  {}\n", by_state.join("\n  "));

    if mode == "serve" {
        println!("serving until Ctrl-C; open http://{at}/ in a browser");
        let stop = Context::on_signals();
        let _ = stop.done().recv();
    }
    server.stop();
    stop_ticking.cancel();
    drop(jobs_tx); // closing the channel ends the workers' loops
    wg.wait();

    // 4. Go's deadlock message: main waits on a channel nobody will send
    //    on, and nothing else can run. The runtime stops the program with
    //    the dump, and exit code 2, as Go does.
    if mode == "deadlock" {
        let (tx, rx) = chan::<u32>(0);
        let _keep_open = tx;
        let _ = rx.recv();
    } else {
        println!("run with `-- deadlock` to see the deadlock detector stop a program");
    }
}

/// A minimal HTTP GET over loopback, to show what the server answers.
fn get(at: std::net::SocketAddr, path: &str) -> String {
    let mut reply = String::new();
    let fetched = std::net::TcpStream::connect(at).and_then(|mut conn| {
        write!(conn, "GET {path} HTTP/1.1\r\nHost: {at}\r\nConnection: close\r\n\r\n")?;
        conn.read_to_string(&mut reply)
    });
    if let Err(e) = fetched {
        eprintln!("GET {path}: {e}");
    }
    reply.split_once("\r\n\r\n").map_or(reply.clone(), |(_, body)| body.to_string())
}
