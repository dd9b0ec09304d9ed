//! A FIFO queue of parked goroutines or threads, for the sync primitives:
//! each waiter parks on a node of its own until someone marks it woken
//! (and, for a hand-off, gives it what it waited for).
//!
//! # Invariants
//!
//! 1. A node moves once from `WAITING` to `WOKEN` or `HANDED`, by the one
//!    who took it off the queue, and only then is its waiter woken; the
//!    waiter parks until it sees the move (parks may return spuriously).
//! 2. The queue's lock is held only to push or pop nodes and read the
//!    length; nobody parks, yields or runs user code while holding it.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use crate::waiter::{park, Waiter};

const WAITING: u8 = 0;
const WOKEN: u8 = 1;
const HANDED: u8 = 2;

/// One parked waiter.
pub(crate) struct Node {
    waiter: Waiter,
    state: AtomicU8,
    /// When it started waiting (for the Mutex's starvation mode).
    pub(crate) since: Instant,
    /// What it waits for (a Semaphore's permits; a RwLock's kind).
    pub(crate) want: usize,
}

impl Node {
    pub(crate) fn new(want: usize) -> Arc<Node> {
        Node::waiting_since(Instant::now(), want)
    }

    /// A node for a waiter that has been waiting since `since` (it was woken
    /// once and lost the race: its wait goes on).
    pub(crate) fn waiting_since(since: Instant, want: usize) -> Arc<Node> {
        Arc::new(Node { waiter: Waiter::current(), state: AtomicU8::new(WAITING), since, want })
    }

    /// Parks until woken; `true` if what it waited for was handed to it.
    pub(crate) fn wait(&self) -> bool {
        loop {
            // Acquire: see what the waker did before (invariant 1).
            match self.state.load(Ordering::Acquire) {
                WAITING => park(),
                s => return s == HANDED,
            }
        }
    }

    /// Wakes the waiter (`handed`: what it waited for is now its own).
    /// Called by whoever took the node off the queue.
    pub(crate) fn wake(&self, handed: bool) {
        self.state.store(if handed { HANDED } else { WOKEN }, Ordering::Release);
        self.waiter.wake_by_ref();
    }
}

/// The queue (invariant 2).
pub(crate) struct Queue {
    nodes: Mutex<VecDeque<Arc<Node>>>,
}

impl Queue {
    pub(crate) const fn new() -> Queue {
        Queue { nodes: Mutex::new(VecDeque::new()) }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, VecDeque<Arc<Node>>> {
        self.nodes.lock().unwrap_or_else(|e| e.into_inner())
    }
}
