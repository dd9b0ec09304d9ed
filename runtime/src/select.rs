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
//!    hands over its packet, once written for a receive arm, and a receive
//!    arm whose sender declined selects again), or reserve the arm whose
//!    channel closed (it stays ready), or go back to pass 1.
//!
//! The winner's operation is completed by the caller through
//! [`SelectedOperation`] (`recv` / `send`), so a send arm's value is handed
//! over only if that arm wins: no value is lost in a losing arm, and no arm
//! runs in a goroutine of its own.
//!
//! # Invariants
//!
//! 1. Exactly one arm completes per select that returns an operation: the
//!    reservation of pass 1, or the single compare-exchange on the
//!    context (chan/context.rs invariant 1) in pass 3.
//! 2. Among arms ready in pass 1, the shuffled order makes each equally
//!    likely.
//! 3. A reservation is always finished: by [`SelectedOperation::recv`] or
//!    [`SelectedOperation::send`], or by its drop (uncompleted, say because
//!    the code between the select and the completion panicked), which
//!    releases it: a send arm sends nothing, and its peers go on as though
//!    it had not been chosen; a receive arm receives its value and drops
//!    it, as a receive whose caller then panicked (chan/array.rs invariant
//!    4, chan/zero.rs invariant 5). Only a `mem::forget` skips this, and
//!    then the channel's next operations past that slot, or its peer,
//!    wait, as behind a forgotten lock guard; memory stays safe.
//!    A consequence for unbuffered channels: a receive (a select's too,
//!    and `try_recv`) that pairs with a select's send arm waits, inside
//!    its call, for that select's `send` (or its drop); so the code
//!    between a `Select::select` and its completion must not wait for
//!    its peer (`select!` completes at once).
//! 4. An operation is completed through any handle of its channel (a
//!    clone too), and only in the direction of its arm.
//! 5. A select that does not block (`try_select`, `default`, a deadline
//!    already past) answers "nothing ready" only if there was one instant
//!    at which no arm was ready: Go's `selectgo` gets this by locking every
//!    channel; we get it without locks by a double collect. After a failed
//!    pass 1, each arm reports a reading of its channel that holds only
//!    while it is not ready and no operation completes on it (a buffered
//!    channel's `head` then `tail`, which only grow; an unbuffered one's
//!    count of registered peers, read under its lock), twice. If every arm
//!    read the same both times, each arm was not ready from its first
//!    reading to its second, and every first reading came before every
//!    second: at the instant between the two collects no arm was ready.
//!    Otherwise some channel moved meanwhile, and the select tries again
//!    from pass 1 (lock-free: a retry means an operation completed). One
//!    arm needs no collect: its failed reservation was the instant.

use std::time::{Duration, Instant};

use crate::chan::before_park::BeforePark;
use crate::chan::context::{Context, Selected};
use crate::chan::token::Token;
use crate::chan::waker::Key;
use crate::small_vec::SmallVec;

/// Arms a `Select` keeps inline before it allocates.
const INLINE_ARMS: usize = 6;
use crate::chan::{Receiver, SendError, Sender};

/// One arm's channel end, with its type erased. `Sync` so that a `Select`
/// can move to another thread (its arms are shared references).
trait Arm: Sync {
    fn try_start(&self, token: &mut Token) -> bool;
    /// Registers the arm; its key, and whether it is ready anyway.
    fn register(&self, oper: usize, cx: &Context) -> (Key, bool);
    fn unregister(&self, key: Key);
    fn accept(&self, token: &mut Token, cx: &Context) -> bool;
    fn is_ready(&self) -> bool;
    /// Whether its channel is buffered (chan/before_park.rs).
    fn is_buffered(&self) -> bool;
    /// Invariant 5's reading: `None` while the arm is ready.
    fn quiet_version(&self) -> Option<(usize, usize)>;
    /// Releases a reservation that will not be completed (invariant 3).
    ///
    /// # Safety
    /// `token` was reserved on this arm and not completed.
    unsafe fn abandon(&self, token: &mut Token);
    /// The channel, and the arm's direction in the low bit (invariant 4).
    fn id(&self) -> usize;
}

