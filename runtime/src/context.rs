//! `Context`: Go's `context.Context`, cancellation and deadlines that flow
//! from a parent to everything derived from it, and values that flow the
//! same way.
//!
//! A context is a node in a tree. A node made by `with_cancel`,
//! `with_deadline` or `with_timeout` can be cancelled (it has a `Canceller`
//! part); `background()` and `with_value` nodes share the cancellation of
//! their nearest cancellable ancestor, as in Go.
//!
//! # Invariants
//!
//! 1. A cancellable node moves once from live to cancelled (`err` set,
//!    under its lock); cancelling closes its `done` channel, which wakes
//!    every goroutine or thread waiting on it (a `recv`, a `select!` arm),
//!    and then cancels every child it lists.
//! 2. A cancellable child is listed (as a `Weak`) in its nearest
//!    cancellable ancestor, or, if that ancestor is cancelled already, is
//!    cancelled at birth. A child leaves the list when it is cancelled by its
//!    own `CancelFn` or deadline, or when its last handle goes: a loop that
//!    makes and drops contexts leaves nothing behind in the parent. A child
//!    never cancels its parent.
//! 3. A deadline is a timer holding only a `Weak` to its node: it never
//!    keeps a context alive, and dropping the node cancels the timer.
//! 4. The parent's lock is never taken while a child's is held (cancel
//!    takes the child list out of the lock, then cancels each child), so
//!    locks are taken parent before child, or one at a time.
//! 5. A cancel holds its tree's lock (one per cancellable root) while it
//!    walks the tree, so a concurrent cancel of any node of that tree (a
//!    `CancelFn`, a deadline on the timer thread) waits for it and returns
//!    only once every descendant of its node is cancelled, as Go's (which
//!    holds each node's lock while it cancels the children). Holders never
//!    park: a waiter on a worker waits at most for a walk in progress.
//! 6. An `after_func` function is registered under its canceller's lock
//!    while the node is live, and taken out by the cancel that sets `err`
//!    or by `stop` (or the handle's drop), whichever takes the lock first:
//!    it runs at most once, and never after a `stop` that returned `true`.
//!    It runs in a goroutine of its own, and a stopped one is dropped,
//!    after every lock is released.

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::time::{Duration, Instant};

use crate::chan::{chan, Receiver, Sender};
use crate::time::timer::{self, TimerGuard};

/// Why a context was cancelled (Go's `context.Canceled` and
/// `context.DeadlineExceeded`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContextError {
    /// Its `CancelFn` (or an ancestor's) was called or dropped, or a
    /// signal came (`on_signals`).
    Canceled,
    /// Its deadline (or an ancestor's) passed.
    DeadlineExceeded,
}

impl fmt::Display for ContextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ContextError::Canceled => "context canceled",
            ContextError::DeadlineExceeded => "context deadline exceeded",
        })
    }
}

impl std::error::Error for ContextError {}

/// A context: cancellation, a deadline and values, handed down to the
/// goroutines doing a piece of work. Cheap to clone (an `Arc`).
///
/// ```
/// use goroutines_runtime::context::Context;
/// let (ctx, cancel) = Context::background().with_cancel();
/// let child = ctx.with_value(42u32);
/// assert_eq!(child.value::<u32>(), Some(&42));
/// assert!(child.err().is_none());
/// cancel.cancel();
/// assert!(child.done().recv().is_none(), "done closes on cancel");
/// assert_eq!(child.err(), Some(goroutines_runtime::context::ContextError::Canceled));
/// ```
#[derive(Clone)]
pub struct Context {
    node: Arc<Node>,
}

struct Node {
    parent: Option<Arc<Node>>,
    /// `Some` for a cancellable node.
    cancel: Option<Canceller>,
    value: Option<Box<dyn Any + Send + Sync>>,
    /// The effective deadline: its own or the nearest ancestor's, the
    /// earlier.
    deadline: Option<Instant>,
}

