//! Go's `time` package, goroutine-aware: `sleep` suspends the goroutine (a
//! plain thread sleeps), and timers deliver on channels, so they work in
//! `select!`. All of it runs on one timer facility (`timer.rs`). Beside
//! them: `timeout` (`timeout.rs`), `RateLimiter` (`rate.rs`) and `every`, a
//! periodic task stopped by a `Context` (`every.rs`).
//!
//! As Go's: a timer's channel is never closed by the runtime
//! (`timer_chan`); a zero duration fires at creation, without the timer
//! thread; a duration beyond the clock's range (`Duration::MAX`) never
//! fires and arms nothing; a ticker refuses a zero period.

mod every;
mod rate;
mod timeout;
pub(crate) mod timer;

pub use every::every;
pub use rate::RateLimiter;
pub use timeout::{timeout, Elapsed};

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::chan::{chan, Receiver, Sender};
use crate::goroutine::current;
use crate::waiter::{park, Waiter};
use timer::TimerGuard;

/// Pauses the calling goroutine for at least `d`, freeing its worker (on a
/// plain thread: `std::thread::sleep`).
#[track_caller]
pub fn sleep(d: Duration) {
    crate::goroutine::status::will_wait(crate::goroutine::status::WaitReason::Sleep, std::panic::Location::caller());
    if !current::with_running(|g| g.is_some()) {
        std::thread::sleep(d);
        return;
    }
    let Some(deadline) = Instant::now().checked_add(d) else {
        // Too far to represent: sleep forever, as good as.
        loop {
            park();
        }
    };
    let timer = timer::wake_at(deadline, Waiter::current());
    while Instant::now() < deadline {
        park();
    }
    // The deadline has passed, so the timer has fired or is firing: no need
    // to take the timer lock to cancel it (20,000 sleepers waking at once
    // would each take it, against the timer thread). If it fires after all,
    // it is a spurious wake-up, which every park loop tolerates.
    timer.forget();
}

/// A channel that receives, once, the time `d` from now (Go's `time.After`;
/// as Go's, the value is when the timer was due, not when it ran).
///
/// As Go's, the channel is never closed: once its value is taken, a
/// receive waits for good (a `select!` arm on it is never picked again).
/// `after(Duration::ZERO)` is ready at once; a `d` beyond the clock's range
/// (`Duration::MAX`) never fires.
///
/// ```
/// use std::time::Duration;
/// let rx = goroutines_runtime::time::after(Duration::from_millis(1));
/// assert!(rx.recv().is_some());
/// assert!(!rx.is_closed());
/// ```
pub fn after(d: Duration) -> Receiver<std::time::Instant> {
    let (tx, rx) = timer_chan();
    if let Armed::At(timer) = arm_once(d, tx) {
        timer.forget();
    }
    rx
}

/// A timer's channel: room for one value, and never closed by its senders
/// (Go never closes a timer's channel). A fired timer's sender goes, and
/// its receiver then waits rather than seeing "closed"; nothing is kept for
/// it (no timer stays pending, so the deadlock detector sees such a
/// receiver as stuck for good). Dropping the last receiver still closes
/// the channel, which ends a ticker at its next tick.
fn timer_chan() -> (Sender<Instant>, Receiver<Instant>) {
    let (tx, rx) = chan(1);
    tx.clone().leave_open();
    (tx, rx)
}

/// Where a one-shot timer stands (`Timer`'s `stop` and `reset` read it).
enum Armed {
    /// Fired, stopped, or never armed.
    Idle,
    /// Scheduled on the timer thread.
    At(TimerGuard),
    /// Due beyond the clock's range: it never fires, but it is pending (a
    /// stop stops it), as Go's timer for a saturated deadline.
    Never,
}

impl Armed {
    /// Disarms; `true` if the timer had not fired yet.
    fn cancel(self) -> bool {
        match self {
            Armed::Idle => false,
            Armed::At(timer) => timer.cancel(),
            Armed::Never => true,
        }
    }
}

