//! The network poller: one epoll instance (through mio) for the process,
//! which an idle worker blocks in instead of a futex, as Go's `findrunnable`
//! does. What is registered here is a [`Source`] (the net layer's poll
//! descriptor, `net/desc.rs`); a readiness event calls its `ready`, which
//! wakes whoever waits on that socket. This module knows nothing of
//! sockets or waiters: the net layer registers, this layer polls.
//!
//! # Invariants
//!
//! 1. One thread polls at a time: the poll role is the lock on `role`.
//!    Whoever holds it may block in epoll (an idle worker, `claim`) or look
//!    without blocking (a worker about to idle, the monitor: `poll_now`).
//!    Sockets are registered once, edge-triggered for both directions, so
//!    no event is owed to a particular poller: whoever polls next gets it.
//! 2. A worker that will block in epoll stores its address in `blocker`
//!    *before* it announces that it sleeps (idle.rs invariant 3). A waker
//!    that sees the worker asleep (`WorkerShared::unpark`) therefore also
//!    sees it in `blocker`, and writes the mio `Waker` (an eventfd) besides
//!    unparking its thread; a wake is never lost in epoll.
//! 3. `waiters` counts goroutines and threads parked on a socket. Idle
//!    workers poll only while it is non-zero (otherwise they sleep as
//!    before, costing nothing). A waiter that parks while no sleeping
//!    worker holds the role wakes one (`Shared::notify_idle`) after
//!    counting itself (SeqCst, against the sleeper's announcement and
//!    fence): the woken worker finds nothing, sleeps again, and this time
//!    polls. With every worker busy, the monitor polls when nobody has for
//!    `STALE` (Go's sysmon does the same).
//! 4. A source is found by its token: a slab index and the slot's
//!    generation. Deregistering frees the slot and bumps the generation, so
//!    an event still in flight for a closed socket finds nothing (or a
//!    stale generation) and is dropped; `ready` is called only on live
//!    sources, outside the slab lock.

use std::io;
use std::sync::atomic::{fence, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use mio::{Events, Interest, Poll, Registry, Token, Waker};

/// What is registered with the poller: told of readiness by whoever polls.
pub(crate) trait Source: Send + Sync {
    /// The socket became readable (or reached end of stream, or an error)
    /// and/or writable (or was shut down, or an error). Must not block.
    fn ready(&self, readable: bool, writable: bool);
}

/// The waker's token: no slab index reaches it.
const WAKER: Token = Token(usize::MAX);

/// How long waiters may go without a poll before the monitor polls.
pub(crate) const STALE: Duration = Duration::from_millis(10);

/// Events taken per poll.
const EVENTS: usize = 256;

struct Role {
    poll: Poll,
    events: Events,
    /// Sources with their readiness, called after the slab lock is dropped.
    due: Vec<(Arc<dyn Source>, bool, bool)>,
}

struct Slot {
    generation: u32,
    source: Option<Arc<dyn Source>>,
}

#[derive(Default)]
struct Slab {
    slots: Vec<Slot>,
    free: Vec<u32>,
}

pub(crate) struct NetPoll {
    /// Invariant 1.
    role: Mutex<Role>,
    registry: Registry,
    waker: Waker,
    /// Invariant 4.
    sources: Mutex<Slab>,
    /// Invariant 3.
    waiters: AtomicUsize,
    /// Invariant 2: the address of the `WorkerShared` whose worker blocks
    /// (or is about to block) in epoll, or 0.
    blocker: AtomicUsize,
    /// When someone last polled, in ms since `epoch` (for the monitor).
    last_poll: AtomicU64,
    epoch: Instant,
}

static NETPOLL: OnceLock<io::Result<NetPoll>> = OnceLock::new();

/// The poller, created on first use (the first socket).
pub(crate) fn get() -> io::Result<&'static NetPoll> {
    match NETPOLL.get_or_init(NetPoll::new) {
        Ok(p) => Ok(p),
        Err(e) => Err(io::Error::new(e.kind(), format!("goroutines: cannot create the network poller: {e}"))),
    }
}

/// The poller, if a socket ever made one.
pub(crate) fn started() -> Option<&'static NetPoll> {
    NETPOLL.get().and_then(|r| r.as_ref().ok())
}

/// Whether a goroutine or thread waits on a socket (the deadlock detector
/// never calls that a deadlock: the peer may be another process).
pub(crate) fn has_waiters() -> bool {
    started().is_some_and(|p| p.waiters.load(Ordering::SeqCst) != 0)
}

/// A worker's hold on the poll role for one sleep (invariant 2); dropping
/// it gives the role back.
pub(crate) struct Claim {
    netpoll: &'static NetPoll,
    role: MutexGuard<'static, Role>,
}

impl NetPoll {
    fn new() -> io::Result<NetPoll> {
        let poll = Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let waker = Waker::new(poll.registry(), WAKER)?;
        super::monitor::start_for_netpoll();
        Ok(NetPoll {
            role: Mutex::new(Role { poll, events: Events::with_capacity(EVENTS), due: Vec::new() }),
            registry,
            waker,
            sources: Mutex::new(Slab::default()),
            waiters: AtomicUsize::new(0),
            blocker: AtomicUsize::new(0),
            last_poll: AtomicU64::new(0),
            epoch: Instant::now(),
        })
    }

