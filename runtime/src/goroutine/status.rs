//! What a goroutine is doing, readable from any thread: the fields
//! `debug::goroutines()` and `debug::dump()` report (Go's goroutine dump).
//!
//! # Invariants
//!
//! 1. Every field is an atomic, written with Relaxed stores by whoever
//!    moves the goroutine (its spawner, its worker, itself when it parks;
//!    never a waker on another thread, which would pay a cache-line
//!    transfer per wake) and read with Relaxed loads by a dump. A dump is a
//!    snapshot of hints, never used to decide anything, so it needs no
//!    ordering; each field alone is always a value that was really stored.
//! 2. `id` is 0 while the record is free (between goroutines): a dump
//!    skips it. A record's fields are rewritten at each spawn before the
//!    goroutine is queued.
//! 3. Writes happen only where the goroutine already changes hands (spawn,
//!    resume, park, wake, end), on a cache line those steps touch anyway,
//!    and times come from a coarse clock (`clock.rs`), so keeping the
//!    status always on costs a few stores per switch, no system call.
//! 4. The reason and the user's line a goroutine waits at are left in a
//!    thread-local by the blocking operation's entry point
//!    (`#[track_caller]`, `will_wait`) and copied here only if it parks.
//!    The worker clears the thread-local before each resume, so what one
//!    goroutine left there unused never shows on the next; a goroutine
//!    that switches out (a yield inside an operation, a park it may repeat)
//!    keeps its own on its stack across the switch and puts it back.

use std::cell::Cell;
use std::panic::Location;
use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicU8, Ordering};

/// The goroutine's state (Go's dump calls them runnable, running, waiting).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum State {
    /// Queued to run: spawned and not started yet, or yielded. (One woken
    /// from a wait shows `Waiting` until its worker resumes it.)
    Runnable,
    /// Running on a worker now.
    Running,
    /// Parked in a runtime primitive, for the reason given.
    Waiting,
}

/// What a waiting goroutine waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WaitReason {
    /// `recv` on a channel.
    ChanReceive,
    /// `send` on a channel.
    ChanSend,
    /// A `select!` / `Select`.
    Select,
    /// `sleep`.
    Sleep,
    /// `WaitGroup::wait`.
    WaitGroup,
    /// `JoinHandle::join`.
    Join,
    /// `sync::Mutex::lock`.
    Mutex,
    /// `sync::RwLock` read or write.
    RwLock,
    /// `sync::Semaphore::acquire`.
    Semaphore,
    /// `sync::Once::call_once` while another call runs.
    Once,
    /// A `blocking()` call running on the blocking pool.
    Blocking,
    /// A socket operation of `goroutines::net` waiting for readiness.
    IoWait,
    /// Parked by something else of the runtime.
    Other,
}

impl WaitReason {
    const ALL: [WaitReason; 13] = [
        WaitReason::ChanReceive,
        WaitReason::ChanSend,
        WaitReason::Select,
        WaitReason::Sleep,
        WaitReason::WaitGroup,
        WaitReason::Join,
        WaitReason::Mutex,
        WaitReason::RwLock,
        WaitReason::Semaphore,
        WaitReason::Once,
        WaitReason::Blocking,
        WaitReason::IoWait,
        WaitReason::Other,
    ];

    /// Its index in `ALL` (declaration order): a cast, so that `will_wait`
    /// on every blocking operation costs two stores and no call.
    #[inline]
    const fn code(self) -> u8 {
        self as u8
    }

    fn from_code(c: u8) -> WaitReason {
        WaitReason::ALL.get(c as usize).copied().unwrap_or(WaitReason::Other)
    }

    /// Go's wording, as its dump prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            WaitReason::ChanReceive => "chan receive",
            WaitReason::ChanSend => "chan send",
            WaitReason::Select => "select",
            WaitReason::Sleep => "sleep",
            WaitReason::WaitGroup => "sync.WaitGroup.Wait",
            WaitReason::Join => "join",
            WaitReason::Mutex => "sync.Mutex.Lock",
            WaitReason::RwLock => "sync.RWMutex.Lock",
            WaitReason::Semaphore => "semacquire",
            WaitReason::Once => "sync.Once.Do",
            WaitReason::Blocking => "blocking call",
            WaitReason::IoWait => "IO wait",
            WaitReason::Other => "park",
        }
    }
}

