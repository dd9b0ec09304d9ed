//! Channels: Go's `chan T`, multi-producer multi-consumer, usable from
//! goroutines (which suspend) and plain threads (which park), both at once.
//!
//! - `array.rs`: the buffered flavor, a lock-free ring;
//! - `zero.rs`: the unbuffered flavor, a rendezvous;
//! - `context.rs`, `waker.rs`, `token.rs`: how blocked operations wait and
//!   are chosen (the machinery `select` shares);
//! - `before_park.rs`: a blocked buffered operation (or select) looks again
//!   a few times, yielding, before it parks;
//! - `spin_lock.rs`: the lock of the wait queues;
//! - `errors.rs`: why an operation did not complete.
//!
//! # Invariants
//!
//! 1. A channel closes once, by `close()` from either end or when the last
//!    `Sender` or the last `Receiver` is dropped; closing wakes every waiter
//!    on both sides. After it, sends fail with the value given back, and
//!    receives drain what is buffered, then return `None`. When the last
//!    `Receiver` goes, what is buffered is dropped at once (nobody can
//!    receive it: a file or a large buffer sent is freed then, not when
//!    the last `Sender` goes), up to the first operation still in flight:
//!    what is behind it goes with the channel's memory.
//! 2. `senders` and `receivers` count live handles (plus one for good once
//!    a sender is left open, `Sender::leave_open`); the channel's memory
//!    goes with the last handle of either kind (an `Arc`).
//! 3. Every operation starts by spending one unit of the running
//!    goroutine's cooperative budget (`goroutine/current.rs`): a goroutine
//!    that completes many operations without blocking yields now and then,
//!    before it reserves anything, so the goroutines pinned beside it run.

mod array;
pub(crate) mod before_park;
pub(crate) mod context;
mod errors;
mod spin_lock;
pub(crate) mod token;
pub(crate) mod waker;
mod zero;

use crate::goroutine::current::spend_budget;
use crate::loom::{AtomicUsize, Ordering};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use errors::{RecvTimeoutError, SendError, SendTimeoutError, TryRecvError, TrySendError};

use context::Context;
use token::Token;
use waker::Key;

/// Internal outcome of a flavor's operation: `Full` means full, empty, or
/// timed out (by context); `Closed` means closed. The value comes back.
pub(crate) enum TryError<T> {
    Full(T),
    Closed(T),
}

// One per channel, inside its `Arc`: the size difference costs one
// allocation's worth per unbuffered channel, and boxing would cost a pointer
// chase on every operation.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Flavor<T> {
    Array(array::Channel<T>),
    Zero(zero::Channel<T>),
}

pub(crate) struct Shared<T> {
    pub(crate) flavor: Flavor<T>,
    /// Live `Sender`s (invariant 2). Relaxed increments (a clone is made from
    /// a live handle); AcqRel decrements, so the last one sees every send
    /// before it closes the channel.
    senders: AtomicUsize,
    /// Live `Receiver`s, as `senders`.
    receivers: AtomicUsize,
}

/// Creates a channel: `cap == 0` is unbuffered (a send completes only when a
/// receiver has taken the value), otherwise it buffers `cap` values.
///
/// ```
/// let (tx, rx) = goroutines_runtime::chan::<u32>(1);
/// tx.send(7).unwrap();
/// assert_eq!(rx.recv(), Some(7));
/// drop(tx); // the last sender closes the channel
/// assert_eq!(rx.recv(), None);
/// ```
///
/// # Panics
/// If a buffer of `cap` values cannot be allocated (the message names the
/// capacity; nothing is allocated).
#[track_caller]
pub fn chan<T>(cap: usize) -> (Sender<T>, Receiver<T>) {
    let flavor =
        if cap == 0 { Flavor::Zero(zero::Channel::new()) } else { Flavor::Array(array::Channel::with_capacity(cap)) };
    let shared = Arc::new(Shared { flavor, senders: AtomicUsize::new(1), receivers: AtomicUsize::new(1) });
    (Sender { shared: shared.clone() }, Receiver { shared })
}

impl<T> Shared<T> {
    fn close(&self) -> bool {
        match &self.flavor {
            Flavor::Array(c) => c.close(),
            Flavor::Zero(c) => c.close(),
        }
    }

    fn is_closed(&self) -> bool {
        match &self.flavor {
            Flavor::Array(c) => c.is_closed(),
            Flavor::Zero(c) => c.is_closed(),
        }
    }

    fn len(&self) -> usize {
        match &self.flavor {
            Flavor::Array(c) => c.len(),
            Flavor::Zero(_) => 0,
        }
    }

    fn cap(&self) -> usize {
        match &self.flavor {
            Flavor::Array(c) => c.capacity(),
            Flavor::Zero(_) => 0,
        }
    }

