//! The lock of a channel's wait queues (and of the unbuffered flavor's
//! whole state), as crossbeam-channel's: a spin lock.
//!
//! # Why not `std::sync::Mutex`
//!
//! Its critical sections are a few dozen instructions that never block: a
//! holder never parks, never switches its goroutine out and never runs user
//! code while holding it (waking a waiter only queues it). So a waiter only
//! ever waits for a holder that is running on another thread. A spin lock
//! costs one locked instruction per lock/unlock pair (the unlock is a plain
//! Release store), where std's futex mutex costs two (its unlock swaps, to
//! learn whether a sleeper needs a futex wake): two fewer per message hop of
//! a ping-pong, which is what the channel benchmarks spend their time on.
//!
//! # Invariants
//!
//! 1. `locked` is `true` exactly while a `SpinGuard` exists: taken by a
//!    swap with Acquire, released by the guard's drop with a Release store,
//!    so each holder sees everything the previous holder wrote.
//! 2. A waiter spins with backoff, then yields its thread (never its
//!    goroutine: the holder is on another thread and needs a core, and
//!    switching a goroutine out in the middle of a channel operation would
//!    break the "holders never switch out" rule above for the caller's own
//!    locks).
//!
//! Under loom, it is loom's `Mutex`, so loom sees every interleaving of the
//! code the lock protects.

#[cfg(not(loom))]
mod imp {
    use std::cell::UnsafeCell;
    use std::ops::{Deref, DerefMut};
    use std::sync::atomic::{AtomicBool, Ordering};

    pub(crate) struct SpinLock<T> {
        locked: AtomicBool,
        value: UnsafeCell<T>,
    }

    // SAFETY: the value is reached only through a guard, and one guard
    // exists at a time (invariant 1): the lock hands `T` between threads as
    // a Mutex does.
    unsafe impl<T: Send> Send for SpinLock<T> {}
    // SAFETY: as above.
    unsafe impl<T: Send> Sync for SpinLock<T> {}

    impl<T> SpinLock<T> {
        pub(crate) fn new(value: T) -> SpinLock<T> {
            SpinLock { locked: AtomicBool::new(false), value: UnsafeCell::new(value) }
        }

        #[inline]
        pub(crate) fn lock(&self) -> SpinGuard<'_, T> {
            if self.locked.swap(true, Ordering::Acquire) {
                self.lock_contended();
            }
            SpinGuard { lock: self }
        }

        #[cold]
        fn lock_contended(&self) {
            let mut spins = 0u32;
            loop {
                // Read-only while held (no cache-line ping-pong), then try.
                while self.locked.load(Ordering::Relaxed) {
                    if spins < 7 {
                        for _ in 0..(1u32 << spins) {
                            std::hint::spin_loop();
                        }
                        spins += 1;
                    } else {
                        std::thread::yield_now();
                    }
                }
                if !self.locked.swap(true, Ordering::Acquire) {
                    return;
                }
            }
        }
    }

    pub(crate) struct SpinGuard<'a, T> {
        lock: &'a SpinLock<T>,
    }

    impl<T> Deref for SpinGuard<'_, T> {
        type Target = T;
        fn deref(&self) -> &T {
            // SAFETY: this guard is the one holder (invariant 1).
            unsafe { &*self.lock.value.get() }
        }
    }

    impl<T> DerefMut for SpinGuard<'_, T> {
        fn deref_mut(&mut self) -> &mut T {
            // SAFETY: this guard is the one holder (invariant 1).
            unsafe { &mut *self.lock.value.get() }
        }
    }

    impl<T> Drop for SpinGuard<'_, T> {
        fn drop(&mut self) {
            self.lock.locked.store(false, Ordering::Release);
        }
    }
}

#[cfg(loom)]
mod imp {
    pub(crate) type SpinGuard<'a, T> = loom::sync::MutexGuard<'a, T>;

    pub(crate) struct SpinLock<T>(loom::sync::Mutex<T>);

    impl<T> SpinLock<T> {
        pub(crate) fn new(value: T) -> SpinLock<T> {
            SpinLock(loom::sync::Mutex::new(value))
        }

        pub(crate) fn lock(&self) -> SpinGuard<'_, T> {
            self.0.lock().unwrap_or_else(|e| e.into_inner())
        }
    }
}

pub(crate) use imp::{SpinGuard, SpinLock};
