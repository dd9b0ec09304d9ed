//! The buffered flavor (`chan(cap)`, `cap > 0`): a bounded lock-free ring
//! (Dmitry Vyukov's bounded MPMC queue, as in crossbeam-channel's array
//! flavor), with blocking on top.
//!
//! # Invariants
//!
//! 1. `head` and `tail` are `lap | index` with `index < cap`; `tail`'s
//!    `mark_bit` is set once the channel is closed. Each slot's `stamp` says
//!    whose turn it is: `tail` value when it is free for the sender of that
//!    lap, `tail + 1` once written (free for the receiver whose `head`
//!    matches), and the next lap's index once read.
//! 2. A sender reserves a slot by a compare-exchange on `tail` (a receiver
//!    on `head`), writes (reads) the message, then stores the slot's next
//!    stamp with Release; the other side loads stamps with Acquire, so a
//!    message is fully written before it can be read.
//! 3. Blocking: a sender that finds the ring full (after looking again
//!    a few times: before_park.rs) registers in `senders` and re-checks before it
//!    parks; every receive notifies `senders` after
//!    freeing its slot (and vice versa), SeqCst on both sides (waker.rs
//!    invariant 2), so no wake-up is lost. Closing marks `tail` and wakes
//!    everybody; receivers still drain what is buffered.
//! 4. A reservation is always finished, by its operation or by its
//!    abandonment (a `SelectedOperation` dropped uncompleted, say by a
//!    panic): an abandoned send stores a *hole*, the written stamp with
//!    `mark_bit` set (stamps never carry it otherwise: their index is at
//!    most `cap`), and an abandoned receive reads its message and drops it.
//!    A receiver that meets a hole at `head` passes it (moves `head`,
//!    frees the slot) and looks at the next slot; a sender that finds the
//!    ring full with a hole at `head` passes it the same way and sends, and
//!    a sender parks only if `head`'s slot is not a hole (`abandon` stores
//!    the hole SeqCst and notifies senders, so a parked one is woken to
//!    pass it). So no operation waits for an abandoned reservation (it
//!    still waits, briefly, for one in flight). A hole behind
//!    `head` holds its slot (and counts in `len`) until `head` reaches it:
//!    FIFO order forbids filling it.
//! 5. [`Channel::offer`] never waits for another operation in flight (it
//!    answers "full" instead): the timer thread sends with it, so no user's
//!    channel can hold it.

use crate::loom::{fence, AtomicUsize, Ordering};
use std::cell::UnsafeCell;
use std::mem::MaybeUninit;
use std::time::Instant;

use crossbeam_utils::CachePadded;

use super::before_park::BeforePark;
use super::context::{backoff, Context, Selected};
use super::token::Token;
use super::waker::SyncWaker;
use super::TryError;

struct Slot<T> {
    /// Invariant 1.
    stamp: AtomicUsize,
    msg: UnsafeCell<MaybeUninit<T>>,
}

pub(crate) struct Channel<T> {
    /// Next slot to receive from (`lap | index`). Reserved by SeqCst
    /// compare-exchange among receivers; the SeqCst order with `tail` and
    /// the wakers' `is_empty` is what the blocking handshake relies on
    /// (invariant 3, waker.rs invariant 2).
    head: CachePadded<AtomicUsize>,
    /// Next slot to send into (`lap | index`, plus `mark_bit` once closed).
    /// As `head`, for senders.
    tail: CachePadded<AtomicUsize>,
    buffer: Box<[Slot<T>]>,
    cap: usize,
    one_lap: usize,
    mark_bit: usize,
    /// Senders waiting for room.
    pub(crate) senders: SyncWaker,
    /// Receivers waiting for a message.
    pub(crate) receivers: SyncWaker,
}

// SAFETY: messages move between threads through the slots, under the
// stamp protocol (invariant 2), which gives each slot one owner at a time.
unsafe impl<T: Send> Send for Channel<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Channel<T> {}

/// A short pause inside a reservation race: a few spins, and after a while
/// a goroutine yield (never a thread yield: the peer we wait for may be a
/// goroutine of this very worker).
fn snooze(spins: &mut u32) {
    backoff(spins)
}

