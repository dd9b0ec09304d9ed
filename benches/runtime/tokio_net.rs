//! The network scenarios on tokio, as a tokio user writes them with
//! `tokio::net`: a task per connection and per client, `read_exact` and
//! `write_all` from `AsyncReadExt` / `AsyncWriteExt`.
//!
//! The runtime is tokio_rt.rs's (`procs` workers, the scenario in one
//! spawned task) with the I/O driver on, and the time driver for idle_10k's
//! settle sleep. The starts, gates and ends are counted with [`WaitGroup`],
//! a copy of tokio_rt.rs's (private there) for the reasons given there.
//!
//! idle_10k's clients are another process's ([`Connector`]), as in ours';
//! starting and stopping it blocks, so that runs on the blocking pool, and
//! the thread count it reads includes that one blocking-pool thread.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

use crate::child::{self, emit, Params};
use crate::connector::Connector;
use crate::procfs;
use crate::scenario::{fixed, metric, Scenario, IDLE};
use crate::tokio_rt::{in_task, WaitGroup};

pub fn run(scenario: &Scenario, p: Params) -> Result<(), String> {
    if scenario.name == IDLE {
        child::cold_only(p)?;
    }
    procfs::raise_nofile(fixed::NOFILE);
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.worker_threads(p.procs).enable_io();
    if scenario.name == IDLE {
        builder.enable_time();
    }
    let rt = builder.build().expect("start a tokio runtime");
    if scenario.name == IDLE {
        in_task(&rt, idle(p.n)).emit(p.n);
        return Ok(());
    }
    let clients = fixed::echo_clients(scenario.name).ok_or(format!("{} has no tokio version", scenario.name))?;
    child::repeat(p, metric::ECHO_NS, || in_task(&rt, echo(clients, p.n)))
}

/// Echoes `ECHO_MSG`-byte messages until the client hangs up.
async fn serve_echo(mut stream: TcpStream) {
    let mut buf = [0u8; fixed::ECHO_MSG];
    while stream.read_exact(&mut buf).await.is_ok() && stream.write_all(&buf).await.is_ok() {}
}

/// Accepts connections, a [`serve_echo`] task each, until `stop` fires;
/// then waits for those tasks to end.
async fn accept_echo(listener: TcpListener, mut stop: oneshot::Receiver<()>) {
    let mut servers = Vec::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _) = accepted.expect("accept");
                stream.set_nodelay(true).expect("TCP_NODELAY");
                servers.push(tokio::spawn(serve_echo(stream)));
            }
            _ = &mut stop => break,
        }
    }
    drop(listener);
    for server in servers {
        server.await.expect("an echo task");
    }
}

/// `clients` client tasks, each connected before the clock starts, do `n`
/// round trips in all against a task-per-connection echo server.
async fn echo(clients: usize, n: usize) -> Duration {
    let listener = listen_on_loopback();
    let addr = listener.local_addr().expect("a bound address");
    let (stop, stopped) = oneshot::channel();
    let acceptor = tokio::spawn(accept_echo(listener, stopped));
    let (connected, start, finished) = (WaitGroup::new(clients), WaitGroup::new(1), WaitGroup::new(clients));
    for _ in 0..clients {
        let (connected, start, finished) = (Arc::clone(&connected), Arc::clone(&start), Arc::clone(&finished));
        drop(tokio::spawn(async move {
            let mut stream = TcpStream::connect(addr).await.expect("connect on loopback");
            stream.set_nodelay(true).expect("TCP_NODELAY");
            connected.done();
            start.wait().await;
            let mut buf = [7u8; fixed::ECHO_MSG];
            for _ in 0..n / clients {
                stream.write_all(&buf).await.expect("the server reads");
                stream.read_exact(&mut buf).await.expect("the server echoes");
            }
            drop(stream);
            finished.done();
        }));
    }
    connected.wait().await;
    let clock = Instant::now();
    start.done();
    finished.wait().await;
    let took = clock.elapsed();
    // Nothing of this run outlives it.
    let _ = stop.send(());
    acceptor.await.expect("the accept loop");
    took
}

/// What idle_10k prints.
struct IdleRun {
    setup: Duration,
    rss_before: u64,
    rss_after: u64,
    threads: u64,
}

impl IdleRun {
    fn emit(&self, n: usize) {
        emit(metric::IDLE_RSS_PER_CONN, (self.rss_after as f64 - self.rss_before as f64) / n as f64);
        emit(metric::IDLE_THREADS, self.threads);
        emit(metric::IDLE_SETUP_NS, self.setup.as_nanos());
    }
}

/// `n` connections, each with a reader task pending in `read` (nobody
/// writes), timed from before the bind until every reader has started and
/// `SETTLE` has passed; memory and threads are read then. Then the clients
/// hang up and every reader ends.
async fn idle(n: usize) -> IdleRun {
    /// Once every reader has started, so that the last of them are pending
    /// in `read` too (Go's `IdleSettle`).
    const SETTLE: Duration = Duration::from_millis(50);
    let rss_before = procfs::rss_bytes();
    let clock = Instant::now();
    let listener = listen_on_loopback();
    let addr = listener.local_addr().expect("a bound address");
    let (started, ended) = (WaitGroup::new(n), WaitGroup::new(n));
    let acceptor = {
        let (started, ended) = (Arc::clone(&started), Arc::clone(&ended));
        tokio::spawn(async move {
            for _ in 0..n {
                let (mut stream, _) = listener.accept().await.expect("accept");
                let (started, ended) = (Arc::clone(&started), Arc::clone(&ended));
                drop(tokio::spawn(async move {
                    let mut buf = [0u8; 64];
                    started.done();
                    // Pending until the client hangs up.
                    let _ = stream.read(&mut buf).await;
                    ended.done();
                }));
            }
        })
    };
    // The clients' ends live in another process (connector.rs).
    let clients = tokio::task::spawn_blocking(move || Connector::start(addr, n)).await.expect("start the connector");
    started.wait().await;
    tokio::time::sleep(SETTLE).await;
    let setup = clock.elapsed();
    let run = IdleRun { setup, rss_before, rss_after: procfs::rss_bytes(), threads: procfs::threads() };
    tokio::task::spawn_blocking(move || drop(clients)).await.expect("stop the connector");
    acceptor.await.expect("the accept loop");
    ended.wait().await;
    run
}

/// A listener on a free loopback port with the backlog Go and ours use
/// (`net.core.somaxconn`): tokio's `bind` listens with mio's 128, and a burst of
/// connects past it waits a second for the SYN to be sent again.
fn listen_on_loopback() -> TcpListener {
    let socket = tokio::net::TcpSocket::new_v4().expect("a TCP socket");
    socket.set_reuseaddr(true).expect("SO_REUSEADDR");
    socket.bind("127.0.0.1:0".parse().expect("an address")).expect("bind on loopback");
    socket.listen(crate::procfs::somaxconn()).expect("listen")
}
