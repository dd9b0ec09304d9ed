//! `WaitGroup`: wait for a collection of goroutines to finish (Go's
//! `sync.WaitGroup`).
//!
//! # Invariants
//!
//! 1. `count` is the number of `add`s not yet matched by a `done`. It is
//!    changed without the lock; the transition to zero is followed by taking
//!    the lock, bumping `generation` and waking every registered waiter.
//! 2. A waiter reads `count` under the lock before registering, so either it
//!    sees zero or its registration precedes the wake-up of invariant 1.
//! 3. A waiter registers once per generation; a spurious wake re-checks
//!    `count` and parks again without registering twice. Reuse after a wait
//!    (add again) starts a new generation.

use std::fmt;
use std::panic::Location;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::join::JoinHandle;
use crate::waiter::{park, Waiter};

struct Inner {
    /// Pending `add`s (invariant 1). Release on decrement, Acquire on the
    /// waiter's read: work done before `done()` is visible after `wait()`.
    count: AtomicUsize,
    waiters: Mutex<Waiters>,
}

struct Waiters {
    generation: u64,
    list: Vec<Waiter>,
}

/// Waits for a collection of goroutines to finish, as Go's `sync.WaitGroup`.
///
/// Clones share one counter, so a clone can move into each goroutine.
/// `wait` suspends a calling goroutine (its worker runs others) and parks a
/// calling thread.
///
/// ```
/// use goroutines_runtime::{spawn, WaitGroup};
/// let wg = WaitGroup::new();
/// for _ in 0..10 {
///     wg.add(1);
///     let wg = wg.clone();
///     drop(spawn(move || wg.done()));
/// }
/// wg.wait();
/// ```
#[derive(Clone)]
pub struct WaitGroup {
    inner: Arc<Inner>,
}

impl WaitGroup {
    /// A group with nothing to wait for.
    pub fn new() -> WaitGroup {
        WaitGroup {
            inner: Arc::new(Inner {
                count: AtomicUsize::new(0),
                waiters: Mutex::new(Waiters { generation: 0, list: Vec::new() }),
            }),
        }
    }

    /// Adds `n` to the number of goroutines to wait for.
    pub fn add(&self, n: usize) {
        self.inner.count.fetch_add(n, Ordering::Relaxed);
    }

    /// Marks one goroutine as finished.
    ///
    /// # Panics
    /// If called more times than `add` counted (Go: "negative WaitGroup
    /// counter"); the counter is left at zero.
    #[track_caller]
    pub fn done(&self) {
        let prev = self.inner.count.fetch_sub(1, Ordering::AcqRel);
        if prev == 0 {
            self.inner.count.fetch_add(1, Ordering::Relaxed);
            panic!("WaitGroup::done called more times than WaitGroup::add counted (negative WaitGroup counter)");
        }
        if prev == 1 {
            self.release_waiters();
        }
    }

    #[cold]
    fn release_waiters(&self) {
        let list = {
            let mut w = self.inner.waiters.lock().unwrap_or_else(|e| e.into_inner());
            w.generation += 1;
            std::mem::take(&mut w.list)
        };
        list.into_iter().for_each(Waiter::wake);
    }

    /// Waits until the counter is zero.
    #[track_caller]
    pub fn wait(&self) {
        crate::goroutine::status::will_wait(
            crate::goroutine::status::WaitReason::WaitGroup,
            std::panic::Location::caller(),
        );
        let mut registered = None;
        loop {
            if self.inner.count.load(Ordering::Acquire) == 0 {
                return;
            }
            {
                let mut w = self.inner.waiters.lock().unwrap_or_else(|e| e.into_inner());
                // Invariant 2.
                if self.inner.count.load(Ordering::Acquire) == 0 {
                    return;
                }
                // Invariant 3.
                if registered != Some(w.generation) {
                    registered = Some(w.generation);
                    w.list.push(Waiter::current());
                }
            }
            park();
        }
    }

    /// The number of goroutines still counted.
    pub fn count(&self) -> usize {
        self.inner.count.load(Ordering::Relaxed)
    }

    /// Go 1.25's `wg.Go(f)`: counts one goroutine, spawns `f` in it, and
    /// marks it done when `f` returns or panics.
    #[track_caller]
    pub fn go<F, T>(&self, f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        struct Done(WaitGroup);
        impl Drop for Done {
            fn drop(&mut self) {
                self.0.done();
            }
        }
        self.add(1);
        let done = Done(self.clone());
        crate::scheduler::spawn_at(
            move || {
                let _done = done;
                f()
            },
            Location::caller(),
        )
    }
}

impl Default for WaitGroup {
    fn default() -> Self {
        WaitGroup::new()
    }
}

impl fmt::Debug for WaitGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitGroup").field("count", &self.count()).finish()
    }
}