// `ALL` lists every variant in declaration order, `Other` last, so that
// `code` can be a cast and `from_code` an index.
const _: () = assert!(WaitReason::ALL.len() == WaitReason::Other as usize + 1);

const RUNNABLE: u8 = 0;
const RUNNING: u8 = 1;
const WAITING: u8 = 2;

/// The observable part of a goroutine record (invariant 1).
pub(crate) struct Status {
    id: AtomicU64,
    parent: AtomicU64,
    /// The goroutine whose descendant this is (itself for one spawned by a
    /// plain thread, or one that made itself a root): what a leak check
    /// tells tests apart by.
    root: AtomicU64,
    spawn_site: AtomicPtr<Location<'static>>,
    state: AtomicU8,
    reason: AtomicU8,
    wait_site: AtomicPtr<Location<'static>>,
    /// Coarse milliseconds (`clock::now_ms`) when `state` last changed.
    since_ms: AtomicU64,
}

/// A snapshot of one goroutine, for `debug`.
pub(crate) struct Snapshot {
    pub(crate) id: u64,
    pub(crate) parent: u64,
    pub(crate) root: u64,
    pub(crate) spawn_site: &'static Location<'static>,
    pub(crate) state: State,
    pub(crate) reason: Option<WaitReason>,
    pub(crate) wait_site: Option<&'static Location<'static>>,
    pub(crate) since_ms: u64,
}

thread_local! {
    /// The root of ancestry of goroutines spawned by this plain thread: 0
    /// (each is its own root), or that of the goroutine whose `blocking()`
    /// call this thread is running.
    static AMBIENT_ROOT: Cell<u64> = const { Cell::new(0) };
    /// Invariant 4: what the running goroutine is about to wait for.
    static PENDING: Cell<Pending> = const { Cell::new(NOTHING_PENDING) };
}

/// The root a goroutine spawned by this plain thread descends from (0:
/// none).
pub(crate) fn ambient_root() -> u64 {
    AMBIENT_ROOT.try_with(|r| r.get()).unwrap_or(0)
}

/// Runs `f` with goroutines spawned by this thread descending from `root`.
pub(crate) fn with_ambient_root<T>(root: u64, f: impl FnOnce() -> T) -> T {
    let old = AMBIENT_ROOT.try_with(|r| r.replace(root)).unwrap_or(0);
    let out = f();
    let _ = AMBIENT_ROOT.try_with(|r| r.set(old));
    out
}

/// Called by a blocking operation's entry point: if the goroutine parks
/// before the next call, it waits for `reason` at `site` (invariant 4).
#[inline]
pub(crate) fn will_wait(reason: WaitReason, site: &'static Location<'static>) {
    let _ = PENDING.try_with(|p| p.set((reason.code(), site)));
}

