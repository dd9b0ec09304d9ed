//! A socket's poll descriptor (Go's `pollDesc`): for each direction, an
//! edge count, who waits, and the deadline; and the socket's
//! registration with the network poller (`scheduler/netpoll.rs`).
//!
//! # Invariants
//!
//! 1. An operation reads its direction's edge count, then tries the system
//!    call; only `WouldBlock` makes it wait. The socket is registered
//!    edge-triggered, so readiness is reported once per edge: the poller
//!    bumps the count and wakes every waiter, under the direction's lock.
//! 2. A waiter, under the same lock, compares the count with the one its
//!    failed call saw: changed, it retries the call at once (an edge came
//!    between the call and the wait); unchanged, it adds itself to
//!    `waiters` and parks. Every waiter woken by an edge retries, so two
//!    goroutines accepting on one listener (or reading one UDP socket)
//!    both look, and a second connection that came in the same edge is
//!    not left waiting for the next one (a flag the first waiter consumed
//!    would leave it so).
//! 3. A waiter wakes for readiness, for its deadline (a timer wakes it),
//!    for a deadline change or a `close` (`kick`), or spuriously. Each time
//!    it takes itself out of `waiters` and looks again under the lock:
//!    `closed` first, then the edge count, then the deadline. So a
//!    deadline set while it waits, or a close through another handle,
//!    applies to the operation already blocked, as Go's `SetDeadline`
//!    does.
//! 4. A deadline is absolute: the earlier of the direction's deadline (Go's
//!    `SetReadDeadline`) and the operation's start plus its timeout (std's
//!    `set_read_timeout`). Once Go's deadline has passed, every operation
//!    of that direction fails with `TimedOut` at once, before any system
//!    call, even with data waiting (as Go's: so a deadline set to now
//!    stops a reader that always has data); a timeout only bounds a wait.
//! 5. A socket is registered with a poller before its first operation
//!    reads the edge count (the edge-triggered add reports readiness that
//!    is already there as an edge, so it is not missed). While parked, a
//!    waiter is counted in netpoll's `WAITERS`, so the deadlock detector
//!    never calls it stuck.

use std::io;
use std::os::fd::AsRawFd;
use std::panic::Location;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use super::read_ahead::ReadAhead;
use crate::goroutine::status::{will_wait, WaitReason};
use crate::scheduler::netpoll::{self, Registration, Source};
use crate::time::timer;
use crate::waiter::{park, Waiter};

/// Which half of a socket an operation uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dir {
    /// Read, receive, accept.
    Read,
    /// Write, send, connect.
    Write,
}

#[derive(Default)]
struct Half {
    /// Readiness edges seen (invariant 1).
    edges: u64,
    /// Invariant 2: each with the id it removes itself by.
    waiters: Vec<(u64, Waiter)>,
    /// Invariant 4: Go's deadline and std's timeout.
    deadline: Option<Instant>,
    timeout: Option<Duration>,
}

#[derive(Default)]
struct State {
    read: Half,
    write: Half,
    /// The socket was closed through some handle (invariant 3).
    closed: bool,
    next_id: u64,
}

impl State {
    fn half(&mut self, dir: Dir) -> &mut Half {
        match dir {
            Dir::Read => &mut self.read,
            Dir::Write => &mut self.write,
        }
    }
}

/// The per-socket state the poller reports to.
#[derive(Default)]
pub(crate) struct PollDesc {
    state: Mutex<State>,
    /// `state.closed`, readable without the lock by every operation's
    /// first check (set under the lock, never cleared).
    closed: AtomicBool,
    /// The poller reported end of stream or an error on the read side
    /// (never cleared): a read returns at once, so it is never skipped
    /// (read_ahead.rs invariant 1).
    hung_up: AtomicBool,
}

impl Source for PollDesc {
    fn ready(&self, readable: bool, writable: bool, hung_up: bool) {
        if hung_up {
            self.hung_up.store(true, Ordering::Release);
        }
        let mut woken = Vec::new();
        {
            let mut s = self.lock();
            for (dir, is) in [(Dir::Read, readable), (Dir::Write, writable)] {
                if is {
                    let half = s.half(dir);
                    half.edges = half.edges.wrapping_add(1);
                    woken.extend(half.waiters.drain(..).map(|(_, w)| w));
                }
            }
        }
        woken.into_iter().for_each(Waiter::wake);
    }
}

