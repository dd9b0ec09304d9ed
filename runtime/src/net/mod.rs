//! Network I/O that suspends goroutines: std::net's types ([`TcpListener`],
//! [`TcpStream`], [`UdpSocket`]; on unix [`UnixListener`], [`UnixStream`]), whose blocking
//! calls park the goroutine until the socket is ready instead of holding
//! its worker. On a plain thread the same calls block the thread.
//!
//! Each socket is non-blocking and registered once, on its first use, with
//! the network poller of its caller's worker (`scheduler/netpoll.rs`: an
//! epoll per worker, through mio), which that worker blocks in when idle,
//! as Go's scheduler blocks in its netpoller. A goroutine waiting on a
//! socket shows as `IO wait` in the dump and is never taken for a
//! deadlock: its peer may be another process.
//!
//! A short read asks the kernel for up to 1 KiB and keeps the rest for the
//! next read: a `recv` that returns less than it asked for has emptied the
//! socket, so the next read waits for readiness without first hearing
//! "would block" from the kernel (a third of a request/response loop's
//! system calls otherwise). So do not read the fd (`as_raw_fd`) behind a
//! stream's back while it may hold bytes read ahead.
//!
//! Since goroutines never change thread, a library that keeps
//! thread-local state across a `read` (a TLS stream, a protocol codec over
//! `Read + Write`) is sound on these sockets.
//!
//! # Go's idioms, here
//!
//! | Go | goroutines |
//! |---|---|
//! | `ln, err := net.Listen("tcp", addr)` | `let ln = TcpListener::bind(addr)?;` |
//! | `conn, err := ln.Accept()` | `let (conn, peer) = ln.accept()?;` |
//! | `go handle(conn)` | `go!(handle(conn));` |
//! | `net.Dial("tcp", addr)` | `TcpStream::connect(addr)?` |
//! | `net.DialTimeout("tcp", addr, d)` | `TcpStream::connect_timeout(&addr, d)?` |
//! | `conn.SetReadDeadline(t)` | `conn.set_read_deadline(Some(t))?` |
//! | `errors.Is(err, os.ErrDeadlineExceeded)` | `err.kind() == io::ErrorKind::TimedOut` |
//! | `ln.Close()` from another goroutine | `ln.close()` (on a clone) |
//! | `errors.Is(err, net.ErrClosed)` | `err.kind() == io::ErrorKind::NotConnected` |
//!
//! # Graceful shutdown
//!
//! As Go's `http.Server.Shutdown`: stop accepting, then let the
//! connections in flight finish, within a deadline.
//!
//! ```no_run
//! use goroutines_runtime::net::{TcpListener, TcpStream};
//! use goroutines_runtime::context::Context;
//! use goroutines_runtime::WaitGroup;
//! use std::time::Duration;
//!
//! fn handle(conn: TcpStream) { /* read requests, write responses */ }
//!
//! let listener = TcpListener::bind("127.0.0.1:8080")?;
//! // Context::on_signals() in a real server: Ctrl-C cancels it.
//! let (ctx, stop) = Context::background().with_cancel();
//! let closer = listener.try_clone()?;
//! // On cancel: accept fails, incoming() ends (Go's context.AfterFunc).
//! let _stop_accepting = ctx.after_func(move || closer.close());
//! let in_flight = WaitGroup::new();
//! for conn in listener.incoming() {
//!     match conn {
//!         Ok(conn) => {
//!             in_flight.add(1);
//!             let done = in_flight.clone();
//!             goroutines_runtime::spawn(move || {
//!                 handle(conn);
//!                 done.done();
//!             });
//!         }
//!         // Out of file descriptors, a connection reset before accept:
//!         // back off rather than spin (Go sleeps 5 ms, doubling to 1 s).
//!         Err(_) => goroutines_runtime::time::sleep(Duration::from_millis(5)),
//!     }
//! }
//! // Stopped accepting: give the connections in flight 5 s to finish.
//! let _ = goroutines_runtime::time::timeout(Duration::from_secs(5), move || in_flight.wait());
//! # drop(stop);
//! # Ok::<(), std::io::Error>(())
//! ```

#[macro_use]
mod common;
mod desc;
mod read_ahead;
mod resolve;
mod sys;
mod tcp;
mod udp;
#[cfg(unix)]
mod unix;

pub use tcp::{Incoming, TcpListener, TcpStream};
pub use udp::UdpSocket;
#[cfg(unix)]
pub use unix::{UnixIncoming, UnixListener, UnixStream};
