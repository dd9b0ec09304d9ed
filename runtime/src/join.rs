//! A goroutine's job (the user's closure and the slot for its result) and
//! `JoinHandle`, which waits for that result from a goroutine (which
//! suspends) or a plain thread (which parks).
//!
//! # Invariants
//!
//! 1. The slot moves `Pending -> Ready -> Taken`, under its lock. The
//!    goroutine makes it `Ready` exactly once (its job ends by completing
//!    the slot, panic or not); `join` takes it once.
//! 2. A joiner records itself in `Pending` under the lock and parks only
//!    after releasing it; completion takes the waiter under the lock and
//!    wakes it after releasing it, so a completion between the record and
//!    the park is not lost (the park token keeps it).
//! 3. Two parties hold an outcome: the goroutine (until its job ends) and
//!    the handle (until it is joined or dropped). The last to let go drops
//!    whatever result is left and, for a scoped goroutine, tells the scope.
//!    After that nothing in the record refers to the caller's data, however
//!    long the record itself lives (`scope.rs` relies on this).

use std::cell::UnsafeCell;
use std::fmt;
use std::marker::PhantomData;
use std::panic::{self, AssertUnwindSafe, Location};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::goroutine::{current, GoRef, Goroutine, Job};
use crate::panic::Panicked;
use crate::scheduler::{Placement, Shared};
use crate::scope::ScopeState;
use crate::waiter::{park, Waiter};

enum Slot<T> {
    Pending(Option<Waiter>),
    Ready(Result<T, Panicked>),
    Taken,
}

struct State<T> {
    slot: Slot<T>,
    /// Parties still holding the outcome (invariant 3).
    parties: u8,
}

/// Where a goroutine leaves its result for its handle.
pub(crate) struct Outcome<T> {
    state: Mutex<State<T>>,
    /// The scope this goroutine belongs to, told when both parties are gone.
    scope: Option<Arc<ScopeState>>,
}

