//! One runtime's shared state: its workers' public halves, idle
//! coordination, the stack pool, and the admission queue. Where a
//! goroutine is queued is `placement.rs`'s to decide.
//!
//! # Invariants
//!
//! 1. Deques, `spawned` slots and `placed` queues hold only unstarted
//!    goroutines (stealable: placement.rs invariant 4); a worker's
//!    `remote` queue holds only goroutines pinned to it.
//! 2. `workers[..started]` are initialised, and never change after; a
//!    worker slot is filled before its index is published in `started`
//!    (Release, paired with Acquire readers).
//! 3. Workers `>= active` take no new goroutines: they run only what is
//!    pinned to them (set_max_procs shrinking never migrates a started
//!    goroutine, which would break pinning).
//! 4. A goroutine refused a stack waits in `admission`. It leaves it for a
//!    worker that has a stack for it: the worker where a goroutine just
//!    ended (it runs it next, on the freed stack), or any active worker
//!    whose cache or pool holds a free stack (it looks before stealing, and
//!    does not sleep while it could admit one). Deferring one wakes every
//!    sleeping worker to look; an inactive worker gives its cached stacks to
//!    the pool rather than keep them out of reach.
//! 5. `records` holds finished goroutine records that nobody refers to
//!    (goroutine.rs invariant 4), passed between workers' free lists in
//!    batches: a worker that spawns more than it finishes takes from it, one
//!    that finishes more gives to it.
//! 6. Live goroutines are counted per worker: +1 on the worker (or, off the
//!    workers, in `live_outside`) that spawns one, -1 on the worker where it
//!    ends, so no counter is shared by a spawning and an ending worker. A
//!    shard may go negative; the sum is the count.

use std::collections::VecDeque;
use std::sync::atomic::{fence, AtomicBool, AtomicIsize, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::thread::Thread;

use crossbeam_deque::{Injector, Stealer};
use crossbeam_utils::CachePadded;

use super::idle::Idle;
use super::stats::WorkerStats;
use super::worker;
use crate::goroutine::{GoRef, Goroutine};
use crate::stack::StackPool;

/// Records a plain thread takes from the shared pool at a time.
const THREAD_BATCH: usize = 64;

/// A plain thread's free goroutine records (a thread that spawns in a loop
/// would otherwise take the pool's lock per spawn). Dropped records go back
/// to their runtime's pool (goref.rs), so the thread's exit loses none.
struct ThreadRecords {
    /// The runtime they belong to, by address (0: none yet).
    runtime: usize,
    records: Vec<GoRef>,
}

thread_local! {
    static THREAD_RECORDS: std::cell::RefCell<ThreadRecords> =
        const { std::cell::RefCell::new(ThreadRecords { runtime: 0, records: Vec::new() }) };
}

/// The most worker threads one runtime may have.
pub const MAX_PROCS: usize = 256;

/// The one rule for a number of workers, whoever gives it
/// (`Builder::max_procs`, `GOMAXPROCS`, `set_max_procs`): from 1 to
/// [`MAX_PROCS`], both included.
pub(crate) fn valid_procs(n: usize) -> bool {
    (1..=MAX_PROCS).contains(&n)
}

/// What a runtime does when a goroutine panics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PanicPolicy {
    /// Report the panic (goroutine id, spawn site, message) and hand it to
    /// the goroutine's `JoinHandle::join` as `Err`; the program goes on.
    #[default]
    Catch,
    /// Go's policy: report the panic, then abort the process.
    Abort,
}

pub(crate) struct Config {
    pub(crate) detect_deadlocks: bool,
    /// After how long a goroutine holding its worker is reported (monitor.rs).
    pub(crate) held_worker_warning: Option<std::time::Duration>,
    pub(crate) stack_size: usize,
    pub(crate) panic_policy: PanicPolicy,
    pub(crate) thread_name: String,
}