impl PollDesc {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The edge count of `dir`, read before an operation's system call
    /// (invariant 1).
    ///
    /// Fails with `TimedOut` if the direction's deadline has passed
    /// (invariant 4), before the operation makes any system call.
    pub(crate) fn edges(&self, dir: Dir) -> io::Result<u64> {
        let mut s = self.lock();
        let half = s.half(dir);
        if half.deadline.is_some_and(|d| d <= Instant::now()) {
            return Err(timed_out(dir));
        }
        Ok(half.edges)
    }

    /// Waits until `dir` has had an edge since `seen` (invariants 2 to 5);
    /// `started` is when the operation began, read from the clock only if
    /// it has a timeout (clock reads showed in the echo benchmark's
    /// profile).
    pub(crate) fn wait(
        &self,
        dir: Dir,
        seen: u64,
        started: &mut Option<Instant>,
        site: &'static Location<'static>,
    ) -> io::Result<()> {
        loop {
            let (id, waiter, deadline) = {
                let mut s = self.lock();
                if s.closed {
                    return Err(closed());
                }
                let id = s.next_id;
                s.next_id += 1;
                let half = s.half(dir);
                if half.edges != seen {
                    return Ok(());
                }
                // A timeout past the clock's range is none (std accepts
                // `Duration::MAX`).
                let timeout = half.timeout.and_then(|t| started.get_or_insert_with(Instant::now).checked_add(t));
                let deadline = match (half.deadline, timeout) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                if deadline.is_some_and(|d| d <= Instant::now()) {
                    return Err(timed_out(dir));
                }
                let waiter = Waiter::current();
                half.waiters.push((id, waiter.clone()));
                (id, waiter, deadline)
            };
            netpoll::waiter_parks();
            let timer = deadline.map(|d| timer::wake_at(d, waiter));
            will_wait(WaitReason::IoWait, site);
            park();
            drop(timer);
            netpoll::waiter_woke();
            self.lock().half(dir).waiters.retain(|(i, _)| *i != id);
        }
    }

    /// Wakes every waiter of `dir` to look again (invariant 3).
    fn kick(&self, mut s: MutexGuard<'_, State>, dirs: &[Dir]) {
        let woken: Vec<Waiter> =
            dirs.iter().flat_map(|&d| std::mem::take(&mut s.half(d).waiters)).map(|(_, w)| w).collect();
        drop(s);
        woken.into_iter().for_each(Waiter::wake);
    }

    /// Go's `SetReadDeadline`/`SetWriteDeadline`: applies to operations
    /// already waiting.
    pub(crate) fn set_deadline(&self, dir: Dir, deadline: Option<Instant>) {
        let mut s = self.lock();
        s.half(dir).deadline = deadline;
        self.kick(s, &[dir]);
    }

    /// std's `set_read_timeout`/`set_write_timeout`: `Some(0)` is refused,
    /// as std refuses it.
    pub(crate) fn set_timeout(&self, dir: Dir, timeout: Option<Duration>) -> io::Result<()> {
        if timeout == Some(Duration::ZERO) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "cannot set a 0 duration timeout"));
        }
        let mut s = self.lock();
        s.half(dir).timeout = timeout;
        self.kick(s, &[dir]);
        Ok(())
    }

    pub(crate) fn timeout(&self, dir: Dir) -> Option<Duration> {
        self.lock().half(dir).timeout
    }

    /// Closes the socket for every handle: waiting and later operations
    /// fail with [`closed`].
    pub(crate) fn close(&self) {
        let mut s = self.lock();
        s.closed = true;
        self.closed.store(true, Ordering::Release);
        self.kick(s, &[Dir::Read, Dir::Write]);
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    pub(crate) fn is_hung_up(&self) -> bool {
        self.hung_up.load(Ordering::Acquire)
    }
}

/// What an operation on a closed socket returns: Go's "use of closed
/// network connection", as `NotConnected`.
pub(crate) fn closed() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "use of closed network connection")
}