impl<T> Outcome<T> {
    fn new(scope: Option<Arc<ScopeState>>) -> Outcome<T> {
        Outcome { state: Mutex::new(State { slot: Slot::Pending(None), parties: 2 }), scope }
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // Nothing panics while holding this lock; recover rather than cascade.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The goroutine's side, in one lock round: stores the result, lets go
    /// (invariant 3), and wakes the joiner if one waits (invariant 2).
    fn complete(&self, result: Result<T, Panicked>) {
        let mut st = self.lock();
        let waiter = match std::mem::replace(&mut st.slot, Slot::Ready(result)) {
            Slot::Pending(w) => w,
            Slot::Ready(_) | Slot::Taken => unreachable!("a goroutine completed twice"),
        };
        let leftover = Self::let_go(&mut st);
        drop(st);
        if let Some(w) = waiter {
            w.wake();
        }
        self.finish(leftover);
    }

    /// The handle's side: lets go (invariant 3).
    fn release(&self) {
        let leftover = Self::let_go(&mut self.lock());
        self.finish(leftover);
    }

    /// Under the lock: one party lets go; the last one takes what is left.
    fn let_go(st: &mut State<T>) -> Option<Slot<T>> {
        st.parties -= 1;
        (st.parties == 0).then(|| std::mem::replace(&mut st.slot, Slot::Taken))
    }

    /// Outside the lock, by the last party: drops what was left and tells
    /// the scope.
    fn finish(&self, leftover: Option<Slot<T>>) {
        let Some(slot) = leftover else { return };
        let unhandled_panic = matches!(slot, Slot::Ready(Err(_)));
        // A result's destructor may panic; that must not unwind out of a
        // goroutine's last act or a handle's drop.
        if panic::catch_unwind(AssertUnwindSafe(|| drop(slot))).is_err() {
            crate::panic::fatal("dropping the result of a goroutine panicked");
        }
        if let Some(scope) = &self.scope {
            scope.goroutine_done(unhandled_panic);
        }
    }
}

/// The job of a goroutine that runs `F` and yields `T`. `repr(C)` with the
/// outcome first, so a handle that knows only `T` finds it (job.rs
/// invariant 2).
#[repr(C)]
struct JobImpl<F, T> {
    outcome: Outcome<T>,
    /// Taken by `run`, on the goroutine's stack (goroutine.rs invariant 1).
    f: UnsafeCell<Option<F>>,
}

// SAFETY: `f` is touched only by `run`, which the goroutine's single holder
// calls once; `F: Send` lets it run on whichever worker that is. `outcome`
// is behind a mutex and holds `T: Send` values.
unsafe impl<F: Send, T: Send> Sync for JobImpl<F, T> {}

impl<F, T> Job for JobImpl<F, T>
where
    F: FnOnce() -> T + Send,
    T: Send,
{
    unsafe fn run(&self) {
        // SAFETY: `run`'s contract: once, by the goroutine itself, so no
        // other access to `f` exists.
        let Some(f) = (unsafe { (*self.f.get()).take() }) else {
            return;
        };
        let result = panic::catch_unwind(AssertUnwindSafe(f)).map_err(crate::panic::caught);
        // The goroutine is over for everyone who can observe it: uncount it
        // before its result is published, so that after `join` returns,
        // `num_goroutines` no longer counts it.
        current::with_running(|g| g.map(|g| g.runtime.goroutine_ended()));
        self.outcome.complete(result);
    }
}

/// A goroutine record for `f`, and the handle to its outcome.
///
/// # Safety
/// What `f` borrows (`'a`) outlives the goroutine's run: `'a` is `'static`,
/// or the caller waits for the outcome to be released (invariant 3) before
/// `'a` ends, as `scope` does.
pub(crate) unsafe fn new_goroutine<'a, F, T>(
    runtime: &'static Shared,
    site: &'static Location<'static>,
    f: F,
    scope: Option<Arc<ScopeState>>,
) -> (GoRef, Handle<'a, T>)
where
    F: FnOnce() -> T + Send + 'a,
    T: Send + 'a,
{
    let job = JobImpl { outcome: Outcome::new(scope), f: UnsafeCell::new(Some(f)) };
    // SAFETY: our contract, plus: once the job has run, `f` is `None` and
    // the outcome holds no `T` after its release (invariant 3), so the
    // record holds nothing borrowed afterwards.
    let g = unsafe { Goroutine::prepare(runtime.take_record(), runtime, site, job) };
    let handle = Handle { g: g.clone(), marker: PhantomData };
    (g, handle)
}

/// Queues `f` as a new goroutine on `runtime`.
pub(crate) fn spawn_in<F, T>(runtime: &'static Shared, f: F, site: &'static Location<'static>) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    // SAFETY: `F` and `T` are 'static.
    let (g, handle) = unsafe { new_goroutine(runtime, site, f, None) };
    runtime.submit(g, Placement::Near);
    JoinHandle { inner: handle }
}

/// As `spawn_in`, for the `k`-th goroutine of a group meant to run in
/// parallel (scheduler/placement.rs invariant 3).
pub(crate) fn spawn_on<F, T>(
    runtime: &'static Shared,
    k: usize,
    f: F,
    site: &'static Location<'static>,
) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    // SAFETY: `F` and `T` are 'static.
    let (g, handle) = unsafe { new_goroutine(runtime, site, f, None) };
    runtime.submit(g, Placement::Spread(k));
    JoinHandle { inner: handle }
}

/// The handle side of a goroutine record, for `JoinHandle` and
/// `ScopedJoinHandle`. Releases its party on drop (invariant 3).
pub(crate) struct Handle<'a, T> {
    /// Keeps the record, and so its job, from being recycled
    /// (goroutine.rs invariant 4).
    g: GoRef,
    marker: PhantomData<(&'a (), T)>,
}

