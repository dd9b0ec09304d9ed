//! `Semaphore`: `n` permits; `acquire` waits (suspending) for one and
//! returns a `Permit` that gives it back when dropped.
//!
//! # Invariants
//!
//! 1. Under the lock: `available` plus the permits held equals the
//!    capacity. Waiters are served in arrival order: a newcomer takes
//!    permits only if nobody waits, and a release hands permits to the
//!    waiters at the front as long as there are enough for each (the
//!    permits are theirs when they wake: no race after the wake).
//! 2. Asking for more permits than the capacity can never succeed, so it
//!    panics at the call rather than wait for ever.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use super::queue::Node;

struct State {
    available: usize,
    waiters: VecDeque<Arc<Node>>,
}

/// A counting semaphore; see the module docs.
///
/// ```
/// use goroutines_runtime::sync::Semaphore;
/// let sem = Semaphore::new(2);
/// let a = sem.acquire();
/// let b = sem.acquire();
/// assert!(sem.try_acquire().is_none());
/// drop(a);
/// assert!(sem.try_acquire().is_some());
/// # drop(b);
/// ```
pub struct Semaphore {
    capacity: usize,
    state: Mutex<State>,
}

/// Permits taken from a [`Semaphore`]; dropping gives them back.
#[must_use = "the permit is given back as soon as it is dropped"]
pub struct Permit<'a> {
    sem: &'a Semaphore,
    n: usize,
}

impl Semaphore {
    /// A semaphore with `permits` permits.
    pub fn new(permits: usize) -> Semaphore {
        Semaphore { capacity: permits, state: Mutex::new(State { available: permits, waiters: VecDeque::new() }) }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for a permit.
    #[track_caller]
    pub fn acquire(&self) -> Permit<'_> {
        self.acquire_many(1)
    }

    /// Waits for `k` permits, taken together.
    ///
    /// # Panics
    /// If `k` exceeds the semaphore's capacity (invariant 2).
    #[track_caller]
    pub fn acquire_many(&self, k: usize) -> Permit<'_> {
        crate::goroutine::current::spend_budget();
        crate::goroutine::status::will_wait(
            crate::goroutine::status::WaitReason::Semaphore,
            std::panic::Location::caller(),
        );
        assert!(
            k <= self.capacity,
            "Semaphore::acquire_many({k}): the semaphore has {} permits in all, so {k} can never be taken",
            self.capacity
        );
        let node = {
            let mut st = self.lock();
            if st.waiters.is_empty() && st.available >= k {
                st.available -= k;
                return Permit { sem: self, n: k };
            }
            let node = Node::new(k);
            st.waiters.push_back(node.clone());
            node
        };
        // Invariant 1: woken only once the permits are ours.
        node.wait();
        Permit { sem: self, n: k }
    }

    /// A permit if one is free now (and nobody waits before us).
    pub fn try_acquire(&self) -> Option<Permit<'_>> {
        self.try_acquire_many(1)
    }

    /// `k` permits if they are free now (and nobody waits before us).
    pub fn try_acquire_many(&self, k: usize) -> Option<Permit<'_>> {
        crate::goroutine::current::spend_budget();
        let mut st = self.lock();
        (st.waiters.is_empty() && st.available >= k).then(|| {
            st.available -= k;
            Permit { sem: self, n: k }
        })
    }

    /// Permits free now.
    pub fn available(&self) -> usize {
        self.lock().available
    }

    fn release(&self, n: usize) {
        let mut woken = Vec::new();
        {
            let mut st = self.lock();
            st.available += n;
            while let Some(front) = st.waiters.front() {
                if st.available < front.want {
                    break;
                }
                st.available -= front.want;
                if let Some(node) = st.waiters.pop_front() {
                    woken.push(node);
                }
            }
        }
        for node in woken {
            node.wake(true);
        }
    }
}

impl Permit<'_> {
    /// How many permits this holds.
    pub fn count(&self) -> usize {
        self.n
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.sem.release(self.n);
    }
}

impl std::fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Semaphore").field("capacity", &self.capacity).field("available", &self.available()).finish()
    }
}

impl std::fmt::Debug for Permit<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Permit").field("count", &self.n).finish()
    }
}
