//! The waiting side of a blocked channel operation or `select`: who waits,
//! which of its operations won, and the packet the winner hands over.
//!
//! # Invariants
//!
//! 1. `select` moves once from `WAITING` to a final value (`ABORTED`, or
//!    an operation index that completed or whose channel closed), by one
//!    compare-exchange:
//!    whoever wins it owns the waiter's wake-up. This single CAS is how a
//!    `select` blocked on many channels is claimed by exactly one of them.
//! 2. The winner stores the packet (if the operation has one) before it
//!    wakes the waiter; the waiter reads it only after seeing its selection
//!    (`wait_packet` spins/yields until it is non-null).

use crate::loom::{fence, AtomicPtr, AtomicUsize, Ordering};
use std::ptr;
use std::sync::Arc;
use std::time::Instant;

use crate::time::timer;
use crate::waiter::{park, Waiter};

const WAITING: usize = 0;
const ABORTED: usize = 1;
/// Operation `i` completed: `FIRST_OP + 2i`; its channel closed: one more.
const FIRST_OP: usize = 2;

/// How a wait ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Selected {
    Waiting,
    /// Timed out or gave up (found an operation ready after registering).
    Aborted,
    /// The channel of its operation with this index was closed.
    Closed(usize),
    /// Its operation with this index won.
    Operation(usize),
}

impl Selected {
    fn encode(self) -> usize {
        match self {
            Selected::Waiting => WAITING,
            Selected::Aborted => ABORTED,
            Selected::Operation(i) => FIRST_OP + 2 * i,
            Selected::Closed(i) => FIRST_OP + 2 * i + 1,
        }
    }

    fn decode(v: usize) -> Selected {
        match v {
            WAITING => Selected::Waiting,
            ABORTED => Selected::Aborted,
            v if (v - FIRST_OP) % 2 == 0 => Selected::Operation((v - FIRST_OP) / 2),
            v => Selected::Closed((v - FIRST_OP) / 2),
        }
    }
}

struct Inner {
    /// Invariant 1. AcqRel: the winner's writes (packet, message) are seen
    /// by the waiter after it observes the selection.
    select: AtomicUsize,
    /// Invariant 2.
    packet: AtomicPtr<()>,
    waiter: Waiter,
    /// Identifies the waiting goroutine or thread, so a waker never selects
    /// an operation of its own caller (a select on both ends of a channel).
    who: usize,
}

/// A shared handle to one wait.
#[derive(Clone)]
pub(crate) struct Context {
    inner: Arc<Inner>,
}

/// The identity of the calling goroutine or thread.
#[cfg(loom)]
pub(crate) fn current_identity() -> usize {
    // Loom runs its threads on one OS thread: use the loom thread's parker.
    crate::loom::thread::current().id()
}

/// The identity of the calling goroutine or thread.
#[cfg(not(loom))]
pub(crate) fn current_identity() -> usize {
    crate::goroutine::current::with_running(|g| match g {
        Some(g) => g as *const _ as *const () as usize,
        None => {
            thread_local!(static ME: u8 = const { 0 });
            ME.with(|m| m as *const u8 as usize)
        }
    })
}

impl Context {
    /// A context for the calling goroutine or thread: the one its last wait
    /// used, reset, if no waker holds it any more (an allocation and two
    /// reference-count round trips saved per blocking operation), else a
    /// new one. Give it back with `release` when the wait is over.
    pub(crate) fn acquire() -> Context {
        match cache::take() {
            // Unique: no waker holds a clone (contexts have no `Weak`s), and
            // none can appear, since only the holders of a clone make one.
            // A load, where `Arc::get_mut` would cost a locked instruction
            // per wait; the Acquire fence pairs with the last waker's drop
            // (a Release decrement), so its accesses come before our resets.
            Some(cx) if Arc::strong_count(&cx.inner) == 1 => {
                fence(Ordering::Acquire);
                cx.inner.select.store(WAITING, Ordering::Relaxed);
                cx.inner.packet.store(ptr::null_mut(), Ordering::Relaxed);
                cx
            }
            _ => Context::new(),
        }
    }

