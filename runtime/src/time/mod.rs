//! Go's `time` package, goroutine-aware: `sleep` suspends the goroutine (a
//! plain thread sleeps), and timers deliver on channels, so they work in
//! `select!`. All of it runs on one timer facility (`timer.rs`). Beside
//! them: `timeout` (`timeout.rs`), `RateLimiter` (`rate.rs`) and `every`, a
//! periodic task stopped by a `Context` (`every.rs`).
//!
//! As Go's, a timer's channel is never closed by the runtime
//! (`timer_chan`).

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
///
/// ```
/// use std::time::Duration;
/// let rx = goroutines_runtime::time::after(Duration::from_millis(1));
/// assert!(rx.recv().is_some());
/// assert!(!rx.is_closed());
/// ```
pub fn after(d: Duration) -> Receiver<std::time::Instant> {
    let (tx, rx) = timer_chan();
    fire_once(Instant::now() + d, tx).forget();
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

/// Schedules one `try_send` into `tx` of the time it was due. As Go (since
/// 1.23) sends: a tick's value says which tick it is, however late the
/// timer ran, so a late wake-up never looks like a skipped period.
fn fire_once(deadline: Instant, tx: Sender<Instant>) -> TimerGuard {
    let mut tx = Some(tx);
    timer::schedule(
        deadline,
        Box::new(move |due| {
            if let Some(tx) = tx.take() {
                let _ = tx.try_send(due);
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
fn fire_every(start: Instant, period: Duration, tx: Sender<Instant>) -> TimerGuard {
    let period = period.max(Duration::from_nanos(1));
    // The tick due next, on the schedule `start + k * period`.
    let mut due = start;
    timer::schedule(
        start,
        Box::new(move |_| {
            if tx.try_send(due).is_err() && tx.is_closed() {
                return None;
            }
            due += period;
            let now = Instant::now();
            if due > now {
                return Some(due);
            }
            if now.duration_since(due) < period * CATCH_UP {
                return Some(now + period / 2);
            }
            let behind = now.duration_since(due).as_nanos() / period.as_nanos();
            let skip = u32::try_from(behind + 1).unwrap_or(u32::MAX);
            due = due.checked_add(period.saturating_mul(skip)).unwrap_or(now + period);
            Some(due)
        }),
    )
}

/// A channel that receives the time every `d`, forever (Go's `time.Tick`).
/// Prefer [`Ticker`] when the ticks should stop. The channel is never
/// closed.
pub fn tick(d: Duration) -> Receiver<Instant> {
    let (tx, rx) = timer_chan();
    fire_every(Instant::now() + d, d, tx).forget();
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
    timer: Mutex<Option<TimerGuard>>,
}

impl Ticker {
    /// A ticker firing every `d`, first at now + `d`.
    pub fn new(d: Duration) -> Ticker {
        let (tx, rx) = timer_chan();
        let timer = fire_every(Instant::now() + d, d, tx.clone());
        Ticker { tx, rx, timer: Mutex::new(Some(timer)) }
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
    pub fn reset(&self, d: Duration) {
        let mut slot = self.timer.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(t) = slot.take() {
            t.cancel();
        }
        *slot = Some(fire_every(Instant::now() + d, d, self.tx.clone()));
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
    timer: Mutex<Option<TimerGuard>>,
}

impl Timer {
    /// A timer firing once, at now + `d`.
    pub fn new(d: Duration) -> Timer {
        let (tx, rx) = timer_chan();
        let timer = fire_once(Instant::now() + d, tx.clone());
        Timer { tx, rx, timer: Mutex::new(Some(timer)) }
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
        self.timer.lock().unwrap_or_else(|e| e.into_inner()).take().is_some_and(TimerGuard::cancel)
    }

    /// Re-arms the timer to fire at now + `d`; `true` if it had been
    /// pending. As in Go 1.23+, a value not yet received is discarded.
    pub fn reset(&self, d: Duration) -> bool {
        let mut slot = self.timer.lock().unwrap_or_else(|e| e.into_inner());
        let pending = slot.take().is_some_and(TimerGuard::cancel);
        // Under the lock: a drain that cannot yield (`try_recv` may, every
        // 128th operation, and a goroutine switched out holding a std lock
        // would block whoever takes it next on the same worker for good).
        self.rx.drain_now();
        *slot = Some(fire_once(Instant::now() + d, self.tx.clone()));
        pending
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        self.stop();
    }
}
