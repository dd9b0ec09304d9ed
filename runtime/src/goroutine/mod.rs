//! The goroutine record: identity, the park token, the worker it is pinned
//! to, its coroutine, and its job (the user's closure and the slot for its
//! result), all in one record, which is recycled: a finished record that
//! nobody refers to any more goes back to a free list (Go reuses its `g`
//! structs the same way; `goref.rs`), so a spawn costs no `malloc`.
//!
//! # Invariants
//!
//! 1. **One holder.** A goroutine is, at any moment, in at most one run queue
//!    or held by at most one worker. Only the holder touches `body`. It gets
//!    there by exactly these doors: spawn (once), a wake that moves the park
//!    token `PARKED -> EMPTY` (once per park), and its holder passing it on:
//!    a worker re-queueing a goroutine that yielded (after its coroutine has
//!    switched out), moving one displaced from `runnext`, or parking an
//!    unstarted one in (and admitting it from) the admission queue.
//! 2. **Pinned after first run.** `home` is `UNSTARTED` until a worker gives
//!    the goroutine a stack; that worker writes its index once, before the
//!    first resume, and from then on the goroutine is queued only on that
//!    worker (its private ready queues), so its coroutine is created, resumed
//!    and dropped on one OS thread for life. This is what makes `!Send` data
//!    on a goroutine's stack (`Rc`, a `MutexGuard`, `thread_local!`
//!    references) sound.
//! 3. **Park token** (`park_token.rs`), as `std::thread::park`'s: a wake
//!    before the park makes it return at once; a wake of a parked goroutine
//!    moves the token `PARKED -> EMPTY`, and that waker then queues the
//!    goroutine on its home worker. Parks may return spuriously; every
//!    primitive loops. A parked goroutine's record keeps one `GoRef` on
//!    behalf of its park: the worker gives up the reference it ran the
//!    goroutine with when the coroutine switches out parked, and the waker
//!    that moves the token `PARKED -> EMPTY` takes it over to queue the
//!    goroutine (`take_wake`), so a wake costs no reference-count traffic.
//! 4. **Recycled only when unique.** A record is reset and reused only by
//!    the holder of its sole reference (`GoRef::get_mut`, or the last drop),
//!    i.e. when no handle, waiter or queue refers to it any more; whoever
//!    still holds a reference keeps the old goroutine's record (its job, its
//!    outcome) intact.
//! 5. **No foreign unwinding.** A suspended coroutine is never dropped off its
//!    worker: if the last reference to a record whose coroutine never ended is
//!    dropped (a goroutine parked forever and forgotten, as Go leaks it), the
//!    record, coroutine and stack are left as they are, never reused nor
//!    unwound on some other thread.

pub(crate) mod clock;
pub(crate) mod current;
pub(crate) mod goref;
mod job;
mod park_token;
pub(crate) mod status;

pub(crate) use goref::GoRef;
pub(crate) use job::Job;
use job::JobSlot;
pub use park_token::ParkToken;

use std::cell::UnsafeCell;
use std::panic::Location;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use corosensei::{Coroutine, Yielder};

use crate::scheduler::Shared;
use crate::stack::GuardedStack;

/// Why a goroutine's coroutine switched back to its worker.
pub(crate) enum Suspend {
    /// Parked: a waker will queue it again (invariant 3).
    Park,
    /// `yield_now`: the worker queues it behind all its other work.
    Yield,
}

pub(crate) type GoCoroutine = Coroutine<(), Suspend, (), GuardedStack>;
pub(crate) type GoYielder = Yielder<(), Suspend>;

pub(crate) enum Body {
    /// Spawned, no stack yet; may run on (be stolen by) any worker.
    Unstarted,
    /// Has run; lives on its home worker's thread.
    Started(GoCoroutine),
    /// Ended; the stack went back to the pool.
    Finished,
}

/// `home` before the first run.
pub(crate) const UNSTARTED: usize = usize::MAX;

