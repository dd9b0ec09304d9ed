//! `Mutex<T>`: mutual exclusion whose contenders suspend their goroutine
//! (or park their thread) instead of blocking a worker; no poisoning, as
//! parking_lot's; the guard is the only way to the data, so unlocking twice
//! cannot be written.
//!
//! # Invariants
//!
//! 1. `state` is `LOCKED | PARKED`: `LOCKED` while someone holds the lock,
//!    `PARKED` while the queue holds waiters. Every change is one
//!    compare-exchange or swap on `state`, so a locker and an unlocker always
//!    see each other's change: the unlocker's fast path (`LOCKED -> 0`)
//!    fails once `PARKED` is set, and a parker sets `PARKED` only while
//!    `LOCKED` is set, under the queue's lock, re-checking both.
//! 2. An unlocker that finds `PARKED` pops the first waiter under the queue's
//!    lock and stores the new state there (`PARKED` kept if others wait).
//!    Normally it releases the lock and wakes the waiter, which competes
//!    again (a newcomer may win: cheaper under contention). But a waiter
//!    that has waited longer than `STARVING` (1 ms, Go's starvation
//!    threshold) is handed the lock: `LOCKED` stays set and the waiter wakes
//!    owning it, so no contender starves.
//! 3. Acquire on taking the lock, Release on giving it up (a hand-off
//!    passes it under the queue's lock and the node's Release/Acquire), so
//!    each holder sees what the previous one wrote to the data.

use std::cell::UnsafeCell;
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use super::queue::{Node, Queue};
use crate::goroutine::status::WaitReason;

const LOCKED: u8 = 1;
const PARKED: u8 = 2;

/// How long a waiter waits before the lock is handed to it (invariant 2).
const STARVING: Duration = Duration::from_millis(1);

/// Spins before parking while the holder is running elsewhere.
const SPINS: u32 = 64;

/// A goroutine-aware mutex; see the module docs.
///
/// ```
/// use std::sync::Arc;
/// use goroutines_runtime::{spawn, sync::Mutex};
/// let n = Arc::new(Mutex::new(0));
/// let hs: Vec<_> = (0..8).map(|_| { let n = n.clone(); spawn(move || *n.lock() += 1) }).collect();
/// hs.into_iter().for_each(|h| h.join().unwrap());
/// assert_eq!(*n.lock(), 8);
/// ```
pub struct Mutex<T: ?Sized> {
    state: AtomicU8,
    queue: Queue,
    data: UnsafeCell<T>,
}

// SAFETY: the data is reached only through a guard, one at a time
// (invariant 1), so `T: Send` is enough to share the Mutex, as std's.
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

/// Holds the lock; dropping it unlocks.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct MutexGuard<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
    /// The guard is a `&mut T` to whoever holds it, so it is `Sync` only
    /// when `T` is (std's guard is too): `&Mutex<T>` alone would make it
    /// `Sync` for any `T: Send`, and two threads could then reach a
    /// `Cell` through one `&MutexGuard` at once. `Send` stays as
    /// `&mut T`'s: a guard may be dropped on another thread, since the
    /// lock has no owning thread.
    _access: PhantomData<&'a mut T>,
}

impl<T> Mutex<T> {
    /// An unlocked mutex holding `value`.
    pub const fn new(value: T) -> Mutex<T> {
        Mutex { state: AtomicU8::new(0), queue: Queue::new(), data: UnsafeCell::new(value) }
    }

