//! What `select!` expands to: the operand traits that turn each arm's
//! channel expression into an `Option<&Receiver<T>>` / `Option<&Sender<T>>`
//! (`None` disables the arm, Go's nil channel), and the small helpers that
//! add an arm to a runtime [`Select`] and complete the chosen operation.
//!
//! The expansion evaluates every operand once, when the select is entered,
//! borrows it (`<-rx` does not move `rx`; a temporary such as `after(d)`
//! lives as long as the select), and turns it into the channel the arm
//! waits on, through [`recv_channel`] / [`send_channel`], whose bounds
//! report a value that is not a channel at the user's expression:
//!
//! ```text
//! let op0 = &(rx);                               // entry, in source order
//! let ch0 = recv_channel(&*op0);                 // Option<&Receiver<T>>
//! let op1 = &(tx);
//! let ch1 = send_channel(&*op1);
//! let mut val1 = send_value(ch1)(value);         // Option<T>, at the value
//! let mut sel = Select::new();
//! let i0 = add_recv(&mut sel, ch0);              // usize::MAX when disabled
//! let i1 = add_send(&mut sel, ch1);
//! let op = sel.select();
//! if op.index() == i0 { complete_recv(op, ch0) } else if ...
//! ```

use crate::time::{Ticker, Timer};
use crate::{Receiver, Select, SelectedOperation, SendError, Sender};

/// What `<-operand` in `select!` accepts: something that may hold a
/// [`Receiver`].
///
/// Implemented for `Receiver<T>` (owned, e.g. `<-after(d)`: kept alive for
/// the select), references to any operand (`&Receiver<T>`, `&Ticker`, ...),
/// `Option` of any operand (`None` disables the arm, as a nil channel does
/// in Go), and the time module's [`Ticker`] and [`Timer`] (their tick
/// channel).
#[diagnostic::on_unimplemented(
    message = "select! cannot receive from `{Self}`: it is not a channel",
    label = "expected `Receiver<T>`, `&Receiver<T>` or `Option<&Receiver<T>>` (`None` disables the arm)",
    note = "a select! receive arm is `<-rx`, `v = <-rx` or `Some(v) = <-rx`, with `rx` a channel's receiving end"
)]
pub trait SelectRecvOperand {
    /// The type of the values received.
    type Item;

    /// The receiver this arm waits on; `None` disables the arm.
    fn receiver(&self) -> Option<&Receiver<Self::Item>>;
}

impl<T> SelectRecvOperand for Receiver<T> {
    type Item = T;

    #[inline]
    fn receiver(&self) -> Option<&Receiver<T>> {
        Some(self)
    }
}

impl<O: SelectRecvOperand + ?Sized> SelectRecvOperand for &O {
    type Item = O::Item;

    #[inline]
    fn receiver(&self) -> Option<&Receiver<O::Item>> {
        (**self).receiver()
    }
}

impl<O: SelectRecvOperand + ?Sized> SelectRecvOperand for &mut O {
    type Item = O::Item;

    #[inline]
    fn receiver(&self) -> Option<&Receiver<O::Item>> {
        (**self).receiver()
    }
}

impl<O: SelectRecvOperand> SelectRecvOperand for Option<O> {
    type Item = O::Item;

    #[inline]
    fn receiver(&self) -> Option<&Receiver<O::Item>> {
        self.as_ref().and_then(O::receiver)
    }
}

impl SelectRecvOperand for Ticker {
    type Item = std::time::Instant;

    #[inline]
    fn receiver(&self) -> Option<&Receiver<std::time::Instant>> {
        Some(Ticker::receiver(self))
    }
}

impl SelectRecvOperand for Timer {
    type Item = std::time::Instant;

    #[inline]
    fn receiver(&self) -> Option<&Receiver<std::time::Instant>> {
        Some(Timer::receiver(self))
    }
}

/// What `operand <- value` in `select!` accepts: something that may hold a
/// [`Sender`].
///
/// Implemented for `Sender<T>`, references to any operand (`&Sender<T>`),
/// and `Option` of any operand (`None` disables the arm, as a nil channel
/// does in Go).
#[diagnostic::on_unimplemented(
    message = "select! cannot send on `{Self}`: it is not a channel",
    label = "expected `Sender<T>`, `&Sender<T>` or `Option<&Sender<T>>` (`None` disables the arm)",
    note = "a select! send arm is `tx <- value`, with `tx` a channel's sending end"
)]
pub trait SelectSendOperand {
    /// The type of the values sent.
    type Item;

    /// The sender this arm offers its value to; `None` disables the arm.
    fn sender(&self) -> Option<&Sender<Self::Item>>;
}

impl<T> SelectSendOperand for Sender<T> {
    type Item = T;

    #[inline]
    fn sender(&self) -> Option<&Sender<T>> {
        Some(self)
    }
}

impl<O: SelectSendOperand + ?Sized> SelectSendOperand for &O {
    type Item = O::Item;

