//! The unbuffered flavor (`chan(0)`): a rendezvous. A send completes only
//! when a receiver has taken the value.
//!
//! # Invariants
//!
//! 1. All state is under `inner`'s lock: the queues of blocked senders and
//!    receivers, and `is_closed`. At most one queue holds waiters that are
//!    not selected, as in Go's `chan.go` (a sender finding a waiting
//!    receiver pairs with it instead of queueing).
//! 2. A blocked operation owns a `Packet`: on its own stack for a plain
//!    send/recv (a sender's packet carries the message), on the heap for a
//!    `select` arm. The peer that selects it reads or writes the packet and
//!    then sets `ready` (Release); the packet's owner does not return, nor
//!    free it, until it sees `ready` (Acquire). A pinned goroutine's stack
//!    does not move, so a stack packet stays valid while its owner waits.
//! 3. A heap packet is freed by whoever consumes it last: the receiver, after
//!    taking the message out; for a select arm that lost, the owner when it
//!    unregisters; for an arm whose channel closed, the closer, which took
//!    its entry out.
//! 4. `closed` mirrors `is_closed` (set under the lock, Release) so that an
//!    operation on a closed channel answers "closed" without the lock. A
//!    closed channel stays closed, and a close selects every waiter, so
//!    once it is seen nothing can pair any more: Go's rule too (after
//!    `close`, receives report the close and sends fail).
//! 5. A reservation that will not be completed (a `SelectedOperation`
//!    dropped uncompleted, say by a panic) *declines* its pairing instead
//!    of leaving its peer waiting: it sets the packet's `ready` without
//!    moving the message. A peer that sees a declined packet (a receiver:
//!    no message in it; a blocked sender: its message still in it) goes
//!    back and tries its operation again, so nothing is lost and nobody
//!    waits for ever. A receiver reserves a select sender's heap packet
//!    only once the sender has written it (`start_recv` waits), and a
//!    select receive arm accepts only a written packet, so the second phase
//!    (`read`) never meets a declined packet. An abandoned receive of a
//!    written message drops it, as a receive whose caller then panicked.

use crate::loom::{AtomicBool, Ordering};
use std::cell::UnsafeCell;
use std::marker::PhantomData;
use std::time::Instant;

use super::context::{backoff, Context, Selected};
use super::spin_lock::{SpinGuard, SpinLock};
use super::token::Token;
use super::waker::{Key, Waker};
use super::TryError;

/// One try of a blocking operation: done, or declined by its peer
/// (invariant 5), with what to try again with.
enum Attempt<R, M> {
    Done(R),
    Declined(M),
}

/// Where a message changes hands (invariant 2).
struct Packet<T> {
    on_stack: bool,
    ready: AtomicBool,
    msg: UnsafeCell<Option<T>>,
}

impl<T> Packet<T> {
    fn on_stack(msg: Option<T>) -> Packet<T> {
        Packet { on_stack: true, ready: AtomicBool::new(false), msg: UnsafeCell::new(msg) }
    }

    fn on_heap() -> *mut Packet<T> {
        Box::into_raw(Box::new(Packet { on_stack: false, ready: AtomicBool::new(false), msg: UnsafeCell::new(None) }))
    }

    fn wait_ready(&self) {
        let mut spins = 0;
        while !self.ready.load(Ordering::Acquire) {
            backoff(&mut spins);
        }
    }

    /// Declines the pairing (invariant 5): the peer may go on.
    fn decline(&self) {
        self.ready.store(true, Ordering::Release);
    }
}

/// Waits until the sender has written a heap packet (a select send arm's,
/// or a select receive arm's own), and whether it did: a declined one
/// (invariant 5) is freed here, as its receiver consumes it last
/// (invariant 3).
///
/// # Safety
/// `packet` is a heap packet this receiver consumes: one it paired with
/// (took out of the wait queue), or its own that a sender selected.
unsafe fn wait_written<T>(packet: *mut Packet<T>) -> bool {
    // SAFETY: the packet lives until its receiver frees it (invariant 3);
    // its writer is done with it once `ready` is set.
    unsafe {
        (*packet).wait_ready();
        if (*(*packet).msg.get()).is_none() {
            drop(Box::from_raw(packet));
            return false;
        }
    }
    true
}

