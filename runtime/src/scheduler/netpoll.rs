//! The network poller: an epoll instance (through mio) per worker, which
//! the worker blocks in instead of a futex once sockets are registered
//! with it, as Go's `findrunnable` blocks in `netpoll`. What is registered
//! is a [`Source`] (the net layer's poll descriptor, `net/desc.rs`); a
//! readiness event calls its `ready`, which wakes whoever waits on that
//! socket. This module knows nothing of sockets or waiters: the net layer
//! registers, this layer polls.
//!
//! Why a poller per worker and not one per process (Go's): our goroutines
//! never change worker, so an event is best seen by the worker its waiter
//! is pinned to. A socket is registered, on its first wait, with the
//! poller of the waiting goroutine's worker; that worker then finds its
//! goroutine's readiness itself, with no hand-over to another thread.
//!
//! # Invariants
//!
//! 1. One thread polls a poller at a time: its `role` lock. Its worker
//!    holds it to block in epoll (`claim`, which waits for the lock) or to
//!    look without blocking (`poll_now`, as it runs out of work); the
//!    monitor holds it, briefly, to look at a
//!    poller nobody has looked at for `STALE` while someone waits (a busy
//!    worker's, which serves waiters of other workers or threads too).
//!    Sockets are registered once, edge-triggered, for both directions:
//!    an event is never owed to a particular look.
//! 2. A worker that will block in epoll sets `in_epoll` *before* it
//!    announces that it sleeps (idle.rs invariant 3). A waker that sees it
//!    asleep (`WorkerShared::unpark`) therefore also sees `in_epoll`, and
//!    writes the poller's mio `Waker` (an eventfd) besides unparking the
//!    thread: a wake is never lost in epoll.
//! 3. A worker sleeps in epoll exactly while sockets are registered with
//!    its poller (`registered`), so their events are seen as soon as it is
//!    idle. A socket registered from a plain thread goes to the thread's
//!    home worker, which is then woken to sleep again, this time in epoll.
//!    A socket waited on by goroutines of two workers stays with the first
//!    one's poller; the second is woken from there, as any remote wake.
//! 4. A source is found by its token: a slab index and the slot's
//!    generation, one slab for the process. Deregistering frees the slot
//!    and bumps the generation, so an event still in flight for a closed
//!    socket finds nothing and is dropped; `ready` is called only on live
//!    sources, outside the slab lock.
//! 5. `WAITERS` counts goroutines and threads parked on sockets, so the
//!    deadlock detector never calls them stuck: their peer may be another
//!    process.

use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Registry, Token, Waker};

use super::shared::{Shared, WorkerShared};

/// What is registered with a poller: told of readiness by whoever polls.
pub(crate) trait Source: Send + Sync {
    /// The socket became readable (or reached end of stream, or an error)
    /// and/or writable (or was shut down, or an error); `hung_up`: its
    /// read side reached end of stream or it has an error, which a read
    /// returns at once from now on. Must not block.
    fn ready(&self, readable: bool, writable: bool, hung_up: bool);
}

/// The waker's token: no slab index reaches it.
const WAKER: Token = Token(usize::MAX);

/// How long waiters may go without a look at their poller before the
/// monitor looks (Go's sysmon polls after 10 ms).
pub(crate) const STALE: Duration = Duration::from_millis(10);

/// Events taken per look.
const EVENTS: usize = 256;

struct Role {
    poll: Poll,
    events: Events,
    /// Sources with their readiness, called after the slab lock is dropped.
    due: Vec<(Arc<dyn Source>, bool, bool, bool)>,
}

/// One worker's epoll instance.
pub(crate) struct Poller {
    /// Invariant 1.
    role: Mutex<Role>,
    registry: Registry,
    waker: Waker,
    /// Invariant 3.
    registered: AtomicUsize,
    /// Invariant 2.
    in_epoll: AtomicBool,
    /// When someone last looked, in ms since `epoch()` (for the monitor).
    last_poll: AtomicU64,
}

