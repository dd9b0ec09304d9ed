//! Counters behind `debug::metrics()`: spawns, context switches, parks,
//! steals and stacks, for every runtime in the process.
//!
//! # Invariants
//!
//! 1. Each worker has its own counters, on a cache line of their own, and
//!    only that worker writes them: an increment is a Relaxed load and a
//!    Relaxed store, no locked instruction, so keeping them always on costs
//!    the scheduler a few plain stores per switch.
//! 2. A reader sums the workers' counters (and, for spawns from plain
//!    threads, one shared atomic) with Relaxed loads. The sums are hints
//!    read without stopping anything: each counter alone only grows (or,
//!    for stacks in use, is a value its worker really stored).

use std::sync::atomic::{AtomicU64, Ordering};

/// One worker's counters (invariant 1).
#[derive(Default)]
pub(crate) struct WorkerStats {
    /// Goroutines spawned by goroutines of this worker.
    pub(crate) spawned: AtomicU64,
    /// Goroutines resumed: one context switch in and out each.
    pub(crate) switches: AtomicU64,
    /// Times a goroutine of this worker parked.
    pub(crate) parks: AtomicU64,
    /// Goroutines this worker took from other workers' queues.
    pub(crate) steals: AtomicU64,
    /// Stacks of this worker's goroutines: running or suspended, not ended.
    pub(crate) stacks_in_use: AtomicU64,
    /// Started goroutines queued on this worker (`ready`, `yielded`,
    /// `runnext`) when it last resumed one: what waits behind a goroutine
    /// that holds it (monitor.rs).
    pub(crate) queued: AtomicU64,
}

impl WorkerStats {
    /// Adds one to a counter only this thread writes (invariant 1).
    #[inline]
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.store(counter.load(Ordering::Relaxed).wrapping_add(1), Ordering::Relaxed);
    }

    /// Takes one from a counter only this thread writes (invariant 1).
    #[inline]
    pub(crate) fn drop_one(counter: &AtomicU64) {
        counter.store(counter.load(Ordering::Relaxed).wrapping_sub(1), Ordering::Relaxed);
    }
}

/// The scheduler's counters, summed over every runtime (invariant 2).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Totals {
    pub(crate) live: usize,
    pub(crate) spawned: u64,
    pub(crate) switches: u64,
    pub(crate) parks: u64,
    pub(crate) steals: u64,
    pub(crate) stacks_in_use: u64,
    pub(crate) workers: usize,
}

/// Sums every runtime's counters.
pub(crate) fn totals() -> Totals {
    let mut t = Totals::default();
    for shared in super::runtime::all() {
        t.live += shared.live();
        t.workers += shared.active();
        t.spawned += shared.spawned_outside.load(Ordering::Relaxed);
        for i in 0..shared.started() {
            let s = &shared.worker(i).stats;
            t.spawned += s.spawned.load(Ordering::Relaxed);
            t.switches += s.switches.load(Ordering::Relaxed);
            t.parks += s.parks.load(Ordering::Relaxed);
            t.steals += s.steals.load(Ordering::Relaxed);
            t.stacks_in_use = t.stacks_in_use.wrapping_add(s.stacks_in_use.load(Ordering::Relaxed));
        }
    }
    t
}