pub(crate) struct Goroutine {
    /// Process-wide unique, from 1 (Go numbers its main goroutine 1 too).
    pub(crate) id: u64,
    /// Where `go!` (or `spawn`) was written.
    pub(crate) spawn_site: &'static Location<'static>,
    /// The runtime whose workers run it.
    pub(crate) runtime: &'static Shared,
    /// Park token (invariant 3).
    park: ParkToken,
    /// Index of the worker it is pinned to, or `UNSTARTED` (invariant 2).
    /// Written once by that worker before the first resume; read by wakers,
    /// who got their `Waiter` through a primitive the goroutine registered
    /// with while running, which orders the read after the write.
    home: AtomicUsize,
    /// Lowest address of its stack's guard page, 0 before the first run.
    /// Read by the stack-overflow signal handler on the home thread.
    pub(crate) guard_page: AtomicUsize,
    /// About where its stack pointer was when it last switched out (an
    /// address in its top frame), 0 before: for its worker to prefetch
    /// those frames before resuming it (stack/prefetch.rs). A hint,
    /// written and read on the home thread.
    pub(crate) suspended_sp: AtomicUsize,
    /// Its coroutine's yielder, set by the coroutine on its first run.
    /// Home thread only.
    pub(crate) yielder: UnsafeCell<*const GoYielder>,
    /// Holder only (invariant 1).
    body: UnsafeCell<Body>,
    /// The closure and its result slot.
    pub(crate) job: JobSlot,
    /// `GoRef`s to this record (goref.rs).
    refs: AtomicUsize,
    /// What it is doing, for a goroutine dump (status.rs).
    pub(crate) status: status::Status,
    /// The channel wait context this goroutine reuses between waits (it
    /// holds a `GoRef` to this record: cleared when the goroutine ends, so
    /// the record can be recycled). The goroutine itself only.
    cx_cache: UnsafeCell<Option<crate::chan::context::Context>>,
}

// Every field but `body`, `yielder` and `cx_cache` is immutable or atomic.
// `body` is touched only by the goroutine's single holder (invariant 1) and,
// once started, only on its home thread (invariant 2); `yielder` and
// `cx_cache` only on the home thread by the goroutine itself.
// SAFETY: so a `Goroutine` crosses threads only as a token to be queued,
// never with its contents in use on two threads.
unsafe impl Send for Goroutine {}
// SAFETY: see `Send`; the job in `job` is `Send + Sync` itself.
unsafe impl Sync for Goroutine {}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl Goroutine {
    /// A blank record of `runtime`, as slabs are made of.
    fn blank(runtime: &'static Shared) -> Goroutine {
        Goroutine {
            id: 0,
            spawn_site: Location::caller(),
            runtime,
            park: ParkToken::new(),
            home: AtomicUsize::new(UNSTARTED),
            guard_page: AtomicUsize::new(0),
            suspended_sp: AtomicUsize::new(0),
            yielder: UnsafeCell::new(std::ptr::null()),
            body: UnsafeCell::new(Body::Unstarted),
            job: JobSlot::empty(),
            refs: AtomicUsize::new(1),
            cx_cache: UnsafeCell::new(None),
            status: status::Status::new(),
        }
    }

    /// Fills the blank or recycled record `g` for a new goroutine running
    /// `job` on `runtime`.
    ///
    /// # Safety
    /// As `JobSlot::put`: what `job` borrows outlives the goroutine's run,
    /// and nothing borrowed is left in it once it has run.
    pub(crate) unsafe fn prepare<J: Job>(
        mut g: GoRef,
        runtime: &'static Shared,
        spawn_site: &'static Location<'static>,
        job: J,
    ) -> GoRef {
        let r = GoRef::get_mut(&mut g).expect("a free goroutine record is unique (invariant 4)");
        r.id = next_id();
        r.spawn_site = spawn_site;
        r.runtime = runtime;
        let (parent, root) =
            current::with_running(|p| p.map_or((0, status::ambient_root()), |p| (p.id, p.status.root())));
        r.status.spawned(r.id, parent, root, spawn_site);
        // SAFETY: the caller's contract is `put`'s.
        unsafe { r.job.put(job) };
        g
    }

    /// Makes a finished record reusable if `g` is its only reference
    /// (invariant 4): returns it for a free list. Otherwise drops `g`, and
    /// the last reference's drop recycles it.
    pub(crate) fn recycle(mut g: GoRef) -> Option<GoRef> {
        let r = GoRef::get_mut(&mut g)?;
        r.reset().then_some(g)
    }

