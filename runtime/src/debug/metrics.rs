//! Counts for monitoring a running program (the seed's "monitor goroutine
//! count in production"): what `/debug/metrics` serves in Prometheus's
//! text format.

use std::fmt::Write as _;

use super::{goroutines, GoroutineInfo, State, WaitReason};
use crate::scheduler::stats;

/// The runtime's counts at one moment, summed over every runtime in the
/// process. Read without stopping anything: each field is a hint that was
/// true while it was read.
///
/// ```
/// use goroutines_runtime::{debug, spawn};
/// spawn(|| ()).join().unwrap();
/// let m = debug::metrics();
/// assert!(m.spawned_total >= 1);
/// assert!(m.context_switches >= 1);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Metrics {
    /// Goroutines alive: spawned and not ended.
    pub goroutines: usize,
    /// Goroutines queued to run.
    pub runnable: usize,
    /// Goroutines running on a worker.
    pub running: usize,
    /// Goroutines parked in a runtime primitive (a channel, a timer, ...).
    pub waiting: usize,
    /// Goroutines waiting for a `blocking()` call.
    pub in_blocking_call: usize,
    /// Goroutines waiting on a socket of `goroutines::net` (Go's `IO wait`).
    pub in_io_wait: usize,
    /// Goroutines spawned since the process started.
    pub spawned_total: u64,
    /// Times a worker resumed a goroutine (each is a switch onto its stack
    /// and back).
    pub context_switches: u64,
    /// Goroutines a worker took from another worker's queue.
    pub steals: u64,
    /// Times a goroutine parked (suspended until woken).
    pub parks: u64,
    /// Goroutine stacks in use by goroutines that have started.
    pub stacks_in_use: u64,
    /// Stacks kept mapped for reuse (pooled and cached by workers).
    pub stacks_pooled: u64,
    /// Threads of `blocking()`'s pool, busy or idle.
    pub blocking_threads: usize,
    /// Worker threads taking goroutines (`max_procs`, summed over runtimes).
    pub workers: usize,
}

/// The runtime's counts now. It reads every goroutine's state, so it costs
/// about as much as [`goroutines()`].
pub fn metrics() -> Metrics {
    metrics_of(&goroutines())
}

/// The counts, with goroutines by state taken from `all` (one snapshot
/// for a page that shows both).
pub(crate) fn metrics_of(all: &[GoroutineInfo]) -> Metrics {
    let t = stats::totals();
    let mut m = Metrics {
        goroutines: t.live,
        spawned_total: t.spawned,
        context_switches: t.switches,
        steals: t.steals,
        parks: t.parks,
        stacks_in_use: t.stacks_in_use,
        stacks_pooled: (crate::stack::live_stacks() as u64).saturating_sub(t.stacks_in_use),
        blocking_threads: crate::blocking::threads(),
        workers: t.workers,
        ..Metrics::default()
    };
    for g in all {
        match (g.state, g.wait_reason) {
            (State::Waiting, Some(WaitReason::Blocking)) => m.in_blocking_call += 1,
            (State::Waiting, Some(WaitReason::IoWait)) => m.in_io_wait += 1,
            (State::Waiting, _) => m.waiting += 1,
            (State::Running, _) => m.running += 1,
            _ => m.runnable += 1,
        }
    }
    m
}

impl Metrics {
    /// The counts in Prometheus's text exposition format (version 0.0.4),
    /// as `/debug/metrics` serves them.
    pub fn to_prometheus(&self) -> String {
        let mut out = String::new();
        let mut family = |name: &str, kind: &str, help: &str, samples: &[(&str, u64)]| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (labels, v) in samples {
                let _ = writeln!(out, "{name}{labels} {v}");
            }
        };
        let by_state = [
            ("{state=\"runnable\"}", self.runnable as u64),
            ("{state=\"running\"}", self.running as u64),
            ("{state=\"waiting\"}", self.waiting as u64),
            ("{state=\"blocking\"}", self.in_blocking_call as u64),
            ("{state=\"io_wait\"}", self.in_io_wait as u64),
        ];
        family("goroutines", "gauge", "Goroutines alive, by state.", &by_state);
        family("goroutines_spawned_total", "counter", "Goroutines spawned.", &[("", self.spawned_total)]);
        family(
            "goroutines_context_switches_total",
            "counter",
            "Goroutines resumed by a worker.",
            &[("", self.context_switches)],
        );
        family(
            "goroutines_steals_total",
            "counter",
            "Goroutines taken from another worker's queue.",
            &[("", self.steals)],
        );
        family("goroutines_parks_total", "counter", "Times a goroutine parked.", &[("", self.parks)]);
        let stacks = [("{state=\"in_use\"}", self.stacks_in_use), ("{state=\"pooled\"}", self.stacks_pooled)];
        family("goroutines_stacks", "gauge", "Goroutine stacks mapped, by use.", &stacks);
        family(
            "goroutines_blocking_threads",
            "gauge",
            "Threads of the blocking() pool.",
            &[("", self.blocking_threads as u64)],
        );
        family("goroutines_workers", "gauge", "Worker threads taking goroutines.", &[("", self.workers as u64)]);
        out
    }
}