/// Arms a one-shot timer sending into `tx` at now + `d`. A zero `d` sends
/// now, without the timer thread (Go's `time.After(0)` is ready at once)
/// and without spending the cooperative budget, so a caller may hold a
/// lock; a `d` beyond the clock's range arms nothing and never fires.
fn arm_once(d: Duration, tx: Sender<Instant>) -> Armed {
    let now = Instant::now();
    match now.checked_add(d) {
        None => Armed::Never,
        Some(_) if d.is_zero() => {
            // Full only if a value not received is there already (a
            // timer's one value): as a fire into a full channel, dropped.
            let _ = tx.offer(now);
            Armed::Idle
        }
        Some(due) => Armed::At(fire_once(due, tx)),
    }
}

/// Schedules one `try_send` into `tx` of the time it was due. As Go (since
/// 1.23) sends: a tick's value says which tick it is, however late the
/// timer ran, so a late wake-up never looks like a skipped period.
fn fire_once(deadline: Instant, tx: Sender<Instant>) -> TimerGuard {
    let mut tx = Some(tx);
    timer::schedule(
        deadline,
        Box::new(move |due| {
            if let Some(tx) = tx.take() {
                // Never waits on the user's channel (chan/array.rs inv. 5).
                let _ = tx.offer(due);
            }
            None
        }),
    )
}

/// Periods a ticker's timer may fall behind and still deliver the ticks it
/// missed (see `fire_every`).
const CATCH_UP: u32 = 2;

/// Schedules a `try_send` of the time it was due (see `fire_once`) every
/// `period` from `start`, on schedule. A tick the receiver has not taken yet
/// makes the next one drop (the channel holds one), as Go's ticker does.
///
/// A timer that itself ran late (the timer thread was not scheduled for a
/// millisecond: it happens on a loaded machine) is not the receiver's
/// fault: the next tick, if its due time passed less than `CATCH_UP`
/// periods ago, is still sent, half a period after the late one, so that a
/// receiver that keeps up loses none. Further behind, it skips to its
/// schedule, as Go's does.
///
/// A tick due beyond the clock's range ends the ticker: it would never come.
fn fire_every(start: Instant, period: Duration, tx: Sender<Instant>) -> TimerGuard {
    debug_assert!(!period.is_zero(), "a zero period is refused (or never armed) before");
    // The tick due next, on the schedule `start + k * period`.
    let mut due = start;
    timer::schedule(
        start,
        Box::new(move |_| {
            // Never waits on the user's channel (chan/array.rs inv. 5).
            if tx.offer(due).is_err() && tx.is_closed() {
                return None;
            }
            due = due.checked_add(period)?;
            let now = Instant::now();
            if due > now {
                return Some(due);
            }
            if now.duration_since(due) < period.saturating_mul(CATCH_UP) {
                return now.checked_add(period / 2);
            }
            let behind = now.duration_since(due).as_nanos() / period.as_nanos();
            let skip = u32::try_from(behind + 1).unwrap_or(u32::MAX);
            due = due.checked_add(period.saturating_mul(skip))?;
            Some(due)
        }),
    )
}

/// Arms a ticker sending into `tx` every `period`, first at now + `period`;
/// `None` (it never ticks) if that is beyond the clock's range.
fn arm_every(period: Duration, tx: Sender<Instant>) -> Option<TimerGuard> {
    let start = Instant::now().checked_add(period)?;
    Some(fire_every(start, period, tx))
}

/// Refuses a zero period, as Go's `NewTicker` and `Ticker.Reset` do: a
/// ticker ticking all the time is a busy loop, not a ticker.
#[track_caller]
fn check_period(what: &str, period: Duration) {
    assert!(
        !period.is_zero(),
        "{what}({period:?}): a ticker's period must be positive (Go's NewTicker panics too); \
         for a channel that never ticks use tick(Duration::ZERO), Go's nil channel"
    );
}

/// A channel that receives the time every `d`, forever (Go's `time.Tick`;
/// each value is the time that tick was due). Prefer [`Ticker`] when the
/// ticks should stop.
///
/// As Go's `time.Tick(0)` returns a nil channel, `tick(Duration::ZERO)`
/// returns one that never delivers (a `select!` arm on it is never
/// picked); so does a `d` beyond the clock's range. The channel is never
/// closed.
pub fn tick(d: Duration) -> Receiver<Instant> {
    let (tx, rx) = timer_chan();
    if !d.is_zero() {
        if let Some(timer) = arm_every(d, tx) {
            timer.forget();
        }
    }
    rx
}

