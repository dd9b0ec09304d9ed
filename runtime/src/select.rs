//! `Select`: wait on several channel operations and complete exactly one
//! (Go's `select`, and its `reflect.Select` for a dynamic number of arms).
//! `select!` expands to it.
//!
//! A token protocol, in passes (as crossbeam-channel's and Go's `select.go`):
//!
//! 1. **Try**: in a random order, ask each arm to reserve its operation
//!    (`start_send` / `start_recv`); the first that can wins. The random
//!    order is what makes the choice among ready arms uniform.
//! 2. **Register**: otherwise (after looking again a few times, yielding,
//!    if an arm is buffered: `chan/before_park.rs`), make one `Context` and
//!    register every arm
//!    with it in its channel's wait queue; if an arm turns out ready while
//!    registering, abort the wait.
//! 3. **Park** until a channel selects one arm by the context's single
//!    compare-exchange (so exactly one arm can win), a channel closes, or
//!    the deadline passes.
//! 4. **Unregister** every arm, then **accept** the winner (a buffered
//!    channel's wake-up is a hint: it reserves again; an unbuffered one
//!    hands over its packet), or reserve the arm whose channel closed (it
//!    stays ready), or go back to pass 1.
//!
//! The winner's operation is completed by the caller through
//! [`SelectedOperation`] (`recv` / `send`), so a send arm's value is handed
//! over only if that arm wins: no value is lost in a losing arm, and no arm
//! runs in a goroutine of its own.

use std::time::{Duration, Instant};

use crate::chan::before_park::BeforePark;
use crate::chan::context::{Context, Selected};
use crate::chan::token::Token;
use crate::chan::waker::Key;
use crate::small_vec::SmallVec;

/// Arms a `Select` keeps inline before it allocates.
const INLINE_ARMS: usize = 6;
use crate::chan::{Receiver, SendError, Sender};

/// One arm's channel end, with its type erased.
trait Arm {
    fn try_start(&self, token: &mut Token) -> bool;
    /// Registers the arm; its key, and whether it is ready anyway.
    fn register(&self, oper: usize, cx: &Context) -> (Key, bool);
    fn unregister(&self, key: Key);
    fn accept(&self, token: &mut Token, cx: &Context) -> bool;
    fn is_ready(&self) -> bool;
    /// Whether its channel is buffered (chan/before_park.rs).
    fn is_buffered(&self) -> bool;
}

// A receiver is a receive arm, a sender a send arm: the arm is a plain
// reference to the channel end, no allocation.
impl<T> Arm for Receiver<T> {
    fn try_start(&self, token: &mut Token) -> bool {
        self.shared.start_recv(token)
    }
    fn register(&self, oper: usize, cx: &Context) -> (Key, bool) {
        self.shared.register_recv(oper, cx)
    }
    fn unregister(&self, key: Key) {
        self.shared.unregister_recv(key)
    }
    fn accept(&self, token: &mut Token, cx: &Context) -> bool {
        self.shared.accept_recv(token, cx)
    }
    fn is_ready(&self) -> bool {
        self.shared.is_ready_recv()
    }
    fn is_buffered(&self) -> bool {
        self.shared.is_buffered()
    }
}

impl<T> Arm for Sender<T> {
    fn try_start(&self, token: &mut Token) -> bool {
        self.shared.start_send(token)
    }
    fn register(&self, oper: usize, cx: &Context) -> (Key, bool) {
        self.shared.register_send(oper, cx)
    }
    fn unregister(&self, key: Key) {
        self.shared.unregister_send(key)
    }
    fn accept(&self, token: &mut Token, cx: &Context) -> bool {
        self.shared.accept_send(token, cx)
    }
    fn is_ready(&self) -> bool {
        self.shared.is_ready_send()
    }
    fn is_buffered(&self) -> bool {
        self.shared.is_buffered()
    }
}

/// A set of channel operations to wait on; see the module docs.
///
/// ```
/// use goroutines_runtime::{chan, Select};
/// let (tx1, rx1) = chan::<i32>(1);
/// let (_tx2, rx2) = chan::<i32>(1);
/// tx1.send(10).unwrap();
/// let mut sel = Select::new();
/// let a = sel.recv(&rx1);
/// let b = sel.recv(&rx2);
/// let op = sel.select();
/// match op.index() {
///     i if i == a => assert_eq!(op.recv(&rx1), Some(10)),
///     i if i == b => unreachable!(),
///     _ => unreachable!(),
/// }
/// ```
pub struct Select<'a> {
    /// Each arm, and the address of its channel end (to check completion).
    arms: SmallVec<(&'a dyn Arm, usize), INLINE_ARMS>,
    /// The order of a pass, reshuffled in place each time.
    order: SmallVec<usize, INLINE_ARMS>,
    /// Each registered arm's key, during a wait.
    keys: SmallVec<(usize, Key), INLINE_ARMS>,
    rng: u64,
}