impl<T> Handle<'_, T> {
    fn outcome(&self) -> &Outcome<T> {
        let p = self.g.job.job_ptr().cast::<Outcome<T>>();
        // The record's job was put by `new_goroutine` as a `JobImpl<_, T>`,
        // whose first field is its `Outcome<T>` (repr(C)); it is cleared only
        // by recycling, which needs the record unique, or by its drop.
        // SAFETY: so it is there, of that type, while we hold the record.
        unsafe { &*p }
    }

    /// Waits until the result is ready and takes it (invariants 1, 2).
    fn join(self) -> Result<T, Panicked> {
        let outcome = self.outcome();
        loop {
            {
                let mut st = outcome.lock();
                match std::mem::replace(&mut st.slot, Slot::Taken) {
                    Slot::Ready(result) => return result,
                    Slot::Pending(_) => st.slot = Slot::Pending(Some(Waiter::current())),
                    Slot::Taken => {
                        unreachable!("a goroutine's result is taken once, by `join(self)`")
                    }
                }
            }
            park();
        }
    }

    fn is_finished(&self) -> bool {
        matches!(self.outcome().lock().slot, Slot::Ready(_))
    }

    fn id(&self) -> u64 {
        self.g.id
    }

    fn site(&self) -> &'static Location<'static> {
        self.g.spawn_site
    }

    fn debug(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(name)
            .field("id", &self.id())
            .field("spawn_site", &format_args!("{}", self.site()))
            .field("finished", &self.is_finished())
            .finish()
    }
}

impl<T> Drop for Handle<'_, T> {
    fn drop(&mut self) {
        self.outcome().release();
    }
}

/// An owned permission to wait for a goroutine's result.
///
/// Dropping the handle detaches the goroutine, as in Go: it runs on, and its
/// result is dropped when it ends.
pub struct JoinHandle<T> {
    inner: Handle<'static, T>,
}

impl<T> JoinHandle<T> {
    /// Waits for the goroutine to end and returns its value, or `Err` if it
    /// panicked. A goroutine calling this suspends (its worker runs other
    /// goroutines); a plain thread parks.
    #[track_caller]
    pub fn join(self) -> Result<T, Panicked> {
        crate::goroutine::status::will_wait(crate::goroutine::status::WaitReason::Join, std::panic::Location::caller());
        self.inner.join()
    }

    /// Whether the goroutine has ended (`join` would not wait).
    pub fn is_finished(&self) -> bool {
        self.inner.is_finished()
    }

    /// The goroutine's id, as `goroutine_id()` returns inside it.
    pub fn id(&self) -> u64 {
        self.inner.id()
    }

    /// Where the goroutine was spawned.
    pub fn spawn_site(&self) -> &'static Location<'static> {
        self.inner.site()
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.debug("JoinHandle", f)
    }
}

/// The handle of a goroutine spawned in a [`scope`](crate::scope): like
/// [`JoinHandle`], and it cannot outlive the scope.
pub struct ScopedJoinHandle<'scope, T> {
    inner: Handle<'scope, T>,
    scope: PhantomData<&'scope ()>,
}

impl<'scope, T> ScopedJoinHandle<'scope, T> {
    pub(crate) fn new(inner: Handle<'scope, T>) -> Self {
        ScopedJoinHandle { inner, scope: PhantomData }
    }

    /// Waits for the goroutine and returns its value, or `Err` if it panicked
    /// (a panic joined here does not make the scope panic).
    #[track_caller]
    pub fn join(self) -> Result<T, Panicked> {
        crate::goroutine::status::will_wait(crate::goroutine::status::WaitReason::Join, std::panic::Location::caller());
        self.inner.join()
    }

    /// Whether the goroutine has ended.
    pub fn is_finished(&self) -> bool {
        self.inner.is_finished()
    }

    /// The goroutine's id.
    pub fn id(&self) -> u64 {
        self.inner.id()
    }

    /// Where the goroutine was spawned.
    pub fn spawn_site(&self) -> &'static Location<'static> {
        self.inner.site()
    }
}

impl<T> fmt::Debug for ScopedJoinHandle<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.debug("ScopedJoinHandle", f)
    }
}