    /// Clears a record nobody else refers to for reuse; `false` if it must
    /// never be reused (its coroutine never ended: invariant 5).
    fn reset(&mut self) -> bool {
        if let Body::Started(_) = self.body.get_mut() {
            return false;
        }
        self.job.clear();
        self.status.freed();
        *self.body.get_mut() = Body::Unstarted;
        self.park.reset();
        *self.home.get_mut() = UNSTARTED;
        *self.guard_page.get_mut() = 0;
        *self.suspended_sp.get_mut() = 0;
        *self.yielder.get_mut() = std::ptr::null();
        true
    }
}

/// Ids a thread takes from `NEXT_ID` at once, so that spawning goroutines
/// on several workers does not contend on one counter (Go's `goidcache`).
const ID_BATCH: u64 = 64;

/// A fresh goroutine id, unique in the process. Relaxed: ids need only be
/// unique.
fn next_id() -> u64 {
    use std::cell::Cell;
    thread_local! {
        /// The next id this thread hands out, and the end of its batch.
        static IDS: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
    }
    IDS.with(|ids| {
        let (mut next, mut end) = ids.get();
        if next == end {
            next = NEXT_ID.fetch_add(ID_BATCH, Ordering::Relaxed);
            end = next + ID_BATCH;
        }
        ids.set((next + 1, end));
        next
    })
}

impl Goroutine {
    pub(crate) fn home(&self) -> usize {
        self.home.load(Ordering::Relaxed)
    }

    /// Pins the goroutine to `worker` (invariant 2). Holder only, once.
    pub(crate) fn set_home(&self, worker: usize) {
        debug_assert_eq!(self.home(), UNSTARTED);
        self.home.store(worker, Ordering::Relaxed);
    }

    /// The body, for the goroutine's holder.
    ///
    /// # Safety
    /// The caller is the goroutine's single holder (invariant 1): it popped
    /// it from a run queue (or is spawning it) and has not queued it again,
    /// and, if the goroutine has started, runs on its home worker's thread.
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn body_mut(&self) -> &mut Body {
        // SAFETY: exclusivity is the caller's contract above.
        unsafe { &mut *self.body.get() }
    }

    /// The cached wait context, taken out. The running goroutine only.
    #[cfg_attr(loom, allow(dead_code))] // loom caches no contexts
    pub(crate) fn take_cached_context(&self) -> Option<crate::chan::context::Context> {
        // SAFETY: only the goroutine itself calls this (through
        // `current::with_running`), on its home thread, never re-entrantly.
        unsafe { (*self.cx_cache.get()).take() }
    }

    /// Keeps a wait context for the next wait. The running goroutine only.
    #[cfg_attr(loom, allow(dead_code))]
    pub(crate) fn cache_context(&self, cx: crate::chan::context::Context) {
        // SAFETY: as in `take_cached_context`.
        unsafe { *self.cx_cache.get() = Some(cx) };
    }

    /// Drops the cached context (and the reference to this record inside
    /// it). The holder of an ended goroutine only.
    pub(crate) fn clear_cached_context(&self) {
        // SAFETY: the goroutine has ended; its holder (the worker, on the
        // home thread) is the only one touching it.
        drop(unsafe { (*self.cx_cache.get()).take() });
    }

    /// Park, goroutine side: `true` if the goroutine must switch out,
    /// `false` if a wake already came. The goroutine itself only.
    pub(crate) fn begin_park(&self) -> bool {
        self.park.begin_park()
    }

    /// Wake: the park's reference (invariant 3) if the caller must now
    /// queue the goroutine on its home worker, `None` if the wake was left
    /// for its next park.
    pub(crate) fn take_wake(&self) -> Option<GoRef> {
        if !self.park.wake() {
            return None;
        }
        // (The status stays "waiting" until its worker resumes it: a store
        // here would cost a remote wake a cache line of the other core.)
        // SAFETY: we moved the token `PARKED -> EMPTY`: the reference its
        // worker gave up for this park (`into_raw` in `Worker::resume`, or
        // about to be, which changes no count) is ours, and nobody else's.
        Some(unsafe { GoRef::from_raw(self as *const Goroutine as *mut Goroutine) })
    }
}
