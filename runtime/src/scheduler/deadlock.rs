//! The deadlock detector: Go's "fatal error: all goroutines are asleep -
//! deadlock!", with the goroutine dump; "… asleep or waiting for a stack"
//! when goroutines wait for stacks that only asleep goroutines hold. On
//! only when asked for (`Builder::detect_deadlocks`, `#[goroutines::main]`).
//!
//! # What it sees, and what it cannot
//!
//! A deadlock is declared when, for a whole grace period, all of these
//! hold: a thread waits in `block_on` for a goroutine (the program's main,
//! under `#[goroutines::main]`); every active worker is asleep and none
//! picked a goroutine meanwhile; goroutines are alive; no timer is pending
//! (a `sleep`, a ticker, a timeout); no `blocking()` call is in flight; no
//! goroutine or thread waits on a socket (the peer may be another
//! process); no goroutine waits for a stack, or none can be had until one frees (the
//! pool is empty and was refused: every stack of the process is held by
//! this runtime's goroutines, all of them asleep, since it is the only
//! runtime: invariant 3); and `Context::on_signals` was never asked for (a
//! signal could still come). It cannot see plain threads: a
//! goroutine waiting for a value that a `std::thread` will send looks
//! asleep for good, so a program whose goroutines wait on its own threads
//! should leave the detector off.
//!
//! # Invariants
//!
//! 1. Only the last active worker to fall asleep checks, and it sleeps
//!    with a timeout (the grace period) instead of for good; a wake-up
//!    before the timeout means work came, and it carries on as usual.
//! 2. After the grace period, it checks again and compares the workers'
//!    pick counters with those it saw before: a pick in between means
//!    progress, not a deadlock.
//! 3. It looks at one runtime, so it runs only while the process has one:
//!    a second runtime's goroutines could wake this one's, or end and free
//!    a stack that this one's wait for.
//! 4. A worker that fell asleep last while a timer was pending sleeps for
//!    good (it had nothing to watch for). A timer that ends without waking
//!    anyone (a dropped ticker's last tick) would leave it so: when the last
//!    pending timer ends, the timer thread wakes one worker of a runtime
//!    that now may be deadlocked (`timers_ended`); it falls asleep again,
//!    last, and looks.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::shared::Shared;

/// How long everything must stay asleep before it is called a deadlock.
const GRACE: Duration = Duration::from_millis(100);

/// No timer is pending any more (invariant 4): if that leaves a runtime
/// with every worker asleep and detection on, wakes one of its workers,
/// which falls asleep again last and so looks.
pub(crate) fn timers_ended() {
    if super::runtime::count() != 1 {
        return;
    }
    for shared in super::runtime::all() {
        if shared.may_be_deadlocked() {
            shared.worker(0).unpark();
        }
    }
}

impl Shared {
    /// Whether this sleeping worker should watch for a deadlock: detection
    /// is on, this is the process's only runtime, a thread waits in its
    /// `block_on`, and every worker (active or not: an inactive one still
    /// runs what is pinned to it) is asleep (invariant 1).
    pub(crate) fn may_be_deadlocked(&self) -> bool {
        self.detect_deadlocks()
            && super::runtime::count() == 1
            && self.block_on_waiters.load(Ordering::SeqCst) > 0
            && (0..self.started()).all(|i| self.worker(i).sleeping.load(Ordering::SeqCst))
            && self.asleep_for_good()
    }

    /// Nothing that could wake a goroutine later, other than a plain
    /// thread: see the module docs.
    fn asleep_for_good(&self) -> bool {
        self.live() > 0
            && crate::time::timer::pending() == 0
            && crate::blocking::in_flight() == 0
            && !super::netpoll::has_waiters()
            && (!self.admission_waiting() || !self.stacks.can_acquire())
            && !crate::context::signals_registered()
            && !self.has_unstarted()
            && (0..self.started()).all(|i| self.worker(i).remote.is_empty())
    }

    fn picks(&self) -> Vec<u32> {
        (0..self.started()).map(|i| self.worker(i).picks.load(Ordering::SeqCst)).collect()
    }

    /// Sleeps the grace period (all of it: a park may return early) and,
    /// if nothing moved (invariant 2), reports the deadlock and ends the
    /// process. Returns when something may have moved.
    pub(crate) fn watch_for_deadlock(&self) {
        let before = self.picks();
        let until = Instant::now() + GRACE;
        loop {
            let now = Instant::now();
            if now >= until {
                break;
            }
            std::thread::park_timeout(until - now);
            if !self.may_be_deadlocked() || self.picks() != before {
                return;
            }
        }
        if self.may_be_deadlocked() && self.picks() == before {
            if self.admission_waiting() {
                eprint!(
                    "fatal error: all goroutines are asleep or waiting for a stack - deadlock!\n\n\
                     Goroutines wait for a stack, and all {} stacks of the process are held by \
                     goroutines that wait for good. {}\n\n{}",
                    crate::stack::live_stacks(),
                    crate::stack::raise_limit_advice(),
                    crate::debug::dump()
                );
            } else {
                eprint!("fatal error: all goroutines are asleep - deadlock!\n\n{}", crate::debug::dump());
            }
            std::process::exit(2);
        }
    }
}
