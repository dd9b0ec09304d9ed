//! `UnixListener` and `UnixStream`: std::os::unix::net's, with blocking
//! calls that suspend the goroutine.

use std::fmt;
use std::io;
use std::net::Shutdown;
use std::os::fd::AsRawFd;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use super::desc::{closed, connected, Dir, Registered};

/// A Unix domain socket server: std's
/// [`std::os::unix::net::UnixListener`] whose `accept` suspends the
/// goroutine. Clones share the socket; [`close`](UnixListener::close) stops
/// `accept` on all of them and ends [`incoming`](UnixListener::incoming).
#[derive(Clone)]
pub struct UnixListener {
    inner: Arc<Registered<mio::net::UnixListener>>,
}

/// A Unix domain stream: std's [`std::os::unix::net::UnixStream`] whose
/// `read` and `write` suspend the goroutine; timeouts and deadlines as
/// [`TcpStream`](super::TcpStream)'s.
#[derive(Clone)]
pub struct UnixStream {
    inner: Arc<Registered<mio::net::UnixStream>>,
}

/// The connections a Unix listener accepts; it ends when the listener is
/// closed.
pub struct UnixIncoming<'a> {
    listener: &'a UnixListener,
}

impl UnixListener {
    /// Binds to `path` (which must not exist yet).
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixListener> {
        let l = mio::net::UnixListener::bind(path)?;
        super::sys::raise_backlog(std::os::fd::AsFd::as_fd(&l))?;
        Ok(Self::from_mio(l))
    }

    fn from_mio(l: mio::net::UnixListener) -> UnixListener {
        UnixListener { inner: Arc::new(Registered::new(l)) }
    }

    /// Accepts a connection, suspending the goroutine until one comes.
    #[track_caller]
    pub fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (s, addr) = self.inner.run(Dir::Read, |l| l.accept())?;
        Ok((UnixStream::from_mio(s), addr))
    }

    /// An iterator over accepted connections; it ends once the listener is
    /// closed.
    pub fn incoming(&self) -> UnixIncoming<'_> {
        UnixIncoming { listener: self }
    }

    /// Stops the listener for every clone (see `TcpListener::close`).
    pub fn close(&self) {
        self.inner.desc.close();
        super::sys::stop_listening(std::os::fd::AsFd::as_fd(self.inner.io()));
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.io().local_addr()
    }

    /// Another handle to the same listener (clones share the socket).
    pub fn try_clone(&self) -> io::Result<UnixListener> {
        Ok(self.clone())
    }

    /// Wraps a std listener, switching it to non-blocking mode.
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        listener.set_nonblocking(true)?;
        Ok(Self::from_mio(mio::net::UnixListener::from_std(listener)))
    }

    /// Gives the std listener back, in blocking mode. Fails if other
    /// clones are alive.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixListener> {
        let l: std::os::unix::net::UnixListener =
            Arc::try_unwrap(self.inner).map_err(|_| super::common::shared())?.into_inner().into();
        l.set_nonblocking(false)?;
        Ok(l)
    }
}

impl Iterator for UnixIncoming<'_> {
    type Item = io::Result<UnixStream>;

    #[track_caller]
    fn next(&mut self) -> Option<io::Result<UnixStream>> {
        match self.listener.accept() {
            Err(_) if self.listener.inner.desc.is_closed() => None,
            r => Some(r.map(|(s, _)| s)),
        }
    }
}

impl UnixStream {
    /// Connects to the socket at `path`.
    #[track_caller]
    pub fn connect<P: AsRef<Path>>(path: P) -> io::Result<UnixStream> {
        // A full backlog fails a non-blocking connect with EAGAIN, and the
        // socket cannot wait for room: try again, backing off, where std's
        // blocking connect would wait.
        let mut backoff = std::time::Duration::from_micros(100);
        let s = loop {
            match mio::net::UnixStream::connect(path.as_ref()) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    crate::time::sleep(backoff);
                    backoff = (backoff * 2).min(std::time::Duration::from_millis(100));
                }
                r => break Self::from_mio(r?),
            }
        };
        s.inner.run(Dir::Write, |io| connected(io.take_error(), io.peer_addr().map(drop)))?;
        Ok(s)
    }

    /// A connected pair.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = mio::net::UnixStream::pair()?;
        Ok((Self::from_mio(a), Self::from_mio(b)))
    }

    fn from_mio(s: mio::net::UnixStream) -> UnixStream {
        UnixStream { inner: Arc::new(Registered::new(s)) }
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.io().local_addr()
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.io().peer_addr()
    }

    /// Shuts down a half or both; a reader blocked on this socket (through
    /// any clone) then reads end of stream.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        if self.inner.desc.is_closed() {
            return Err(closed());
        }
        self.inner.io().shutdown(how)
    }

    /// Wraps a std stream, switching it to non-blocking mode.
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        Ok(Self::from_mio(mio::net::UnixStream::from_std(stream)))
    }

    /// Gives the std stream back, in blocking mode. Fails if other clones
    /// are alive, or if bytes read ahead are still buffered (see
    /// `TcpStream::into_std`).
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixStream> {
        self.inner.check_nothing_read_ahead()?;
        let s: std::os::unix::net::UnixStream =
            Arc::try_unwrap(self.inner).map_err(|_| super::common::shared())?.into_inner().into();
        s.set_nonblocking(false)?;
        Ok(s)
    }
}

socket_common!(UnixStream);
stream_io!(UnixStream);
socket_common!(@fd UnixListener);

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixStream").field("fd", &self.as_raw_fd()).finish()
    }
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixListener").field("fd", &self.as_raw_fd()).finish()
    }
}
