//! The network scenarios on std::net with an OS thread per connection and
//! per client: what a Rust user writes without a runtime. Blocking
//! `read_exact` and `write_all`; a `Barrier` for "every client is
//! connected", a [`Gate`] (a flag under a `Condvar`) for Go's `close(begin)`.
//!
//! idle_10k has no version here: 10,000 idle connections are not a job for
//! 10,000 OS threads.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::child::{self, Params};
use crate::procfs;
use crate::scenario::{fixed, metric, Scenario, IDLE};

pub fn run(scenario: &Scenario, p: Params) -> Result<(), String> {
    if scenario.name == IDLE {
        return Err(format!("{IDLE}: 10,000 idle connections are not a job for 10,000 OS threads"));
    }
    let clients = fixed::echo_clients(scenario.name).ok_or(format!("{} has no threads version", scenario.name))?;
    procfs::raise_nofile(fixed::NOFILE);
    child::repeat(p, metric::ECHO_NS, || echo(clients, p.n))
}

/// Blocks threads in [`wait`](Gate::wait) until it is [`open`](Gate::open)ed.
#[derive(Default)]
struct Gate {
    open: Mutex<bool>,
    opened: Condvar,
}

impl Gate {
    fn open(&self) {
        *self.open.lock().expect("the gate's lock") = true;
        self.opened.notify_all();
    }

    fn wait(&self) {
        let open = self.open.lock().expect("the gate's lock");
        drop(self.opened.wait_while(open, |open| !*open).expect("the gate's lock"));
    }
}

/// Echoes `ECHO_MSG`-byte messages until the client hangs up.
fn serve_echo(mut stream: TcpStream) {
    let mut buf = [0u8; fixed::ECHO_MSG];
    while stream.read_exact(&mut buf).is_ok() && stream.write_all(&buf).is_ok() {}
}

/// Accepts connections, a [`serve_echo`] thread each, until it accepts one
/// with `stop` set; then waits for those threads to end.
fn accept_echo(listener: TcpListener, stop: &AtomicBool) {
    let mut servers = Vec::new();
    for stream in listener.incoming() {
        if stop.load(Ordering::Acquire) {
            break;
        }
        let stream = stream.expect("accept");
        stream.set_nodelay(true).expect("TCP_NODELAY");
        servers.push(thread::spawn(move || serve_echo(stream)));
    }
    drop(listener);
    for server in servers {
        server.join().expect("an echo thread");
    }
}

/// `clients` client threads, each connected before the clock starts, do `n`
/// round trips in all against a thread-per-connection echo server.
fn echo(clients: usize, n: usize) -> Duration {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind on loopback");
    // std listens with a backlog of 128; Go, ours and tokio's here with
    // `net.core.somaxconn` (listening again only updates the backlog).
    // SAFETY: a live listening socket; `listen` takes no pointers.
    let relisten = unsafe { libc::listen(listener.as_raw_fd(), crate::procfs::somaxconn() as libc::c_int) };
    assert_eq!(relisten, 0, "listen: {}", std::io::Error::last_os_error());
    let addr = listener.local_addr().expect("a bound address");
    let stop = Arc::new(AtomicBool::new(false));
    let acceptor = {
        let stop = Arc::clone(&stop);
        thread::spawn(move || accept_echo(listener, &stop))
    };
    let (connected, start) = (Arc::new(Barrier::new(clients + 1)), Arc::new(Gate::default()));
    let client_threads: Vec<_> = (0..clients)
        .map(|_| {
            let (connected, start) = (Arc::clone(&connected), Arc::clone(&start));
            thread::spawn(move || {
                let mut stream = TcpStream::connect(addr).expect("connect on loopback");
                stream.set_nodelay(true).expect("TCP_NODELAY");
                connected.wait();
                start.wait();
                let mut buf = [7u8; fixed::ECHO_MSG];
                for _ in 0..n / clients {
                    stream.write_all(&buf).expect("the server reads");
                    stream.read_exact(&mut buf).expect("the server echoes");
                }
            })
        })
        .collect();
    connected.wait();
    let clock = Instant::now();
    start.open();
    for client in client_threads {
        client.join().expect("a client thread");
    }
    let took = clock.elapsed();
    // Nothing of this run outlives it: one more connection wakes the accept
    // loop, which sees `stop` and ends.
    stop.store(true, Ordering::Release);
    drop(TcpStream::connect(addr).expect("connect on loopback"));
    acceptor.join().expect("the accept loop");
    took
}