/// The cancellable part of a node.
struct Canceller {
    /// Key in the parent canceller's `children`.
    id: u64,
    /// The nearest cancellable ancestor this node is listed in (invariant 2).
    listed_in: Option<Weak<Node>>,
    state: Mutex<CancelState>,
    /// Closes on cancel (invariant 1).
    done: Receiver<()>,
    /// The deadline's timer (invariant 3).
    timer: Mutex<Option<TimerGuard>>,
    /// Held while a cancel walks this node's tree (invariant 5): shared by
    /// every cancellable node under the same cancellable root.
    tree: Arc<Mutex<()>>,
}

/// A function `after_func` runs when its node is cancelled.
type AfterFn = Box<dyn FnOnce() + Send>;

struct CancelState {
    err: Option<ContextError>,
    /// `after_func`'s functions not run yet, by id (invariant 6).
    after: HashMap<u64, AfterFn>,
    /// Dropped (closing `done`) on cancel.
    done_tx: Option<Sender<()>>,
    children: HashMap<u64, Weak<Node>>,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl Canceller {
    fn lock(&self) -> MutexGuard<'_, CancelState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Node {
    /// The nearest cancellable node: this one or an ancestor.
    fn canceller(self: &Arc<Node>) -> Option<&Arc<Node>> {
        let mut n = self;
        loop {
            if n.cancel.is_some() {
                return Some(n);
            }
            n = n.parent.as_ref()?;
        }
    }

    /// Cancels this cancellable node and its descendants (invariant 1);
    /// `unlist` also takes it off its parent's list (invariant 2).
    ///
    /// Under its tree's lock (invariant 5), so a cancel that finds a node
    /// cancelled already returns only once that node's descendants are
    /// too. A work list rather than recursion: a chain of thousands of
    /// contexts (a retry loop's `c = c.with_cancel().0`) must not overflow
    /// a goroutine's stack.
    fn cancel(self: &Arc<Node>, err: ContextError, unlist: bool) {
        let Some(c) = &self.cancel else { return };
        let mut after = Vec::new();
        {
            let _tree = c.tree.lock().unwrap_or_else(|e| e.into_inner());
            let mut work = vec![self.clone()];
            while let Some(node) = work.pop() {
                let Some(nc) = &node.cancel else { continue };
                let (children, done_tx) = {
                    let mut st = nc.lock();
                    if st.err.is_some() {
                        continue;
                    }
                    st.err = Some(err);
                    after.extend(std::mem::take(&mut st.after).into_values());
                    (std::mem::take(&mut st.children), st.done_tx.take())
                };
                if let Some(tx) = done_tx {
                    tx.close();
                }
                drop(nc.timer.lock().unwrap_or_else(|e| e.into_inner()).take());
                // Invariant 4: no node's lock is held here.
                work.extend(children.values().filter_map(Weak::upgrade));
            }
        }
        if unlist {
            self.unlist();
        }
        // Invariant 6: each in a goroutine of its own, outside every lock.
        for f in after {
            drop(crate::spawn(f));
        }
    }

    fn unlist(&self) {
        let Some(c) = &self.cancel else { return };
        if let Some(parent) = c.listed_in.as_ref().and_then(Weak::upgrade) {
            if let Some(pc) = &parent.cancel {
                pc.lock().children.remove(&c.id);
            }
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        // Invariant 2: the last handle is gone; leave the parent's list.
        self.unlist();
        // Drop the chain of ancestors this was the last handle of in a
        // loop, not by recursion: a chain of thousands of contexts must not
        // overflow a goroutine's stack when it goes.
        let mut parent = self.parent.take();
        while let Some(p) = parent {
            match Arc::try_unwrap(p) {
                Ok(mut node) => parent = node.parent.take(),
                Err(_) => break,
            }
        }
    }
}

/// The channel that never closes, for contexts nothing can cancel.
fn never() -> Receiver<()> {
    static NEVER: OnceLock<(Sender<()>, Receiver<()>)> = OnceLock::new();
    NEVER.get_or_init(|| chan(0)).1.clone()
}

impl Context {
    /// The root context: never cancelled, no deadline, no values (Go's
    /// `context.Background()`).
    pub fn background() -> Context {
        Context { node: Arc::new(Node { parent: None, cancel: None, value: None, deadline: None }) }
    }

    /// A child cancelled by the returned [`CancelFn`] (or its drop), or when
    /// this context is.
    pub fn with_cancel(&self) -> (Context, CancelFn) {
        self.child(None)
    }

    /// A child cancelled at `deadline` (with `DeadlineExceeded`), by the
    /// returned [`CancelFn`], or when this context is. An earlier deadline
    /// of an ancestor still applies.
    pub fn with_deadline(&self, deadline: Instant) -> (Context, CancelFn) {
        self.child(Some(deadline))
    }

    /// `with_deadline(now + timeout)`.
    pub fn with_timeout(&self, timeout: Duration) -> (Context, CancelFn) {
        match Instant::now().checked_add(timeout) {
            Some(d) => self.with_deadline(d),
            None => self.with_cancel(),
        }
    }

    /// A child carrying `value`, found by [`value::<T>`](Self::value) here
    /// and in every context derived from it (the nearest one wins). It is
    /// cancelled with this context.
    pub fn with_value<T: Any + Send + Sync>(&self, value: T) -> Context {
        Context {
            node: Arc::new(Node {
                parent: Some(self.node.clone()),
                cancel: None,
                value: Some(Box::new(value)),
                deadline: self.node.deadline,
            }),
        }
    }

    fn child(&self, deadline: Option<Instant>) -> (Context, CancelFn) {
        let parent_canceller = self.node.canceller().cloned();
        let deadline = match (self.node.deadline, deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let (tx, rx) = chan(0);
        let node = Arc::new(Node {
            parent: Some(self.node.clone()),
            cancel: Some(Canceller {
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                listed_in: parent_canceller.as_ref().map(Arc::downgrade),
                state: Mutex::new(CancelState {
                    err: None,
                    after: HashMap::new(),
                    done_tx: Some(tx),
                    children: HashMap::new(),
                }),
                done: rx,
                timer: Mutex::new(None),
                tree: parent_canceller
                    .as_ref()
                    .and_then(|p| p.cancel.as_ref())
                    .map_or_else(|| Arc::new(Mutex::new(())), |pc| pc.tree.clone()),
            }),
            value: None,
            deadline,
        });
        // Invariant 2: listed in the parent, or cancelled at birth.
        let inherited = parent_canceller.as_ref().and_then(|p| {
            let pc = p.cancel.as_ref()?;
            let mut st = pc.lock();
            match st.err {
                Some(e) => Some(e),
                None => {
                    let id = node.cancel.as_ref().map_or(0, |c| c.id);
                    st.children.insert(id, Arc::downgrade(&node));
                    None
                }
            }
        });
        if let Some(err) = inherited {
            node.cancel(err, false);
        } else if let Some(d) = deadline {
            if d <= Instant::now() {
                node.cancel(ContextError::DeadlineExceeded, true);
            } else if self.node.deadline != Some(d) {
                // Our own deadline (an ancestor's earlier one cancels us
                // through it). Invariant 3: the timer holds a Weak.
                let weak = Arc::downgrade(&node);
                let guard = timer::schedule(
                    d,
                    Box::new(move |_| {
                        if let Some(n) = weak.upgrade() {
                            n.cancel(ContextError::DeadlineExceeded, true);
                        }
                        None
                    }),
                );
                if let Some(c) = &node.cancel {
                    *c.timer.lock().unwrap_or_else(|e| e.into_inner()) = Some(guard);
                }
            }
        }
        (Context { node: node.clone() }, CancelFn { node })
    }

    /// A channel that closes when this context is cancelled (Go's
    /// `ctx.Done()`): `<-ctx.done()` in `select!`, or `recv()` returning
    /// `None`. It never closes for a context nothing can cancel.
    pub fn done(&self) -> Receiver<()> {
        match self.node.canceller().and_then(|n| n.cancel.as_ref()) {
            Some(c) => c.done.clone(),
            None => never(),
        }
    }

    /// Why it was cancelled, or `None` while it is not.
    pub fn err(&self) -> Option<ContextError> {
        self.node.canceller().and_then(|n| n.cancel.as_ref()).and_then(|c| c.lock().err)
    }

    /// Whether it was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.err().is_some()
    }

    /// Go's `context.AfterFunc`: runs `f` in a goroutine of its own once
    /// this context is cancelled (at once if it is already), unless the
    /// returned [`AfterFunc`] is stopped or dropped first (Rust's form of
    /// Go's `defer stop()`; `detach` keeps it). For a context nothing can
    /// cancel it never runs.
    ///
    /// It is how a blocking call that knows nothing of contexts is made to
    /// honour one, as in Go: a socket's deadline set to now wakes a read in
    /// progress, a listener's `close` ends an accept loop.
    ///
    /// ```
    /// use goroutines_runtime::context::Context;
    /// use goroutines_runtime::net::TcpListener;
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let (ctx, cancel) = Context::background().with_cancel();
    /// let closer = listener.try_clone()?;
    /// let _stop = ctx.after_func(move || closer.close());
    /// cancel.cancel();
    /// assert_eq!(listener.incoming().count(), 0, "closed by the cancel");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn after_func(&self, f: impl FnOnce() + Send + 'static) -> AfterFunc {
        let Some(node) = self.node.canceller() else {
            return AfterFunc { state: AfterState::Never(Default::default()) };
        };
        let c = node.cancel.as_ref().expect("a canceller has a cancel part");
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        {
            let mut st = c.lock();
            if st.err.is_none() {
                st.after.insert(id, Box::new(f));
                return AfterFunc { state: AfterState::Registered(Arc::downgrade(node), id) };
            }
        }
        drop(crate::spawn(f));
        AfterFunc { state: AfterState::Started }
    }

    /// When it will be cancelled on its own, if it has a deadline.
    pub fn deadline(&self) -> Option<Instant> {
        self.node.deadline
    }

    /// The nearest value of type `T` given by `with_value`, here or in an
    /// ancestor.
    pub fn value<T: Any + Send + Sync>(&self) -> Option<&T> {
        let mut n = &self.node;
        loop {
            if let Some(v) = n.value.as_ref().and_then(|v| v.downcast_ref::<T>()) {
                return Some(v);
            }
            n = n.parent.as_ref()?;
        }
    }

    /// Cancellable children listed in this context's canceller (for tests:
    /// invariant 2's "nothing left behind").
    #[doc(hidden)]
    pub fn __listed_children(&self) -> usize {
        self.node.canceller().and_then(|n| n.cancel.as_ref()).map_or(0, |c| c.lock().children.len())
    }

    /// A context cancelled when the process gets SIGINT (Ctrl-C) or SIGTERM,
    /// for a graceful shutdown (Go's `signal.NotifyContext`). Every call
    /// returns a clone of one shared context, so calling it often costs
    /// nothing more; after the first signal it comes back cancelled. A
    /// second signal ends the process (exit status 128 + the signal's
    /// number), so a stuck shutdown can still be interrupted.
    ///
    /// # Panics
    /// If the signal handlers cannot be installed.
    pub fn on_signals() -> Context {
        signals::context()
    }
}

/// Whether `on_signals` was ever asked for (a signal could still cancel a
/// context: the deadlock detector must not call its waiters stuck).
pub(crate) fn signals_registered() -> bool {
    signals::registered()
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context").field("err", &self.err()).field("deadline", &self.deadline()).finish()
    }
}

