//! Name resolution off the workers: `getaddrinfo` blocks its thread, so a
//! goroutine resolves on the blocking pool (`blocking`), as Go's cgo
//! resolver runs on a thread of its own.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

/// Resolves `addr` and tries `f` on each address in turn, returning the
/// first success or the last error (std's `each_addr`).
#[track_caller]
pub(crate) fn each_addr<A, T>(addr: A, mut f: impl FnMut(SocketAddr) -> io::Result<T>) -> io::Result<T>
where
    A: ToSocketAddrs + Send,
{
    let addrs: Vec<SocketAddr> = crate::blocking(move || addr.to_socket_addrs().map(Iterator::collect))?;
    let mut last = None;
    for a in addrs {
        match f(a) {
            Ok(t) => return Ok(t),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "could not resolve to any addresses")))
}

/// The first address `addr` resolves to (std's `send_to` takes the first).
#[track_caller]
pub(crate) fn first_addr<A: ToSocketAddrs + Send>(addr: A) -> io::Result<SocketAddr> {
    each_addr(addr, Ok).map_err(|e| match e.kind() {
        io::ErrorKind::InvalidInput => io::Error::new(io::ErrorKind::InvalidInput, "no addresses to send data to"),
        _ => e,
    })
}
