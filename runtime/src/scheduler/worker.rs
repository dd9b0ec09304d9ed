//! A worker thread: its private queues and its run loop. Which queue a
//! goroutine goes to is decided in `placement.rs`; this file runs them.
//!
//! Each worker owns
//! - `deque`: unstarted goroutines its goroutines spawned, displaced from
//!   the `spawned` slot (FIFO; other workers steal from the other end
//!   through `WorkerShared::stealer`, after the grace of placement.rs
//!   invariant 4);
//! - `runnext`: the goroutine one of its goroutines just woke, run next
//!   (Go's `runnext`: a message passed between two goroutines of one worker
//!   costs a switch, not a trip through the queues);
//! - `WorkerShared::spawned`: the goroutine one of its goroutines just
//!   spawned, run next too, so a goroutine spawned just before its spawner
//!   blocks starts beside it;
//! - `ready`: its started (pinned) goroutines woken on this thread, and
//!   goroutines admitted to a stack this worker just freed (they start here,
//!   on that stack);
//! - `yielded`: its goroutines that yielded (`yield_now`, a spent
//!   cooperative budget, a blocked operation looking again before it parks:
//!   chan/before_park.rs), run after everything
//!   else this worker has (Go puts them on the global queue), so a yielding
//!   goroutine lets new goroutines run, not only woken ones;
//! - `WorkerShared::remote`: its pinned goroutines woken from other threads;
//! - `WorkerShared::placed`: unstarted goroutines placed on it by plain
//!   threads and spread spawns (placement.rs invariants 2 and 3);
//! - a cache of stacks.
//!
//! Picking order: every 61st pick looks at the deque, the placed queue, the
//! yielded queue and the remote queue first (Go's fairness check: new
//! goroutines and remote wakes make progress while pinned goroutines keep
//! each other busy); otherwise `runnext` (at most `RUNNEXT_STREAK` times in
//! a row, so a ping-ponging pair cannot starve the rest), `spawned`,
//! `ready`, `remote`, `placed`, `deque`, `yielded`, then other workers'
//! unstarted goroutines that have waited out the grace; then spinning,
//! then sleeping (idle.rs).

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::io;
use std::panic::AssertUnwindSafe;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicPtr, AtomicU32, Ordering};
use std::sync::OnceLock;

use corosensei::CoroutineResult;
use crossbeam_deque::{Injector, Steal, Worker as Deque};
use crossbeam_utils::CachePadded;
use std::time::Instant;

use super::idle::{LastLook, Seeker};
use super::netpoll::{Claim, Poller};
use super::placement::{steal_until_done, Look, StealWatch};
use super::shared::{Shared, WorkerShared};
use super::stats::WorkerStats;
use crate::goroutine::{current, Body, GoCoroutine, GoRef, GoYielder, Goroutine, Suspend};
use crate::stack::{overflow, GuardedStack};

/// How many times in a row `runnext` may be taken before `ready` gets a turn.
const RUNNEXT_STREAK: u32 = 32;
/// Recycled goroutine records a worker keeps; past this, half go to the
/// shared pool.
const LOCAL_RECORDS: usize = 256;
/// How long a worker out of work watches its own remote queue before it
/// sleeps (see `watch_remote`).
const WATCH_REMOTE: std::time::Duration = std::time::Duration::from_micros(50);

thread_local! {
    /// The worker running on this thread, if any; set once when the worker
    /// thread starts, for the life of the thread.
    static WORKER: Cell<*const Worker> = const { Cell::new(ptr::null()) };
}

pub(crate) struct Worker {
    index: usize,
    shared: &'static Shared,
    me: &'static WorkerShared,
    deque: Deque<GoRef>,
    runnext: Cell<Option<GoRef>>,
    runnext_streak: Cell<u32>,
    ready: RefCell<VecDeque<GoRef>>,
    yielded: RefCell<VecDeque<GoRef>>,
    /// Whether a goroutine is being resumed right now (so a wake on this
    /// thread comes from a goroutine and goes to `runnext`).
    in_goroutine: Cell<bool>,
    tick: Cell<u32>,
    stacks: RefCell<Vec<GuardedStack>>,
    /// Finished goroutine records, ready for reuse (shared.rs invariant 5).
    records: RefCell<Vec<GoRef>>,
    rng: Cell<u64>,
    /// When this worker first saw each victim's unstarted goroutines
    /// (placement.rs invariant 4).
    watch: RefCell<StealWatch>,
    /// Whether the last `find_global` saw unstarted work elsewhere that is
    /// not ripe yet (placement.rs invariant 4).
    young_seen: Cell<bool>,
}