/// What [`Context::after_func`] returns. [`stop`](AfterFunc::stop), or
/// dropping it, keeps the function from running (and drops what it owns:
/// a socket clone it would have closed closes with it);
/// [`detach`](AfterFunc::detach) leaves it to run when the context ends.
#[derive(Debug)]
#[must_use = "dropping an AfterFunc stops it at once; keep it while it should run, or detach() it"]
pub struct AfterFunc {
    state: AfterState,
}

#[derive(Debug)]
enum AfterState {
    /// Registered under this id in the node's canceller.
    Registered(Weak<Node>, u64),
    /// The context was cancelled already: it was started at once.
    Started,
    /// Nothing can cancel the context: it never runs (`true` once stopped).
    Never(std::sync::atomic::AtomicBool),
}

impl AfterFunc {
    /// Keeps the function from running: `true` if this call stopped it,
    /// `false` if it was started already (the context was cancelled) or
    /// stopped before (Go's `stop()`).
    pub fn stop(&self) -> bool {
        match &self.state {
            AfterState::Registered(node, id) => node.upgrade().is_some_and(|node| {
                let c = node.cancel.as_ref().expect("a canceller has a cancel part");
                let f = c.lock().after.remove(id);
                // Dropped outside the lock: what it owns may cancel a
                // context in this tree when it goes (a `CancelFn`).
                let removed = f.is_some();
                drop(f);
                removed
            }),
            AfterState::Started => false,
            AfterState::Never(stopped) => !stopped.swap(true, Ordering::Relaxed),
        }
    }