    #[inline]
    fn sender(&self) -> Option<&Sender<O::Item>> {
        (**self).sender()
    }
}

impl<O: SelectSendOperand + ?Sized> SelectSendOperand for &mut O {
    type Item = O::Item;

    #[inline]
    fn sender(&self) -> Option<&Sender<O::Item>> {
        (**self).sender()
    }
}

impl<O: SelectSendOperand> SelectSendOperand for Option<O> {
    type Item = O::Item;

    #[inline]
    fn sender(&self) -> Option<&Sender<O::Item>> {
        self.as_ref().and_then(O::sender)
    }
}

/// The receiver of a `<-operand` arm, taken once when the select is
/// entered; `None` disables the arm. A type that is not an operand is
/// reported here, at the user's expression (the expansion spreads this call
/// over it); the rest of the expansion only sees the `Option<&Receiver<T>>`,
/// so that one mistake is one error.
#[inline(always)]
pub fn recv_channel<O: SelectRecvOperand + ?Sized>(operand: &O) -> Option<&Receiver<O::Item>> {
    operand.receiver()
}

/// The sender of an `operand <- value` arm; see [`recv_channel`].
#[inline(always)]
pub fn send_channel<O: SelectSendOperand + ?Sized>(operand: &O) -> Option<&Sender<O::Item>> {
    operand.sender()
}

/// `Some`, for the send arm's value type: the expansion calls it with the
/// user's value (`let slot = send_value(sender)(value);`, the call spread
/// over the value), so that a value of the wrong type is reported at the
/// value as a plain mismatch, "expected `T`, found `U`". A function pointer,
/// not a generic function, so that rustc has no definition to add a note
/// about.
#[inline(always)]
pub fn send_value<T>(_sender: Option<&Sender<T>>) -> fn(T) -> Option<T> {
    Some
}

/// Adds a receive arm for `r` to `sel`; a disabled arm (`None`) gets the
/// index `usize::MAX`, which no operation ever has.
#[inline]
pub fn add_recv<'a, T: Send>(sel: &mut Select<'a>, r: Option<&'a Receiver<T>>) -> usize {
    match r {
        Some(r) => sel.recv(r),
        None => usize::MAX,
    }
}

/// Adds a send arm for `s` to `sel`; see [`add_recv`].
#[inline]
pub fn add_send<'a, T: Send>(sel: &mut Select<'a>, s: Option<&'a Sender<T>>) -> usize {
    match s {
        Some(s) => sel.send(s),
        None => usize::MAX,
    }
}

/// Completes the chosen receive arm: `None` when the channel is closed.
///
/// `r` is the receiver the arm was added with; it is `Some`, since only an
/// added arm can be chosen.
#[inline]
pub fn complete_recv<'a, T>(op: SelectedOperation<'a>, r: Option<&'a Receiver<T>>) -> Option<T> {
    match r {
        Some(r) => op.recv(r),
        None => unreachable!("select!: a disabled receive arm was chosen"),
    }
}

/// Completes the chosen send arm with the value evaluated when the select
/// was entered: `Err` gives it back when the channel is closed.
#[inline]
pub fn complete_send<'a, T>(
    op: SelectedOperation<'a>,
    s: Option<&'a Sender<T>>,
    value: &mut Option<T>,
) -> Result<(), SendError<T>> {
    match (s, value.take()) {
        (Some(s), Some(value)) => op.send(s, value),
        _ => unreachable!("select!: a disabled or completed send arm was chosen"),
    }
}

/// Completes the chosen send arm of a `tx <- value` arm that does not bind
/// the result: a send on a closed channel panics, as it does in Go, and the
/// value is dropped. The panic's location is the arm's `<-` (the expansion
/// spans the call on it).
#[inline]
#[track_caller]
pub fn complete_send_or_panic<'a, T>(op: SelectedOperation<'a>, s: Option<&'a Sender<T>>, value: &mut Option<T>) {
    if complete_send(op, s, value).is_err() {
        send_on_closed_channel();
    }
}

#[cold]
#[track_caller]
fn send_on_closed_channel() -> ! {
    panic!(
        "select!: send on a closed channel (the value was dropped); \
         to handle it, bind the result: `res = tx <- value => ...` gives `Err(SendError(value))`"
    )
}

/// `select! {}`: blocks forever, as Go's `select {}` does (a select with no
/// arm never becomes ready).
pub fn select_forever() -> ! {
    let op = Select::new().select();
    // Never reached: no arm can be chosen. Forget the operation rather than
    // drop it (dropping one that was not completed panics).
    std::mem::forget(op);
    unreachable!("select!: a select with no arms returned")
}

/// The value of a `select!` none of whose arms could be expanded (they are
/// all reported as errors): of any type, never computed.
pub fn select_placeholder<T>() -> T {
    unreachable!("select!: a select with errors ran")
}

/// An index that no arm of the select was given.
#[cold]
pub fn select_bad_index(index: usize) -> ! {
    unreachable!("select!: the runtime chose operation {index}, which no arm added")
}