    fn send(&self, msg: T, deadline: Option<Instant>) -> Result<(), TryError<T>> {
        spend_budget();
        match &self.flavor {
            Flavor::Array(c) => c.send(msg, deadline),
            Flavor::Zero(c) => c.send(msg, deadline),
        }
    }

    fn recv(&self, deadline: Option<Instant>) -> Result<T, TryError<()>> {
        spend_budget();
        match &self.flavor {
            Flavor::Array(c) => c.recv(deadline),
            Flavor::Zero(c) => c.recv(deadline),
        }
    }

    // ---- the two phases of an operation, for `select`.

    pub(crate) fn start_send(&self, token: &mut Token) -> bool {
        match &self.flavor {
            Flavor::Array(c) => c.start_send(token),
            Flavor::Zero(c) => c.start_send(token),
        }
    }

    /// # Safety
    /// `token` comes from `start_send` / `accept_send` on this channel.
    pub(crate) unsafe fn write(&self, token: &mut Token, msg: T) -> Result<(), T> {
        // SAFETY: forwarded contract.
        unsafe {
            match &self.flavor {
                Flavor::Array(c) => c.write(token, msg),
                Flavor::Zero(c) => c.write(token, msg),
            }
        }
    }

    pub(crate) fn start_recv(&self, token: &mut Token) -> bool {
        match &self.flavor {
            Flavor::Array(c) => c.start_recv(token),
            Flavor::Zero(c) => c.start_recv(token),
        }
    }

    /// # Safety
    /// `token` comes from `start_recv` / `accept_recv` on this channel.
    pub(crate) unsafe fn read(&self, token: &mut Token) -> Result<T, ()> {
        // SAFETY: forwarded contract.
        unsafe {
            match &self.flavor {
                Flavor::Array(c) => c.read(token),
                Flavor::Zero(c) => c.read(token),
            }
        }
    }

    /// Registers a blocked send arm; returns its key and whether it is
    /// ready anyway.
    pub(crate) fn register_send(&self, oper: usize, cx: &Context) -> (Key, bool) {
        match &self.flavor {
            Flavor::Array(c) => {
                let key = c.senders.register(oper, cx);
                (key, !c.is_full_for_park() || c.is_closed())
            }
            Flavor::Zero(c) => c.register_send(oper, cx),
        }
    }

    pub(crate) fn register_recv(&self, oper: usize, cx: &Context) -> (Key, bool) {
        match &self.flavor {
            Flavor::Array(c) => {
                let key = c.receivers.register(oper, cx);
                (key, !c.is_empty() || c.is_closed())
            }
            Flavor::Zero(c) => c.register_recv(oper, cx),
        }
    }

    pub(crate) fn unregister_send(&self, key: Key) {
        match &self.flavor {
            Flavor::Array(c) => drop(c.senders.unregister(key)),
            Flavor::Zero(c) => c.unregister_send(key),
        }
    }

    pub(crate) fn unregister_recv(&self, key: Key) {
        match &self.flavor {
            Flavor::Array(c) => drop(c.receivers.unregister(key)),
            Flavor::Zero(c) => c.unregister_recv(key),
        }
    }

    /// A blocked send arm was selected: completes its reservation.
    pub(crate) fn accept_send(&self, token: &mut Token, cx: &Context) -> bool {
        match &self.flavor {
            // A buffered channel's wake-up is a hint: reserve again.
            Flavor::Array(c) => c.start_send(token),
            Flavor::Zero(c) => c.accept_send(token, cx),
        }
    }

    pub(crate) fn accept_recv(&self, token: &mut Token, cx: &Context) -> bool {
        match &self.flavor {
            Flavor::Array(c) => c.start_recv(token),
            Flavor::Zero(c) => c.accept_recv(token, cx),
        }
    }

    /// Finishes a reservation that will not be completed: a send sends
    /// nothing, a receive drops its value (array.rs invariant 4, zero.rs
    /// invariant 5).
    ///
    /// # Safety
    /// `token` comes from a successful `start_send`/`accept_send`
    /// (`is_send`) or `start_recv`/`accept_recv` on this channel, and was
    /// not completed.
    pub(crate) unsafe fn abandon(&self, token: &mut Token, is_send: bool) {
        // SAFETY: forwarded contract.
        unsafe {
            match &self.flavor {
                Flavor::Array(c) => c.abandon(token, is_send),
                Flavor::Zero(c) => c.abandon(token, is_send),
            }
        }
    }

    /// For a non-blocking select (select.rs invariant 5): `None` if the
    /// operation (a send if `is_send`) is ready now, else a reading that
    /// stays the same only while the operation stays not ready (no
    /// operation completes on a buffered channel, no peer registers on an
    /// unbuffered one).
    pub(crate) fn quiet_version(&self, is_send: bool) -> Option<(usize, usize)> {
        match &self.flavor {
            Flavor::Array(c) => c.quiet_version(is_send),
            Flavor::Zero(c) => c.quiet_version(is_send),
        }
    }

