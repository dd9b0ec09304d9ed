//! `Once`: runs a function once, however many goroutines ask at the same
//! time; the others wait (suspending) until it has run (Go's `sync.Once`).
//!
//! # Invariants
//!
//! 1. `done` is set (Release) after the function ran, or panicked (Go's
//!    Once counts a panicking call as done); callers that see it (Acquire)
//!    see what the function wrote. The slow path runs under the Mutex, so
//!    one caller runs it and the others wait for the lock.

use std::sync::atomic::{AtomicBool, Ordering};

use super::Mutex;

/// Runs a function once; see the module docs.
///
/// ```
/// use goroutines_runtime::sync::Once;
/// static INIT: Once = Once::new();
/// let mut runs = 0;
/// INIT.call_once(|| runs += 1);
/// INIT.call_once(|| runs += 1);
/// assert_eq!(runs, 1);
/// ```
pub struct Once {
    done: AtomicBool,
    lock: Mutex<()>,
}

impl Default for Once {
    fn default() -> Self {
        Once::new()
    }
}

impl Once {
    /// A `Once` that has not run.
    pub const fn new() -> Once {
        Once { done: AtomicBool::new(false), lock: Mutex::new(()) }
    }

    /// Runs `f` if no call has run yet; waits while another call runs.
    #[track_caller]
    pub fn call_once(&self, f: impl FnOnce()) {
        if self.done.load(Ordering::Acquire) {
            return;
        }
        let _g = self.lock.lock_for(crate::goroutine::status::WaitReason::Once);
        if self.done.load(Ordering::Relaxed) {
            return;
        }
        /// Sets `done` even if `f` panics (invariant 1).
        struct SetDone<'a>(&'a AtomicBool);
        impl Drop for SetDone<'_> {
            fn drop(&mut self) {
                self.0.store(true, Ordering::Release);
            }
        }
        let _set = SetDone(&self.done);
        f();
    }

    /// Whether a call has run.
    pub fn is_completed(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }
}

impl std::fmt::Debug for Once {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Once").field("done", &self.is_completed()).finish()
    }
}