/// `Arm::id` of a receive (`is_send == false`) or send arm on the channel
/// whose shared part is at `channel` (an `Arc`'s, so at least 8-aligned).
fn arm_id(channel: usize, is_send: bool) -> usize {
    channel | is_send as usize
}

// A receiver is a receive arm, a sender a send arm: the arm is a plain
// reference to the channel end, no allocation.
impl<T: Send> Arm for Receiver<T> {
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
    fn quiet_version(&self) -> Option<(usize, usize)> {
        self.shared.quiet_version(false)
    }
    unsafe fn abandon(&self, token: &mut Token) {
        // SAFETY: forwarded contract.
        unsafe { self.shared.abandon(token, false) }
    }
    fn id(&self) -> usize {
        arm_id(self.shared.id(), false)
    }
}

impl<T: Send> Arm for Sender<T> {
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
    fn quiet_version(&self) -> Option<(usize, usize)> {
        self.shared.quiet_version(true)
    }
    unsafe fn abandon(&self, token: &mut Token) {
        // SAFETY: forwarded contract.
        unsafe { self.shared.abandon(token, true) }
    }
    fn id(&self) -> usize {
        arm_id(self.shared.id(), true)
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
///
/// A `Select` can be kept and run again (Go's `reflect.Select` in a loop):
/// each run chooses afresh. It is `Send` (its arms' channels carry `Send`
/// values) and `Clone` (a clone has the same arms and its own random
/// order).
pub struct Select<'a> {
    arms: SmallVec<&'a dyn Arm, INLINE_ARMS>,
    /// The order of a pass, reshuffled in place each time.
    order: SmallVec<usize, INLINE_ARMS>,
    /// Each registered arm's key, during a wait.
    keys: SmallVec<(usize, Key), INLINE_ARMS>,
    /// Each arm's first reading, during a non-blocking answer (invariant 5).
    versions: SmallVec<(usize, usize), INLINE_ARMS>,
    rng: u64,
}

impl Clone for Select<'_> {
    fn clone(&self) -> Self {
        Select {
            arms: self.arms.clone(),
            order: self.order.clone(),
            keys: SmallVec::new(),
            versions: SmallVec::new(),
            rng: seed(),
        }
    }
}

impl Default for Select<'_> {
    fn default() -> Self {
        Select::new()
    }
}