/// The half of a worker other threads may touch.
pub(crate) struct WorkerShared {
    /// Steals unstarted goroutines from the worker's deque.
    pub(crate) stealer: Stealer<GoRef>,
    /// Goroutines pinned to this worker, woken from other threads.
    pub(crate) remote: Injector<GoRef>,
    /// Unstarted goroutines placed on this worker to start here
    /// (placement.rs invariants 2 and 3).
    pub(crate) placed: Injector<GoRef>,
    /// Counts the times this worker's unstarted goroutines ran out or
    /// arrived into none (placement.rs invariant 5). Relaxed: a hint for
    /// thieves.
    pub(crate) turnover: AtomicU32,
    /// The worker's thread, set by the thread itself when it starts.
    pub(crate) thread: OnceLock<Thread>,
    /// Its network poller, made when a socket is first registered with it
    /// (netpoll.rs).
    pub(crate) poller: OnceLock<super::netpoll::Poller>,
    /// The worker is asleep or about to be (Dekker flag, idle.rs inv. 3).
    /// Read by every remote wake, written only when the worker goes to
    /// sleep or wakes: on a cache line of its own, away from `picks`,
    /// which the worker writes at every pick.
    pub(crate) sleeping: CachePadded<AtomicBool>,
    /// This worker's shard of the live-goroutine count (invariant 6), on a
    /// cache line of its own: only this worker writes it.
    pub(crate) live: CachePadded<AtomicIsize>,
    /// The goroutine this worker's goroutines spawned last, not started yet
    /// (placement.rs invariant 2): a `GoRef` given up with `into_raw`, or
    /// null. Swapped (AcqRel) by its worker (to put one in, or take it to
    /// run) and by thieves (to take it): whoever swaps a pointer out owns
    /// it.
    pub(crate) spawned: AtomicPtr<Goroutine>,
    /// The worker's pick count (written by the worker at every pick,
    /// Relaxed: a hint for the monitors).
    pub(crate) picks: AtomicU32,
    /// The record of the goroutine this worker resumed last (for the
    /// held-worker monitor: records are never freed, so it stays readable).
    pub(crate) running: AtomicPtr<Goroutine>,
    /// The worker's counters for `debug::metrics()` (stats.rs), written
    /// only by the worker, on a cache line of their own.
    pub(crate) stats: CachePadded<WorkerStats>,
}

impl WorkerShared {
    /// The goroutine this worker resumed last, if any.
    pub(crate) fn running_goroutine(&self) -> Option<&'static Goroutine> {
        // Acquire, with the worker's Release store: the record's fields,
        // written when it was made (maybe on another thread), are seen
        // initialised by the monitor that reads them through this pointer.
        let p = self.running.load(Ordering::Acquire);
        // SAFETY: only pointers to goroutine records are stored here, and
        // records are never freed (goref.rs invariant 2).
        unsafe { p.as_ref() }
    }

    /// Takes the goroutine in the `spawned` slot, if any.
    pub(crate) fn take_spawned(&self) -> Option<GoRef> {
        if self.spawned.load(Ordering::Relaxed).is_null() {
            return None;
        }
        let p = self.spawned.swap(std::ptr::null_mut(), Ordering::AcqRel);
        // SAFETY: non-null pointers in the slot come from `GoRef::into_raw`
        // (placement.rs invariant 2), and the swap made us their only taker.
        (!p.is_null()).then(|| unsafe { GoRef::from_raw(p) })
    }
}

impl WorkerShared {
    /// Wakes the worker if it sleeps; call after pushing to `remote`.
    pub(crate) fn notify(&self) {
        // Pairs with the fence between `sleeping = true` and the worker's
        // last look at `remote`: either it sees our push or we see it asleep.
        fence(Ordering::SeqCst);
        if self.sleeping.load(Ordering::SeqCst) {
            self.unpark();
        }
    }

    /// Wakes the worker's thread from its sleep, in a futex or in epoll
    /// (netpoll.rs invariant 2).
    pub(crate) fn unpark(&self) {
        if let Some(t) = self.thread.get() {
            t.unpark();
        }
        if let Some(p) = self.poller.get() {
            p.wake();
        }
    }
}

