//! `blocking(f)`: runs a call that blocks its thread (std I/O, a foreign
//! library, `std::thread::sleep`, a `std::sync::Mutex`) on a separate pool
//! of threads while the calling goroutine is suspended, so the worker runs
//! other goroutines meanwhile (Go gets this from its syscall hand-off; tokio
//! calls it `spawn_blocking`). From a plain thread, `f` runs inline.
//!
//! # Invariants
//!
//! 1. The goroutine that submitted a call parks until the call's `done`
//!    flag is set, and the pool thread touches the call (its closure, its
//!    result slot, its waiter) only before setting it. So `f` may borrow
//!    from the goroutine's stack, as a scoped thread's closure may: the
//!    frame outlives every use (the erased lifetime in `run`).
//! 2. The pool is elastic and bounded: a thread is started whenever more
//!    calls are queued than threads are idle, up to `MAX_THREADS`; past
//!    that, calls queue. (Calls may wait on each other, as threads may:
//!    one thread serving several queued calls in turn could hang them.) A thread
//!    idle for `KEEP_ALIVE` ends.
//! 3. The pool's lock is held only to push or pop a call and count threads;
//!    calls run outside it.
//! 4. A call runs as part of its goroutine's runtime (`acting_for`): what
//!    it spawns goes there, not to the global runtime, and the runtime
//!    functions it calls (`max_procs`, `num_goroutines`) answer for it.

use std::collections::VecDeque;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::Duration;

use crate::goroutine::current;
use crate::waiter::{park, Waiter};

/// Most pool threads at once (tokio's default for its blocking pool).
const MAX_THREADS: usize = 512;
/// How long an idle pool thread waits for work before it ends.
const KEEP_ALIVE: Duration = Duration::from_secs(10);

/// `blocking()` calls submitted and not finished (for the deadlock
/// detector: a goroutine waiting on one is not asleep for good).
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

pub(crate) fn in_flight() -> usize {
    IN_FLIGHT.load(Ordering::SeqCst)
}

/// Threads in the blocking pool now, busy or idle (for `debug::metrics`).
pub(crate) fn threads() -> usize {
    pool().state.lock().unwrap_or_else(|e| e.into_inner()).threads
}

/// A call, its lifetime erased (invariant 1).
type Call = Box<dyn FnOnce() + Send + 'static>;

struct Pool {
    state: Mutex<PoolState>,
    work: Condvar,
}

struct PoolState {
    queue: VecDeque<Call>,
    threads: usize,
    idle: usize,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| Pool {
        state: Mutex::new(PoolState { queue: VecDeque::new(), threads: 0, idle: 0 }),
        work: Condvar::new(),
    })
}

impl Pool {
    /// Queues `call`, starting a thread if none is idle (invariant 2).
    fn submit(&'static self, call: Call) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.queue.push_back(call);
        // More calls waiting than idle threads to take them (an idle thread
        // counts as idle until it wakes, so count the queue, not just
        // whether one is idle): start one, calls may wait on each other.
        if st.queue.len() > st.idle && st.threads < MAX_THREADS {
            st.threads += 1;
            let started = std::thread::Builder::new().name("goroutines-blocking".into()).spawn(move || self.serve());
            if started.is_err() {
                // The call stays queued for a thread that already runs; with
                // none at all it would wait for ever, so say so loudly.
                st.threads -= 1;
                if st.threads == 0 {
                    crate::panic::fatal("blocking(): cannot start a thread for the blocking pool");
                }
            }
        } else {
            self.work.notify_one();
        }
    }

    /// A pool thread: runs calls until idle for `KEEP_ALIVE`.
    fn serve(&self) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(call) = st.queue.pop_front() {
                drop(st);
                call();
                st = self.state.lock().unwrap_or_else(|e| e.into_inner());
                continue;
            }
            st.idle += 1;
            let (guard, timeout) = self.work.wait_timeout(st, KEEP_ALIVE).unwrap_or_else(|e| e.into_inner());
            st = guard;
            st.idle -= 1;
            if timeout.timed_out() && st.queue.is_empty() {
                st.threads -= 1;
                return;
            }
        }
    }
}

/// Runs `f`, which may block its thread, without blocking the worker: in a
/// goroutine, `f` runs on a separate pool of threads while the goroutine is
/// suspended; on a plain thread, `f` runs inline. `f` may borrow from the
/// caller (the goroutine waits for it). A panic in `f` is resumed here.
///
/// ```
/// use goroutines_runtime::{blocking, spawn};
/// let text = String::from("read from a slow device");
/// let h = spawn(move || {
///     // Borrows `text`; the worker runs other goroutines meanwhile.
///     blocking(|| {
///         std::thread::sleep(std::time::Duration::from_millis(5));
///         text.len()
///     })
/// });
/// assert_eq!(h.join().unwrap(), 23);
/// ```
#[track_caller]
pub fn blocking<F, T>(f: F) -> T
where
    F: FnOnce() -> T + Send,
    T: Send,
{
    crate::goroutine::status::will_wait(crate::goroutine::status::WaitReason::Blocking, std::panic::Location::caller());
    if !current::with_running(|g| g.is_some()) {
        return f();
    }
    // Goroutines `f` spawns descend from ours (for a leak check) and belong
    // to our runtime.
    let root = current::with_running(|g| g.map_or(0, |g| g.status.root()));
    let runtime = crate::scheduler::current_runtime();
    let done = AtomicBool::new(false);
    let mut result: Option<std::thread::Result<T>> = None;
    let waiter = Waiter::current();
    {
        let (done, result) = (&done, &mut result);
        let call = move || {
            let r = crate::scheduler::acting_for(runtime, || {
                crate::goroutine::status::with_ambient_root(root, || catch_unwind(AssertUnwindSafe(f)))
            });
            *result = Some(r);
            // Invariant 1: the last touches of the caller's frame, then the
            // flag; the wake uses our own clone of the waiter.
            let w = waiter.clone();
            done.store(true, Ordering::Release);
            w.wake();
            IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
        };
        let call: Box<dyn FnOnce() + Send + '_> = Box::new(call);
        // Invariant 1: the closure borrows `done`, `result` and what `f`
        // borrows, all in this frame or older ones; this goroutine does not
        // leave the frame (nor unwind out of it: nothing below can panic)
        // until `done` is set, which is the closure's last access.
        // SAFETY: so erasing the lifetime never lets a borrow dangle.
        let call: Call = unsafe { std::mem::transmute::<Box<dyn FnOnce() + Send + '_>, Call>(call) };
        IN_FLIGHT.fetch_add(1, Ordering::SeqCst);
        pool().submit(call);
    }
    while !done.load(Ordering::Acquire) {
        park();
    }
    match result {
        Some(Ok(v)) => v,
        Some(Err(payload)) => resume_unwind(payload),
        None => unreachable!("blocking(): the call set done without a result"),
    }
}