impl<'a> Select<'a> {
    /// An empty set (selecting on it blocks forever, as Go's `select {}`).
    pub fn new() -> Select<'a> {
        Select {
            arms: SmallVec::new(),
            order: SmallVec::new(),
            keys: SmallVec::new(),
            versions: SmallVec::new(),
            rng: seed(),
        }
    }

    /// Adds a receive arm; returns its index.
    pub fn recv<T: Send>(&mut self, r: &'a Receiver<T>) -> usize {
        self.arms.push(r);
        self.order.push(self.order.len());
        self.arms.len() - 1
    }

    /// Adds a send arm; returns its index. The value is given only to the
    /// chosen arm, through [`SelectedOperation::send`].
    pub fn send<T: Send>(&mut self, s: &'a Sender<T>) -> usize {
        self.arms.push(s);
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
    /// `None` means that at one instant during the call no arm could
    /// proceed (invariant 5), as Go's `select` with `default`.
    pub fn try_select(&mut self) -> Option<SelectedOperation<'a>> {
        self.run(None, false)
    }

    /// As [`select`](Self::select), waiting at most `timeout`; `None`, as
    /// `try_select`'s, says that no arm could proceed at one instant at or
    /// after the deadline.
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
        self.arms.iter().any(|arm| arm.is_buffered())
    }

    /// Whether there was an instant, since this was called, when no arm
    /// was ready (invariant 5), after a failed pass 1.
    fn none_ready_at_once(&mut self) -> bool {
        if self.arms.len() <= 1 {
            return true;
        }
        self.versions.clear();
        for arm in self.arms.iter() {
            match arm.quiet_version() {
                Some(v) => self.versions.push(v),
                None => return false,
            }
        }
        let (arms, versions) = (&self.arms, &self.versions);
        (0..arms.len()).all(|i| arms.get(i).quiet_version() == Some(versions.get(i)))
    }

    fn try_pass(&mut self, token: &mut Token) -> Option<usize> {
        self.shuffle();
        let arms = &self.arms;
        self.order.iter().find(|&i| arms.get(i).try_start(token))
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
                if self.none_ready_at_once() {
                    return None;
                }
                continue;
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
                let (key, ready) = self.arms.get(i).register(i, &cx);
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
                    self.arms.get(i).unregister(key);
                }
            }
            match sel {
                Selected::Operation(i) => {
                    if self.arms.get(i).accept(&mut token, &cx) {
                        cx.release();
                        return Some(self.selected(i, token));
                    }
                }
                // Arm i's channel closed: it is ready for good (a receive
                // drains what is buffered, then reports the close), so
                // reserve it at once rather than try every arm again (as
                // Go's selectgo returns the case that woke it).
                Selected::Closed(i) => {
                    if self.arms.get(i).try_start(&mut token) {
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
        SelectedOperation { index, arm: self.arms.get(index), token, done: false }
    }

    /// Whether any arm is ready now, without reserving it.
    pub fn ready(&self) -> bool {
        self.arms.iter().any(|a| a.is_ready())
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
/// [`send`] on the arm's channel (through the handle the arm was made
/// with, or any clone of it).
///
/// Dropping it uncompleted (say, because the code between the select and
/// the completion panicked) releases the reservation: a send arm sends
/// nothing and the channel goes on as though the arm had not been chosen;
/// a receive arm receives its value and drops it. Only `mem::forget`
/// skips that, and leaves the channel's next operations past that slot,
/// or an unbuffered peer, waiting, as behind a forgotten lock guard; it
/// never costs memory safety.
///
/// [`recv`]: SelectedOperation::recv
/// [`send`]: SelectedOperation::send
#[must_use = "a selected operation must be completed with `recv` or `send`"]
pub struct SelectedOperation<'a> {
    index: usize,
    arm: &'a dyn Arm,
    token: Token,
    /// Completed by `recv` or `send`; otherwise its drop abandons it.
    done: bool,
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
    /// If the chosen arm is not a receive on `r`'s channel (the
    /// reservation is then released, as by a drop).
    #[track_caller]
    pub fn recv<T>(mut self, r: &Receiver<T>) -> Option<T> {
        assert!(
            arm_id(r.shared.id(), false) == self.arm.id(),
            "SelectedOperation::recv: the chosen arm (index {}) is not a receive on this channel",
            self.index
        );
        self.done = true;
        // SAFETY: the token was reserved by a receive on this channel
        // (`start_recv` or `accept_recv`: checked by identity above).
        unsafe { r.shared.read(&mut self.token) }.ok()
    }

    /// Completes a send arm; `Err` gives the value back if the channel
    /// closed.
    ///
    /// # Panics
    /// If the chosen arm is not a send on `s`'s channel (the reservation
    /// is then released, as by a drop).
    #[track_caller]
    pub fn send<T>(mut self, s: &Sender<T>, value: T) -> Result<(), SendError<T>> {
        assert!(
            arm_id(s.shared.id(), true) == self.arm.id(),
            "SelectedOperation::send: the chosen arm (index {}) is not a send on this channel",
            self.index
        );
        self.done = true;
        // SAFETY: as in `recv`, for `start_send` / `accept_send`.
        unsafe { s.shared.write(&mut self.token, value) }.map_err(SendError)
    }
}

impl Drop for SelectedOperation<'_> {
    fn drop(&mut self) {
        if !self.done {
            // SAFETY: the token was reserved on this arm and not completed
            // (`done` is set before a completion touches it).
            unsafe { self.arm.abandon(&mut self.token) };
        }
    }
}

impl std::fmt::Debug for SelectedOperation<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SelectedOperation").field("index", &self.index).finish_non_exhaustive()
    }
}