/// What this thread's running goroutine is about to wait for, if it parks.
type Pending = (u8, *const Location<'static>);

/// No operation said why: `WaitReason::Other`, no site.
const NOTHING_PENDING: Pending = (WaitReason::Other.code(), ptr::null());

/// Takes what the goroutine that ran last on this thread was about to wait
/// for, leaving nothing: the worker calls it before resuming a goroutine,
/// so that one goroutine's reason never shows on another, and a goroutine
/// that switches out keeps its own across the switch (invariant 4).
#[inline]
pub(crate) fn take_pending() -> Pending {
    PENDING.try_with(|p| p.replace(NOTHING_PENDING)).unwrap_or(NOTHING_PENDING)
}

/// Puts back what `take_pending` took (the goroutine, resumed).
#[inline]
pub(crate) fn restore_pending(pending: Pending) {
    let _ = PENDING.try_with(|p| p.set(pending));
}

impl Status {
    pub(crate) const fn new() -> Status {
        Status {
            id: AtomicU64::new(0),
            parent: AtomicU64::new(0),
            root: AtomicU64::new(0),
            spawn_site: AtomicPtr::new(ptr::null_mut()),
            state: AtomicU8::new(RUNNABLE),
            reason: AtomicU8::new(0),
            wait_site: AtomicPtr::new(ptr::null_mut()),
            since_ms: AtomicU64::new(0),
        }
    }

    /// A new goroutine `id`, spawned by `parent` (0: not a goroutine) at
    /// `site`, queued.
    pub(crate) fn spawned(&self, id: u64, parent: u64, root: u64, site: &'static Location<'static>) {
        self.parent.store(parent, Ordering::Relaxed);
        self.root.store(if root == 0 { id } else { root }, Ordering::Relaxed);
        self.spawn_site.store(site as *const _ as *mut _, Ordering::Relaxed);
        self.state.store(RUNNABLE, Ordering::Relaxed);
        self.since_ms.store(super::clock::now_ms(), Ordering::Relaxed);
        self.id.store(id, Ordering::Relaxed);
    }

    /// Its root (see `root`).
    pub(crate) fn root(&self) -> u64 {
        self.root.load(Ordering::Relaxed)
    }

    /// Makes the goroutine (whose id is `id`) the root of what it spawns
    /// from now on.
    pub(crate) fn make_root(&self, id: u64) {
        self.root.store(id, Ordering::Relaxed);
    }

    /// The record is free again (invariant 2).
    pub(crate) fn freed(&self) {
        self.id.store(0, Ordering::Relaxed);
    }

    pub(crate) fn running(&self) {
        self.state.store(RUNNING, Ordering::Relaxed);
    }

    pub(crate) fn runnable(&self) {
        self.state.store(RUNNABLE, Ordering::Relaxed);
    }

    /// The goroutine parks: records its pending reason and site (left in
    /// place: a waiter woken without its turn, a Mutex's, parks again for
    /// the same reason).
    pub(crate) fn parking(&self) {
        let (reason, site) = PENDING.try_with(|p| p.get()).unwrap_or(NOTHING_PENDING);
        self.reason.store(reason, Ordering::Relaxed);
        self.wait_site.store(site as *mut _, Ordering::Relaxed);
        self.since_ms.store(super::clock::now_ms(), Ordering::Relaxed);
        self.state.store(WAITING, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> Option<Snapshot> {
        let id = self.id.load(Ordering::Relaxed);
        let site = self.spawn_site.load(Ordering::Relaxed);
        if id == 0 || site.is_null() {
            return None;
        }
        let state = match self.state.load(Ordering::Relaxed) {
            RUNNING => State::Running,
            WAITING => State::Waiting,
            _ => State::Runnable,
        };
        let wait_site = self.wait_site.load(Ordering::Relaxed);
        let root = self.root.load(Ordering::Relaxed);
        // A record freed and reused while we read it: skip, rather than
        // pair one goroutine's id with another's fields.
        if self.id.load(Ordering::Relaxed) != id {
            return None;
        }
        Some(Snapshot {
            id,
            parent: self.parent.load(Ordering::Relaxed),
            root,
            // SAFETY: only `&'static Location`s are ever stored here.
            spawn_site: unsafe { &*site },
            state,
            reason: (state == State::Waiting).then(|| WaitReason::from_code(self.reason.load(Ordering::Relaxed))),
            // SAFETY: as above, or null.
            wait_site: if state == State::Waiting { unsafe { wait_site.as_ref() } } else { None },
            since_ms: self.since_ms.load(Ordering::Relaxed),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{WaitReason, NOTHING_PENDING};

    #[test]
    fn codes_are_indices_in_all() {
        for (i, r) in WaitReason::ALL.iter().enumerate() {
            assert_eq!(r.code() as usize, i);
            assert_eq!(WaitReason::from_code(r.code()), *r);
        }
        assert_eq!(WaitReason::from_code(NOTHING_PENDING.0), WaitReason::Other);
    }
}