pub struct Shared {
    workers: Box<[OnceLock<WorkerShared>]>,
    /// Workers whose slot is filled and thread started (invariant 2).
    started: AtomicUsize,
    /// max_procs: workers taking new goroutines (invariant 3).
    active: AtomicUsize,
    /// Serialises starting workers.
    grow: Mutex<()>,
    /// Where the next plain thread's home worker is (placement.rs
    /// invariant 2): a round-robin counter.
    pub(crate) next_home: AtomicUsize,
    pub(crate) idle: Idle,
    pub(crate) stacks: StackPool,
    admission: Mutex<VecDeque<GoRef>>,
    admission_len: AtomicUsize,
    /// Goroutines spawned from threads that are not this runtime's workers,
    /// less those ended there (never: goroutines end on workers). With the
    /// workers' own counts, the number of live goroutines (invariant 6).
    live_outside: AtomicIsize,
    /// Goroutines spawned from threads that are not this runtime's workers
    /// (the workers count their own: stats.rs).
    pub(crate) spawned_outside: AtomicU64,
    /// Recycled goroutine records (invariant 5).
    records: Mutex<Vec<GoRef>>,
    pub(crate) config: Config,
    /// Whether the deadlock detector is on (deadlock.rs).
    detect_deadlocks: std::sync::atomic::AtomicBool,
    /// Threads waiting in this runtime's `block_on` (deadlock.rs).
    pub(crate) block_on_waiters: AtomicUsize,
}

impl Shared {
    pub(crate) fn detect_deadlocks(&self) -> bool {
        self.detect_deadlocks.load(Ordering::Relaxed)
    }

    pub(crate) fn set_detect_deadlocks(&self, on: bool) {
        self.detect_deadlocks.store(on, Ordering::Relaxed);
    }

    pub(crate) fn new(config: Config) -> Shared {
        Shared {
            workers: (0..MAX_PROCS).map(|_| OnceLock::new()).collect(),
            started: AtomicUsize::new(0),
            active: AtomicUsize::new(0),
            grow: Mutex::new(()),
            next_home: AtomicUsize::new(0),
            idle: Idle::new(),
            stacks: StackPool::new(config.stack_size),
            admission: Mutex::new(VecDeque::new()),
            admission_len: AtomicUsize::new(0),
            live_outside: AtomicIsize::new(0),
            spawned_outside: AtomicU64::new(0),
            records: Mutex::new(Vec::new()),
            detect_deadlocks: std::sync::atomic::AtomicBool::new(config.detect_deadlocks),
            block_on_waiters: AtomicUsize::new(0),
            config,
        }
    }

    pub(crate) fn slot(&self, i: usize) -> &OnceLock<WorkerShared> {
        &self.workers[i]
    }

    pub(crate) fn worker(&self, i: usize) -> &WorkerShared {
        self.workers[i].get().expect("worker index below `started`")
    }

    /// Number of worker threads started (some may be inactive).
    pub(crate) fn started(&self) -> usize {
        self.started.load(Ordering::Acquire)
    }

    pub(crate) fn active(&self) -> usize {
        self.active.load(Ordering::Relaxed)
    }

    /// Live goroutines: the sum of the shards (invariant 6). Relaxed: exact
    /// when whatever spawned or ended them happened-before the call.
    pub(crate) fn live(&self) -> usize {
        let workers: isize = (0..self.started()).map(|i| self.worker(i).live.load(Ordering::Relaxed)).sum();
        (workers + self.live_outside.load(Ordering::Relaxed)).max(0) as usize
    }

