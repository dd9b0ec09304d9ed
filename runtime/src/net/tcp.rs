//! `TcpListener` and `TcpStream`: std::net's, with blocking calls that
//! suspend the goroutine (desc.rs) instead of its worker.

use std::fmt;
use std::io;
use std::net::{Shutdown, SocketAddr, ToSocketAddrs};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::Duration;

use super::desc::{closed, connected, Dir, Registered};
use super::resolve::each_addr;

/// A TCP socket server, listening for connections: std's
/// [`std::net::TcpListener`] whose `accept` suspends the goroutine.
///
/// Clones made by [`try_clone`](TcpListener::try_clone) share the socket;
/// [`close`](TcpListener::close) through any of them stops `accept` on all
/// (Go's `Listener.Close`), and [`incoming`](TcpListener::incoming) ends.
///
/// ```
/// use goroutines_runtime::net::{TcpListener, TcpStream};
/// use std::io::{Read, Write};
///
/// let listener = TcpListener::bind("127.0.0.1:0")?;
/// let addr = listener.local_addr()?;
/// let server = goroutines_runtime::spawn(move || -> std::io::Result<()> {
///     let (mut conn, _) = listener.accept()?;
///     let mut buf = [0; 5];
///     conn.read_exact(&mut buf)?;
///     conn.write_all(&buf)
/// });
/// let mut client = TcpStream::connect(addr)?;
/// client.write_all(b"hello")?;
/// let mut echo = [0; 5];
/// client.read_exact(&mut echo)?;
/// assert_eq!(&echo, b"hello");
/// server.join().unwrap()?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct TcpListener {
    inner: Arc<Registered<mio::net::TcpListener>>,
}

/// A TCP connection: std's [`std::net::TcpStream`] whose `connect`,
/// `read` and `write` suspend the goroutine when they would block (on a
/// plain thread they block the thread).
///
/// `Read` and `Write` are implemented for `&TcpStream` too, so one
/// goroutine can read while another writes. Clones made by
/// [`try_clone`](TcpStream::try_clone) share the socket, its timeouts and
/// its deadlines.
///
/// Timeouts and deadlines: [`set_read_timeout`](TcpStream::set_read_timeout)
/// bounds each read, as std's does; [`set_read_deadline`](TcpStream::set_read_deadline)
/// is Go's absolute deadline, which also applies to a read already
/// waiting. Either ends the operation with [`io::ErrorKind::TimedOut`]
/// (std's blocking sockets say `WouldBlock` on unix; here `WouldBlock`
/// keeps its one meaning, "a non-blocking call would block", and a
/// deadline reads as what it is).
#[derive(Clone)]
pub struct TcpStream {
    inner: Arc<Registered<mio::net::TcpStream>>,
}

/// The connections a listener accepts, as [`TcpListener::incoming`] gives
/// them; it ends when the listener is closed.
pub struct Incoming<'a> {
    listener: &'a TcpListener,
}

impl TcpListener {
    /// Binds to the first address `addr` resolves to that can be bound
    /// (`SO_REUSEADDR` set, as Go and mio do), listening with the system's
    /// largest backlog (`net.core.somaxconn`), as Go does. Names are resolved on the
    /// blocking pool, not on a worker, so `addr` must be `Send`.
    #[track_caller]
    pub fn bind<A: ToSocketAddrs + Send>(addr: A) -> io::Result<TcpListener> {
        each_addr(addr, |a| {
            let l = mio::net::TcpListener::bind(a)?;
            super::sys::raise_backlog(std::os::fd::AsFd::as_fd(&l))?;
            Ok(Self::from_mio(l))
        })
    }

    fn from_mio(l: mio::net::TcpListener) -> TcpListener {
        TcpListener { inner: Arc::new(Registered::new(l)) }
    }

    /// Accepts a connection, suspending the goroutine until one comes.
    /// After [`close`](TcpListener::close) it fails with `NotConnected`.
    ///
    /// An accept loop should back off on errors rather than spin: when the
    /// process is out of file descriptors (`EMFILE`), every accept fails
    /// until a connection closes. Go's `http.Server` sleeps 5 ms, doubling
    /// up to 1 s; `examples/echo_server.rs` does the same.
    #[track_caller]
    pub fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (s, addr) = self.inner.run(Dir::Read, |l| l.accept())?;
        Ok((TcpStream::from_mio(s), addr))
    }

    /// An iterator over accepted connections; it ends once the listener is
    /// closed (std's never ends).
    pub fn incoming(&self) -> Incoming<'_> {
        Incoming { listener: self }
    }

    /// Stops the listener for every clone: a goroutine blocked in
    /// `accept` wakes with an error, `incoming` ends, and the kernel
    /// refuses new connections (pending ones are reset), as when Go closes
    /// its listener. The fd itself closes when the last clone is dropped. This is the first
    /// step of a graceful shutdown (see the module docs).
    pub fn close(&self) {
        self.inner.desc.close();
        super::sys::stop_listening(std::os::fd::AsFd::as_fd(self.inner.io()));
    }

    /// The local address it listens on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.io().local_addr()
    }

    /// Another handle to the same listener (clones share the socket: see
    /// the type's docs).
    pub fn try_clone(&self) -> io::Result<TcpListener> {
        Ok(self.clone())
    }

    /// Wraps a std listener, switching it to non-blocking mode.
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        Ok(Self::from_mio(mio::net::TcpListener::from_std(listener)))
    }

    /// Gives the std listener back, in blocking mode. Fails if other
    /// clones are alive (they use the same socket).
    pub fn into_std(self) -> io::Result<std::net::TcpListener> {
        let l: std::net::TcpListener =
            Arc::try_unwrap(self.inner).map_err(|_| super::common::shared())?.into_inner().into();
        l.set_nonblocking(false)?;
        Ok(l)
    }
}