/// Delivers the time on its channel every period (Go's `time.Ticker`; each
/// value is the time that tick was due):
/// one tick waits in the channel at most; ticks the receiver misses are
/// dropped, and the ticker stays on its schedule. The runtime never closes
/// its channel, not even on `stop` or a drop.
///
/// ```
/// use std::time::Duration;
/// use goroutines_runtime::time::Ticker;
/// let t = Ticker::new(Duration::from_millis(1));
/// for _ in 0..3 {
///     t.recv();
/// }
/// t.stop();
/// ```
pub struct Ticker {
    tx: Sender<Instant>,
    rx: Receiver<Instant>,
    /// `None` when stopped, or when its period is beyond the clock's range.
    timer: Mutex<Option<TimerGuard>>,
}

impl Ticker {
    /// A ticker firing every `d`, first at now + `d`. A `d` beyond the
    /// clock's range (`Duration::MAX`) never ticks.
    ///
    /// # Panics
    /// If `d` is zero, as Go's `NewTicker` (`tick(Duration::ZERO)` is the
    /// channel that never ticks).
    #[track_caller]
    pub fn new(d: Duration) -> Ticker {
        check_period("Ticker::new", d);
        let (tx, rx) = timer_chan();
        let timer = arm_every(d, tx.clone());
        Ticker { tx, rx, timer: Mutex::new(timer) }
    }

    /// Waits for the next tick.
    #[track_caller]
    pub fn recv(&self) -> Option<Instant> {
        self.rx.recv()
    }

    /// The channel the ticks arrive on (for `select!`: `<-ticker.receiver()`).
    pub fn receiver(&self) -> &Receiver<Instant> {
        &self.rx
    }

    /// Stops the ticks (a tick already in the channel stays there).
    pub fn stop(&self) {
        if let Some(t) = self.timer.lock().unwrap_or_else(|e| e.into_inner()).take() {
            t.cancel();
        }
    }

    /// Stops and restarts with period `d`, next tick at now + `d`.
    ///
    /// # Panics
    /// If `d` is zero, as Go's `Ticker.Reset`; the ticker is left as it was.
    #[track_caller]
    pub fn reset(&self, d: Duration) {
        check_period("Ticker::reset", d);
        let mut slot = self.timer.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(t) = slot.take() {
            t.cancel();
        }
        *slot = arm_every(d, self.tx.clone());
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Delivers the time once on its channel after a duration (Go's
/// `time.Timer`), unless stopped first. The runtime never closes its
/// channel.
pub struct Timer {
    tx: Sender<Instant>,
    rx: Receiver<Instant>,
    timer: Mutex<Armed>,
}

impl Timer {
    /// A timer firing once, at now + `d`: at once (before `new` returns)
    /// for a zero `d`, never for one beyond the clock's range.
    pub fn new(d: Duration) -> Timer {
        let (tx, rx) = timer_chan();
        let timer = arm_once(d, tx.clone());
        Timer { tx, rx, timer: Mutex::new(timer) }
    }

    /// Waits for the timer to fire.
    #[track_caller]
    pub fn recv(&self) -> Option<Instant> {
        self.rx.recv()
    }

    /// The channel the time arrives on (for `select!`).
    pub fn receiver(&self) -> &Receiver<Instant> {
        &self.rx
    }

    /// Stops the timer; `true` if that prevented it from firing.
    pub fn stop(&self) -> bool {
        let mut slot = self.timer.lock().unwrap_or_else(|e| e.into_inner());
        std::mem::replace(&mut *slot, Armed::Idle).cancel()
    }

    /// Re-arms the timer to fire at now + `d` (at once for a zero `d`);
    /// `true` if it had been pending. As in Go 1.23+, a value not yet
    /// received is discarded.
    pub fn reset(&self, d: Duration) -> bool {
        let mut slot = self.timer.lock().unwrap_or_else(|e| e.into_inner());
        let pending = std::mem::replace(&mut *slot, Armed::Idle).cancel();
        // Under the lock: a drain and a send that cannot yield (`try_recv`
        // and `try_send` may, every 128th operation, and a goroutine
        // switched out holding a std lock would block whoever takes it next
        // on the same worker for good).
        self.rx.drain_now();
        *slot = arm_once(d, self.tx.clone());
        pending
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        self.stop();
    }
}
