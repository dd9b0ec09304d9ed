//! `RwLock<T>`: many readers or one writer; contenders suspend (Go's
//! `sync.RWMutex`). Guards are the only way to the data.
//!
//! # Invariants
//!
//! 1. Under the lock: `writer` is set while a writer holds it, `readers`
//!    counts the readers holding it, and never both.
//! 2. Waiters are queued in arrival order, and a newcomer queues behind
//!    them (so a waiting writer is not starved by a stream of readers, as
//!    in Go). A release grants the front of the queue: one writer, or every
//!    reader up to the next writer; the granted waiters own the lock when
//!    they wake.

use std::cell::UnsafeCell;
use std::collections::VecDeque;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex, MutexGuard};

use super::queue::Node;

const READ: usize = 0;
const WRITE: usize = 1;

struct State {
    readers: usize,
    writer: bool,
    waiters: VecDeque<Arc<Node>>,
}

/// A goroutine-aware reader-writer lock; see the module docs.
///
/// ```
/// use goroutines_runtime::sync::RwLock;
/// let l = RwLock::new(vec![1]);
/// {
///     let a = l.read();
///     let b = l.read(); // many readers at once
///     assert_eq!(a.len() + b.len(), 2);
/// }
/// l.write().push(2);
/// assert_eq!(*l.read(), [1, 2]);
/// ```
pub struct RwLock<T: ?Sized> {
    state: Mutex<State>,
    data: UnsafeCell<T>,
}

// SAFETY: readers share `&T` across threads (T: Sync) and a writer moves
// `&mut T` to another thread (T: Send), exactly as std's RwLock.
unsafe impl<T: ?Sized + Send> Send for RwLock<T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}

/// Shared access; dropping it releases.
#[must_use = "the read lock is released as soon as the guard is dropped"]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
}

/// Exclusive access; dropping it releases.
#[must_use = "the write lock is released as soon as the guard is dropped"]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
}

impl<T> RwLock<T> {
    /// An unlocked lock holding `value`.
    pub fn new(value: T) -> RwLock<T> {
        RwLock {
            state: Mutex::new(State { readers: 0, writer: false, waiters: VecDeque::new() }),
            data: UnsafeCell::new(value),
        }
    }

    /// The value, for the sole owner.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    fn lock_state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Shared access, waiting while a writer holds or waits for it.
    #[track_caller]
    pub fn read(&self) -> RwLockReadGuard<'_, T> {
        crate::goroutine::current::spend_budget();
        crate::goroutine::status::will_wait(
            crate::goroutine::status::WaitReason::RwLock,
            std::panic::Location::caller(),
        );
        let node = {
            let mut st = self.lock_state();
            if !st.writer && st.waiters.is_empty() {
                st.readers += 1;
                return RwLockReadGuard { lock: self };
            }
            let node = Node::new(READ);
            st.waiters.push_back(node.clone());
            node
        };
        node.wait(); // granted (invariant 2)
        RwLockReadGuard { lock: self }
    }

    /// Exclusive access, waiting while anyone holds it.
    #[track_caller]
    pub fn write(&self) -> RwLockWriteGuard<'_, T> {
        crate::goroutine::current::spend_budget();
        crate::goroutine::status::will_wait(
            crate::goroutine::status::WaitReason::RwLock,
            std::panic::Location::caller(),
        );
        let node = {
            let mut st = self.lock_state();
            if !st.writer && st.readers == 0 && st.waiters.is_empty() {
                st.writer = true;
                return RwLockWriteGuard { lock: self };
            }
            let node = Node::new(WRITE);
            st.waiters.push_back(node.clone());
            node
        };
        node.wait();
        RwLockWriteGuard { lock: self }
    }

    /// Shared access if it is free of writers now.
    pub fn try_read(&self) -> Option<RwLockReadGuard<'_, T>> {
        crate::goroutine::current::spend_budget();
        let mut st = self.lock_state();
        (!st.writer && st.waiters.is_empty()).then(|| {
            st.readers += 1;
            RwLockReadGuard { lock: self }
        })
    }

    /// Exclusive access if nobody holds it now.
    pub fn try_write(&self) -> Option<RwLockWriteGuard<'_, T>> {
        crate::goroutine::current::spend_budget();
        let mut st = self.lock_state();
        (!st.writer && st.readers == 0 && st.waiters.is_empty()).then(|| {
            st.writer = true;
            RwLockWriteGuard { lock: self }
        })
    }

    /// The value, for whoever holds the lock mutably.
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    /// Releases (a reader, or the writer) and grants the front of the
    /// queue (invariant 2).
    fn release(&self, writer: bool) {
        let mut granted = Vec::new();
        {
            let mut st = self.lock_state();
            if writer {
                st.writer = false;
            } else {
                st.readers -= 1;
            }
            while let Some(front) = st.waiters.front() {
                if front.want == WRITE {
                    if st.readers == 0 && !st.writer && granted.is_empty() {
                        st.writer = true;
                        granted.extend(st.waiters.pop_front());
                    }
                    break;
                }
                if st.writer {
                    break;
                }
                st.readers += 1;
                granted.extend(st.waiters.pop_front());
            }
        }
        for node in granted {
            node.wake(true);
        }
    }
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: a reader holds the lock: no writer does (invariant 1).
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.release(false);
    }
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the writer holds the lock alone (invariant 1).
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the writer holds the lock alone (invariant 1).
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.release(true);
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> Self {
        RwLock::new(T::default())
    }
}

impl<T: ?Sized> std::fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let st = self.lock_state();
        f.debug_struct("RwLock").field("readers", &st.readers).field("writer", &st.writer).finish_non_exhaustive()
    }
}
