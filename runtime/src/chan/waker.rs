//! Wait queues of a channel side: who is blocked sending (or receiving),
//! with which operation and packet.
//!
//! # Invariants
//!
//! 1. An entry stays registered until its owner unregisters it or a waker
//!    selects it: `try_select` (for an operation) and `disconnect` (a close,
//!    `Closed(operation)`) take out what they select, and a close frees the
//!    heap packets of what it took (zero.rs). So an owner unregisters every
//!    operation of its wait except the one its selection names, and no
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
//! 3. Registering returns a `Key` (a slot and its generation); the owner
//!    unregisters by key in constant time, and a key whose entry was
//!    selected (taken out) or unregistered finds nothing, since freeing a
//!    slot bumps its generation. Arrival order is a queue of
//!    `(slot, generation)` pairs; pairs whose entry is gone are skipped at
//!    the front and swept once they are most of the queue. (A linear search
//!    by owner made a cancel that wakes n selects cost n² when each
//!    unregistered from a channel n of them waited on.)

use std::collections::VecDeque;

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
    /// Whether `packet` is on the heap (a select arm's), so that whoever
    /// takes the entry out without handing it a message frees it.
    pub(crate) heap: bool,
}

// SAFETY: `packet` points to a packet that the entry's owner keeps alive
// until it is unregistered or the hand-over completes (zero.rs), and that is
// only accessed under the channel's protocol; the rest is Send + Sync.
unsafe impl Send for Entry {}

/// Where a registered operation sits in a [`Waker`]: what its owner keeps
/// to unregister it in constant time (invariant 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Key {
    slot: u32,
    generation: u32,
}

struct Slot {
    /// Bumped each time the slot is freed, so an old key finds nothing.
    generation: u32,
    entry: Option<Entry>,
}

/// A queue of blocked operations (not synchronised: see `SyncWaker`), in
/// arrival order, with removal by key in constant time (invariant 3).
#[derive(Default)]
pub(crate) struct Waker {
    slots: Vec<Slot>,
    free: Vec<u32>,
    /// Arrival order, as `(slot, generation)`; pairs whose entry is gone
    /// are stale, skipped and swept (invariant 3).
    order: VecDeque<(u32, u32)>,
    live: usize,
}

impl Waker {
    pub(crate) fn register(&mut self, oper: usize, packet: *mut (), heap: bool, cx: &Context) -> Key {
        let entry = Entry { cx: cx.clone(), oper, packet, heap };
        let slot = match self.free.pop() {
            Some(i) => {
                self.slots[i as usize].entry = Some(entry);
                i
            }
            None => {
                self.slots.push(Slot { generation: 0, entry: Some(entry) });
                (self.slots.len() - 1) as u32
            }
        };
        let generation = self.slots[slot as usize].generation;
        self.order.push_back((slot, generation));
        self.live += 1;
        Key { slot, generation }
    }

    /// Takes the entry at `slot` out, freeing the slot.
    fn take(&mut self, slot: u32) -> Option<Entry> {
        let s = &mut self.slots[slot as usize];
        let entry = s.entry.take()?;
        s.generation = s.generation.wrapping_add(1);
        self.free.push(slot);
        self.live -= 1;
        Some(entry)
    }

    fn is_live(&self, (slot, generation): (u32, u32)) -> bool {
        let s = &self.slots[slot as usize];
        s.generation == generation && s.entry.is_some()
    }

    /// Removes the operation registered under `key`, if still there.
    pub(crate) fn unregister(&mut self, key: Key) -> Option<Entry> {
        if !self.is_live((key.slot, key.generation)) {
            return None;
        }
        let entry = self.take(key.slot);
        self.sweep();
        entry
    }

    /// Invariant 3: drops stale order pairs once they are most of the queue
    /// (amortised constant time per removal).
    fn sweep(&mut self) {
        if self.order.len() > 32 && self.order.len() > 2 * self.live {
            let (slots, order) = (&self.slots, &mut self.order);
            order.retain(|&(i, g)| slots[i as usize].generation == g && slots[i as usize].entry.is_some());
        }
    }

    /// Selects the first waiting operation of another goroutine or thread:
    /// claims its context, hands it its packet pointer, wakes it, and
    /// returns the entry.
    pub(crate) fn try_select(&mut self) -> Option<Entry> {
        let me = current_identity();
        let mut i = 0;
        while i < self.order.len() {
            let pair = self.order[i];
            if !self.is_live(pair) {
                if i == 0 {
                    self.order.pop_front();
                } else {
                    i += 1;
                }
                continue;
            }
            let e = self.slots[pair.0 as usize].entry.as_ref()?;
            if e.cx.who() != me && e.cx.try_select(Selected::Operation(e.oper)).is_ok() {
                e.cx.store_packet(e.packet);
                e.cx.unpark();
                let entry = self.take(pair.0);
                if i == 0 {
                    self.order.pop_front();
                } else {
                    self.sweep();
                }
                return entry;
            }
            i += 1;
        }
        None
    }

    /// Whether another goroutine or thread waits here (for `is_ready`).
    pub(crate) fn can_select(&self) -> bool {
        if self.live == 0 {
            return false;
        }
        let me = current_identity();
        self.order
            .iter()
            .filter_map(|&(i, g)| {
                self.slots[i as usize].entry.as_ref().filter(|_| self.slots[i as usize].generation == g)
            })
            .any(|e| e.cx.who() != me && e.cx.selected() == Selected::Waiting)
    }

    /// The channel closed: every waiter not selected yet is selected
    /// `Closed(its operation)` and taken out into `closed` (invariant 1),
    /// for the caller to wake after releasing the lock (as Go's
    /// `closechan`: a close with thousands of waiters does not hold the
    /// lock while it wakes them, and the woken need not take it again to
    /// unregister this operation).
    pub(crate) fn disconnect(&mut self, closed: &mut Vec<Entry>) {
        if self.live == 0 {
            return;
        }
        for slot in 0..self.slots.len() {
            let won = match &self.slots[slot].entry {
                Some(e) => e.cx.try_select(Selected::Closed(e.oper)).is_ok(),
                None => false,
            };
            if won {
                closed.extend(self.take(slot as u32));
            }
        }
        self.sweep();
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.live == 0
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
    pub(crate) fn register(&self, oper: usize, cx: &Context) -> Key {
        let mut w = self.lock();
        let key = w.register(oper, std::ptr::null_mut(), false, cx);
        self.is_empty.store(false, Ordering::SeqCst);
        drop(w);
        seqcst_order_for_loom();
        key
    }

    pub(crate) fn unregister(&self, key: Key) -> Option<Entry> {
        let mut w = self.lock();
        let e = w.unregister(key);
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

    /// `Waker::disconnect`, waking outside the lock.
    pub(crate) fn disconnect(&self) {
        let mut closed = Vec::new();
        {
            let mut w = self.lock();
            w.disconnect(&mut closed);
            self.is_empty.store(w.is_empty(), Ordering::SeqCst);
        }
        for e in closed {
            e.cx.unpark();
        }
    }
}