    /// Lets the function run when the context ends, with no handle left to
    /// stop it (Go's, when its `stop` is never called).
    pub fn detach(mut self) {
        self.state = AfterState::Started;
    }
}

impl Drop for AfterFunc {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Cancels its context: [`cancel`](CancelFn::cancel), or when dropped (the
/// Rust form of Go's `defer cancel()`).
#[must_use = "dropping a CancelFn cancels its context at once; keep it while the context is in use"]
pub struct CancelFn {
    node: Arc<Node>,
}

impl CancelFn {
    /// Cancels the context and everything derived from it (idempotent).
    pub fn cancel(&self) {
        self.node.cancel(ContextError::Canceled, true);
    }
}

impl Drop for CancelFn {
    fn drop(&mut self) {
        self.cancel();
    }
}

impl fmt::Debug for CancelFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CancelFn")
    }
}

/// SIGINT and SIGTERM, through `signal-hook` (a well-kept crate: signal
/// handlers are easy to get wrong): one thread waits for them and cancels
/// the registered contexts.
mod signals {
    use std::sync::OnceLock;

    use super::{CancelFn, Context};

    /// The one context `on_signals` hands out clones of, with its
    /// `CancelFn` (kept here for the signal thread; never dropped).
    static SIGNALS: OnceLock<(Context, CancelFn)> = OnceLock::new();

    pub(super) fn context() -> Context {
        SIGNALS.get_or_init(start).0.clone()
    }

    pub(super) fn registered() -> bool {
        SIGNALS.get().is_some()
    }

    fn start() -> (Context, CancelFn) {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let mut signals = match signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) {
            Ok(s) => s,
            Err(e) => panic!("Context::on_signals: cannot install the SIGINT/SIGTERM handlers: {e}"),
        };
        let spawned = std::thread::Builder::new().name("goroutines-signals".into()).spawn(move || {
            let mut seen = false;
            for sig in signals.forever() {
                if seen {
                    std::process::exit(128 + sig);
                }
                seen = true;
                // The first signal: cancel the shared context (waiting the
                // microseconds until `get_or_init` has stored it, if the
                // signal came that early).
                loop {
                    if let Some((_, cancel)) = SIGNALS.get() {
                        cancel.cancel();
                        break;
                    }
                    std::thread::yield_now();
                }
            }
        });
        if let Err(e) = spawned {
            panic!("Context::on_signals: cannot start the signal thread: {e}");
        }
        Context::background().with_cancel()
    }
}
