//! Wait queues of a channel side: who is blocked sending (or receiving),
//! with which operation and packet.
//!
//! # Invariants
//!
//! 1. An entry stays registered until its owner unregisters it or a waker
//!    selects it for an operation (`try_select` / `notify` remove what they
//!    select). A `close` selects every entry `Closed` but leaves it in place:
//!    its owner unregisters it (and frees its heap packet, zero.rs). Owners
//!    unregister after every wait that was not won by an operation, so no
//!    entry outlives the wait it belongs to.
//! 2. `SyncWaker::is_empty` is kept equal to "no entries" under the lock, so
//!    `notify` can skip the lock when nobody waits. This is a Dekker
//!    handshake in SeqCst: the notifier publishes its change to the channel
//!    (a SeqCst compare-exchange of `head` or `tail`), then loads `is_empty`
//!    (SeqCst); the waiter stores `is_empty = false` (SeqCst), then re-checks
//!    the channel with SeqCst loads. All four sit in one total order, so one
//!    of the two sees the other (the store-buffering outcome is forbidden).
//!    `seqcst_order_for_loom` marks both sides for loom, which needs a fence
//!    to see that order.

use crate::loom::{seqcst_order_for_loom, AtomicBool, Ordering};

use super::context::{current_identity, Context, Selected};
use super::spin_lock::{SpinGuard, SpinLock};

/// One blocked operation.
pub(crate) struct Entry {
    pub(crate) cx: Context,
    /// Index of the operation within its wait (its select arm).
    pub(crate) oper: usize,
    /// The operation's packet (zero-capacity channels), or null.
    pub(crate) packet: *mut (),
}

// SAFETY: `packet` points to a packet that the entry's owner keeps alive
// until it is unregistered or the hand-over completes (zero.rs), and that is
// only accessed under the channel's protocol; the rest is Send + Sync.
unsafe impl Send for Entry {}

/// A queue of blocked operations (not synchronised: see `SyncWaker`).
#[derive(Default)]
pub(crate) struct Waker {
    entries: Vec<Entry>,
}

impl Waker {
    pub(crate) fn register(&mut self, oper: usize, packet: *mut (), cx: &Context) {
        self.entries.push(Entry { cx: cx.clone(), oper, packet });
    }

    /// Removes the entry of `cx`'s operation `oper`, if still there.
    pub(crate) fn unregister(&mut self, oper: usize, cx: &Context) -> Option<Entry> {
        let who = cx.who();
        let i = self.entries.iter().position(|e| e.oper == oper && e.cx.who() == who)?;
        Some(self.entries.remove(i))
    }

    /// Selects the first waiting operation of another goroutine or thread:
    /// claims its context, hands it its packet pointer, wakes it, and
    /// returns the entry.
    pub(crate) fn try_select(&mut self) -> Option<Entry> {
        let me = current_identity();
        let i = self.entries.iter().position(|e| {
            e.cx.who() != me && e.cx.try_select(Selected::Operation(e.oper)).is_ok() && {
                e.cx.store_packet(e.packet);
                e.cx.unpark();
                true
            }
        })?;
        Some(self.entries.remove(i))
    }

    /// Whether another goroutine or thread waits here (for `is_ready`).
    pub(crate) fn can_select(&self) -> bool {
        let me = current_identity();
        self.entries.iter().any(|e| e.cx.who() != me && e.cx.selected() == Selected::Waiting)
    }

    /// The channel closed: every waiter is selected `Closed` (unless
    /// something selected it already) and woken; entries stay for their
    /// owners to unregister (invariant 1).
    pub(crate) fn disconnect(&mut self) {
        for e in &self.entries {
            if e.cx.try_select(Selected::Closed).is_ok() {
                e.cx.unpark();
            }
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// A `Waker` behind a lock, with a lock-free emptiness check (invariant 2).
pub(crate) struct SyncWaker {
    inner: SpinLock<Waker>,
    is_empty: AtomicBool,
}

impl SyncWaker {
    pub(crate) fn new() -> SyncWaker {
        SyncWaker { inner: SpinLock::new(Waker::default()), is_empty: AtomicBool::new(true) }
    }

    fn lock(&self) -> SpinGuard<'_, Waker> {
        self.inner.lock()
    }

    /// Registers a blocked operation; the caller then re-checks the channel
    /// with SeqCst loads (invariant 2, the waiter's side).
    pub(crate) fn register(&self, oper: usize, cx: &Context) {
        let mut w = self.lock();
        w.register(oper, std::ptr::null_mut(), cx);
        self.is_empty.store(false, Ordering::SeqCst);
        drop(w);
        seqcst_order_for_loom();
    }

    pub(crate) fn unregister(&self, oper: usize, cx: &Context) -> Option<Entry> {
        let mut w = self.lock();
        let e = w.unregister(oper, cx);
        self.is_empty.store(w.is_empty(), Ordering::SeqCst);
        e
    }

    /// Wakes one waiter, if any (invariant 2: the caller has published its
    /// change to the channel before calling).
    #[inline]
    pub(crate) fn notify(&self) {
        // Invariant 2, the notifier's side.
        seqcst_order_for_loom();
        if !self.is_empty.load(Ordering::SeqCst) {
            self.notify_slow();
        }
    }

    #[cold]
    fn notify_slow(&self) {
        let mut w = self.lock();
        if !w.is_empty() {
            w.try_select();
            self.is_empty.store(w.is_empty(), Ordering::SeqCst);
        }
    }

    pub(crate) fn disconnect(&self) {
        self.lock().disconnect();
    }
}