/// Waits until the sender has written a heap packet, and takes the
/// message; `None` when it declined (invariant 5). The packet is freed
/// either way: the receiver consumes it last (invariant 3).
///
/// # Safety
/// As `wait_written`.
unsafe fn take_from_heap<T>(packet: *mut Packet<T>) -> Option<T> {
    // SAFETY: the packet lives until we free it (invariant 3); its writer
    // is done with it once `ready` is set.
    unsafe {
        (*packet).wait_ready();
        let msg = (*(*packet).msg.get()).take();
        drop(Box::from_raw(packet));
        msg
    }
}

struct Inner {
    senders: Waker,
    receivers: Waker,
    is_closed: bool,
    /// Operations ever registered on either side (wrapping; it sits in
    /// `is_closed`'s padding): what a non-blocking select compares to see
    /// that no peer arrived between two looks (`quiet_version`).
    registered: u32,
}

impl Inner {
    fn register(&mut self, is_send: bool, oper: usize, packet: *mut (), heap: bool, cx: &Context) -> Key {
        self.registered = self.registered.wrapping_add(1);
        let side = if is_send { &mut self.senders } else { &mut self.receivers };
        side.register(oper, packet, heap, cx)
    }
}

pub(crate) struct Channel<T> {
    inner: SpinLock<Inner>,
    /// `inner.is_closed`, readable without the lock (invariant 4).
    closed: AtomicBool,
    _msgs: PhantomData<T>,
}

// SAFETY: messages cross threads only through packets, under the lock and
// the ready flag (invariants 1, 2).
unsafe impl<T: Send> Send for Channel<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Channel<T> {}

impl<T> Channel<T> {
    pub(crate) fn new() -> Channel<T> {
        Channel {
            inner: SpinLock::new(Inner {
                senders: Waker::default(),
                receivers: Waker::default(),
                is_closed: false,
                registered: 0,
            }),
            closed: AtomicBool::new(false),
            _msgs: PhantomData,
        }
    }