/// Runs `f` with this thread's worker if it belongs to `shared`.
fn with_worker<R>(shared: &Shared, f: impl FnOnce(&Worker) -> R) -> Option<R> {
    let p = WORKER.try_with(|w| w.get()).unwrap_or(ptr::null());
    // SAFETY: WORKER is set once by `run` to a Worker that lives on that
    // thread's stack frame for the rest of the thread's life (`run` never
    // returns), so a non-null pointer read on this thread is valid.
    let w = unsafe { p.as_ref() }?;
    if ptr::eq(w.shared, shared) {
        Some(f(w))
    } else {
        None
    }
}

/// The worker that runs on this thread, if one does.
pub(crate) fn current_worker() -> Option<&'static WorkerShared> {
    let p = WORKER.try_with(|w| w.get()).unwrap_or(ptr::null());
    // SAFETY: as in `with_worker`.
    unsafe { p.as_ref() }.map(|w| w.me)
}

/// The runtime whose worker runs on this thread.
pub(crate) fn current_shared() -> Option<&'static Shared> {
    let p = WORKER.try_with(|w| w.get()).unwrap_or(ptr::null());
    // SAFETY: as in `with_worker`.
    unsafe { p.as_ref() }.map(|w| w.shared)
}

/// Spawn from a goroutine of `shared`: the new goroutine goes to this
/// worker's `spawned` slot, and what it displaces to the deque
/// (placement.rs invariant 2). `Err` gives it back off the runtime's
/// active workers.
pub(crate) fn push_new_local(shared: &Shared, g: GoRef) -> Result<(), GoRef> {
    let mut g = Some(g);
    with_worker(shared, |w| {
        if w.index >= shared.active() {
            return;
        }
        let Some(new) = g.take() else { return };
        // Placement.rs invariant 5: the first unstarted goroutine here.
        let first = !w.me.has_unstarted();
        let old = w.me.spawned.swap(new.into_raw(), Ordering::AcqRel);
        if first {
            w.me.note_turnover();
        }
        if !old.is_null() {
            // SAFETY: swapped out of the slot, which holds only pointers
            // from `GoRef::into_raw`; we are their one taker.
            w.deque.push(unsafe { GoRef::from_raw(old) });
        }
    });
    match g {
        None => Ok(()),
        Some(g) => Err(g),
    }
}

/// Goroutines queued to run on this thread's worker (0 off a worker): for
/// a goroutine deciding whether a yield would come back soon
/// (chan/before_park.rs). Counts `ready`, `yielded`, the deque, the
/// remote and the placed queues, not `runnext` or the `spawned` slot. The
/// worker holds no borrow of its queues while a goroutine runs, so the
/// `try_borrow`s succeed; were one to fail, the count says "busy".
pub(crate) fn queued_here() -> usize {
    current_shared()
        .and_then(|shared| {
            with_worker(shared, |w| {
                let local = w.ready.try_borrow().map_or(usize::MAX / 4, |q| q.len())
                    + w.yielded.try_borrow().map_or(usize::MAX / 4, |q| q.len());
                local + w.deque.len() + w.me.remote.len() + w.me.placed.len()
            })
        })
        .unwrap_or(0)
}

/// The index of this thread's worker, if it is one of `shared`'s.
pub(crate) fn current_index(shared: &Shared) -> Option<usize> {
    with_worker(shared, |w| w.index)
}

/// Adds `delta` to this worker's live-goroutine shard if this thread is a
/// worker of `shared` (shared.rs invariant 6); `false` if it is not.
pub(crate) fn count_live(shared: &Shared, delta: isize) -> bool {
    with_worker(shared, |w| {
        w.me.live.fetch_add(delta, Ordering::Relaxed);
        if delta > 0 {
            WorkerStats::bump(&w.me.stats.spawned);
        }
    })
    .is_some()
}