impl<T> Channel<T> {
    /// A ring of `cap` slots. A capacity that cannot be allocated is a
    /// panic at the caller's `chan` that says so, before anything is
    /// allocated (never an abort, never an overflow).
    #[track_caller]
    pub(crate) fn with_capacity(cap: usize) -> Channel<T> {
        assert!(cap > 0, "the array flavor needs a capacity");
        let mut buffer: Vec<Slot<T>> = Vec::new();
        if buffer.try_reserve_exact(cap).is_err() {
            panic!(
                "chan: a buffer of {cap} values ({} bytes each) is too large to allocate; \
                 use a smaller capacity",
                std::mem::size_of::<Slot<T>>()
            );
        }
        // The allocation fitted in `isize::MAX` bytes, and a slot takes at
        // least 8, so `cap + 1` and `mark_bit * 2` cannot overflow.
        let mark_bit = (cap + 1).next_power_of_two();
        let one_lap = mark_bit * 2;
        buffer
            .extend((0..cap).map(|i| Slot { stamp: AtomicUsize::new(i), msg: UnsafeCell::new(MaybeUninit::uninit()) }));
        let buffer = buffer.into_boxed_slice();
        Channel {
            head: CachePadded::new(AtomicUsize::new(0)),
            tail: CachePadded::new(AtomicUsize::new(0)),
            buffer,
            cap,
            one_lap,
            mark_bit,
            senders: SyncWaker::new(),
            receivers: SyncWaker::new(),
        }
    }

    /// Reserves a slot to send into; `true` with a null slot when closed.
    pub(crate) fn start_send(&self, token: &mut Token) -> bool {
        self.reserve_send(token, true)
    }

    /// `start_send` when `patient`; otherwise "full" (`false`) instead of
    /// waiting for an operation in flight on the next slot (invariant 5).
    #[inline(always)]
    fn reserve_send(&self, token: &mut Token, patient: bool) -> bool {
        let mut spins = 0;
        let mut tail = self.tail.load(Ordering::Relaxed);
        loop {
            if tail & self.mark_bit != 0 {
                token.array.slot = std::ptr::null();
                token.array.stamp = 0;
                return true;
            }
            let index = tail & (self.mark_bit - 1);
            let lap = tail & !(self.one_lap - 1);
            let slot = &self.buffer[index];
            let raw_stamp = slot.stamp.load(Ordering::Acquire);
            // A hole occupies its slot as a message does (invariant 4).
            let stamp = raw_stamp & !self.mark_bit;
            if tail == stamp {
                let new_tail = if index + 1 < self.cap { tail + 1 } else { lap.wrapping_add(self.one_lap) };
                match self.tail.compare_exchange_weak(tail, new_tail, Ordering::SeqCst, Ordering::Relaxed) {
                    Ok(_) => {
                        token.array.slot = slot as *const Slot<T> as *const u8;
                        token.array.stamp = tail + 1;
                        return true;
                    }
                    Err(t) => {
                        tail = t;
                        // Others made progress; only a patient caller may
                        // yield (invariant 5).
                        if patient {
                            snooze(&mut spins);
                        }
                    }
                }
            } else if stamp.wrapping_add(self.one_lap) == tail + 1 {
                fence(Ordering::SeqCst);
                let head = self.head.load(Ordering::Relaxed);
                if head.wrapping_add(self.one_lap) == tail {
                    // Full, unless the slot, `head`'s, is a hole: then pass
                    // it as a receiver would, and look again (invariant 4).
                    if raw_stamp & self.mark_bit == 0 {
                        return false;
                    }
                    // Passed by us or by another: either way `head` moved,
                    // so there is room now. Look again.
                    self.pass_hole(head, slot);
                    tail = self.tail.load(Ordering::Relaxed);
                    continue;
                }
                // A receiver freed the slot but has not stored its stamp yet.
                if !patient {
                    return false;
                }
                snooze(&mut spins);
                tail = self.tail.load(Ordering::Relaxed);
            } else {
                // A sender of the previous lap has not finished: wait.
                if !patient {
                    return false;
                }
                snooze(&mut spins);
                tail = self.tail.load(Ordering::Relaxed);
            }
        }
    }

