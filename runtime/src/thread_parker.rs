//! How a plain OS thread waits in a runtime primitive: it spins, then
//! yields, then sleeps in the kernel. The goroutine's counterpart is
//! `goroutine/park_token.rs`.
//!
//! A plain `fn main` that talks to goroutines (sends them work, waits for a
//! reply, joins them) waits on every message. A goroutine answers within a
//! microsecond or two when its worker is awake; a thread asleep in a futex
//! takes tens of microseconds to wake on a virtual machine, and its waker
//! pays a system call. So, as crossbeam-channel's `Backoff` does, a thread
//! first watches its token for a little while ([`SPIN`], then [`YIELDS`]
//! yields to whatever else is runnable on its core), and only then parks.
//! The watch is short because it competes for the cores with the workers
//! whose goroutines it waits for.
//! A waker that finds it still watching only stores the token.
//!
//! # Invariants
//!
//! 1. `state` is `EMPTY`, `NOTIFIED` or `PARKED`. Only the owning thread
//!    moves it to `PARKED` (from `EMPTY`) or to `EMPTY`; a waker only
//!    swaps in `NOTIFIED`.
//! 2. A waker that swaps out `PARKED` calls `Thread::unpark`: the owner is
//!    in (or about to enter) `std::thread::park`, and std's token makes
//!    the unpark count even if it comes first. A waker that swaps out
//!    anything else makes no call: the owner has not committed to sleep,
//!    and it looks at `state` again before it does (the compare-exchange
//!    from `EMPTY` to `PARKED` fails on `NOTIFIED`).
//! 3. As `std::thread::park`: a wake before the park makes the park return
//!    at once; a park may return spuriously (std's token may be left over
//!    from an earlier wake); callers re-check their condition.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const EMPTY: u8 = 0;
const NOTIFIED: u8 = 1;
const PARKED: u8 = 2;

/// How long a waiting thread spins on its token before it yields. Short:
/// a plain thread feeding busy workers (a pool's jobs channel kept full)
/// waits often and briefly, and every microsecond it spins is taken from a
/// worker when the cores are all busy (measured on 2 cores, worker_pool
/// fed from a plain `fn main`: 1.67 s with 10 µs, 1.32 s with 2 µs; the
/// ping-pong round trip 2.0 µs and 1.7 µs).
const SPIN: Duration = Duration::from_micros(2);
/// How many times it then yields its core (to a worker runnable there, if
/// any) and looks again, before it sleeps.
const YIELDS: u32 = 8;

struct Parker {
    /// Invariant 1.
    state: AtomicU8,
    thread: std::thread::Thread,
    /// A handle made while the thread's own parker is gone (a thread-local
    /// destructor waiting in a runtime primitive): the thread parks in
    /// `std::thread::park` directly, so every wake unparks it.
    direct: bool,
}

/// A thread's parking handle (what a `Waiter` keeps to wake it).
#[derive(Clone)]
pub(crate) struct Thread(Arc<Parker>);

fn parker(direct: bool) -> Thread {
    Thread(Arc::new(Parker { state: AtomicU8::new(EMPTY), thread: std::thread::current(), direct }))
}

thread_local! {
    static ME: Thread = parker(false);
}

/// The calling thread's handle.
pub(crate) fn current() -> Thread {
    ME.try_with(Thread::clone).unwrap_or_else(|_| parker(true))
}

/// Waits for a wake (or spuriously: invariant 3): spins, yields, sleeps.
pub(crate) fn park() {
    if ME.try_with(|me| me.0.park()).is_err() {
        // The thread's parker is gone (thread-local destructors run): its
        // handles are `direct`, and std's token keeps invariant 3.
        std::thread::park();
    }
}

impl Parker {
    fn take_notification(&self) -> bool {
        // Acquire: what the waker did before its wake is seen after it.
        self.state.load(Ordering::Relaxed) == NOTIFIED && self.state.swap(EMPTY, Ordering::Acquire) == NOTIFIED
    }

    fn park(&self) {
        if self.take_notification() {
            return;
        }
        let start = Instant::now();
        'spin: loop {
            for _ in 0..64 {
                if self.take_notification() {
                    return;
                }
                std::hint::spin_loop();
            }
            if start.elapsed() >= SPIN {
                break 'spin;
            }
        }
        for _ in 0..YIELDS {
            std::thread::yield_now();
            if self.take_notification() {
                return;
            }
        }
        // Invariant 2: commit to sleep only from EMPTY.
        if self.state.compare_exchange(EMPTY, PARKED, Ordering::Acquire, Ordering::Acquire).is_err() {
            self.state.store(EMPTY, Ordering::Relaxed);
            return;
        }
        std::thread::park();
        // Woken, or spuriously: either way the next park starts from EMPTY
        // (a wake swapped in after this consumes nothing it should not: it
        // is seen as NOTIFIED by the next park).
        self.state.swap(EMPTY, Ordering::Acquire);
    }
}

impl Thread {
    /// Wakes the thread, or makes its next park return at once.
    pub(crate) fn unpark(&self) {
        // Release: pairs with the parker's Acquire (invariant 2).
        if self.0.state.swap(NOTIFIED, Ordering::Release) == PARKED || self.0.direct {
            self.0.thread.unpark();
        }
    }

    /// An identity for the thread (its parker's address).
    pub(crate) fn id(&self) -> usize {
        Arc::as_ptr(&self.0) as usize
    }
}
