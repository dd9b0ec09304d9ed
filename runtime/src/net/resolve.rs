//! Name resolution off the workers: `getaddrinfo` blocks its thread, so a
//! goroutine resolves on the blocking pool (`blocking`), as Go's cgo
//! resolver runs on a thread of its own. An address that is one already (a
//! `SocketAddr`, an `(IpAddr, u16)`, ...) needs no lookup and no thread: a
//! burst of 500 connects to a `SocketAddr` grew the pool by hundreds.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

/// Resolves `addr` and tries `f` on each address in turn, returning the
/// first success or the last error (std's `each_addr`).
#[track_caller]
pub(crate) fn each_addr<A, T>(addr: A, mut f: impl FnMut(SocketAddr) -> io::Result<T>) -> io::Result<T>
where
    A: ToSocketAddrs + Send,
{
    let addrs: Vec<SocketAddr> = if is_an_address::<A>() {
        addr.to_socket_addrs()?.collect()
    } else {
        crate::blocking(move || addr.to_socket_addrs().map(Iterator::collect))?
    };
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

/// Whether `A` is one of std's address types, whose `to_socket_addrs` never
/// looks a name up. Judged by type name (no specialization on stable
/// Rust); a type it does not recognise is resolved on the blocking pool,
/// which is always correct.
fn is_an_address<A>() -> bool {
    use std::any::type_name;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
    let a = type_name::<A>();
    [
        type_name::<SocketAddr>(),
        type_name::<SocketAddrV4>(),
        type_name::<SocketAddrV6>(),
        type_name::<(IpAddr, u16)>(),
        type_name::<(Ipv4Addr, u16)>(),
        type_name::<(Ipv6Addr, u16)>(),
        type_name::<&SocketAddr>(),
        type_name::<&[SocketAddr]>(),
    ]
    .contains(&a)
}