impl Iterator for Incoming<'_> {
    type Item = io::Result<TcpStream>;

    #[track_caller]
    fn next(&mut self) -> Option<io::Result<TcpStream>> {
        match self.listener.accept() {
            Err(_) if self.listener.inner.desc.is_closed() => None,
            r => Some(r.map(|(s, _)| s)),
        }
    }
}

impl TcpStream {
    /// Connects to the first address `addr` resolves to that accepts.
    /// Names are resolved on the blocking pool, not on a worker, so `addr`
    /// must be `Send`.
    #[track_caller]
    pub fn connect<A: ToSocketAddrs + Send>(addr: A) -> io::Result<TcpStream> {
        each_addr(addr, |a| Self::connect_until(a, None))
    }

    /// Connects to `addr`, failing with `TimedOut` after `timeout`.
    #[track_caller]
    pub fn connect_timeout(addr: &SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
        if timeout.is_zero() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "cannot set a 0 duration timeout"));
        }
        Self::connect_until(*addr, Some(timeout))
    }

    #[track_caller]
    fn connect_until(addr: SocketAddr, timeout: Option<Duration>) -> io::Result<TcpStream> {
        let s = Self::from_mio(mio::net::TcpStream::connect(addr)?);
        s.inner.desc.set_timeout(Dir::Write, timeout)?;
        // A non-blocking connect completes when the socket turns writable:
        // `SO_ERROR` says how, and `peer_addr` fails until it has.
        s.inner.run(Dir::Write, |io| connected(io.take_error(), io.peer_addr().map(drop)))?;
        s.inner.desc.set_timeout(Dir::Write, None)?;
        Ok(s)
    }

    fn from_mio(s: mio::net::TcpStream) -> TcpStream {
        TcpStream { inner: Arc::new(Registered::new(s)) }
    }

    /// The remote address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.io().peer_addr()
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.io().local_addr()
    }

    /// Shuts down the read half, the write half or both. A goroutine
    /// blocked reading this socket (through any clone) then reads end of
    /// stream.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        if self.inner.desc.is_closed() {
            return Err(closed());
        }
        self.inner.io().shutdown(how)
    }

    /// Sets `TCP_NODELAY`.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.inner.io().set_nodelay(nodelay)
    }

    /// Reads `TCP_NODELAY`.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.inner.io().nodelay()
    }

    /// Reads without consuming, waiting for data as `read` does.
    #[track_caller]
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        {
            let ahead = self.inner.read_ahead();
            let buffered = ahead.buffered();
            if !buffered.is_empty() {
                let n = buf.len().min(buffered.len());
                buf[..n].copy_from_slice(&buffered[..n]);
                return Ok(n);
            }
        }
        self.inner.run(Dir::Read, |io| io.peek(buf))
    }

    /// Wraps a std stream, switching it to non-blocking mode.
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        Ok(Self::from_mio(mio::net::TcpStream::from_std(stream)))
    }

    /// Gives the std stream back, in blocking mode. Fails if other clones
    /// are alive (they use the same socket), or if a short read left bytes
    /// read ahead (the module docs say why reads read ahead) that the std
    /// stream would not have: read until a read would wait first.
    pub fn into_std(self) -> io::Result<std::net::TcpStream> {
        self.inner.check_nothing_read_ahead()?;
        let s: std::net::TcpStream =
            Arc::try_unwrap(self.inner).map_err(|_| super::common::shared())?.into_inner().into();
        s.set_nonblocking(false)?;
        Ok(s)
    }
}

socket_common!(TcpStream);
socket_common!(@ip TcpStream);
stream_io!(TcpStream);
socket_common!(@fd TcpListener);
socket_common!(@ip TcpListener);

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("local", &self.local_addr().ok())
            .field("peer", &self.peer_addr().ok())
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener").field("addr", &self.local_addr().ok()).field("fd", &self.as_raw_fd()).finish()
    }
}
