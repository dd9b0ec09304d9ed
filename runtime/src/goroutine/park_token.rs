//! A goroutine's park token: `std::thread::park`'s token, for a coroutine
//! that switches out instead of blocking its thread.
//!
//! # States
//!
//! `EMPTY` (running, no wake pending), `NOTIFIED` (a wake came while it ran:
//! its next park returns at once) and `PARKED` (it switched out, or is about
//! to, and waits for a waker to queue it).
//!
//! # Invariants
//!
//! 1. Only the goroutine moves `EMPTY -> PARKED` and `NOTIFIED -> EMPTY`;
//!    only a waker moves `PARKED -> EMPTY` (and then queues the goroutine:
//!    exactly one waker per park does), `EMPTY -> NOTIFIED` and
//!    `NOTIFIED -> NOTIFIED`.
//! 2. **Every wake writes the token, by a read-modify-write with Release,
//!    even one that finds it `NOTIFIED` already.** A waker publishes its
//!    condition (a channel selection, a completed result) and then wakes. If
//!    the second of two wakes only *read* `NOTIFIED`, the goroutine, having
//!    consumed the first, could re-check its condition without seeing the
//!    second waker's write and park for good: the store-buffering outcome,
//!    which x86 produces when the consuming side is a plain store followed
//!    by a load. With every wake a Release RMW, they form one release
//!    sequence in the token's modification order, and the goroutine's
//!    consuming RMW (Acquire) reads from the last of them, so it sees every
//!    waker's condition. (`std`'s parker keeps the same rule: its `unpark`
//!    is an unconditional `swap`.)
//! 3. Parking is an RMW with AcqRel: the waker that moves `PARKED -> EMPTY`
//!    sees everything the goroutine did before parking, and the goroutine,
//!    when resumed, everything that waker did before waking.
//! 4. A wake that races the switch-out is harmless: only the home worker
//!    runs the goroutine, and it is busy running it until the switch ends.
//!    Parks may return spuriously; every primitive re-checks its condition.
//!
//! The protocol is checked by loom (`tests/loom.rs`, `park_token_*`).

use crate::loom::{AtomicUsize, Ordering};

const EMPTY: usize = 0;
const NOTIFIED: usize = 1;
const PARKED: usize = 2;

/// See the module documentation.
#[doc(hidden)]
pub struct ParkToken {
    state: AtomicUsize,
}

impl Default for ParkToken {
    fn default() -> ParkToken {
        ParkToken::new()
    }
}

impl ParkToken {
    /// A token with no wake pending.
    pub fn new() -> ParkToken {
        ParkToken { state: AtomicUsize::new(EMPTY) }
    }

    /// Clears the token of a record nobody else refers to.
    pub(crate) fn reset(&mut self) {
        self.state = AtomicUsize::new(EMPTY);
    }

    /// Park, goroutine side: `true` if the goroutine must switch out (the
    /// token is now `PARKED`), `false` if a wake came first (consumed).
    pub fn begin_park(&self) -> bool {
        // The common case first: one locked instruction per park.
        match self.state.compare_exchange(EMPTY, PARKED, Ordering::AcqRel, Ordering::Relaxed) {
            Ok(_) => true,
            Err(_) => {
                // NOTIFIED (invariant 1: nobody else leaves it). Consume it
                // with an RMW, which reads the last wake's write (invariant 2).
                self.state.swap(EMPTY, Ordering::Acquire);
                false
            }
        }
    }

    /// Wake: `true` if the caller moved the token `PARKED -> EMPTY` and must
    /// now queue the goroutine on its home worker; `false` if the wake was
    /// left as `NOTIFIED` for the goroutine's next park.
    pub fn wake(&self) -> bool {
        let mut cur = self.state.load(Ordering::Relaxed);
        loop {
            let next = if cur == PARKED { EMPTY } else { NOTIFIED };
            // Invariants 2 and 3: a Release RMW even when NOTIFIED stays.
            match self.state.compare_exchange_weak(cur, next, Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => return cur == PARKED,
                Err(actual) => cur = actual,
            }
        }
    }
}
