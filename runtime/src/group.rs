//! `Group<E>`: Go's `errgroup.Group`. Goroutines doing parts of one task;
//! the first error cancels the group's context and is what `wait` returns.
//!
//! # Invariants
//!
//! 1. The first failure wins: a member's `Err`, or its panic, is stored
//!    once (later ones are dropped) and cancels the group's context at
//!    once, so the other members see `<-ctx.done()` and stop early.
//! 2. A panic is never hidden: the runtime's panic hook reports it when it
//!    happens, the group's context is cancelled then, and `wait` resumes it
//!    on the waiting goroutine (Go once shipped a form that kept it until
//!    `Wait` without cancelling, and had to revert it).
//! 3. With a limit, `go` takes a slot before it spawns (waiting while all
//!    are taken) and the member gives it back when it ends, panic or not:
//!    the slots are a buffered channel of that capacity.

use std::any::Any;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe, Location};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::chan::{chan, Receiver, Sender};
use crate::context::{CancelFn, Context};
use crate::scheduler::spawn_at;
use crate::sync::WaitGroup;

struct Shared<E> {
    /// Cancels the group's context (invariant 1).
    cancel: CancelFn,
    /// The first failure (invariant 1).
    failure: Mutex<Option<Failure<E>>>,
    /// Members running now.
    active: AtomicUsize,
}

enum Failure<E> {
    Error(E),
    Panic(Box<dyn Any + Send>),
}

impl<E> Shared<E> {
    fn fail(&self, f: Failure<E>) {
        {
            let mut slot = self.failure.lock().unwrap_or_else(|e| e.into_inner());
            if slot.is_none() {
                *slot = Some(f);
            }
        }
        self.cancel.cancel();
    }
}

/// A group of goroutines working on parts of one task (Go's errgroup).
///
/// ```
/// use goroutines_runtime::group::Group;
/// let g = Group::<String>::new();
/// for i in 0..4 {
///     g.go(move || if i == 2 { Err(format!("part {i} failed")) } else { Ok(()) });
/// }
/// assert_eq!(g.wait(), Err("part 2 failed".to_string()));
/// ```
pub struct Group<E> {
    ctx: Context,
    shared: Arc<Shared<E>>,
    wg: WaitGroup,
    /// Invariant 3: a slot is a value in the channel.
    slots: Mutex<Option<(Sender<()>, Receiver<()>)>>,
}

impl<E: Send + 'static> Default for Group<E> {
    fn default() -> Self {
        Group::new()
    }
}

impl<E: Send + 'static> Group<E> {
    /// A group whose context derives from `Context::background()`.
    pub fn new() -> Group<E> {
        Group::with_context(&Context::background())
    }

    /// A group whose context is a child of `ctx`: cancelled by the first
    /// failure, by `wait`'s end, or when `ctx` is.
    pub fn with_context(ctx: &Context) -> Group<E> {
        let (ctx, cancel) = ctx.with_cancel();
        Group {
            ctx,
            shared: Arc::new(Shared { cancel, failure: Mutex::new(None), active: AtomicUsize::new(0) }),
            wg: WaitGroup::new(),
            slots: Mutex::new(None),
        }
    }

    /// The group's context: hand it to the members so they stop when
    /// another one failed.
    pub fn context(&self) -> &Context {
        &self.ctx
    }

    /// Runs `f` in a new goroutine of the group. With a limit, waits first
    /// for a free slot.
    #[track_caller]
    pub fn go<F>(&self, f: F)
    where
        F: FnOnce() -> Result<(), E> + Send + 'static,
    {
        let site = Location::caller();
        let slot = self.slots.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if let Some((take, _)) = &slot {
            // Invariant 3. The group holds a receiver, so this cannot fail.
            let _ = take.send(());
        }
        self.shared.active.fetch_add(1, Ordering::Relaxed);
        self.wg.add(1);
        let (shared, wg) = (self.shared.clone(), self.wg.clone());
        drop(spawn_at(
            move || {
                match catch_unwind(AssertUnwindSafe(f)) {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => shared.fail(Failure::Error(e)),
                    Err(payload) => shared.fail(Failure::Panic(payload)),
                }
                if let Some((_, give_back)) = &slot {
                    let _ = give_back.try_recv();
                }
                shared.active.fetch_sub(1, Ordering::Relaxed);
                wg.done();
            },
            site,
        ));
    }

    /// At most `n` members at once: `go` waits for a free slot.
    ///
    /// # Panics
    /// If `n` is 0 (no member could ever run), or if members are running
    /// (as Go's errgroup: the limit is set before the work starts).
    pub fn set_limit(&self, n: usize) {
        assert!(n > 0, "Group::set_limit(0): a group needs at least 1 slot; pass n >= 1");
        let active = self.shared.active.load(Ordering::Relaxed);
        assert!(active == 0, "Group::set_limit({n}) while {active} members run: set the limit before calling `go`");
        *self.slots.lock().unwrap_or_else(|e| e.into_inner()) = Some(chan(n));
    }

    /// Waits for every member, cancels the group's context, and returns the
    /// first error. If a member panicked, resumes that panic here.
    #[track_caller]
    pub fn wait(self) -> Result<(), E> {
        self.wg.wait();
        self.shared.cancel.cancel();
        let failure = self.shared.failure.lock().unwrap_or_else(|e| e.into_inner()).take();
        match failure {
            None => Ok(()),
            Some(Failure::Error(e)) => Err(e),
            Some(Failure::Panic(payload)) => resume_unwind(payload),
        }
    }
}

impl<E> std::fmt::Debug for Group<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Group")
            .field("active", &self.shared.active.load(Ordering::Relaxed))
            .field("cancelled", &self.ctx.is_cancelled())
            .finish()
    }
}