/// A free goroutine record from this thread's worker, refilled from the
/// shared pool, or from a new slab, in batches. `None` off the runtime's
/// workers.
pub(crate) fn take_record(shared: &'static Shared) -> Option<GoRef> {
    with_worker(shared, |w| {
        let mut records = w.records.borrow_mut();
        if records.is_empty() {
            shared.take_records(&mut records, LOCAL_RECORDS / 4);
        }
        if records.is_empty() {
            records.extend(GoRef::alloc_slab(shared));
        }
        records.pop()
    })
    .flatten()
}

/// Wake on the home worker's own thread: `runnext` if a goroutine woke it,
/// else `ready`. `Err` gives the goroutine back when this thread is not
/// worker `home` of `shared`.
pub(crate) fn push_woken_local(shared: &Shared, home: usize, g: GoRef) -> Result<(), GoRef> {
    let mut g = Some(g);
    with_worker(shared, |w| {
        if w.index == home {
            if let Some(g) = g.take() {
                w.push_woken(g);
            }
        }
    });
    match g {
        None => Ok(()),
        Some(g) => Err(g),
    }
}

/// Starts worker `index` of `shared`: spawns its thread, then fills its
/// slot, then lets the thread run. A thread that cannot be spawned leaves
/// the slot empty, so a later call may try the same index again.
pub(crate) fn start(shared: &'static Shared, index: usize) -> io::Result<()> {
    let deque = Deque::new_fifo();
    let slot = WorkerShared {
        stealer: deque.stealer(),
        remote: Injector::new(),
        placed: Injector::new(),
        turnover: AtomicU32::new(0),
        thread: OnceLock::new(),
        poller: OnceLock::new(),
        sleeping: CachePadded::new(AtomicBool::new(false)),
        live: CachePadded::new(AtomicIsize::new(0)),
        spawned: AtomicPtr::new(ptr::null_mut()),
        picks: AtomicU32::new(0),
        running: AtomicPtr::new(ptr::null_mut()),
        stats: CachePadded::new(WorkerStats::default()),
    };
    // The thread waits for its slot: it is filled only once the thread
    // exists (a failed spawn must not leave a filled slot behind).
    let (filled, wait_filled) = std::sync::mpsc::sync_channel::<()>(1);
    let thread =
        std::thread::Builder::new().name(format!("{}-{index}", shared.config.thread_name)).spawn(move || {
            if wait_filled.recv().is_err() {
                return; // the starter gave up: the slot stays empty
            }
            let me = shared.slot(index).get().expect("filled before the thread is let go");
            let _ = me.thread.set(std::thread::current());
            overflow::prepare_thread();
            let worker = Worker {
                index,
                shared,
                me,
                deque,
                runnext: Cell::new(None),
                runnext_streak: Cell::new(0),
                ready: RefCell::new(VecDeque::new()),
                yielded: RefCell::new(VecDeque::new()),
                in_goroutine: Cell::new(false),
                tick: Cell::new(0),
                stacks: RefCell::new(Vec::new()),
                records: RefCell::new(Vec::new()),
                rng: Cell::new(0x9E37_79B9_7F4A_7C15 ^ (index as u64 + 1).wrapping_mul(0xBF58_476D_1CE4_E5B9)),
                watch: RefCell::new(StealWatch::default()),
                young_seen: Cell::new(false),
            };
            WORKER.with(|w| w.set(&worker));
            worker.run()
        })?;
    if shared.slot(index).set(slot).is_err() {
        unreachable!("worker {index} started twice: `grow` serialises starts");
    }
    // The thread runs from here; the handle is not kept (workers live as
    // long as the process).
    let _ = filled.send(());
    drop(thread);
    Ok(())
}

impl Worker {
    fn is_active(&self) -> bool {
        self.index < self.shared.active()
    }

    fn run(&self) -> ! {
        loop {
            let next =
                self.find_local().or_else(|| self.find_global()).or_else(|| self.shared.idle.wait_for_work(self));
            if let Some(g) = next {
                self.resume(g);
            }
        }
    }