struct Slot {
    generation: u32,
    source: Option<Arc<dyn Source>>,
}

struct Slab {
    slots: Vec<Slot>,
    free: Vec<u32>,
}

/// Invariant 4.
static SOURCES: Mutex<Slab> = Mutex::new(Slab { slots: Vec::new(), free: Vec::new() });

/// Invariant 5.
static WAITERS: AtomicUsize = AtomicUsize::new(0);

fn sources() -> MutexGuard<'static, Slab> {
    SOURCES.lock().unwrap_or_else(|e| e.into_inner())
}

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn ms_now() -> u64 {
    epoch().elapsed().as_millis() as u64
}

/// Whether a goroutine or thread waits on a socket (invariant 5).
pub(crate) fn has_waiters() -> bool {
    WAITERS.load(Ordering::SeqCst) != 0
}

/// A waiter is about to park on a socket (invariant 5).
pub(crate) fn waiter_parks() {
    WAITERS.fetch_add(1, Ordering::SeqCst);
}

/// The waiter is awake again.
pub(crate) fn waiter_woke() {
    WAITERS.fetch_sub(1, Ordering::SeqCst);
}

/// A socket's registration with one worker's poller.
pub(crate) struct Registration {
    poller: &'static Poller,
    token: Token,
}

/// Registers `fd` (non-blocking) for both directions, edge-triggered, with
/// the poller of the calling goroutine's worker, or of the calling plain
/// thread's home worker in the global runtime (invariant 3); events go to
/// `source`.
pub(crate) fn register(fd: RawFd, source: Arc<dyn Source>) -> io::Result<Registration> {
    let (ws, foreign) = match super::worker::current_worker() {
        Some(ws) => (ws, false),
        None => {
            let shared = super::current_or_global();
            (shared.worker(shared.home_of_thread()), true)
        }
    };
    let poller = ws.poller()?;
    let token = {
        let mut slab = sources();
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
    if let Err(e) = poller.registry.register(&mut SourceFd(&fd), token, Interest::READABLE | Interest::WRITABLE) {
        free(token);
        return Err(e);
    }
    poller.registered.fetch_add(1, Ordering::SeqCst);
    if foreign {
        // Invariant 3: it may be asleep in a futex; it sleeps again in
        // epoll.
        ws.unpark();
    }
    Ok(Registration { poller, token })
}

impl Registration {
    /// Deregisters `fd` (invariant 4): no `ready` for it starts after this.
    pub(crate) fn deregister(self, fd: RawFd) {
        // The fd is about to close: an error here (it was never added, the
        // kernel is out of memory) leaves nothing behind once it does.
        let _ = self.poller.registry.deregister(&mut SourceFd(&fd));
        free(self.token);
        self.poller.registered.fetch_sub(1, Ordering::SeqCst);
    }
}

fn free(token: Token) {
    let (index, generation) = split(token);
    let mut slab = sources();
    if let Some(slot) = slab.slots.get_mut(index as usize) {
        if slot.generation == generation && slot.source.take().is_some() {
            slot.generation = slot.generation.wrapping_add(1);
            slab.free.push(index);
        }
    }
}

/// A worker's hold on its poller's role for one sleep (invariant 2);
/// dropping it gives the role back.
pub(crate) struct Claim {
    poller: &'static Poller,
    role: MutexGuard<'static, Role>,
}

impl Poller {
    pub(crate) fn new() -> io::Result<Poller> {
        let poll = Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let waker = Waker::new(poll.registry(), WAKER)?;
        super::monitor::start_for_netpoll();
        Ok(Poller {
            role: Mutex::new(Role { poll, events: Events::with_capacity(EVENTS), due: Vec::new() }),
            registry,
            waker,
            registered: AtomicUsize::new(0),
            in_epoll: AtomicBool::new(false),
            last_poll: AtomicU64::new(0),
        })
    }

    /// For its idle worker about to announce its sleep (invariant 2):
    /// takes the role if sockets are registered here. It waits for a look
    /// of the monitor's in progress (a non-blocking one) rather than sleep
    /// in a futex, where it would see its sockets only when woken.
    pub(crate) fn claim(&'static self) -> Option<Claim> {
        if self.registered.load(Ordering::SeqCst) == 0 {
            return None;
        }
        let role = self.role.lock().unwrap_or_else(|e| e.into_inner());
        self.in_epoll.store(true, Ordering::SeqCst);
        Some(Claim { poller: self, role })
    }

    /// Ends its worker's sleep in epoll, if it sleeps there (invariant 2).
    pub(crate) fn wake(&self) {
        if self.in_epoll.load(Ordering::SeqCst) {
            // A failed eventfd write means the counter is full: a wake is
            // pending anyway.
            let _ = self.waker.wake();
        }
    }

    /// A look without blocking, if sockets are registered and nobody
    /// looks. Returns how many sources it told.
    pub(crate) fn poll_now(&self) -> usize {
        if self.registered.load(Ordering::Relaxed) == 0 {
            return 0;
        }
        match self.role.try_lock() {
            Ok(mut role) => self.poll(&mut role, Some(Duration::ZERO)),
            Err(_) => 0,
        }
    }

    /// Whether nobody has looked for `STALE` while someone waits
    /// (invariant 1, the monitor's look).
    pub(crate) fn is_stale(&self) -> bool {
        has_waiters()
            && self.registered.load(Ordering::Relaxed) != 0
            && !self.in_epoll.load(Ordering::Relaxed)
            && ms_now().saturating_sub(self.last_poll.load(Ordering::Relaxed)) >= STALE.as_millis() as u64
    }

    fn poll(&self, role: &mut Role, timeout: Option<Duration>) -> usize {
        let Role { poll, events, due } = role;
        if let Err(e) = poll.poll(events, timeout) {
            // EINTR: a signal; anything else cannot be helped here, and
            // the next look will tell again.
            if e.kind() != io::ErrorKind::Interrupted {
                eprintln!("goroutines: a network poller's epoll_wait failed: {e}");
            }
        }
        self.last_poll.store(ms_now(), Ordering::Relaxed);
        {
            let slab = sources();
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
                    let failed = event.is_error();
                    let readable = event.is_readable() || event.is_read_closed() || failed;
                    let writable = event.is_writable() || event.is_write_closed() || failed;
                    let hung_up = failed || event.is_read_closed();
                    due.push((Arc::clone(source), readable, writable, hung_up));
                }
            }
        }
        let n = due.len();
        for (source, readable, writable, hung_up) in due.drain(..) {
            source.ready(readable, writable, hung_up);
        }
        n
    }
}