    fn lock(&self) -> SpinGuard<'_, Inner> {
        self.inner.lock()
    }

    /// Pairs with a blocked receiver; `true` with a null packet when closed.
    pub(crate) fn start_send(&self, token: &mut Token) -> bool {
        if self.closed.load(Ordering::Acquire) {
            // Invariant 4: closed for good, no lock needed.
            token.zero = std::ptr::null_mut();
            return true;
        }
        let mut inner = self.lock();
        if let Some(op) = inner.receivers.try_select() {
            token.zero = op.packet;
            true
        } else if inner.is_closed {
            token.zero = std::ptr::null_mut();
            true
        } else {
            false
        }
    }

    /// Hands the message to the paired receiver.
    ///
    /// # Safety
    /// `token` comes from `start_send` (or a send arm's `accept`).
    pub(crate) unsafe fn write(&self, token: &mut Token, msg: T) -> Result<(), T> {
        if token.zero.is_null() {
            return Err(msg);
        }
        // SAFETY: the receiver's packet stays alive until we set `ready`
        // (invariant 2); until then we are its only writer.
        let packet = unsafe { &*(token.zero as *const Packet<T>) };
        unsafe { *packet.msg.get() = Some(msg) };
        packet.ready.store(true, Ordering::Release);
        Ok(())
    }

    /// Pairs with a blocked sender; `true` with a null packet when closed.
    /// A select send arm is paired only once it has written its message
    /// (invariant 5); one that declined is passed over.
    pub(crate) fn start_recv(&self, token: &mut Token) -> bool {
        loop {
            if self.closed.load(Ordering::Acquire) {
                // Invariant 4.
                token.zero = std::ptr::null_mut();
                return true;
            }
            let mut inner = self.lock();
            if let Some(op) = inner.senders.try_select() {
                drop(inner);
                // SAFETY: a select send arm's packet, paired just above;
                // waited for outside the lock.
                if op.heap && !unsafe { wait_written(op.packet as *mut Packet<T>) } {
                    continue; // declined
                }
                token.zero = op.packet;
                return true;
            } else if inner.is_closed {
                token.zero = std::ptr::null_mut();
                return true;
            } else {
                return false;
            }
        }
    }

    /// Takes the message from the paired sender.
    ///
    /// # Safety
    /// `token` comes from `start_recv` (or a receive arm's `accept`).
    pub(crate) unsafe fn read(&self, token: &mut Token) -> Result<T, ()> {
        if token.zero.is_null() {
            return Err(());
        }
        let packet = token.zero as *mut Packet<T>;
        // SAFETY: the sender's packet stays alive until we set `ready`, or,
        // on the heap, until we free it (invariants 2, 3).
        unsafe {
            if (*packet).on_stack {
                // A blocked sender's stack packet: the message is there.
                let msg = (*(*packet).msg.get()).take().expect("a stack packet of a sender carries its message");
                (*packet).ready.store(true, Ordering::Release);
                Ok(msg)
            } else {
                // A select send arm's packet, or our own select receive
                // arm's: written before it was reserved (invariant 5).
                Ok(take_from_heap(packet).expect("a reserved heap packet carries a message"))
            }
        }
    }

    /// Blocking send; `Err(Full)` means timed out at `deadline`.
    #[inline]
    pub(crate) fn send(&self, msg: T, deadline: Option<Instant>) -> Result<(), TryError<T>> {
        match self.send_once(msg, deadline) {
            Attempt::Done(result) => result,
            Attempt::Declined(msg) => self.send_again(msg, deadline),
        }
    }

    /// `send` after a receiver declined (invariant 5): off the fast path.
    #[cold]
    #[inline(never)]
    fn send_again(&self, mut msg: T, deadline: Option<Instant>) -> Result<(), TryError<T>> {
        loop {
            match self.send_once(msg, deadline) {
                Attempt::Done(result) => return result,
                Attempt::Declined(m) => msg = m,
            }
        }
    }

    // Inlined so that `send` keeps the one-try body it had before declines
    // existed (out of line, it cost ping-pong 5%).
    #[inline(always)]
    fn send_once(&self, msg: T, deadline: Option<Instant>) -> Attempt<Result<(), TryError<T>>, T> {
        let token = &mut Token::default();
        let mut inner = self.lock();
        if let Some(op) = inner.receivers.try_select() {
            token.zero = op.packet;
            drop(inner);
            // SAFETY: paired just above.
            return Attempt::Done(unsafe { self.write(token, msg) }.map_err(TryError::Closed));
        }
        if inner.is_closed {
            return Attempt::Done(Err(TryError::Closed(msg)));
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Attempt::Done(Err(TryError::Full(msg)));
        }
        // Block with the message in a packet on our stack (invariant 2).
        let cx = Context::acquire();
        let packet = Packet::on_stack(Some(msg));
        let key = inner.register(true, 0, &packet as *const Packet<T> as *mut (), false, &cx);
        drop(inner);
        let sel = cx.wait_until(deadline);
        let result = match sel {
            Selected::Operation(_) => {
                // A receiver took it, is taking it, or declined (invariant
                // 5): wait until it is done with our stack.
                packet.wait_ready();
                // SAFETY: `ready` seen: the receiver no longer touches it.
                match unsafe { (*packet.msg.get()).take() } {
                    None => Attempt::Done(Ok(())),
                    Some(msg) => Attempt::Declined(msg),
                }
            }
            Selected::Aborted | Selected::Closed(_) => {
                if sel == Selected::Aborted {
                    // A close took the entry out itself (waker.rs inv. 1).
                    self.lock().senders.unregister(key);
                }
                // SAFETY: nobody selected us, so nobody touches the packet.
                let msg = unsafe { (*packet.msg.get()).take() }.expect("an unselected packet keeps its message");
                Attempt::Done(Err(if sel == Selected::Aborted { TryError::Full(msg) } else { TryError::Closed(msg) }))
            }
            Selected::Waiting => unreachable!("wait_until returns a selection"),
        };
        cx.release();
        result
    }

    /// Blocking receive; `Err(Full)` means timed out at `deadline`.
    #[inline]
    pub(crate) fn recv(&self, deadline: Option<Instant>) -> Result<T, TryError<()>> {
        match self.recv_once(deadline) {
            Attempt::Done(result) => result,
            Attempt::Declined(()) => self.recv_again(deadline),
        }
    }

    /// `recv` after a sender declined (invariant 5): off the fast path.
    #[cold]
    #[inline(never)]
    fn recv_again(&self, deadline: Option<Instant>) -> Result<T, TryError<()>> {
        loop {
            if let Attempt::Done(result) = self.recv_once(deadline) {
                return result;
            }
        }
    }

    // As `send_once`.
    #[inline(always)]
    fn recv_once(&self, deadline: Option<Instant>) -> Attempt<Result<T, TryError<()>>, ()> {
        let token = &mut Token::default();
        let mut inner = self.lock();
        if let Some(op) = inner.senders.try_select() {
            drop(inner);
            if op.heap {
                // SAFETY: a select send arm's packet, paired just above.
                return match unsafe { take_from_heap(op.packet as *mut Packet<T>) } {
                    Some(msg) => Attempt::Done(Ok(msg)),
                    None => Attempt::Declined(()),
                };
            }
            token.zero = op.packet;
            // SAFETY: a blocked sender's stack packet, paired just above.
            return Attempt::Done(unsafe { self.read(token) }.map_err(|()| TryError::Closed(())));
        }
        if inner.is_closed {
            return Attempt::Done(Err(TryError::Closed(())));
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Attempt::Done(Err(TryError::Full(())));
        }
        let cx = Context::acquire();
        let packet = Packet::<T>::on_stack(None);
        let key = inner.register(false, 0, &packet as *const Packet<T> as *mut (), false, &cx);
        drop(inner);
        let sel = cx.wait_until(deadline);
        let result = match sel {
            Selected::Operation(_) => {
                packet.wait_ready();
                // SAFETY: the sender wrote (or declined) and set `ready`; it
                // no longer touches the packet.
                match unsafe { (*packet.msg.get()).take() } {
                    Some(msg) => Attempt::Done(Ok(msg)),
                    None => Attempt::Declined(()),
                }
            }
            Selected::Aborted | Selected::Closed(_) => {
                if sel == Selected::Aborted {
                    self.lock().receivers.unregister(key);
                }
                Attempt::Done(Err(if sel == Selected::Aborted { TryError::Full(()) } else { TryError::Closed(()) }))
            }
            Selected::Waiting => unreachable!("wait_until returns a selection"),
        };
        cx.release();
        result
    }

    // ---- select support: a blocked select arm registers a heap packet.

    pub(crate) fn register_send(&self, oper: usize, cx: &Context) -> (Key, bool) {
        let mut inner = self.lock();
        let key = inner.register(true, oper, Packet::<T>::on_heap() as *mut (), true, cx);
        (key, inner.receivers.can_select() || inner.is_closed)
    }

    pub(crate) fn register_recv(&self, oper: usize, cx: &Context) -> (Key, bool) {
        let mut inner = self.lock();
        let key = inner.register(false, oper, Packet::<T>::on_heap() as *mut (), true, cx);
        (key, inner.senders.can_select() || inner.is_closed)
    }

    pub(crate) fn unregister_send(&self, key: Key) {
        if let Some(op) = self.lock().senders.unregister(key) {
            // SAFETY: an unselected heap packet is ours to free (invariant 3).
            unsafe { drop(Box::from_raw(op.packet as *mut Packet<T>)) };
        }
    }

    pub(crate) fn unregister_recv(&self, key: Key) {
        if let Some(op) = self.lock().receivers.unregister(key) {
            // SAFETY: as above.
            unsafe { drop(Box::from_raw(op.packet as *mut Packet<T>)) };
        }
    }

    /// A select send arm of ours won: the winner stored our packet, and
    /// waits for us to write it.
    pub(crate) fn accept_send(&self, token: &mut Token, cx: &Context) -> bool {
        token.zero = cx.wait_packet();
        true
    }

    /// A select receive arm of ours won: reserved once the sender wrote our
    /// packet; `false` (select again) if it declined (invariant 5).
    pub(crate) fn accept_recv(&self, token: &mut Token, cx: &Context) -> bool {
        let packet = cx.wait_packet();
        // SAFETY: our own heap packet, taken out by the sender that selected
        // us: we consume it last (invariant 3).
        if !unsafe { wait_written(packet as *mut Packet<T>) } {
            return false;
        }
        token.zero = packet;
        true
    }

    /// Finishes a reservation that will not be completed (invariant 5).
    ///
    /// # Safety
    /// `token` comes from `start_send`/`accept_send` (`is_send`) or
    /// `start_recv`/`accept_recv` on this channel, not completed.
    pub(crate) unsafe fn abandon(&self, token: &mut Token, is_send: bool) {
        let packet = token.zero as *mut Packet<T>;
        if packet.is_null() {
            return; // closed: nothing was paired
        }
        // SAFETY: the paired packet is alive until we set `ready` or, on
        // the heap and received, until we free it (invariants 2, 3, 5).
        unsafe {
            if is_send || (*packet).on_stack {
                // The receiver finds no message, or the blocked sender
                // finds its message still there: either tries again.
                (*packet).decline();
            } else {
                // A written heap packet: receive it, and drop the message.
                drop(take_from_heap(packet));
            }
        }
    }

    /// See `array::Channel::quiet_version`: `None` when the arm is ready,
    /// else the count of operations ever registered, read with its
    /// readiness under the lock. An arm becomes ready only
    /// by a peer registering (which bumps it) or by the close.
    pub(crate) fn quiet_version(&self, is_send: bool) -> Option<(usize, usize)> {
        let inner = self.lock();
        let peers = if is_send { &inner.receivers } else { &inner.senders };
        if inner.is_closed || peers.can_select() {
            return None;
        }
        Some((inner.registered as usize, 0))
    }

    pub(crate) fn is_ready_send(&self) -> bool {
        let inner = self.lock();
        inner.receivers.can_select() || inner.is_closed
    }

    pub(crate) fn is_ready_recv(&self) -> bool {
        let inner = self.lock();
        inner.senders.can_select() || inner.is_closed
    }

    pub(crate) fn close(&self) -> bool {
        let mut inner = self.lock();
        if inner.is_closed {
            return false;
        }
        inner.is_closed = true;
        self.closed.store(true, Ordering::Release);
        let mut closed = Vec::new();
        inner.senders.disconnect(&mut closed);
        inner.receivers.disconnect(&mut closed);
        drop(inner);
        for e in closed {
            e.cx.unpark();
            if e.heap {
                // A select arm's heap packet, taken out with its entry and
                // selected `Closed`: no peer paired with it, and its owner,
                // told which arm closed, does not unregister (so does not
                // free) it (invariant 3, waker.rs invariant 1).
                let packet = e.packet as *mut Packet<T>;
                // SAFETY: so we are its last user, as said just above.
                unsafe { drop(Box::from_raw(packet)) };
            }
        }
        true
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}
