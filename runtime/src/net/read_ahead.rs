//! A stream socket's read side: a small read-ahead buffer, and what the
//! last read learned about the socket, so that a read that would only hear
//! "would block" from the kernel waits without asking.
//!
//! A request/response loop (an echo, an HTTP keep-alive connection) reads
//! after every write, before the peer can have answered: Go's reads (and
//! ours, before this) first ask the kernel, hear EAGAIN, and only then
//! park; that failed `recv` was a third of the system calls of a loopback
//! echo. A blocking thread's read never pays it. Here a read asks the
//! kernel for up to `READ_AHEAD` bytes: a `recv` that returns fewer than it
//! asked for has emptied the socket, so the next read, if no readiness edge
//! came since (desc.rs invariant 1), parks at once.
//!
//! # Invariants
//!
//! 1. `drained_at` is the direction's edge count read *before* a `recv`
//!    that emptied the socket of data (returned less than asked, or would
//!    block). Data that arrives after that `recv` makes the edge-triggered
//!    poller bump the count once it looks, so "count still equal" means
//!    nothing arrived that a look has reported: waiting for the next edge
//!    loses no data. Data not yet reported is reported by the next look
//!    (the worker's when it idles, the monitor's within 10 ms), as for any
//!    waiter. An end of stream or an error is not data: a short `recv` can
//!    leave one pending, reported by an edge absorbed before it. So once
//!    the poller has reported either (`hung_up`), reads always ask.
//! 2. Bytes read ahead are handed out before the socket is asked again, in
//!    order; a read never holds the buffer's lock while it waits.
//! 3. Reads at least `READ_AHEAD` long go straight into the caller's
//!    buffer (no copy), and so does every read until one has returned
//!    data: the buffer is allocated then and kept, so a connection that
//!    never receives (10,000 parked readers) costs nothing, and one that
//!    talks 1 KiB (allocated on the first attempt, it cost 10,000 idle
//!    connections 1.1 KiB each).

use std::io;
use std::panic::Location;
use std::sync::MutexGuard;

use super::desc::{closed, Dir, Registered};

/// How much a short read asks the kernel for.
pub(crate) const READ_AHEAD: usize = 1024;

#[derive(Default)]
pub(crate) struct ReadAhead {
    buf: Vec<u8>,
    /// `buf[pos..len]` is read ahead and not handed out yet.
    pos: usize,
    len: usize,
    /// Invariant 1.
    drained_at: Option<u64>,
}

impl ReadAhead {
    /// Bytes read ahead and not handed out yet.
    pub(crate) fn buffered(&self) -> &[u8] {
        &self.buf[self.pos..self.len]
    }

    fn take_into(&mut self, out: &mut [u8]) -> usize {
        let n = out.len().min(self.len - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        n
    }
}

impl<S: mio::event::Source + std::os::fd::AsRawFd> Registered<S> {
    pub(crate) fn read_ahead(&self) -> MutexGuard<'_, ReadAhead> {
        self.read_ahead.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `into_std`'s check: bytes read ahead would be lost with the handle.
    pub(crate) fn check_nothing_read_ahead(&self) -> io::Result<()> {
        match self.read_ahead().buffered().len() {
            0 => Ok(()),
            n => Err(io::Error::other(format!(
                "{n} bytes were read ahead from this socket and not read yet; read them before into_std"
            ))),
        }
    }

    /// A stream's `read`: from the bytes read ahead, else from the socket
    /// (invariants 1 to 3), suspending while there is nothing.
    #[track_caller]
    pub(crate) fn read_stream(
        &self,
        out: &mut [u8],
        recv: impl Fn(&S, &mut [u8]) -> io::Result<usize>,
    ) -> io::Result<usize> {
        let site = Location::caller();
        let mut started = None;
        loop {
            let seen = {
                let mut ra = self.read_ahead();
                if ra.pos < ra.len {
                    return Ok(ra.take_into(out));
                }
                if out.is_empty() {
                    return Ok(0);
                }
                if self.desc.is_closed() {
                    return Err(closed());
                }
                self.ensure_registered()?;
                let seen = self.desc.edges(Dir::Read)?;
                if ra.drained_at != Some(seen) || self.desc.is_hung_up() {
                    // Ask the kernel: straight into `out` if it is long or
                    // no data has come yet (invariant 3), else for a read
                    // ahead.
                    let direct = out.len() >= READ_AHEAD || ra.buf.is_empty();
                    let asked = if direct { out.len() } else { READ_AHEAD };
                    let got = if direct { recv(self.io(), out) } else { recv(self.io(), &mut ra.buf[..READ_AHEAD]) };
                    match got {
                        Ok(n) => {
                            ra.drained_at = (n > 0 && n < asked).then_some(seen);
                            if n > 0 && ra.buf.is_empty() {
                                // Data flows: read ahead from now on.
                                ra.buf.resize(READ_AHEAD, 0);
                            }
                            let n = if direct {
                                n
                            } else {
                                (ra.pos, ra.len) = (0, n);
                                ra.take_into(out)
                            };
                            drop(ra);
                            // Not under the lock: it may yield.
                            crate::goroutine::current::spend_budget();
                            return Ok(n);
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => ra.drained_at = Some(seen),
                        Err(e) => return Err(e),
                    }
                }
                seen
            };
            // Invariant 2: the buffer's lock is not held while waiting.
            self.desc.wait(Dir::Read, seen, &mut started, site)?;
        }
    }
}