    /// The value, for the sole owner.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Locks, waiting (the goroutine suspends) while another holds it.
    /// Like a channel operation, it spends one unit of the goroutine's
    /// cooperative budget first, so a loop that only locks still lets the
    /// goroutines beside it run (it may switch the goroutine out).
    #[track_caller]
    pub fn lock(&self) -> MutexGuard<'_, T> {
        self.lock_for(WaitReason::Mutex)
    }

    /// `lock`, showing `reason` in a dump while it waits (`Once` waits on
    /// its Mutex as `sync.Once.Do`).
    #[track_caller]
    pub(crate) fn lock_for(&self, reason: WaitReason) -> MutexGuard<'_, T> {
        crate::goroutine::current::spend_budget();
        if self.state.compare_exchange(0, LOCKED, Ordering::Acquire, Ordering::Relaxed).is_err() {
            self.lock_slow(reason);
        }
        MutexGuard { mutex: self, _access: PhantomData }
    }

    /// Locks if nobody holds it now. Spends the cooperative budget as
    /// `lock` does, so a loop polling `try_lock` lets the holder run.
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        crate::goroutine::current::spend_budget();
        let mut s = self.state.load(Ordering::Relaxed);
        while s & LOCKED == 0 {
            match self.state.compare_exchange_weak(s, s | LOCKED, Ordering::Acquire, Ordering::Relaxed) {
                Ok(_) => return Some(MutexGuard { mutex: self, _access: PhantomData }),
                Err(actual) => s = actual,
            }
        }
        None
    }

    /// The value, for whoever holds the mutex mutably (no locking needed).
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    #[cold]
    #[track_caller]
    fn lock_slow(&self, reason: WaitReason) {
        // The caller's line, for a dump (status.rs): said here, off the
        // fast path, and before every park.
        let site = std::panic::Location::caller();
        let mut spins = 0;
        // When this caller first parked: its wait counts from there across
        // the times it is woken and loses the race (invariant 2).
        let mut since = None;
        loop {
            let s = self.state.load(Ordering::Relaxed);
            if s & LOCKED == 0 {
                if self.state.compare_exchange_weak(s, s | LOCKED, Ordering::Acquire, Ordering::Relaxed).is_ok() {
                    return;
                }
                continue;
            }
            // Nobody queued yet: the holder is likely running and about to
            // unlock; a short spin is cheaper than a park.
            if s & PARKED == 0 && spins < SPINS {
                spins += 1;
                std::hint::spin_loop();
                continue;
            }
            // Invariant 1: set PARKED while LOCKED, under the queue's lock.
            let waited_before = since.is_some();
            let node = Node::waiting_since(*since.get_or_insert_with(Instant::now), 0);
            {
                let mut q = self.queue.lock();
                let s = self.state.load(Ordering::Relaxed);
                if s & LOCKED == 0 {
                    continue;
                }
                if s & PARKED == 0
                    && self.state.compare_exchange(s, s | PARKED, Ordering::Relaxed, Ordering::Relaxed).is_err()
                {
                    continue;
                }
                // One that was woken and lost the race goes first, as Go's.
                if waited_before {
                    q.push_front(node.clone());
                } else {
                    q.push_back(node.clone());
                }
            }
            crate::goroutine::status::will_wait(reason, site);
            if node.wait() {
                // Handed to us (invariant 2): LOCKED stayed set for us.
                std::sync::atomic::fence(Ordering::Acquire);
                return;
            }
            spins = 0;
        }
    }

    fn unlock(&self) {
        if self.state.compare_exchange(LOCKED, 0, Ordering::Release, Ordering::Relaxed).is_err() {
            self.unlock_slow();
        }
    }

    #[cold]
    fn unlock_slow(&self) {
        // Invariant 2: PARKED is set, so only we change it now (parkers
        // need LOCKED, which we hold).
        let (node, handed) = {
            let mut q = self.queue.lock();
            let Some(node) = q.pop_front() else {
                // Cannot happen (PARKED means queued), but stay correct.
                self.state.store(0, Ordering::Release);
                return;
            };
            let more = if q.is_empty() { 0 } else { PARKED };
            let handed = node.since.elapsed() >= STARVING;
            self.state.store(if handed { LOCKED | more } else { more }, Ordering::Release);
            (node, handed)
        };
        node.wake(handed);
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: this guard holds the lock (invariant 1).
        unsafe { &*self.mutex.data.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: this guard holds the lock (invariant 1).
        unsafe { &mut *self.mutex.data.get() }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.mutex.unlock();
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.try_lock() {
            Some(g) => f.debug_struct("Mutex").field("data", &&*g).finish(),
            None => f.debug_struct("Mutex").field("data", &format_args!("<locked>")).finish(),
        }
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