    /// The channel's identity: the same for every handle of either kind.
    pub(crate) fn id(&self) -> usize {
        self as *const Shared<T> as usize
    }

    pub(crate) fn is_ready_send(&self) -> bool {
        match &self.flavor {
            Flavor::Array(c) => !c.is_full_for_park() || c.is_closed(),
            Flavor::Zero(c) => c.is_ready_send(),
        }
    }

    /// Whether the channel has a buffer (whose room or values a yield may
    /// bring: chan/before_park.rs).
    pub(crate) fn is_buffered(&self) -> bool {
        matches!(self.flavor, Flavor::Array(_))
    }

    pub(crate) fn is_ready_recv(&self) -> bool {
        match &self.flavor {
            Flavor::Array(c) => !c.is_empty() || c.is_closed(),
            Flavor::Zero(c) => c.is_ready_recv(),
        }
    }
}

fn deadline_after(d: Duration) -> Option<Instant> {
    Instant::now().checked_add(d)
}

/// The sending end of a channel. Clones send into the same channel; the
/// last one dropped closes it.
pub struct Sender<T> {
    pub(crate) shared: Arc<Shared<T>>,
}

/// The receiving end of a channel. Clones receive from the same channel
/// (each value goes to one of them); when the last one is dropped the
/// channel closes, sends fail with the value given back, and the values
/// still buffered are dropped.
pub struct Receiver<T> {
    pub(crate) shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    /// Sends `value`, waiting for room (or, unbuffered, for a receiver).
    /// `Err` gives the value back when the channel is closed.
    #[track_caller]
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        crate::goroutine::status::will_wait(
            crate::goroutine::status::WaitReason::ChanSend,
            std::panic::Location::caller(),
        );
        self.shared.send(value, None).map_err(|e| match e {
            TryError::Full(v) | TryError::Closed(v) => SendError(v),
        })
    }

    /// Sends without waiting.
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        spend_budget();
        // The two phases `select` uses: reserve (or pair), then complete.
        let token = &mut Token::default();
        if !self.shared.start_send(token) {
            return Err(TrySendError::Full(value));
        }
        // SAFETY: reserved just above, on this channel.
        unsafe { self.shared.write(token, value) }.map_err(TrySendError::Closed)
    }

    /// `try_send` that never waits for another operation in flight on the
    /// channel (array.rs invariant 5) nor spends the cooperative budget
    /// (invariant 3), so it never switches the caller out: the timer
    /// thread's send, which no user's channel may hold up, and a send made
    /// under a lock (`Timer::reset`).
    pub(crate) fn offer(&self, value: T) -> Result<(), TrySendError<T>> {
        let result = match &self.shared.flavor {
            Flavor::Array(c) => c.offer(value),
            Flavor::Zero(c) => {
                let token = &mut Token::default();
                if !c.start_send(token) {
                    return Err(TrySendError::Full(value));
                }
                // SAFETY: paired just above, on this channel.
                unsafe { c.write(token, value) }.map_err(TryError::Closed)
            }
        };
        result.map_err(|e| match e {
            TryError::Full(v) => TrySendError::Full(v),
            TryError::Closed(v) => TrySendError::Closed(v),
        })
    }

    /// Sends, waiting at most `timeout`.
    #[track_caller]
    pub fn send_timeout(&self, value: T, timeout: Duration) -> Result<(), SendTimeoutError<T>> {
        crate::goroutine::status::will_wait(
            crate::goroutine::status::WaitReason::ChanSend,
            std::panic::Location::caller(),
        );
        self.shared.send(value, deadline_after(timeout)).map_err(|e| match e {
            TryError::Full(v) => SendTimeoutError::Timeout(v),
            TryError::Closed(v) => SendTimeoutError::Closed(v),
        })
    }

    /// Lets this sender go but keeps its count (invariant 2): no sender
    /// will close the channel any more, only `close()` or the last
    /// `Receiver`. For timer channels, which Go never closes: the timer
    /// sends once and goes, and its receiver must not see "closed".
    pub(crate) fn leave_open(self) {
        self.shared.senders.fetch_add(1, Ordering::Relaxed);
    }

    /// Closes the channel (Go's `close(ch)`): receivers drain what is
    /// buffered, then get `None`; blocked senders get their value back.
    /// Returns whether this call closed it (closing twice is harmless).
    pub fn close(&self) -> bool {
        self.shared.close()
    }

    /// Whether the channel is closed.
    pub fn is_closed(&self) -> bool {
        self.shared.is_closed()
    }

    /// Values buffered now.
    pub fn len(&self) -> usize {
        self.shared.len()
    }

    /// Whether nothing is buffered now.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The buffer's capacity (0: unbuffered).
    pub fn cap(&self) -> usize {
        self.shared.cap()
    }
}