/// Whether a non-blocking connect has completed, from the socket's
/// `SO_ERROR` and its `peer_addr`: it completes when the socket turns
/// writable, and `peer_addr` fails with `NotConnected` until it has
/// (`WouldBlock` then, so that `run` waits again).
pub(crate) fn connected(error: io::Result<Option<io::Error>>, peer: io::Result<()>) -> io::Result<()> {
    match (error?, peer) {
        (Some(e), _) => Err(e),
        (None, Err(e)) if e.kind() == io::ErrorKind::NotConnected => Err(io::ErrorKind::WouldBlock.into()),
        (None, peer) => peer,
    }
}

fn timed_out(dir: Dir) -> io::Error {
    let what = match dir {
        Dir::Read => "read",
        Dir::Write => "write",
    };
    io::Error::new(io::ErrorKind::TimedOut, format!("{what} deadline exceeded"))
}

/// A mio socket with its descriptor, registered with a worker's poller by
/// its first operation (netpoll.rs invariant 3: the caller's worker).
pub(crate) struct Registered<S: mio::event::Source + AsRawFd> {
    io: Option<S>,
    pub(crate) desc: Arc<PollDesc>,
    registration: OnceLock<Registration>,
    /// Serialises the first registration.
    registering: Mutex<()>,
    /// A stream's read side (read_ahead.rs); unused by listeners and UDP.
    pub(crate) read_ahead: Mutex<ReadAhead>,
}

impl<S: mio::event::Source + AsRawFd> Registered<S> {
    /// Wraps `io` (already non-blocking); it registers on first use.
    pub(crate) fn new(io: S) -> Registered<S> {
        Registered {
            io: Some(io),
            desc: Arc::new(PollDesc::default()),
            registration: OnceLock::new(),
            registering: Mutex::new(()),
            read_ahead: Mutex::new(ReadAhead::default()),
        }
    }

    pub(crate) fn io(&self) -> &S {
        self.io.as_ref().expect("a registered socket has its io until dropped")
    }

    /// Registers with the poller of the calling goroutine's worker, once
    /// (invariant 5).
    ///
    /// Called before the edge count is read: the add reports readiness
    /// already there as an edge.
    pub(crate) fn ensure_registered(&self) -> io::Result<()> {
        if self.registration.get().is_some() {
            return Ok(());
        }
        // Two first operations (a reader and a writer, two threads) may
        // race: one registers, the other waits for it (a second add of the
        // fd to one epoll would fail with EEXIST).
        let _first = self.registering.lock().unwrap_or_else(|e| e.into_inner());
        if self.registration.get().is_none() {
            let r = netpoll::register(self.io().as_raw_fd(), self.desc.clone())?;
            let _ = self.registration.set(r);
        }
        Ok(())
    }

    /// Runs `f` until it does not answer `WouldBlock`, waiting for `dir`
    /// between tries (invariant 1). A success spends the goroutine's
    /// budget, so a socket that always has data cannot hold its worker.
    #[track_caller]
    pub(crate) fn run<R>(&self, dir: Dir, mut f: impl FnMut(&S) -> io::Result<R>) -> io::Result<R> {
        let site = Location::caller();
        let mut started = None;
        loop {
            if self.desc.is_closed() {
                return Err(closed());
            }
            self.ensure_registered()?;
            let seen = self.desc.edges(dir)?;
            match f(self.io()) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.desc.wait(dir, seen, &mut started, site)?;
                }
                r => {
                    crate::goroutine::current::spend_budget();
                    return r;
                }
            }
        }
    }

    /// Deregisters and gives the socket back.
    pub(crate) fn into_inner(mut self) -> S {
        let io = self.io.take().expect("a registered socket has its io until dropped");
        if let Some(r) = self.registration.take() {
            r.deregister(io.as_raw_fd());
        }
        io
    }
}

impl<S: mio::event::Source + AsRawFd> Drop for Registered<S> {
    fn drop(&mut self) {
        if let Some(io) = self.io.take() {
            if let Some(r) = self.registration.take() {
                r.deregister(io.as_raw_fd());
            }
            // Wake anyone still waiting (only possible through a `close`
            // race; the fd closes when `io` drops).
            self.desc.close();
        }
    }
}