    /// Moves `head` past the hole in `slot`, `head`'s slot, and frees the
    /// slot for the next lap's sender (invariant 4); `false` if another
    /// receiver or sender moved `head` first.
    fn pass_hole(&self, head: usize, slot: &Slot<T>) -> bool {
        let index = head & (self.mark_bit - 1);
        let lap = head & !(self.one_lap - 1);
        let new_head = if index + 1 < self.cap { head + 1 } else { lap.wrapping_add(self.one_lap) };
        if self.head.compare_exchange(head, new_head, Ordering::SeqCst, Ordering::Relaxed).is_err() {
            return false;
        }
        slot.stamp.store(head.wrapping_add(self.one_lap), Ordering::Release);
        true
    }

    /// Writes into the reserved slot; `Err` gives the message back if closed.
    ///
    /// # Safety
    /// `token` comes from a successful `start_send` on this channel.
    pub(crate) unsafe fn write(&self, token: &mut Token, msg: T) -> Result<(), T> {
        if token.array.slot.is_null() {
            return Err(msg);
        }
        // SAFETY: the slot was reserved for us by `start_send` (invariant
        // 2): nobody else touches it until we store its stamp.
        let slot = unsafe { &*(token.array.slot as *const Slot<T>) };
        unsafe { slot.msg.get().write(MaybeUninit::new(msg)) };
        slot.stamp.store(token.array.stamp, Ordering::Release);
        self.receivers.notify();
        Ok(())
    }

    /// Reserves a message to receive; `true` with a null slot when closed
    /// and drained.
    pub(crate) fn start_recv(&self, token: &mut Token) -> bool {
        self.reserve_recv(token, true)
    }

