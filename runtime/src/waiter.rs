//! The parking abstraction every blocking primitive is built on.
//!
//! A primitive that must wait records `Waiter::current()` under its own lock,
//! releases the lock, and calls [`park`] in a loop until its condition holds.
//! Whoever makes the condition true takes the waiter out (under the same lock)
//! and calls [`Waiter::wake`] after releasing it.
//!
//! A waiter is either a goroutine (wake = queue it on its home worker, in the
//! `runnext` slot when the waker runs on that worker) or an OS thread (wake =
//! `Thread::unpark`). Both follow `std::thread::park`'s token rules: a wake
//! that comes before the park makes the park return at once, and a park may
//! return spuriously, so primitives re-check their condition. This is what
//! lets every primitive serve goroutines and plain threads alike.

use crate::loom::thread::{self, Thread};
use std::fmt;

use crate::goroutine::{current, GoRef};

pub(crate) use crate::goroutine::current::park;

/// Something blocked in a runtime primitive that can be woken.
#[derive(Clone)]
pub(crate) enum Waiter {
    Goroutine(GoRef),
    Thread(Thread),
}

impl Waiter {
    /// The caller: the running goroutine, or else this thread.
    pub(crate) fn current() -> Waiter {
        match current::running() {
            Some(g) => Waiter::Goroutine(g),
            None => Waiter::Thread(thread::current()),
        }
    }

    /// Wakes the waiter (or, if it is not parked yet, makes its next park
    /// return at once).
    pub(crate) fn wake(self) {
        match self {
            Waiter::Goroutine(g) => {
                if let Some(parked) = g.take_wake() {
                    g.runtime.schedule_woken(parked);
                }
            }
            Waiter::Thread(t) => t.unpark(),
        }
    }

    /// Wakes the waiter, keeping this handle.
    pub(crate) fn wake_by_ref(&self) {
        match self {
            Waiter::Goroutine(g) => {
                if let Some(parked) = g.take_wake() {
                    g.runtime.schedule_woken(parked);
                }
            }
            Waiter::Thread(t) => t.unpark(),
        }
    }
}

impl fmt::Debug for Waiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Waiter::Goroutine(g) => write!(f, "Waiter::Goroutine({})", g.id),
            Waiter::Thread(t) => write!(f, "Waiter::Thread({:?})", t.id()),
        }
    }
}