impl Claim {
    /// Blocks in epoll for at most `timeout` (for ever: `None`), telling
    /// the sources of what it saw; `Poller::wake` ends it early.
    pub(crate) fn sleep(mut self, timeout: Option<Duration>) {
        let poller = self.poller;
        poller.poll(&mut self.role, timeout);
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.poller.in_epoll.store(false, Ordering::SeqCst);
    }
}

impl WorkerShared {
    /// This worker's poller, created on first use.
    pub(crate) fn poller(&'static self) -> io::Result<&'static Poller> {
        if let Some(p) = self.poller.get() {
            return Ok(p);
        }
        let created = Poller::new()
            .map_err(|e| io::Error::new(e.kind(), format!("goroutines: cannot create a network poller: {e}")))?;
        // Two threads may race to create it: the loser's is dropped.
        let _ = self.poller.set(created);
        Ok(self.poller.get().expect("set above"))
    }
}

/// The monitor's look (invariant 1): every poller nobody has looked at
/// for `STALE` while someone waits.
pub(crate) fn poll_stale(runtimes: &[&'static Shared]) {
    if !has_waiters() {
        return;
    }
    for shared in runtimes {
        for i in 0..shared.started() {
            if let Some(p) = shared.worker(i).poller.get().filter(|p| p.is_stale()) {
                p.poll_now();
            }
        }
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
