//! `UdpSocket`: std::net's, with `recv`/`send` that suspend the goroutine.

use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::os::fd::AsRawFd;
use std::sync::Arc;

use super::desc::{Dir, Registered};
use super::resolve::{each_addr, first_addr};

/// A UDP socket: std's [`std::net::UdpSocket`] whose receives (and, when
/// the send buffer is full, sends) suspend the goroutine.
///
/// ```
/// use goroutines_runtime::net::UdpSocket;
///
/// let a = UdpSocket::bind("127.0.0.1:0")?;
/// let b = UdpSocket::bind("127.0.0.1:0")?;
/// let to = b.local_addr()?;
/// let echo = goroutines_runtime::spawn(move || -> std::io::Result<()> {
///     let mut buf = [0; 16];
///     let (n, from) = b.recv_from(&mut buf)?;
///     b.send_to(&buf[..n], from)?;
///     Ok(())
/// });
/// a.send_to(b"ping", to)?;
/// let mut buf = [0; 16];
/// let (n, _) = a.recv_from(&mut buf)?;
/// assert_eq!(&buf[..n], b"ping");
/// echo.join().unwrap()?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct UdpSocket {
    inner: Arc<Registered<mio::net::UdpSocket>>,
}

impl UdpSocket {
    /// Binds to the first address `addr` resolves to that can be bound.
    #[track_caller]
    pub fn bind<A: ToSocketAddrs + Send>(addr: A) -> io::Result<UdpSocket> {
        each_addr(addr, |a| Ok(Self::from_mio(mio::net::UdpSocket::bind(a)?)))
    }

    fn from_mio(s: mio::net::UdpSocket) -> UdpSocket {
        UdpSocket { inner: Arc::new(Registered::new(s)) }
    }

    /// Sets the default peer: `send` and `recv` then use it, and datagrams
    /// from elsewhere are dropped.
    #[track_caller]
    pub fn connect<A: ToSocketAddrs + Send>(&self, addr: A) -> io::Result<()> {
        each_addr(addr, |a| self.inner.io().connect(a))
    }

    /// Sends to the first address `addr` resolves to. A name (not an
    /// address) is looked up on the blocking pool at every call: for many
    /// datagrams to one peer, `connect` once and `send`, as in Go.
    #[track_caller]
    pub fn send_to<A: ToSocketAddrs + Send>(&self, buf: &[u8], addr: A) -> io::Result<usize> {
        let to = first_addr(addr)?;
        self.inner.run(Dir::Write, |io| io.send_to(buf, to))
    }

    /// Receives a datagram, suspending until one comes.
    #[track_caller]
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.inner.run(Dir::Read, |io| io.recv_from(buf))
    }

    /// Receives a datagram without taking it off the queue.
    #[track_caller]
    pub fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.inner.run(Dir::Read, |io| io.peek_from(buf))
    }

    /// Sends to the connected peer.
    #[track_caller]
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.inner.run(Dir::Write, |io| io.send(buf))
    }

    /// Receives from the connected peer.
    #[track_caller]
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.run(Dir::Read, |io| io.recv(buf))
    }

    /// Receives from the connected peer without taking the datagram.
    #[track_caller]
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.run(Dir::Read, |io| io.peek(buf))
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.io().local_addr()
    }

    /// The connected peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.io().peer_addr()
    }

    /// Sets `SO_BROADCAST`.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.inner.io().set_broadcast(on)
    }

    /// Reads `SO_BROADCAST`.
    pub fn broadcast(&self) -> io::Result<bool> {
        self.inner.io().broadcast()
    }

    /// Stops the socket for every clone: waiting and later operations fail
    /// with `NotConnected`; the socket closes when the last clone drops.
    pub fn close(&self) {
        self.inner.desc.close();
    }

    /// Wraps a std socket, switching it to non-blocking mode.
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        Ok(Self::from_mio(mio::net::UdpSocket::from_std(socket)))
    }

    /// Gives the std socket back, in blocking mode. Fails if other clones
    /// are alive.
    pub fn into_std(self) -> io::Result<std::net::UdpSocket> {
        let s: std::net::UdpSocket =
            Arc::try_unwrap(self.inner).map_err(|_| super::common::shared())?.into_inner().into();
        s.set_nonblocking(false)?;
        Ok(s)
    }
}

socket_common!(UdpSocket);
socket_common!(@ip UdpSocket);

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpSocket").field("addr", &self.local_addr().ok()).field("fd", &self.as_raw_fd()).finish()
    }
}
