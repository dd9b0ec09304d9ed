//! Scoped goroutines: goroutines that may borrow from the caller's stack,
//! because `scope` returns only after every one of them has ended.
//!
//! # Invariants
//!
//! 1. Every goroutine spawned through a `Scope` is counted in the scope's
//!    `WaitGroup` before it is queued, and uncounted once both its job and
//!    its handle have let go of its outcome, after its closure, everything
//!    it captured and its result are dropped (join.rs invariant 3).
//! 2. `scope` does not return, nor unwind, before that count is zero: the
//!    user's closure runs under `catch_unwind`, and the wait comes after it.
//!    So no borrow handed to a scoped goroutine outlives its referent.

use std::marker::PhantomData;
use std::panic::{self, AssertUnwindSafe, Location};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::join::{self, ScopedJoinHandle};
use crate::scheduler;
use crate::sync::WaitGroup;

pub(crate) struct ScopeState {
    running: WaitGroup,
    /// A scoped goroutine panicked and nobody joined it.
    unhandled_panic: AtomicBool,
}

impl ScopeState {
    pub(crate) fn goroutine_done(&self, unhandled_panic: bool) {
        if unhandled_panic {
            // Relaxed: published by the WaitGroup's release/acquire.
            self.unhandled_panic.store(true, Ordering::Relaxed);
        }
        self.running.done();
    }
}

/// A scope to spawn goroutines that borrow; see [`scope`].
pub struct Scope<'scope, 'env: 'scope> {
    state: Arc<ScopeState>,
    /// Invariant in 'scope, as in `std::thread::Scope`.
    scope: PhantomData<&'scope mut &'scope ()>,
    env: PhantomData<&'env mut &'env ()>,
}

/// Runs `f` with a [`Scope`] whose goroutines may borrow anything that
/// outlives the call, and returns once all of them have ended (like
/// `std::thread::scope`, with goroutines instead of threads).
///
/// If a scoped goroutine panicked and its handle was not joined, `scope`
/// panics after all have ended; if `f` itself panics, the panic continues
/// once all have ended.
///
/// ```
/// let mut counts = vec![0; 4];
/// goroutines_runtime::scope(|s| {
///     for (i, c) in counts.iter_mut().enumerate() {
///         s.go(move || *c = i * 10);
///     }
/// });
/// assert_eq!(counts, [0, 10, 20, 30]);
/// ```
#[track_caller]
pub fn scope<'env, F, T>(f: F) -> T
where
    F: for<'scope> FnOnce(&'scope Scope<'scope, 'env>) -> T,
{
    let state = Arc::new(ScopeState { running: WaitGroup::new(), unhandled_panic: AtomicBool::new(false) });
    let scope = Scope { state: Arc::clone(&state), scope: PhantomData, env: PhantomData };
    let result = panic::catch_unwind(AssertUnwindSafe(|| f(&scope)));
    // Invariant 2.
    state.running.wait();
    match result {
        Err(payload) => panic::resume_unwind(payload),
        Ok(_) if state.unhandled_panic.load(Ordering::Relaxed) => {
            panic!("a scoped goroutine panicked")
        }
        Ok(value) => value,
    }
}

impl<'scope, 'env> Scope<'scope, 'env> {
    /// Spawns a goroutine that may borrow from outside the scope.
    #[track_caller]
    pub fn go<F, T>(&'scope self, f: F) -> ScopedJoinHandle<'scope, T>
    where
        F: FnOnce() -> T + Send + 'scope,
        T: Send + 'scope,
    {
        let runtime = scheduler::current_or_global();
        self.state.running.add(1);
        // SAFETY: the job borrows for 'scope at most, and `scope` does not
        // return before the outcome is released, i.e. before the closure,
        // its captures and its result are dropped (invariants 1 and 2).
        let (g, handle) = unsafe { join::new_goroutine(runtime, Location::caller(), f, Some(Arc::clone(&self.state))) };
        runtime.submit(g, scheduler::Placement::Near);
        ScopedJoinHandle::new(handle)
    }
}