impl<T> Receiver<T> {
    /// Receives a value, waiting for one; `None` once the channel is closed
    /// and drained (Go's `v, ok := <-ch` with `ok == false`).
    #[track_caller]
    pub fn recv(&self) -> Option<T> {
        crate::goroutine::status::will_wait(
            crate::goroutine::status::WaitReason::ChanReceive,
            std::panic::Location::caller(),
        );
        self.shared.recv(None).ok()
    }

    /// Receives without waiting.
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        spend_budget();
        let token = &mut Token::default();
        if !self.shared.start_recv(token) {
            return Err(TryRecvError::Empty);
        }
        // SAFETY: reserved just above, on this channel.
        unsafe { self.shared.read(token) }.map_err(|()| TryRecvError::Closed)
    }

    /// Drops every value that can be received now, without spending the
    /// cooperative budget (invariant 3): for callers that hold a lock,
    /// which must never switch their goroutine out.
    pub(crate) fn drain_now(&self) {
        match &self.shared.flavor {
            // Never waits for an operation in flight (which could switch the
            // goroutine out under the caller's lock).
            Flavor::Array(c) => c.discard_buffered(),
            Flavor::Zero(_) => loop {
                let token = &mut Token::default();
                if !self.shared.start_recv(token) {
                    return;
                }
                // SAFETY: reserved just above, on this channel.
                if unsafe { self.shared.read(token) }.is_err() {
                    return;
                }
            },
        }
    }

    /// Receives, waiting at most `timeout`.
    #[track_caller]
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        crate::goroutine::status::will_wait(
            crate::goroutine::status::WaitReason::ChanReceive,
            std::panic::Location::caller(),
        );
        self.shared.recv(deadline_after(timeout)).map_err(|e| match e {
            TryError::Full(()) => RecvTimeoutError::Timeout,
            TryError::Closed(()) => RecvTimeoutError::Closed,
        })
    }

    /// Closes the channel; see [`Sender::close`].
    pub fn close(&self) -> bool {
        self.shared.close()
    }

    /// Whether the channel is closed (values may still be buffered).
    pub fn is_closed(&self) -> bool {
        self.shared.is_closed()
    }

    /// Values buffered now.
    pub fn len(&self) -> usize {
        self.shared.len()
    }

    /// Whether nothing is buffered now.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The buffer's capacity (0: unbuffered).
    pub fn cap(&self) -> usize {
        self.shared.cap()
    }

    /// Receives until the channel is closed and drained (Go's
    /// `for v := range ch`).
    pub fn iter(&self) -> Iter<'_, T> {
        Iter { rx: self }
    }
}

// A channel is never left broken by a panic: an operation either completes
// or gives its value back, and the state a panic can interrupt (a
// reservation) is released by its drop (select.rs invariant 3). So a handle
// may cross `catch_unwind`, as std's and crossbeam's channels may.
impl<T> std::panic::UnwindSafe for Sender<T> {}
impl<T> std::panic::RefUnwindSafe for Sender<T> {}
impl<T> std::panic::UnwindSafe for Receiver<T> {}
impl<T> std::panic::RefUnwindSafe for Receiver<T> {}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.senders.fetch_add(1, Ordering::Relaxed);
        Sender { shared: self.shared.clone() }
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.shared.receivers.fetch_add(1, Ordering::Relaxed);
        Receiver { shared: self.shared.clone() }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        // Invariant 1: the last sender closes.
        if self.shared.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.shared.close();
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        // Invariant 1: with no receiver left, sends must fail, not block,
        // and what is buffered can never be received.
        if self.shared.receivers.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.shared.close();
            if let Flavor::Array(c) = &self.shared.flavor {
                c.discard_buffered();
            }
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("len", &self.len())
            .field("cap", &self.cap())
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("len", &self.len())
            .field("cap", &self.cap())
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// Iterates over received values until the channel is closed and drained.
pub struct Iter<'a, T> {
    rx: &'a Receiver<T>,
}

impl<T> Iterator for Iter<'_, T> {
    type Item = T;
    // The wait site a dump shows is the user's `for` loop.
    #[track_caller]
    fn next(&mut self) -> Option<T> {
        self.rx.recv()
    }
}

impl<'a, T> IntoIterator for &'a Receiver<T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

/// Iterates, owning the receiver, until the channel is closed and drained.
pub struct IntoIter<T> {
    rx: Receiver<T>,
}

impl<T> Iterator for IntoIter<T> {
    type Item = T;
    // The wait site a dump shows is the user's `for` loop.
    #[track_caller]
    fn next(&mut self) -> Option<T> {
        self.rx.recv()
    }
}

impl<T> IntoIterator for Receiver<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;
    fn into_iter(self) -> IntoIter<T> {
        IntoIter { rx: self }
    }
}