    /// Counts a goroutine as spawned (+1) or ended (-1) on this thread's shard.
    pub(super) fn count_live(&self, delta: isize) {
        if !worker::count_live(self, delta) {
            self.live_outside.fetch_add(delta, Ordering::Relaxed);
            if delta > 0 {
                self.spawned_outside.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Sets how many workers take new goroutines, starting threads as needed.
    /// Returns the previous value. `n` is clamped to `1..=MAX_PROCS`.
    pub(crate) fn set_active(&'static self, n: usize) -> std::io::Result<usize> {
        let n = n.clamp(1, MAX_PROCS);
        let _g = self.grow.lock().unwrap_or_else(|e| e.into_inner());
        let mut started = self.started.load(Ordering::Relaxed);
        while started < n {
            worker::start(self, started)?;
            started += 1;
            // Invariant 2: the slot was filled by `start`.
            self.started.store(started, Ordering::Release);
        }
        let prev = self.active.swap(n, Ordering::Relaxed);
        // Workers that just became active may be asleep while work waits.
        for i in 0..n.min(started) {
            self.worker(i).notify();
        }
        Ok(prev)
    }

    /// Stealable work was pushed: wake a sleeping worker unless one spins.
    pub(crate) fn notify_idle(&self) {
        if let Some(w) = self.idle.worker_to_wake() {
            self.worker(w).unpark();
        }
    }

    /// Invariant 4: a goroutine that could get no stack waits here. Every
    /// sleeping worker is woken to look: free stacks may sit in one's cache
    /// (rare: only at the stack limit).
    pub(crate) fn defer_admission(&self, g: GoRef) {
        let mut q = self.admission.lock().unwrap_or_else(|e| e.into_inner());
        q.push_back(g);
        self.admission_len.store(q.len(), Ordering::SeqCst);
        drop(q);
        for i in 0..self.started() {
            self.worker(i).notify();
        }
    }

    /// Whether goroutines wait for a stack.
    pub(crate) fn admission_waiting(&self) -> bool {
        self.admission_len.load(Ordering::Relaxed) > 0
    }

    /// One goroutine waiting for a stack, for a worker that has one.
    pub(crate) fn next_admitted(&self) -> Option<GoRef> {
        if self.admission_len.load(Ordering::Relaxed) == 0 {
            return None;
        }
        let mut q = self.admission.lock().unwrap_or_else(|e| e.into_inner());
        let g = q.pop_front();
        self.admission_len.store(q.len(), Ordering::Relaxed);
        g
    }

    /// A free goroutine record for a spawn on this thread: from this
    /// worker's free list, or a plain thread's cache, refilled from the
    /// shared pool (or a new slab) in batches.
    pub(crate) fn take_record(&'static self) -> GoRef {
        if let Some(g) = worker::take_record(self) {
            return g;
        }
        let me = self as *const Shared as usize;
        let cached = THREAD_RECORDS.try_with(|c| {
            let mut c = c.borrow_mut();
            if c.runtime != me {
                // Another runtime's records go back to it as they drop.
                c.records.clear();
                c.runtime = me;
            }
            if c.records.is_empty() {
                self.take_records(&mut c.records, THREAD_BATCH);
            }
            c.records.pop()
        });
        if let Ok(Some(g)) = cached {
            return g;
        }
        let mut pool = self.records.lock().unwrap_or_else(|e| e.into_inner());
        if pool.is_empty() {
            pool.extend(GoRef::alloc_slab(self));
        }
        pool.pop().expect("a slab is never empty")
    }

    /// Moves up to `n` recycled records from the shared pool into `into`.
    pub(crate) fn take_records(&self, into: &mut Vec<GoRef>, n: usize) {
        let mut pool = self.records.lock().unwrap_or_else(|e| e.into_inner());
        let at = pool.len().saturating_sub(n);
        into.extend(pool.drain(at..));
    }

    /// Gives recycled records to the shared pool (records are never freed:
    /// goref.rs).
    pub(crate) fn give_records(&self, from: impl Iterator<Item = GoRef>) {
        self.records.lock().unwrap_or_else(|e| e.into_inner()).extend(from);
    }

    /// A goroutine's job ended (called by the job, before it publishes its
    /// result).
    pub(crate) fn goroutine_ended(&self) {
        self.count_live(-1);
    }
}