    /// Keeps this context for the caller's next wait.
    pub(crate) fn release(self) {
        cache::put(self);
    }

    /// A new context for the calling goroutine or thread.
    pub(crate) fn new() -> Context {
        Context {
            inner: Arc::new(Inner {
                select: AtomicUsize::new(WAITING),
                packet: AtomicPtr::new(ptr::null_mut()),
                waiter: Waiter::current(),
                who: current_identity(),
            }),
        }
    }

    /// Tries to end the wait with `sel` (invariant 1).
    pub(crate) fn try_select(&self, sel: Selected) -> Result<(), Selected> {
        self.inner
            .select
            .compare_exchange(WAITING, sel.encode(), Ordering::AcqRel, Ordering::Acquire)
            .map(|_| ())
            .map_err(Selected::decode)
    }

    pub(crate) fn selected(&self) -> Selected {
        Selected::decode(self.inner.select.load(Ordering::Acquire))
    }

    /// Invariant 2, the winner's half.
    pub(crate) fn store_packet(&self, packet: *mut ()) {
        if !packet.is_null() {
            self.inner.packet.store(packet, Ordering::Release);
        }
    }

    /// Invariant 2, the waiter's half: the packet the winner stored.
    pub(crate) fn wait_packet(&self) -> *mut () {
        let mut spins = 0u32;
        loop {
            let p = self.inner.packet.load(Ordering::Acquire);
            if !p.is_null() {
                return p;
            }
            backoff(&mut spins);
        }
    }

    pub(crate) fn who(&self) -> usize {
        self.inner.who
    }

    /// Wakes the waiter (its selection is already decided).
    pub(crate) fn unpark(&self) {
        self.inner.waiter.wake_by_ref();
    }

    /// Blocks until selected, or until `deadline`, when it selects
    /// `Aborted` itself (unless something won first). Returns the selection.
    pub(crate) fn wait_until(&self, deadline: Option<Instant>) -> Selected {
        let _timer = deadline.map(|d| timer::wake_at(d, self.inner.waiter.clone()));
        loop {
            let sel = self.selected();
            if sel != Selected::Waiting {
                return sel;
            }
            if let Some(d) = deadline {
                if Instant::now() >= d {
                    return match self.try_select(Selected::Aborted) {
                        Ok(()) => Selected::Aborted,
                        Err(s) => s,
                    };
                }
            }
            park();
        }
    }
}

/// Waits a little while a peer finishes its half of a hand-over: spins,
/// then yields (the goroutine, or the thread).
pub(crate) fn backoff(spins: &mut u32) {
    if cfg!(loom) {
        crate::loom::thread::yield_now();
    } else if *spins < 6 {
        for _ in 0..(1 << *spins) {
            std::hint::spin_loop();
        }
    } else {
        crate::yield_now();
    }
    *spins = spins.saturating_add(1);
}

/// Where `acquire` / `release` keep a context between waits: in the running
/// goroutine's record (its own, pinned with it), else in a thread-local.
/// Under loom (whose threads share one OS thread) nothing is cached.
mod cache {
    use super::Context;

    #[cfg(not(loom))]
    pub(super) fn take() -> Option<Context> {
        crate::goroutine::current::with_running(|g| match g {
            Some(g) => g.take_cached_context(),
            None => THREAD.try_with(|c| c.take()).ok().flatten(),
        })
    }

    #[cfg(not(loom))]
    pub(super) fn put(cx: Context) {
        crate::goroutine::current::with_running(|g| match g {
            Some(g) => g.cache_context(cx),
            None => {
                let _ = THREAD.try_with(|c| c.set(Some(cx)));
            }
        })
    }

    #[cfg(not(loom))]
    thread_local! {
        static THREAD: std::cell::Cell<Option<Context>> = const { std::cell::Cell::new(None) };
    }

    #[cfg(loom)]
    pub(super) fn take() -> Option<Context> {
        None
    }

    #[cfg(loom)]
    pub(super) fn put(_cx: Context) {}
}
