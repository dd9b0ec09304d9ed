//! The runtime's one timer facility: a heap of deadlines served by a single
//! timer thread, behind `sleep`, `after`, `tick`, `Ticker`, `Timer`, the
//! channels' timeouts and `select` deadlines.
//!
//! Why a thread rather than the workers: a worker may be busy running a
//! goroutine for a long time (there is no preemption), and a timer must fire
//! anyway. The thread sleeps on a condition variable until the earliest
//! deadline (with a timer slack of 1 µs, so the kernel does not round its
//! wake-ups up by the default 50 µs), runs what is due, and sleeps again.
//!
//! # Invariants
//!
//! 1. Every live timer has one entry in `actions`, keyed by its id, and at
//!    least one `(deadline, id)` in `heap`. Cancelling removes the action;
//!    a heap key whose action is gone is skipped when it comes up, and when
//!    such dead keys are most of a large heap it is rebuilt without them (a
//!    loop of early-finished `recv_timeout(60 s)` would grow it otherwise).
//! 2. Actions run on the timer thread outside the lock, so they may take
//!    other locks (a channel's) but must not block: waking a waiter and
//!    `offer` into a channel is all they do (it never waits on the
//!    channel: chan/array.rs invariant 5).
//! 3. Inserting an entry earlier than the current earliest notifies the
//!    condition variable, so the thread never sleeps past a deadline.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::Instant;

use crate::waiter::Waiter;

/// What a timer does when due: return the next deadline to fire again.
pub(crate) type Action = Box<dyn FnMut(Instant) -> Option<Instant> + Send>;

struct State {
    heap: BinaryHeap<Reverse<(Instant, u64)>>,
    actions: HashMap<u64, Action>,
    /// Timers whose action is running now (taken out of `actions`).
    running: HashSet<u64>,
    /// Of those, the ones cancelled meanwhile: not to be rescheduled.
    cancelled: HashSet<u64>,
    next_id: u64,
}

struct Timers {
    state: Mutex<State>,
    cv: Condvar,
}

fn timers() -> &'static Timers {
    static TIMERS: OnceLock<&'static Timers> = OnceLock::new();
    TIMERS.get_or_init(|| {
        let t: &'static Timers = Box::leak(Box::new(Timers {
            state: Mutex::new(State {
                heap: BinaryHeap::new(),
                actions: HashMap::new(),
                running: HashSet::new(),
                cancelled: HashSet::new(),
                next_id: 1,
            }),
            cv: Condvar::new(),
        }));
        std::thread::Builder::new()
            .name("goroutines-timer".into())
            .spawn(move || run(t))
            .unwrap_or_else(|e| crate::panic::fatal(&format!("cannot start the timer thread: {e}")));
        t
    })
}

fn run(t: &'static Timers) -> ! {
    // SAFETY: prctl(PR_SET_TIMERSLACK) only changes this thread's timer
    // slack; 1 ns asks for wake-ups as precise as the kernel gives.
    unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong, 0, 0, 0) };
    let mut due: Vec<(u64, Instant, Action)> = Vec::new();
    loop {
        let mut st = t.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            let now = Instant::now();
            while let Some(Reverse((deadline, id))) = st.heap.peek().copied() {
                if deadline > now {
                    break;
                }
                st.heap.pop();
                if let Some(action) = st.actions.remove(&id) {
                    st.running.insert(id);
                    due.push((id, deadline, action));
                }
            }
            if !due.is_empty() {
                break;
            }
            st = match st.heap.peek() {
                Some(Reverse((deadline, _))) => {
                    let wait = deadline.saturating_duration_since(now);
                    t.cv.wait_timeout(st, wait).unwrap_or_else(|e| e.into_inner()).0
                }
                None => t.cv.wait(st).unwrap_or_else(|e| e.into_inner()),
            };
        }
        drop(st);
        // Invariant 2: outside the lock.
        let mut ran = Vec::new();
        for (id, deadline, mut action) in due.drain(..) {
            let next = action(deadline);
            ran.push((id, next, action));
        }
        let mut st = t.state.lock().unwrap_or_else(|e| e.into_inner());
        for (id, next, action) in ran {
            st.running.remove(&id);
            // A periodic timer cancelled while its action ran stays dead.
            let cancelled = st.cancelled.remove(&id);
            if let (Some(next), false) = (next, cancelled) {
                st.heap.push(Reverse((next, id)));
                st.actions.insert(id, action);
            }
        }
        if st.actions.is_empty() && st.running.is_empty() {
            drop(st);
            // The deadlock detector may have stopped looking while a timer
            // was pending (scheduler/deadlock.rs invariant 4).
            crate::scheduler::timers_ended();
        }
    }
}

/// Schedules `action` at `deadline`; dropping (or `cancel`ling) the guard
/// cancels it.
pub(crate) fn schedule(deadline: Instant, action: Action) -> TimerGuard {
    let t = timers();
    let mut st = t.state.lock().unwrap_or_else(|e| e.into_inner());
    let id = st.next_id;
    st.next_id += 1;
    let earliest = st.heap.peek().map_or(true, |Reverse((d, _))| deadline < *d);
    st.heap.push(Reverse((deadline, id)));
    st.actions.insert(id, action);
    drop(st);
    if earliest {
        // Invariant 3.
        t.cv.notify_one();
    }
    TimerGuard { id, cancel_on_drop: true }
}

/// Timers scheduled and not yet fired or cancelled (or running now): what
/// the deadlock detector counts as "something will still happen".
pub(crate) fn pending() -> usize {
    let st = timers().state.lock().unwrap_or_else(|e| e.into_inner());
    st.actions.len() + st.running.len()
}

/// Wakes `waiter` at `deadline` (unless cancelled first).
pub(crate) fn wake_at(deadline: Instant, waiter: Waiter) -> TimerGuard {
    schedule(
        deadline,
        Box::new(move |_| {
            waiter.wake_by_ref();
            None
        }),
    )
}

/// A scheduled timer; cancels it when dropped unless `forget` was called.
pub(crate) struct TimerGuard {
    id: u64,
    cancel_on_drop: bool,
}

impl TimerGuard {
    /// Cancels the timer; `true` if it had not fired (for a periodic timer:
    /// if it was still scheduled).
    pub(crate) fn cancel(mut self) -> bool {
        self.cancel_on_drop = false;
        cancel(self.id)
    }

    /// Lets the timer run on after the guard is gone.
    pub(crate) fn forget(mut self) {
        self.cancel_on_drop = false;
    }
}

impl Drop for TimerGuard {
    fn drop(&mut self) {
        if self.cancel_on_drop {
            cancel(self.id);
        }
    }
}

fn cancel(id: u64) -> bool {
    let t = timers();
    let mut st = t.state.lock().unwrap_or_else(|e| e.into_inner());
    // Invariant 1: the heap key stays and is skipped.
    let removed = st.actions.remove(&id).is_some();
    if !removed && st.running.contains(&id) {
        st.cancelled.insert(id);
    }
    // Invariant 1: rebuild when dead keys dominate a large heap (amortised:
    // at most one rebuild per heap's worth of cancellations).
    if removed && st.heap.len() > 1024 && st.heap.len() > 2 * st.actions.len() {
        let State { heap, actions, .. } = &mut *st;
        heap.retain(|Reverse((_, id))| actions.contains_key(id));
    }
    removed
}
