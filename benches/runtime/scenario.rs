//! What is measured: the scenarios, their sizes and run counts, and who
//! runs each: our crate, tokio, crossbeam-channel between threads, Go. The
//! parent passes every size to every child, so this file is the one place
//! they are set (Go's program has the same defaults).

use std::time::Duration;

/// Who runs a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Impl {
    Ours,
    /// tokio's multi-thread runtime: tasks, `tokio::sync::mpsc`, `tokio::time`.
    Tokio,
    /// Plain OS threads and crossbeam-channel (its `tick` for the ticker).
    Crossbeam,
    Go,
}

impl Impl {
    pub const ALL: [Impl; 4] = [Impl::Ours, Impl::Tokio, Impl::Crossbeam, Impl::Go];

    pub fn label(self) -> &'static str {
        match self {
            Impl::Ours => "ours",
            Impl::Tokio => "tokio",
            Impl::Crossbeam => "crossbeam",
            Impl::Go => "Go",
        }
    }

    /// The name used on a child's command line.
    pub fn arg(self) -> &'static str {
        match self {
            Impl::Ours => "ours",
            Impl::Tokio => "tokio",
            Impl::Crossbeam => "crossbeam",
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
    /// Goroutines (spawn_wait, park_20k, sleep_20k), yields per goroutine
    /// (yield_switch), round trips (ping_pong), messages in all (spsc_buffered,
    /// mpmc_4x4, select4), items (pipeline3) or 1 ms slots (ticker_1ms).
    pub n: usize,
    /// Worker threads: Go's GOMAXPROCS, our `max_procs`, tokio's workers.
    pub procs: usize,
    /// Rounds: measured runs per implementation.
    pub runs: usize,
    pub processes: Processes,
    /// A child process still running after this long is killed and reported.
    pub timeout: Duration,
    /// Who runs it (in this order in a round's rotation).
    pub impls: &'static [Impl],
    /// crossbeam's `n`, where OS threads handing over every value through
    /// the kernel would take seconds per run at the full `n`: its figures
    /// are per round trip or item, so they stay comparable.
    pub crossbeam_n: Option<usize>,
}

pub const SPAWN_WAIT: &str = "spawn_wait";
pub const PARK: &str = "park_20k";
pub const YIELD_SWITCH: &str = "yield_switch";
pub const PING_PONG: &str = "ping_pong";
pub const SPSC: &str = "spsc_buffered";
pub const MPMC: &str = "mpmc_4x4";
pub const SELECT4: &str = "select4";
pub const PIPELINE3: &str = "pipeline3";
pub const TICKER: &str = "ticker_1ms";
pub const SLEEP: &str = "sleep_20k";

/// The scenarios' fixed figures, the same in every implementation.
pub mod fixed {
    use std::time::Duration;

    /// Capacity of the buffered channels (spsc_buffered, mpmc_4x4, select4).
    pub const BUFFER: usize = 1024;
    /// mpmc_4x4's producers and consumers; select4's producers (= channels).
    pub const PRODUCERS: usize = 4;
    pub const CONSUMERS: usize = 4;
    /// ticker_1ms's period.
    pub const TICK: Duration = Duration::from_millis(1);
    /// What each of sleep_20k's goroutines sleeps.
    pub const SLEEP: Duration = Duration::from_millis(10);
}

/// The runtime-core scenarios run in ours, tokio and Go.
const CORE: &[Impl] = &[Impl::Ours, Impl::Tokio, Impl::Go];
/// Channel scenarios with a tokio counterpart, and the ticker.
const EVERYONE: &[Impl] = &[Impl::Ours, Impl::Tokio, Impl::Crossbeam, Impl::Go];
/// tokio has no MPMC channel.
const NO_TOKIO: &[Impl] = &[Impl::Ours, Impl::Crossbeam, Impl::Go];
/// 20,000 sleepers are not a job for 20,000 OS threads.
const NO_THREADS: &[Impl] = &[Impl::Ours, Impl::Tokio, Impl::Go];

