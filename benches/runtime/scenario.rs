//! What is measured: the scenarios, their sizes and run counts, and the
//! three implementations. The parent passes every size to every child, so
//! this file is the one place they are set.

use std::time::Duration;

/// Who runs a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Impl {
    Ours,
    Tokio,
    Go,
}

impl Impl {
    pub const ALL: [Impl; 3] = [Impl::Ours, Impl::Tokio, Impl::Go];

    pub fn label(self) -> &'static str {
        match self {
            Impl::Ours => "ours",
            Impl::Tokio => "tokio",
            Impl::Go => "Go",
        }
    }

    /// The name used on a child's command line.
    pub fn arg(self) -> &'static str {
        match self {
            Impl::Ours => "ours",
            Impl::Tokio => "tokio",
            Impl::Go => "go",
        }
    }

    pub fn from_arg(s: &str) -> Option<Impl> {
        Impl::ALL.into_iter().find(|i| i.arg() == s)
    }
}

/// How a scenario's runs map onto processes. Either way the runs are
/// interleaved: each round measures every implementation once, in an order
/// that rotates from round to round (`rounds.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Processes {
    /// One long-lived process per implementation does `warmup` unmeasured
    /// runs, then one measured run each time the parent asks (once a round).
    Shared { warmup: usize },
    /// Every measured run is a fresh process (after one unmeasured round of
    /// fresh processes).
    FreshPerRun,
}

#[derive(Debug)]
pub struct Scenario {
    pub name: &'static str,
    /// Goroutines (spawn_wait, park_20k) or yields per goroutine (yield_switch).
    pub n: usize,
    /// Worker threads: Go's GOMAXPROCS, our `max_procs`, tokio's workers.
    pub procs: usize,
    /// Rounds: measured runs per implementation.
    pub runs: usize,
    pub processes: Processes,
    /// A child process still running after this long is killed and reported.
    pub timeout: Duration,
}

pub const SPAWN_WAIT: &str = "spawn_wait";
pub const PARK: &str = "park_20k";
pub const YIELD_SWITCH: &str = "yield_switch";

pub static SCENARIOS: [Scenario; 3] = [
    Scenario {
        name: SPAWN_WAIT,
        n: 1_000_000,
        procs: 2,
        runs: 9,
        processes: Processes::Shared { warmup: 1 },
        timeout: Duration::from_secs(90),
    },
    Scenario {
        name: PARK,
        n: 20_000,
        procs: 2,
        runs: 7,
        processes: Processes::FreshPerRun,
        timeout: Duration::from_secs(60),
    },
    Scenario {
        name: YIELD_SWITCH,
        n: 2_000_000,
        procs: 1,
        runs: 5,
        processes: Processes::Shared { warmup: 1 },
        timeout: Duration::from_secs(90),
    },
];

impl Scenario {
    pub fn named(name: &str) -> Option<&'static Scenario> {
        SCENARIOS.iter().find(|s| s.name == name)
    }
}

/// The metric names children print (Go's program prints the same ones).
pub mod metric {
    /// spawn_wait: first spawn until `wait` returns.
    pub const SPAWN_WAIT_NS: &str = "spawn_wait_ns";
    /// park_20k, fresh process: first spawn until `started.wait()` returns.
    pub const PARK_SPAWN_NS: &str = "park_spawn_ns";
    /// park_20k: (RSS while all are parked − RSS before spawning) / n.
    pub const PARK_RSS_PER_G: &str = "park_rss_per_g_bytes";
    /// park_20k: OS threads while all are parked.
    pub const PARK_THREADS: &str = "park_threads";
    /// park_20k: gate opened until every goroutine has ended.
    pub const PARK_WAKE_NS: &str = "park_wake_ns";
    /// park_20k, second run in the same process: spawn time again.
    pub const PARK_SPAWN_WARM_NS: &str = "park_spawn_warm_ns";
    /// yield_switch: both goroutines spawned until both ended.
    pub const YIELD_SWITCH_NS: &str = "yield_switch_ns";
}
