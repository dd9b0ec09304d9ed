//! Which goroutine this thread is running right now, and the operations
//! that act on "the current goroutine": park, yield, id.
//!
//! A worker sets `RUNNING` just before it resumes a coroutine and clears it
//! when the coroutine switches back; the record outlives that window because
//! the worker holds a `GoRef` to it throughout. The slot is a `const`
//! thread-local without destructor: reading it is one TLS load, safe even
//! from the stack-overflow signal handler.

use std::cell::Cell;
use std::ptr::NonNull;

use super::{GoRef, Goroutine, Suspend};

thread_local! {
    static RUNNING: Cell<Option<NonNull<Goroutine>>> = const { Cell::new(None) };
}

/// Sets the goroutine this thread is about to resume (`None`: none).
/// Worker only; the worker keeps the record alive while it is set.
pub(crate) fn set_running(g: Option<&GoRef>) {
    RUNNING.with(|r| r.set(g.map(|g| NonNull::from(&**g))));
}

/// The record of the goroutine running on this thread, if any, as a raw
/// pointer (for the signal handler, which must not touch reference counts).
pub(crate) fn running_ptr() -> Option<NonNull<Goroutine>> {
    RUNNING.try_with(|r| r.get()).unwrap_or(None)
}

/// Runs `f` with the current goroutine, if this thread is running one.
pub(crate) fn with_running<R>(f: impl FnOnce(Option<&Goroutine>) -> R) -> R {
    let p = running_ptr();
    // SAFETY: RUNNING points to a record the worker keeps alive (it holds a
    // GoRef) until it clears the slot, which happens only after this
    // goroutine switches out, i.e. after `f` returns.
    f(p.map(|p| unsafe { p.as_ref() }))
}

/// A new reference to the current goroutine, if this thread is running one.
pub(crate) fn running() -> Option<GoRef> {
    let p = running_ptr()?;
    // SAFETY: the worker holds a GoRef to this record while RUNNING is set
    // (see `set_running`), so it stays referenced during the call.
    Some(unsafe { GoRef::clone_from_ptr(p) })
}

/// Id of the running goroutine, 0 on a thread that is not running one.
pub fn goroutine_id() -> u64 {
    with_running(|g| g.map_or(0, |g| g.id))
}

/// Switches the current goroutine out with `why`. Goroutine only. Never
/// inlined: the address of its local `frame` is then a fixed, small
/// distance above the stack pointer the switch saves, which the prefetch
/// of its worker relies on (stack/prefetch.rs).
#[inline(never)]
fn suspend(g: &Goroutine, why: Suspend) {
    // Where this goroutine's frames are, for its worker to prefetch them
    // before resuming it (stack/prefetch.rs).
    let frame = 0u8;
    let sp = std::hint::black_box(&frame) as *const u8 as usize;
    g.suspended_sp.store(sp, std::sync::atomic::Ordering::Relaxed);
    // `yielder` is written by this goroutine's own coroutine on its first
    // run, on this (home) thread, and points into that coroutine's stack.
    // SAFETY: read by the same goroutine, whose coroutine is alive since it
    // is running this very code.
    let yielder = unsafe { &**g.yielder.get() };
    // Its wait reason, if any, stays with it (status.rs invariant 4).
    let pending = super::status::take_pending();
    yielder.suspend(why);
    super::status::restore_pending(pending);
}

/// Blocks the caller until a wake (or spuriously): a goroutine suspends and
/// frees its worker; a plain thread parks. The runtime's `Waiter` wakes it.
pub(crate) fn park() {
    with_running(|g| match g {
        Some(g) => {
            g.status.parking();
            if g.begin_park() {
                // The worker marks it running again when it resumes it.
                suspend(g, Suspend::Park);
            } else {
                g.status.running();
            }
        }
        None => crate::loom::thread::park(),
    })
}

/// Go's `runtime.Gosched`: lets the other goroutines of this worker run, then
/// continues. On a plain thread it is `std::thread::yield_now`.
pub fn yield_now() {
    with_running(|g| match g {
        Some(g) => suspend(g, Suspend::Yield),
        None => std::thread::yield_now(),
    })
}

/// Channel operations a goroutine may complete in one run before it yields
/// (DESIGN.md, "Cooperation"; tokio's coop budget is the same size). There
/// is no preemption: without a budget, a goroutine that never blocks (a
/// select loop fed from other workers, a `try_recv` poll) would keep its
/// worker from the goroutines pinned beside it for as long as it runs.
const BUDGET: u32 = 128;

thread_local! {
    /// Operations left in the running goroutine's budget. Reset by the
    /// worker at each resume; counts down on plain threads too, harmlessly.
    static BUDGET_LEFT: Cell<u32> = const { Cell::new(BUDGET) };
}

/// A fresh budget for the goroutine this worker is about to resume.
pub(crate) fn reset_budget() {
    BUDGET_LEFT.with(|b| b.set(BUDGET));
}

/// Spends one unit of the running goroutine's budget: a channel or `sync`
/// operation is starting. When the budget is spent, the goroutine yields,
/// behind everything else its worker has to run. The user-facing entry
/// points (channel operations, select, the `sync` locks and their `try_`
/// forms) call it first. Call it only where the caller holds no runtime
/// spin lock, std lock or channel reservation: a peer spins or blocks its
/// thread on those. A goroutine-aware lock the user holds is fine: its
/// peers park, and the yield only lengthens the critical section.
#[inline]
pub(crate) fn spend_budget() {
    let spent = BUDGET_LEFT.with(|b| {
        let n = b.get();
        b.set(n.wrapping_sub(1));
        n <= 1
    });
    if spent {
        reset_budget();
        with_running(|g| {
            if let Some(g) = g {
                suspend(g, Suspend::Yield);
            }
        });
    }
}

/// Makes the running goroutine a root of ancestry (what it spawns from now
/// on descends from it, for a leak check); returns its id, 0 off a
/// goroutine.
pub(crate) fn make_root() -> u64 {
    with_running(|g| match g {
        Some(g) => {
            g.status.make_root(g.id);
            g.id
        }
        None => 0,
    })
}