    /// Registers `io` for both directions, edge-triggered; events go to
    /// `source`. Returns the token to deregister with.
    pub(crate) fn register(&self, io: &mut impl mio::event::Source, source: Arc<dyn Source>) -> io::Result<Token> {
        let token = {
            let mut slab = self.sources.lock().unwrap_or_else(|e| e.into_inner());
            let index = match slab.free.pop() {
                Some(i) => i,
                None => {
                    slab.slots.push(Slot { generation: 0, source: None });
                    u32::try_from(slab.slots.len() - 1).expect("fewer than 2^32 sockets")
                }
            };
            let slot = &mut slab.slots[index as usize];
            slot.source = Some(source);
            token_of(index, slot.generation)
        };
        if let Err(e) = self.registry.register(io, token, Interest::READABLE | Interest::WRITABLE) {
            self.free(token);
            return Err(e);
        }
        Ok(token)
    }

    /// Deregisters `io` (invariant 4): no `ready` for it starts after this.
    pub(crate) fn deregister(&self, io: &mut impl mio::event::Source, token: Token) {
        // The fd is about to close: an error here (it was never added, the
        // process is out of memory) leaves nothing behind once it does.
        let _ = self.registry.deregister(io);
        self.free(token);
    }

    fn free(&self, token: Token) {
        let (index, generation) = split(token);
        let mut slab = self.sources.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(slot) = slab.slots.get_mut(index as usize) {
            if slot.generation == generation && slot.source.take().is_some() {
                slot.generation = slot.generation.wrapping_add(1);
                slab.free.push(index);
            }
        }
    }

    /// A goroutine or thread is about to park on a socket of `shared`'s
    /// (or, for a plain thread, the global runtime's) concern (invariant 3).
    pub(crate) fn waiter_parks(&self, shared: &super::Shared) {
        self.waiters.fetch_add(1, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        if self.blocker.load(Ordering::SeqCst) == 0 {
            shared.notify_idle();
        }
    }

    /// The waiter is awake again.
    pub(crate) fn waiter_woke(&self) {
        self.waiters.fetch_sub(1, Ordering::SeqCst);
    }

    /// For an idle worker about to announce its sleep (invariant 2): takes
    /// the poll role if anyone waits on a socket and nobody polls.
    pub(crate) fn claim(&'static self, worker: usize) -> Option<Claim> {
        if self.waiters.load(Ordering::SeqCst) == 0 {
            return None;
        }
        let role = self.role.try_lock().ok()?;
        self.blocker.store(worker, Ordering::SeqCst);
        Some(Claim { netpoll: self, role })
    }

    /// Wakes the worker at `worker` if it blocks in epoll (invariant 2).
    pub(crate) fn wake_blocker(&self, worker: usize) {
        if self.blocker.load(Ordering::SeqCst) == worker {
            // A failed eventfd write means the counter is full: a wake is
            // pending anyway.
            let _ = self.waker.wake();
        }
    }

    /// A look without blocking, if nobody polls and anyone waits (a worker
    /// about to go idle, the monitor). Returns how many sources it told.
    pub(crate) fn poll_now(&self) -> usize {
        if self.waiters.load(Ordering::Relaxed) == 0 {
            return 0;
        }
        match self.role.try_lock() {
            Ok(mut role) => self.poll(&mut role, Some(Duration::ZERO)),
            Err(_) => 0,
        }
    }

    /// Whether nobody has polled for `STALE` while someone waits.
    pub(crate) fn is_stale(&self) -> bool {
        self.waiters.load(Ordering::Relaxed) != 0
            && self.ms_now().saturating_sub(self.last_poll.load(Ordering::Relaxed)) >= STALE.as_millis() as u64
    }

    fn ms_now(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    fn poll(&self, role: &mut Role, timeout: Option<Duration>) -> usize {
        let Role { poll, events, due } = role;
        if let Err(e) = poll.poll(events, timeout) {
            // EINTR: a signal; anything else cannot be helped here, and
            // the next poll will tell again.
            if e.kind() != io::ErrorKind::Interrupted {
                eprintln!("goroutines: the network poller's epoll_wait failed: {e}");
            }
        }
        self.last_poll.store(self.ms_now(), Ordering::Relaxed);
        {
            let slab = self.sources.lock().unwrap_or_else(|e| e.into_inner());
            for event in events.iter() {
                if event.token() == WAKER {
                    continue;
                }
                let (index, generation) = split(event.token());
                let Some(slot) = slab.slots.get(index as usize) else { continue };
                if slot.generation != generation {
                    continue;
                }
                if let Some(source) = &slot.source {
                    let closed = event.is_error();
                    let readable = event.is_readable() || event.is_read_closed() || closed;
                    let writable = event.is_writable() || event.is_write_closed() || closed;
                    due.push((Arc::clone(source), readable, writable));
                }
            }
        }
        let n = due.len();
        for (source, readable, writable) in due.drain(..) {
            source.ready(readable, writable);
        }
        n
    }
}

impl Claim {
    /// Blocks in epoll for at most `timeout` (for ever: `None`), telling
    /// the sources of what it saw; a `wake_blocker` ends it early.
    pub(crate) fn sleep(mut self, timeout: Option<Duration>) {
        let netpoll = self.netpoll;
        netpoll.poll(&mut self.role, timeout);
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.netpoll.blocker.store(0, Ordering::SeqCst);
    }
}

/// Bits of a token that hold the slab index; the rest hold the generation.
const HALF: u32 = usize::BITS / 2;

fn token_of(index: u32, generation: u32) -> Token {
    Token((generation as usize) << HALF | index as usize)
}

fn split(token: Token) -> (u32, u32) {
    ((token.0 & ((1 << HALF) - 1)) as u32, (token.0 >> HALF) as u32)
}