    /// `start_recv` when `patient`; otherwise "empty" (`false`) instead of
    /// waiting for an operation in flight on the next slot.
    #[inline(always)]
    fn reserve_recv(&self, token: &mut Token, patient: bool) -> bool {
        let mut spins = 0;
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            let index = head & (self.mark_bit - 1);
            let lap = head & !(self.one_lap - 1);
            let slot = &self.buffer[index];
            let stamp = slot.stamp.load(Ordering::Acquire);
            if (head + 1) | self.mark_bit == stamp {
                // A hole (invariant 4): pass it, and look at the next slot.
                if self.pass_hole(head, slot) {
                    self.senders.notify();
                }
                head = self.head.load(Ordering::Relaxed);
            } else if head + 1 == stamp {
                let new_head = if index + 1 < self.cap { head + 1 } else { lap.wrapping_add(self.one_lap) };
                match self.head.compare_exchange_weak(head, new_head, Ordering::SeqCst, Ordering::Relaxed) {
                    Ok(_) => {
                        token.array.slot = slot as *const Slot<T> as *const u8;
                        token.array.stamp = head.wrapping_add(self.one_lap);
                        return true;
                    }
                    Err(h) => {
                        head = h;
                        snooze(&mut spins);
                    }
                }
            } else if stamp == head {
                fence(Ordering::SeqCst);
                let tail = self.tail.load(Ordering::Relaxed);
                if tail & !self.mark_bit == head {
                    if tail & self.mark_bit != 0 {
                        token.array.slot = std::ptr::null();
                        token.array.stamp = 0;
                        return true; // closed and drained
                    }
                    return false; // empty
                }
                // A sender reserved the slot but has not stored its stamp yet.
                if !patient {
                    return false;
                }
                snooze(&mut spins);
                head = self.head.load(Ordering::Relaxed);
            } else {
                // A receiver of the previous lap has not finished: wait.
                if !patient {
                    return false;
                }
                snooze(&mut spins);
                head = self.head.load(Ordering::Relaxed);
            }
        }
    }

    /// Reads the reserved message; `Err` when closed and drained.
    ///
    /// # Safety
    /// `token` comes from a successful `start_recv` on this channel.
    pub(crate) unsafe fn read(&self, token: &mut Token) -> Result<T, ()> {
        if token.array.slot.is_null() {
            return Err(());
        }
        // SAFETY: the slot holds a written message reserved for us
        // (invariant 2).
        let slot = unsafe { &*(token.array.slot as *const Slot<T>) };
        let msg = unsafe { slot.msg.get().read().assume_init() };
        slot.stamp.store(token.array.stamp, Ordering::Release);
        self.senders.notify();
        Ok(msg)
    }

    /// Finishes a reservation that will not be completed (invariant 4): a
    /// send leaves a hole, a receive drops its message.
    ///
    /// # Safety
    /// `token` comes from a successful `start_send` (`is_send`) or
    /// `start_recv` on this channel, not completed.
    pub(crate) unsafe fn abandon(&self, token: &mut Token, is_send: bool) {
        if token.array.slot.is_null() {
            return; // closed: nothing was reserved
        }
        if is_send {
            // SAFETY: the slot is reserved for us (invariant 2).
            let slot = unsafe { &*(token.array.slot as *const Slot<T>) };
            // SeqCst, then a notify: a sender that parked because this slot
            // was at `head` and unwritten either sees the hole in its
            // re-check (`is_full_for_park`, a SeqCst load) or is woken here
            // (waker.rs invariant 2), and passes it.
            slot.stamp.store(token.array.stamp | self.mark_bit, Ordering::SeqCst);
            self.senders.notify();
        } else {
            // SAFETY: forwarded contract.
            drop(unsafe { self.read(token) });
        }
    }

    /// Sends if there is room now and no operation in flight is in the
    /// way; never waits (invariant 5).
    pub(crate) fn offer(&self, msg: T) -> Result<(), TryError<T>> {
        let token = &mut Token::default();
        if !self.reserve_send(token, false) {
            return Err(TryError::Full(msg));
        }
        // SAFETY: reserved just above.
        unsafe { self.write(token, msg) }.map_err(TryError::Closed)
    }

    /// The state a non-blocking select compares between two looks
    /// (select.rs invariant 5): `head` then `tail`, which only grow (mod
    /// 2^64 laps), so two equal readings mean that no operation completed
    /// on the channel between them. `None` when the arm is ready by it.
    pub(crate) fn quiet_version(&self, is_send: bool) -> Option<(usize, usize)> {
        let head = self.head.load(Ordering::SeqCst);
        let tail = self.tail.load(Ordering::SeqCst);
        if tail & self.mark_bit != 0 {
            return None; // closed: ready on both sides
        }
        let quiet = if is_send {
            // Full with a written message at `head`: it stays there while
            // `head` does not move. An unwritten reservation there could
            // become a hole (room) with neither `head` nor `tail` moving.
            head.wrapping_add(self.one_lap) == tail && self.message_at(head)
        } else {
            head == tail
        };
        quiet.then_some((head, tail))
    }

    /// Whether the slot at `head` holds a written message (not a hole, not
    /// a reservation still in flight).
    fn message_at(&self, head: usize) -> bool {
        self.slot_at(head).stamp.load(Ordering::SeqCst) == head.wrapping_add(1)
    }

    /// Whether a sender may park: full, and the slot at `head` is not a
    /// hole it could pass (invariant 4; SeqCst, against `abandon`'s store).
    pub(crate) fn is_full_for_park(&self) -> bool {
        let head = self.head.load(Ordering::SeqCst);
        let tail = self.tail.load(Ordering::SeqCst);
        if head.wrapping_add(self.one_lap) != tail & !self.mark_bit {
            return false;
        }
        self.slot_at(head).stamp.load(Ordering::SeqCst) & self.mark_bit == 0
    }

    /// The slot of position `pos` (`lap | index`).
    fn slot_at(&self, pos: usize) -> &Slot<T> {
        &self.buffer[pos & (self.mark_bit - 1)]
    }

    /// Drops what is buffered, up to the first operation still in flight
    /// (never waiting for one): the last receiver went, so nobody can
    /// receive it (mod.rs invariant 1).
    pub(crate) fn discard_buffered(&self) {
        let token = &mut Token::default();
        while self.reserve_recv(token, false) {
            // SAFETY: reserved just above.
            if unsafe { self.read(token) }.is_err() {
                return; // closed and drained
            }
        }
    }

    /// Blocking send (invariant 3); `deadline` for `send_timeout`.
    pub(crate) fn send(&self, msg: T, deadline: Option<Instant>) -> Result<(), TryError<T>> {
        let token = &mut Token::default();
        let mut before_park = BeforePark::default();
        loop {
            if self.start_send(token) {
                // SAFETY: reserved just above.
                return unsafe { self.write(token, msg) }.map_err(TryError::Closed);
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(TryError::Full(msg));
            }
            if before_park.yield_again() {
                continue;
            }
            let cx = Context::acquire();
            let key = self.senders.register(0, &cx);
            if !self.is_full_for_park() || self.is_closed() {
                let _ = cx.try_select(Selected::Aborted);
            }
            // Only an abort leaves the entry in: an operation or a close
            // took it out (waker.rs invariant 1).
            if let Selected::Aborted = cx.wait_until(deadline) {
                self.senders.unregister(key);
            }
            cx.release();
        }
    }

    /// Blocking receive (invariant 3): `Err(Closed)` once closed and
    /// drained, `Err(Full)` (meaning: timed out) at `deadline`.
    pub(crate) fn recv(&self, deadline: Option<Instant>) -> Result<T, TryError<()>> {
        let token = &mut Token::default();
        let mut before_park = BeforePark::default();
        loop {
            if self.start_recv(token) {
                // SAFETY: reserved just above.
                return unsafe { self.read(token) }.map_err(|()| TryError::Closed(()));
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(TryError::Full(()));
            }
            if before_park.yield_again() {
                continue;
            }
            let cx = Context::acquire();
            let key = self.receivers.register(0, &cx);
            if !self.is_empty() || self.is_closed() {
                let _ = cx.try_select(Selected::Aborted);
            }
            if let Selected::Aborted = cx.wait_until(deadline) {
                self.receivers.unregister(key);
            }
            cx.release();
        }
    }

    /// Closes the channel; `true` if this call closed it.
    pub(crate) fn close(&self) -> bool {
        let tail = self.tail.fetch_or(self.mark_bit, Ordering::SeqCst);
        if tail & self.mark_bit == 0 {
            self.senders.disconnect();
            self.receivers.disconnect();
            true
        } else {
            false
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.tail.load(Ordering::SeqCst) & self.mark_bit != 0
    }

    pub(crate) fn len(&self) -> usize {
        loop {
            let tail = self.tail.load(Ordering::SeqCst);
            let head = self.head.load(Ordering::SeqCst);
            if self.tail.load(Ordering::SeqCst) == tail {
                let hix = head & (self.mark_bit - 1);
                let tix = tail & (self.mark_bit - 1);
                return if hix < tix {
                    tix - hix
                } else if hix > tix {
                    self.cap - hix + tix
                } else if (tail & !self.mark_bit) == head {
                    0
                } else {
                    self.cap
                };
            }
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        let head = self.head.load(Ordering::SeqCst);
        let tail = self.tail.load(Ordering::SeqCst);
        tail & !self.mark_bit == head
    }

    pub(crate) fn capacity(&self) -> usize {
        self.cap
    }
}

impl<T> Drop for Channel<T> {
    fn drop(&mut self) {
        // Drop the messages still buffered: nobody can receive them now.
        // Trust each slot's stamp, not the head-tail distance: a send
        // reserved but never written (a `SelectedOperation` forgotten with
        // `mem::forget`) moved `tail` past a slot that still holds old
        // bytes, and a hole (invariant 4) holds none. A slot holds a message
        // exactly when its stamp is its position + 1 (invariant 1).
        // `&mut self`: plain loads (loom has no `get_mut`).
        let mut pos = self.head.load(Ordering::Relaxed);
        let tail = self.tail.load(Ordering::Relaxed) & !self.mark_bit;
        while pos != tail {
            let index = pos & (self.mark_bit - 1);
            let lap = pos & !(self.one_lap - 1);
            let slot = &mut self.buffer[index];
            if slot.stamp.load(Ordering::Relaxed) == pos + 1 {
                // SAFETY: `&mut self`: no operation is in flight, and the
                // stamp says a sender wrote this slot and no receiver has
                // read it.
                unsafe { slot.msg.get_mut().assume_init_drop() };
            }
            pos = if index + 1 < self.cap { pos + 1 } else { lap.wrapping_add(self.one_lap) };
        }
    }
}