impl Default for Select<'_> {
    fn default() -> Self {
        Select::new()
    }
}

impl<'a> Select<'a> {
    /// An empty set (selecting on it blocks forever, as Go's `select {}`).
    pub fn new() -> Select<'a> {
        Select { arms: SmallVec::new(), order: SmallVec::new(), keys: SmallVec::new(), rng: seed() }
    }

    /// Adds a receive arm; returns its index.
    pub fn recv<T>(&mut self, r: &'a Receiver<T>) -> usize {
        self.arms.push((r, r as *const Receiver<T> as usize));
        self.order.push(self.order.len());
        self.arms.len() - 1
    }

    /// Adds a send arm; returns its index. The value is given only to the
    /// chosen arm, through [`SelectedOperation::send`].
    pub fn send<T>(&mut self, s: &'a Sender<T>) -> usize {
        self.arms.push((s, s as *const Sender<T> as usize));
        self.order.push(self.order.len());
        self.arms.len() - 1
    }

    /// Waits until one arm can proceed and reserves it; among several ready
    /// arms, each is equally likely. With no arms, blocks forever.
    #[track_caller]
    pub fn select(&mut self) -> SelectedOperation<'a> {
        crate::goroutine::status::will_wait(
            crate::goroutine::status::WaitReason::Select,
            std::panic::Location::caller(),
        );
        self.run(None, true).expect("a select without deadline returns an operation")
    }

    /// Reserves an arm that can proceed now, if any (`select!`'s `default`).
    pub fn try_select(&mut self) -> Option<SelectedOperation<'a>> {
        self.run(None, false)
    }

    /// As [`select`](Self::select), waiting at most `timeout`.
    #[track_caller]
    pub fn select_timeout(&mut self, timeout: Duration) -> Option<SelectedOperation<'a>> {
        crate::goroutine::status::will_wait(
            crate::goroutine::status::WaitReason::Select,
            std::panic::Location::caller(),
        );
        match Instant::now().checked_add(timeout) {
            Some(d) => self.run(Some(d), true),
            None => Some(self.select()),
        }
    }

    /// Reshuffles `order` (Fisher-Yates): a uniformly random permutation.
    fn shuffle(&mut self) {
        for i in (1..self.order.len()).rev() {
            // xorshift64*
            self.rng ^= self.rng >> 12;
            self.rng ^= self.rng << 25;
            self.rng ^= self.rng >> 27;
            let r = self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D);
            // An index below i + 1 from the high 32 bits by a multiply and a
            // shift (Lemire's reduction, Go's cheaprandn), not a division:
            // the bias is at most (i + 1) / 2^32.
            let j = ((r >> 32) * (i as u64 + 1)) >> 32;
            self.order.swap(i, j as usize);
        }
    }

    /// Whether some arm's channel is buffered.
    fn any_buffered(&self) -> bool {
        self.arms.iter().any(|(arm, _)| arm.is_buffered())
    }

    fn try_pass(&mut self, token: &mut Token) -> Option<usize> {
        self.shuffle();
        let arms = &self.arms;
        self.order.iter().find(|&i| arms.get(i).0.try_start(token))
    }

    fn run(&mut self, deadline: Option<Instant>, block: bool) -> Option<SelectedOperation<'a>> {
        // Before any reservation (chan/mod.rs invariant 3).
        crate::goroutine::current::spend_budget();
        let mut token = Token::default();
        let mut before_park = BeforePark::default();
        loop {
            // Pass 1.
            if let Some(i) = self.try_pass(&mut token) {
                return Some(self.selected(i, token));
            }
            if !block || deadline.is_some_and(|d| Instant::now() >= d) {
                return None;
            }
            // Look again a little before registering, if a buffered arm
            // may get room or a value meanwhile (chan/before_park.rs; two
            // unbuffered selects must register to meet at all).
            if self.any_buffered() && before_park.yield_again() {
                continue;
            }
            // Pass 2: register in a random order too.
            let cx = Context::acquire();
            self.shuffle();
            self.keys.clear();
            for k in 0..self.order.len() {
                let i = self.order.get(k);
                let (key, ready) = self.arms.get(i).0.register(i, &cx);
                self.keys.push((i, key));
                if ready {
                    let _ = cx.try_select(Selected::Aborted);
                    break;
                }
            }
            // Pass 3.
            let sel = cx.wait_until(deadline);
            // Pass 4. The arm the selection names was taken out by whoever
            // selected it (chan/waker.rs invariant 1).
            let won = match sel {
                Selected::Operation(i) | Selected::Closed(i) => Some(i),
                Selected::Aborted | Selected::Waiting => None,
            };
            for (i, key) in self.keys.iter() {
                if Some(i) != won {
                    self.arms.get(i).0.unregister(key);
                }
            }
            match sel {
                Selected::Operation(i) => {
                    if self.arms.get(i).0.accept(&mut token, &cx) {
                        cx.release();
                        return Some(self.selected(i, token));
                    }
                }
                // Arm i's channel closed: it is ready for good (a receive
                // drains what is buffered, then reports the close), so
                // reserve it at once rather than try every arm again (as
                // Go's selectgo returns the case that woke it).
                Selected::Closed(i) => {
                    if self.arms.get(i).0.try_start(&mut token) {
                        cx.release();
                        return Some(self.selected(i, token));
                    }
                }
                Selected::Aborted | Selected::Waiting => {}
            }
            cx.release();
        }
    }

    fn selected(&self, index: usize, token: Token) -> SelectedOperation<'a> {
        SelectedOperation { index, end: self.arms.get(index).1, token, done: false, _arms: std::marker::PhantomData }
    }

    /// Whether any arm is ready now, without reserving it.
    pub fn ready(&self) -> bool {
        self.arms.iter().any(|(a, _)| a.is_ready())
    }
}

