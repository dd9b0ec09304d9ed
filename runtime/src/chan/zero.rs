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

use crate::loom::{AtomicBool, Ordering};
use std::cell::UnsafeCell;
use std::marker::PhantomData;
use std::time::Instant;

use super::context::{backoff, Context, Selected};
use super::spin_lock::{SpinGuard, SpinLock};
use super::token::Token;
use super::waker::{Key, Waker};
use super::TryError;

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
}

struct Inner {
    senders: Waker,
    receivers: Waker,
    is_closed: bool,
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
            inner: SpinLock::new(Inner { senders: Waker::default(), receivers: Waker::default(), is_closed: false }),
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
    pub(crate) fn start_recv(&self, token: &mut Token) -> bool {
        if self.closed.load(Ordering::Acquire) {
            // Invariant 4.
            token.zero = std::ptr::null_mut();
            return true;
        }
        let mut inner = self.lock();
        if let Some(op) = inner.senders.try_select() {
            token.zero = op.packet;
            true
        } else if inner.is_closed {
            token.zero = std::ptr::null_mut();
            true
        } else {
            false
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
                // A select send arm that won: wait for it to write.
                (*packet).wait_ready();
                let msg = (*(*packet).msg.get()).take().expect("a ready packet carries a message");
                drop(Box::from_raw(packet));
                Ok(msg)
            }
        }
    }

    /// Blocking send; `Err(Full)` means timed out at `deadline`.
    pub(crate) fn send(&self, msg: T, deadline: Option<Instant>) -> Result<(), TryError<T>> {
        let token = &mut Token::default();
        let mut inner = self.lock();
        if let Some(op) = inner.receivers.try_select() {
            token.zero = op.packet;
            drop(inner);
            // SAFETY: paired just above.
            return unsafe { self.write(token, msg) }.map_err(TryError::Closed);
        }
        if inner.is_closed {
            return Err(TryError::Closed(msg));
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(TryError::Full(msg));
        }
        // Block with the message in a packet on our stack (invariant 2).
        let cx = Context::acquire();
        let packet = Packet::on_stack(Some(msg));
        let key = inner.senders.register(0, &packet as *const Packet<T> as *mut (), false, &cx);
        drop(inner);
        let sel = cx.wait_until(deadline);
        let result = match sel {
            Selected::Operation(_) => {
                // A receiver took it, or is taking it: wait until it is done
                // with our stack.
                packet.wait_ready();
                Ok(())
            }
            Selected::Aborted | Selected::Closed(_) => {
                if sel == Selected::Aborted {
                    // A close took the entry out itself (waker.rs inv. 1).
                    self.lock().senders.unregister(key);
                }
                // SAFETY: nobody selected us, so nobody touches the packet.
                let msg = unsafe { (*packet.msg.get()).take() }.expect("an unselected packet keeps its message");
                Err(if sel == Selected::Aborted { TryError::Full(msg) } else { TryError::Closed(msg) })
            }
            Selected::Waiting => unreachable!("wait_until returns a selection"),
        };
        cx.release();
        result
    }

    /// Blocking receive; `Err(Full)` means timed out at `deadline`.
    pub(crate) fn recv(&self, deadline: Option<Instant>) -> Result<T, TryError<()>> {
        let token = &mut Token::default();
        let mut inner = self.lock();
        if let Some(op) = inner.senders.try_select() {
            token.zero = op.packet;
            drop(inner);
            // SAFETY: paired just above.
            return unsafe { self.read(token) }.map_err(|()| TryError::Closed(()));
        }
        if inner.is_closed {
            return Err(TryError::Closed(()));
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(TryError::Full(()));
        }
        let cx = Context::acquire();
        let packet = Packet::<T>::on_stack(None);
        let key = inner.receivers.register(0, &packet as *const Packet<T> as *mut (), false, &cx);
        drop(inner);
        let sel = cx.wait_until(deadline);
        let result = match sel {
            Selected::Operation(_) => {
                packet.wait_ready();
                // SAFETY: the sender wrote and set `ready`; it no longer
                // touches the packet.
                Ok(unsafe { (*packet.msg.get()).take() }.expect("a ready packet carries a message"))
            }
            Selected::Aborted | Selected::Closed(_) => {
                if sel == Selected::Aborted {
                    self.lock().receivers.unregister(key);
                }
                Err(if sel == Selected::Aborted { TryError::Full(()) } else { TryError::Closed(()) })
            }
            Selected::Waiting => unreachable!("wait_until returns a selection"),
        };
        cx.release();
        result
    }

    // ---- select support: a blocked select arm registers a heap packet.

    pub(crate) fn register_send(&self, oper: usize, cx: &Context) -> (Key, bool) {
        let mut inner = self.lock();
        let key = inner.senders.register(oper, Packet::<T>::on_heap() as *mut (), true, cx);
        (key, inner.receivers.can_select() || inner.is_closed)
    }

    pub(crate) fn register_recv(&self, oper: usize, cx: &Context) -> (Key, bool) {
        let mut inner = self.lock();
        let key = inner.receivers.register(oper, Packet::<T>::on_heap() as *mut (), true, cx);
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

    /// A select arm of ours won: the winner stored our packet.
    pub(crate) fn accept(&self, token: &mut Token, cx: &Context) -> bool {
        token.zero = cx.wait_packet();
        true
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