/// One long-lived process per implementation, one warm-up run.
const SHARED: Processes = Processes::Shared { warmup: 1 };

pub static SCENARIOS: [Scenario; 10] = [
    Scenario {
        name: SPAWN_WAIT,
        n: 1_000_000,
        procs: 2,
        runs: 9,
        processes: SHARED,
        timeout: Duration::from_secs(90),
        impls: CORE,
        crossbeam_n: None,
    },
    Scenario {
        name: PARK,
        n: 20_000,
        procs: 2,
        runs: 7,
        processes: Processes::FreshPerRun,
        timeout: Duration::from_secs(60),
        impls: CORE,
        crossbeam_n: None,
    },
    Scenario {
        name: YIELD_SWITCH,
        n: 2_000_000,
        procs: 1,
        runs: 5,
        processes: SHARED,
        timeout: Duration::from_secs(90),
        impls: CORE,
        crossbeam_n: None,
    },
    Scenario {
        name: PING_PONG,
        n: 200_000,
        procs: 2,
        runs: 7,
        processes: SHARED,
        timeout: Duration::from_secs(60),
        impls: EVERYONE,
        // ~25 µs a round trip between two threads here.
        crossbeam_n: Some(20_000),
    },
    Scenario {
        name: SPSC,
        n: 2_000_000,
        procs: 2,
        runs: 7,
        processes: SHARED,
        timeout: Duration::from_secs(60),
        impls: EVERYONE,
        crossbeam_n: None,
    },
    Scenario {
        name: MPMC,
        n: 2_000_000,
        procs: 2,
        runs: 7,
        processes: SHARED,
        timeout: Duration::from_secs(60),
        impls: NO_TOKIO,
        crossbeam_n: None,
    },
    Scenario {
        name: SELECT4,
        n: 400_000,
        procs: 2,
        runs: 7,
        processes: SHARED,
        timeout: Duration::from_secs(60),
        impls: EVERYONE,
        crossbeam_n: None,
    },
    Scenario {
        name: PIPELINE3,
        n: 1_000_000,
        procs: 2,
        runs: 5,
        processes: SHARED,
        timeout: Duration::from_secs(90),
        impls: EVERYONE,
        // ~20 µs an item through three threads here.
        crossbeam_n: Some(50_000),
    },
    Scenario {
        name: TICKER,
        n: 1_000,
        procs: 2,
        runs: 3,
        // A run is a second of ticks already; no warm-up run.
        processes: Processes::Shared { warmup: 0 },
        timeout: Duration::from_secs(60),
        impls: EVERYONE,
        crossbeam_n: None,
    },
    Scenario {
        name: SLEEP,
        n: 20_000,
        procs: 2,
        runs: 7,
        processes: SHARED,
        timeout: Duration::from_secs(60),
        impls: NO_THREADS,
        crossbeam_n: None,
    },
];

impl Scenario {
    pub fn named(name: &str) -> Option<&'static Scenario> {
        SCENARIOS.iter().find(|s| s.name == name)
    }

    /// The `n` that `which` runs.
    pub fn n_for(&self, which: Impl) -> usize {
        match (which, self.crossbeam_n) {
            (Impl::Crossbeam, Some(n)) => n,
            _ => self.n,
        }
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
    /// The channel scenarios: first spawn until the last value arrived and
    /// every goroutine (thread, task) the run started has ended.
    pub const PING_PONG_NS: &str = "ping_pong_ns";
    pub const SPSC_NS: &str = "spsc_ns";
    pub const MPMC_NS: &str = "mpmc_ns";
    pub const SELECT4_NS: &str = "select4_ns";
    pub const PIPELINE3_NS: &str = "pipeline3_ns";
    /// ticker_1ms: mean lateness of the ticks received, in ns.
    pub const TICKER_LATE_NS: &str = "ticker_late_ns";
    /// ticker_1ms: slots (of n) no tick arrived for.
    pub const TICKER_DROPPED: &str = "ticker_dropped";
    /// sleep_20k: first spawn until every sleeper has ended.
    pub const SLEEP_NS: &str = "sleep_20k_ns";
}
