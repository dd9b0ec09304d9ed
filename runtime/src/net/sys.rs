//! The OS calls of the net layer that mio does not make for us: a listen
//! backlog as large as the system allows, and a listener's stop. mio (as
//! std) listens with a backlog of 128; a burst of connections beyond it
//! has its SYNs dropped and retried a second later. Go listens with the
//! system's maximum (`net.core.somaxconn`), and so do we.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::sync::OnceLock;

/// `net.core.somaxconn`, as Go reads it (at most 65,535: older kernels keep
/// the backlog in 16 bits), or 4,096 if it cannot be read.
fn max_backlog() -> libc::c_int {
    static MAX: OnceLock<libc::c_int> = OnceLock::new();
    *MAX.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/net/core/somaxconn")
            .ok()
            .and_then(|s| s.trim().parse::<libc::c_int>().ok())
            .filter(|&n| n > 0)
            .map_or(4096, |n| n.min(65_535))
    })
}

/// Raises a listening socket's backlog to the system's maximum (listening
/// again on a listening socket only updates its backlog).
pub(crate) fn raise_backlog(fd: BorrowedFd<'_>) -> io::Result<()> {
    // SAFETY: `fd` is a live socket borrowed for the call; `listen` takes
    // no pointers.
    if unsafe { libc::listen(fd.as_raw_fd(), max_backlog()) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Stops a listening socket (Go's `Listener.Close`, short of closing the
/// fd, which other clones still hold): on Linux `shutdown(SHUT_RD)` takes
/// it out of the listening state, so pending connections are reset and new
/// ones refused, as they are when Go closes its listener.
pub(crate) fn stop_listening(fd: BorrowedFd<'_>) {
    // SAFETY: `fd` is a live socket borrowed for the call; `shutdown`
    // takes no pointers. An error (not a socket, not listening) leaves it
    // as it was, and the caller has already marked it closed.
    unsafe { libc::shutdown(fd.as_raw_fd(), libc::SHUT_RD) };
}