    fn push_woken(&self, g: GoRef) {
        // For the held-worker monitor: one more waits behind the running
        // goroutine (the count is reset at the next resume).
        let queued = &self.me.stats.queued;
        queued.store(queued.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        if self.in_goroutine.get() {
            if let Some(old) = self.runnext.replace(Some(g)) {
                self.ready.borrow_mut().push_back(old);
            }
        } else {
            self.ready.borrow_mut().push_back(g);
        }
    }

    /// Moves goroutines woken from other threads into `ready`.
    fn drain_remote(&self) -> bool {
        let mut any = false;
        let mut ready = self.ready.borrow_mut();
        loop {
            match self.me.remote.steal() {
                Steal::Success(g) => {
                    ready.push_back(g);
                    any = true;
                }
                Steal::Empty => return any,
                Steal::Retry => {}
            }
        }
    }

    /// Takes one goroutine placed on this worker (unstarted).
    fn pop_placed(&self) -> Option<GoRef> {
        steal_until_done(|| self.me.placed.steal())
    }

    /// An unstarted goroutine taken from this worker's own queues:
    /// placement.rs invariant 5 if it was the last.
    fn took_unstarted(&self, g: GoRef) -> GoRef {
        if !self.me.has_unstarted() {
            self.me.note_turnover();
        }
        g
    }

    /// Work on this worker's own queues.
    fn find_local(&self) -> Option<GoRef> {
        let tick = self.tick.get().wrapping_add(1);
        self.tick.set(tick);
        self.me.picks.store(tick, Ordering::Relaxed);
        if tick % 61 == 0 {
            // The goroutine status's coarse clock (goroutine/clock.rs).
            crate::goroutine::clock::advance();
            // A busy worker's cached stacks reach a runtime short of them
            // within 61 picks (stack/pool.rs, "Lend").
            self.shared.stacks.share_cache(&mut self.stacks.borrow_mut(), self.is_active());
            if let Some(g) = self.deque.pop().or_else(|| self.pop_placed()) {
                return Some(self.took_unstarted(g));
            }
            if let Some(g) = self.yielded.borrow_mut().pop_front() {
                return Some(g);
            }
            self.drain_remote();
        }
        if let Some(g) = self.runnext.take() {
            let streak = self.runnext_streak.get();
            if streak < RUNNEXT_STREAK {
                self.runnext_streak.set(streak + 1);
                return Some(g);
            }
            self.ready.borrow_mut().push_back(g);
        }
        self.runnext_streak.set(0);
        if let Some(g) = self.me.take_spawned() {
            return Some(self.took_unstarted(g));
        }
        if let Some(g) = self.ready.borrow_mut().pop_front() {
            return Some(g);
        }
        if self.drain_remote() {
            if let Some(g) = self.ready.borrow_mut().pop_front() {
                return Some(g);
            }
        }
        if let Some(g) = self.pop_placed().or_else(|| self.deque.pop()) {
            return Some(self.took_unstarted(g));
        }
        self.yielded.borrow_mut().pop_front()
    }

    /// New goroutines from the admission queue (if this worker can give
    /// one a stack), or other workers' unstarted goroutines that have
    /// waited out the grace (placement.rs invariant 4).
    fn find_global(&self) -> Option<GoRef> {
        self.young_seen.set(false);
        if !self.is_active() {
            return None;
        }
        if self.can_admit() {
            if let Some(g) = self.shared.next_admitted() {
                return Some(g);
            }
        }
        let n = self.shared.started();
        if n <= 1 {
            return None;
        }
        let mut watch = self.watch.borrow_mut();
        let start = (self.next_rand() % n as u64) as usize;
        for k in 0..n {
            let v = (start + k) % n;
            if v == self.index {
                continue;
            }
            let victim = self.shared.worker(v);
            match watch.look(v, victim) {
                Look::Ripe => {
                    if let Some(g) = victim.steal_unstarted(&self.deque) {
                        WorkerStats::bump(&self.me.stats.steals);
                        // Placement.rs invariant 6: what is left, there
                        // or in our deque, is for another idle worker.
                        if victim.has_unstarted() || !self.deque.is_empty() {
                            self.shared.notify_idle();
                        }
                        return Some(g);
                    }
                }
                Look::YoungUntil(_) => self.young_seen.set(true),
                Look::Nothing => {}
            }
        }
        None
    }

    /// When other workers' unstarted goroutines ripen, the earliest (now,
    /// if some are ripe), without taking any (placement.rs invariant 6).
    fn unstarted_ripen(&self) -> Option<Instant> {
        let mut watch = self.watch.borrow_mut();
        (0..self.shared.started())
            .filter(|&v| v != self.index)
            .fold(None, |ripens, v| watch.look(v, self.shared.worker(v)).ripens(ripens))
    }

    fn next_rand(&self) -> u64 {
        // xorshift64*: victim choice needs spread, not quality.
        let mut x = self.rng.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng.set(x);
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Goroutines wait for a stack, and this worker has one at hand. (A
    /// worker whose cache holds free stacks must not sleep while goroutines
    /// wait for one: nobody else may ever end to admit them.)
    fn can_admit(&self) -> bool {
        self.is_active()
            && self.shared.admission_waiting()
            && (!self.stacks.borrow().is_empty() || self.shared.stacks.can_acquire())
    }

    fn has_local_work(&self) -> bool {
        self.can_admit()
            || !self.me.spawned.load(Ordering::Relaxed).is_null()
            || self.runnext_has()
            || !self.ready.borrow().is_empty()
            || !self.yielded.borrow().is_empty()
            || !self.me.remote.is_empty()
            || !self.me.placed.is_empty()
            || !self.deque.is_empty()
    }

    fn runnext_has(&self) -> bool {
        let g = self.runnext.take();
        let has = g.is_some();
        self.runnext.set(g);
        has
    }

    /// Watches this worker's remote queue for a little while before it
    /// sleeps. Goroutines pinned here that talk to goroutines of another
    /// worker are woken from there, often within microseconds; a sleeping
    /// worker would cost each such wake a futex call and a thread wake-up of
    /// tens of microseconds. This spin is not counted as a global spinner: it
    /// looks at nothing but its own queue.
    fn watch_remote(&self) -> Option<GoRef> {
        if self.me.stats.stacks_in_use.load(Ordering::Relaxed) == 0 {
            // No goroutine is pinned here: none can be woken into `remote`.
            return None;
        }
        let until = std::time::Instant::now() + WATCH_REMOTE;
        loop {
            for _ in 0..32 {
                if !self.me.remote.is_empty() {
                    return self.find_local();
                }
                std::hint::spin_loop();
            }
            if std::time::Instant::now() >= until {
                return None;
            }
        }
    }

    /// Runs `g` until it parks, yields or ends. The caller popped `g` from
    /// one of this worker's queues, so it is `g`'s holder.
    fn resume(&self, g: GoRef) {
        // SAFETY: we popped `g` from our own queues: we are its single holder
        // (goroutine.rs invariant 1), and a started goroutine is only ever
        // queued on its home worker, which is us (invariant 2).
        let body = unsafe { g.body_mut() };
        if let Body::Unstarted = body {
            let stack = self.shared.stacks.acquire(&mut self.stacks.borrow_mut());
            let Some(stack) = stack else {
                self.shared.defer_admission(g);
                return;
            };
            WorkerStats::bump(&self.me.stats.stacks_in_use);
            g.set_home(self.index);
            g.guard_page.store(stack.guard().0, Ordering::Relaxed);
            *body = Body::Started(GoCoroutine::with_stack(stack, |y: &GoYielder, ()| {
                // The job catches the user's panic itself (join.rs); what
                // could still escape is a panic while dropping a panic
                // payload, and that must not unwind into the scheduler.
                let run = AssertUnwindSafe(|| {
                    current::with_running(|g| {
                        if let Some(g) = g {
                            // SAFETY: home thread, this goroutine's own first
                            // run: nobody else reads or writes `yielder` now,
                            // and this is the one call of `run`.
                            unsafe {
                                *g.yielder.get() = y;
                                g.job.run();
                            }
                        }
                    })
                });
                if std::panic::catch_unwind(run).is_err() {
                    crate::panic::fatal("a panic escaped a goroutine's panic handling");
                }
            }));
        }
        let Body::Started(co) = body else {
            unreachable!("goroutine {} queued after it ended", g.id);
        };
        current::set_running(Some(&g));
        current::reset_budget();
        let _ = crate::goroutine::status::take_pending();
        g.status.running();
        // Release: publishes the record to the monitor (WorkerShared::
        // running_goroutine); a plain store on x86-64.
        self.me.running.store(&*g as *const Goroutine as *mut Goroutine, Ordering::Release);
        self.prefetch_next();
        self.in_goroutine.set(true);
        WorkerStats::bump(&self.me.stats.switches);
        let result = co.resume(());
        self.in_goroutine.set(false);
        current::set_running(None);
        match result {
            // The reference we ran it with is now the park's, for its waker
            // to take over (goroutine.rs invariant 3).
            CoroutineResult::Yield(Suspend::Park) => {
                WorkerStats::bump(&self.me.stats.parks);
                let _ = g.into_raw();
            }
            CoroutineResult::Yield(Suspend::Yield) => {
                g.status.runnable();
                self.yielded.borrow_mut().push_back(g)
            }
            CoroutineResult::Return(()) => self.finish(g),
        }
    }

    /// Warms the stack of the goroutine likely to run after the one being
    /// resumed (the head of `ready`), so that its resume does not stall on
    /// a cold stack (stack/prefetch.rs).
    #[inline]
    fn prefetch_next(&self) {
        let ready = self.ready.borrow();
        if let Some(next) = ready.front() {
            crate::stack::prefetch::frames(next.suspended_sp.load(Ordering::Relaxed));
        }
        // For the held-worker monitor: what waits behind the goroutine
        // about to run (a plain store on this worker's own stats line).
        let behind = ready.len() + self.yielded.borrow().len() + usize::from(self.runnext_has());
        self.me.stats.queued.store(behind as u64, Ordering::Relaxed);
    }

    /// `g` ended: its stack goes back to the pool, and one goroutine waiting
    /// for a stack (if any) is admitted onto this worker.
    fn finish(&self, g: GoRef) {
        // SAFETY: as in `resume`: we are the holder, on the home thread.
        let body = unsafe { g.body_mut() };
        if let Body::Started(co) = std::mem::replace(body, Body::Finished) {
            self.shared.stacks.release(co.into_stack(), &mut self.stacks.borrow_mut());
            WorkerStats::drop_one(&self.me.stats.stacks_in_use);
        }
        // The cached wait context refers back to the record.
        g.clear_cached_context();
        if let Some(record) = Goroutine::recycle(g) {
            let mut records = self.records.borrow_mut();
            records.push(record);
            if records.len() > LOCAL_RECORDS {
                let half = records.len() / 2;
                self.shared.give_records(records.drain(..half));
            }
        }
        // Admit a goroutine waiting for a stack onto the one just freed:
        // privately, so that no worker without a stack steals it.
        if let Some(next) = self.shared.next_admitted() {
            self.ready.borrow_mut().push_back(next);
        }
    }
}

/// What the idle protocol (idle.rs) asks of this worker.
impl Seeker for Worker {
    fn index(&self) -> usize {
        self.index
    }

    fn shared(&self) -> &'static Shared {
        self.shared
    }

    fn is_active(&self) -> bool {
        Worker::is_active(self)
    }

    fn sleeping(&self) -> &AtomicBool {
        &self.me.sleeping
    }

    fn find(&self) -> Option<GoRef> {
        self.find_local().or_else(|| self.find_global())
    }

    fn saw_young_only(&self) -> bool {
        self.young_seen.get()
    }

    fn watch_remote(&self) -> Option<GoRef> {
        Worker::watch_remote(self)
    }

    fn poll_now(&self) -> bool {
        self.me.poller.get().is_some_and(|p| p.poll_now() > 0)
    }

    fn claim_poller(&self) -> Option<Claim> {
        self.me.poller.get().and_then(Poller::claim)
    }

    fn last_look(&self, listed: bool) -> LastLook {
        // Cached stacks are out of reach while this worker sleeps: an
        // inactive worker's always go to the pool (shared.rs invariant 4),
        // an active one's when another runtime waits for a stack (after
        // the announcement's fence: stack/pool.rs, "Lend").
        self.shared.stacks.share_cache(&mut self.stacks.borrow_mut(), listed);
        // Young unstarted work elsewhere bounds the sleep (placement.rs
        // invariant 6).
        let ripens = if listed { self.unstarted_ripen() } else { None };
        LastLook { local_work: self.has_local_work(), ripens }
    }
}