/// Loom replays executions and needs them deterministic: a fixed seed.
#[cfg(loom)]
fn seed() -> u64 {
    0x9E37_79B9_7F4A_7C15
}

#[cfg(not(loom))]
fn seed() -> u64 {
    use std::cell::Cell;
    thread_local!(static RNG: Cell<u64> = const { Cell::new(0) });
    RNG.with(|r| {
        let mut x = r.get();
        if x == 0 {
            x = (r as *const Cell<u64> as u64) ^ 0x9E37_79B9_7F4A_7C15;
            x ^= std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
        }
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        r.set(x);
        x | 1
    })
}

/// The arm a [`Select`] chose, reserved: complete it with [`recv`] or
/// [`send`] on the same channel end. Dropping it uncompleted panics: a
/// reservation that is never completed (also one `mem::forget`-ed, or
/// dropped by a panic) leaves the channel's next operations on that slot, or
/// an unbuffered peer, waiting for it, as a forgotten lock guard would. It
/// never costs memory safety: the channel drops only what was written.
///
/// [`recv`]: SelectedOperation::recv
/// [`send`]: SelectedOperation::send
#[must_use = "a selected operation must be completed with `recv` or `send`"]
pub struct SelectedOperation<'a> {
    index: usize,
    end: usize,
    token: Token,
    done: bool,
    _arms: std::marker::PhantomData<&'a ()>,
}

impl<'a> SelectedOperation<'a> {
    /// The chosen arm's index (as `Select::recv` / `send` returned).
    pub fn index(&self) -> usize {
        self.index
    }

    /// Completes a receive arm: the value, or `None` if the channel is
    /// closed and drained.
    ///
    /// # Panics
    /// If `r` is not the chosen arm's receiver.
    pub fn recv<T>(mut self, r: &'a Receiver<T>) -> Option<T> {
        assert_eq!(r as *const Receiver<T> as usize, self.end, "SelectedOperation::recv on another arm's receiver");
        self.done = true;
        // SAFETY: the token was reserved on this receiver's channel by
        // `start_recv` or `accept_recv` (checked by address above).
        unsafe { r.shared.read(&mut self.token) }.ok()
    }

    /// Completes a send arm; `Err` gives the value back if the channel
    /// closed.
    ///
    /// # Panics
    /// If `s` is not the chosen arm's sender.
    pub fn send<T>(mut self, s: &'a Sender<T>, value: T) -> Result<(), SendError<T>> {
        assert_eq!(s as *const Sender<T> as usize, self.end, "SelectedOperation::send on another arm's sender");
        self.done = true;
        // SAFETY: as in `recv`, for `start_send` / `accept_send`.
        unsafe { s.shared.write(&mut self.token, value) }.map_err(SendError)
    }
}

impl Drop for SelectedOperation<'_> {
    fn drop(&mut self) {
        if !self.done && !std::thread::panicking() {
            panic!("a SelectedOperation was dropped without `recv` or `send`: complete the chosen arm");
        }
    }
}
