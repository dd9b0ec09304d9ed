//! What is measured: the scenarios, their sizes and run counts, and who
//! runs each: our crate, tokio, crossbeam-channel between threads, rayon,
//! parking_lot between threads, Go. The parent passes every size to every
//! child, so this file is the one place they are set (Go's program has the
//! same defaults), with the CPU work the worker-pool and `pipeline!`
//! scenarios do per job ([`work`]).

use std::time::Duration;

/// Who runs a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Impl {
    Ours,
    /// tokio's multi-thread runtime: tasks, `tokio::sync::mpsc`, `tokio::time`.
    Tokio,
    /// Plain OS threads and crossbeam-channel (its `tick` for the ticker).
    Crossbeam,
    /// rayon's `into_par_iter().map().collect()` on a pool of `procs`
    /// threads: the CPU-bound parallel map a Rust user would otherwise write.
    Rayon,
    /// `parking_lot::Mutex` between plain OS threads: the mutex a Rust user
    /// would otherwise pick between threads.
    ParkingLot,
    /// std::net with an OS thread per connection (and per client): what a
    /// Rust user writes without a runtime.
    Threads,
    Go,
}

impl Impl {
    pub const ALL: [Impl; 7] =
        [Impl::Ours, Impl::Tokio, Impl::Crossbeam, Impl::Rayon, Impl::ParkingLot, Impl::Threads, Impl::Go];

    pub fn label(self) -> &'static str {
        match self {
            Impl::Ours => "ours",
            Impl::Tokio => "tokio",
            Impl::Crossbeam => "crossbeam",
            Impl::Rayon => "rayon",
            Impl::ParkingLot => "parking_lot",
            Impl::Threads => "threads",
            Impl::Go => "Go",
        }
    }

    /// The name used on a child's command line.
    pub fn arg(self) -> &'static str {
        match self {
            Impl::Ours => "ours",
            Impl::Tokio => "tokio",
            Impl::Crossbeam => "crossbeam",
            Impl::Rayon => "rayon",
            Impl::ParkingLot => "parking_lot",
            Impl::Threads => "threads",
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
    /// Goroutines (spawn_wait, park_20k, sleep_20k, context_cancel; parked
    /// while dump_20k dumps them), yields per goroutine (yield_switch),
    /// round trips (ping_pong), messages in all
    /// (spsc_buffered, mpmc_4x4, select4), items (pipeline3, pipeline_macro,
    /// map_workers), jobs (worker_pool), 1 ms slots (ticker_1ms), lock /
    /// increment / unlock operations in all (mutex) or tokens taken with
    /// `wait()` (rate_limiter).
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
pub const WORKER_POOL: &str = "worker_pool";
pub const PIPELINE_MACRO: &str = "pipeline_macro";
pub const MAP_WORKERS: &str = "map_workers";
pub const CONTEXT_CANCEL: &str = "context_cancel";
pub const MUTEX: &str = "mutex";
pub const RATE_LIMITER: &str = "rate_limiter";
pub const DUMP: &str = "dump_20k";
pub const PARALLEL: &str = "parallel_8";
pub const ECHO_10: &str = "echo_10";
pub const ECHO_200: &str = "echo_200";
pub const ECHO_1000: &str = "echo_1000";
pub const IDLE: &str = "idle_10k";
pub const HTTP: &str = "http_hello";

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
    /// worker_pool's workers, and the capacity of its jobs and results
    /// channels (Go's classic pool: `make(chan int, 100)` twice).
    pub const POOL_WORKERS: usize = 8;
    pub const POOL_BUFFER: usize = 100;
    /// [`work`](super::work) rounds per worker_pool job: about 1 µs here
    /// (~1.1 ns a round, in Rust and in Go alike).
    pub const JOB_ROUNDS: u32 = 900;
    /// [`work`](super::work) rounds per map_workers item: about 20 µs.
    pub const ITEM_ROUNDS: u32 = 18_000;
    /// pipeline_macro's buffer sweep: the capacities tried on the map
    /// stage's output (and, in a second series, on every channel).
    pub const BUFFERS: [usize; 4] = [0, 16, 64, 256];
    /// context_cancel and dump_20k: how long the measuring goroutine sleeps
    /// once every goroutine has started, so that the last of them are parked
    /// (in their select, in `recv`) too before the clock starts.
    pub const SETTLE: Duration = Duration::from_millis(2);
    /// mutex's goroutines (threads), each doing n / LOCKERS lock / increment
    /// / unlock operations on the one shared counter.
    pub const LOCKERS: usize = 4;
    /// rate_limiter: the rate `wait()` is measured at (burst 1), and the
    /// limiter `allow()` is timed on.
    pub const WAIT_RATE: f64 = 1_000.0;
    pub const ALLOW_RATE: f64 = 100_000.0;
    pub const ALLOW_BURST: usize = 100;
    /// rate_limiter: `allow()` calls in its tight loop.
    pub const ALLOW_CALLS: u64 = 10_000_000;
    /// [`work`](super::work) rounds per parallel_8 goroutine: about 50 ms.
    pub const PARALLEL_ROUNDS: u32 = 45_000_000;
    /// http_hello's keep-alive connections (its load generator's
    /// goroutines).
    pub const HTTP_CONNS: usize = 256;
    /// The echo scenarios' request (and response) size, in bytes.
    pub const ECHO_MSG: usize = 64;
    /// The file-descriptor limit the network scenarios raise theirs to
    /// (idle_10k holds both ends of 10,000 connections in one process).
    pub const NOFILE: u64 = 65_536;

    /// An echo scenario's clients (= connections): `echo_200` has 200.
    pub fn echo_clients(scenario: &str) -> Option<usize> {
        scenario.strip_prefix("echo_")?.parse().ok()
    }
}

/// The CPU work of one worker_pool job or map_workers item: `rounds` rounds
/// of a 64-bit hash mixing step, each depending on the last (a shift, an
/// xor, a multiply), so nothing vectorises or folds it away. Go's `work` in
/// `benches/go/pool.go` is the same loop, and computes the same values.
#[inline(never)]
pub fn work(seed: u64, rounds: u32) -> u64 {
    let mut x = seed;
    for _ in 0..rounds {
        x = (x ^ (x >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    }
    x
}

/// The runtime-core scenarios run in ours, tokio and Go.
const CORE: &[Impl] = &[Impl::Ours, Impl::Tokio, Impl::Go];
/// Channel scenarios with a tokio counterpart, and the ticker.
const EVERYONE: &[Impl] = &[Impl::Ours, Impl::Tokio, Impl::Crossbeam, Impl::Go];
/// tokio has no MPMC channel.
const NO_TOKIO: &[Impl] = &[Impl::Ours, Impl::Crossbeam, Impl::Go];
/// 20,000 sleepers are not a job for 20,000 OS threads.
const NO_THREADS: &[Impl] = &[Impl::Ours, Impl::Tokio, Impl::Go];
/// A CPU-bound map over a worker pool: rayon's parallel map is the Rust
/// alternative, Go's classic pool the anchor.
const POOL: &[Impl] = &[Impl::Ours, Impl::Rayon, Impl::Go];
/// `pipeline!` next to the same pipeline hand-written (both in ours' child)
/// and Go's.
const OURS_AND_GO: &[Impl] = &[Impl::Ours, Impl::Go];
/// `pipeline!` against itself with other options.
const OURS_ONLY: &[Impl] = &[Impl::Ours];
/// Cancellation: our `Context`, Go's `context`, and in tokio a
/// `watch` channel whose `Sender` is dropped (tokio itself has no context;
/// its `CancellationToken` is in tokio-util, not a dependency here).
const CANCEL: &[Impl] = &[Impl::Ours, Impl::Tokio, Impl::Go];
/// A contended mutex: ours between goroutines, Go's `sync.Mutex` between
/// goroutines, `parking_lot::Mutex` between OS threads.
const LOCKS: &[Impl] = &[Impl::Ours, Impl::ParkingLot, Impl::Go];
/// The rate limiter, ours only: Go's (`golang.org/x/time/rate`) is not in
/// its standard library, and benches/go builds offline, with no modules.
const RATE: &[Impl] = &[Impl::Ours];
/// Network I/O: a goroutine (task, thread) per connection on loopback.
const NET: &[Impl] = &[Impl::Ours, Impl::Tokio, Impl::Threads, Impl::Go];
/// An HTTP server: ours (examples/http_hello.rs) and Go's net/http, under
/// one load generator.
const HTTP_SERVERS: &[Impl] = &[Impl::Ours, Impl::Go];
/// 10,000 idle connections are not a job for 10,000 OS threads.
const NET_NO_THREADS: &[Impl] = &[Impl::Ours, Impl::Tokio, Impl::Go];
/// The goroutine dump, ours only: Go's (`runtime.Stack(buf, true)`) prints
/// every stack, a different job, and tokio has none.
const DUMP_ONLY: &[Impl] = &[Impl::Ours];

/// One long-lived process per implementation, one warm-up run.
const SHARED: Processes = Processes::Shared { warmup: 1 };

pub static SCENARIOS: [Scenario; 23] = [
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
    Scenario {
        name: WORKER_POOL,
        n: 1_000_000,
        procs: 2,
        runs: 7,
        processes: SHARED,
        timeout: Duration::from_secs(90),
        impls: POOL,
        crossbeam_n: None,
    },
    Scenario {
        name: PIPELINE_MACRO,
        n: 1_000_000,
        procs: 2,
        runs: 5,
        processes: SHARED,
        timeout: Duration::from_secs(90),
        impls: OURS_AND_GO,
        crossbeam_n: None,
    },
    Scenario {
        name: MAP_WORKERS,
        n: 20_000,
        procs: 2,
        runs: 5,
        processes: SHARED,
        timeout: Duration::from_secs(90),
        impls: OURS_ONLY,
        crossbeam_n: None,
    },
    Scenario {
        name: CONTEXT_CANCEL,
        n: 10_000,
        procs: 2,
        runs: 7,
        processes: SHARED,
        timeout: Duration::from_secs(60),
        impls: CANCEL,
        crossbeam_n: None,
    },
    Scenario {
        name: MUTEX,
        n: 4_000_000,
        procs: 2,
        runs: 7,
        processes: SHARED,
        timeout: Duration::from_secs(60),
        impls: LOCKS,
        crossbeam_n: None,
    },
    Scenario {
        name: RATE_LIMITER,
        n: 2_000,
        procs: 2,
        runs: 3,
        // A run is two seconds of `wait()` already; no warm-up run.
        processes: Processes::Shared { warmup: 0 },
        timeout: Duration::from_secs(60),
        impls: RATE,
        crossbeam_n: None,
    },
    Scenario {
        name: DUMP,
        n: 20_000,
        procs: 2,
        runs: 5,
        processes: SHARED,
        timeout: Duration::from_secs(60),
        impls: DUMP_ONLY,
        crossbeam_n: None,
    },
    Scenario {
        name: PARALLEL,
        n: 8,
        procs: 2,
        runs: 3,
        processes: SHARED,
        timeout: Duration::from_secs(60),
        impls: OURS_ONLY,
        crossbeam_n: None,
    },
    Scenario {
        name: ECHO_10,
        n: 200_000,
        procs: 2,
        runs: 10,
        processes: Processes::FreshPerRun,
        timeout: Duration::from_secs(60),
        impls: NET,
        crossbeam_n: None,
    },
    Scenario {
        name: ECHO_200,
        n: 200_000,
        procs: 2,
        runs: 10,
        processes: Processes::FreshPerRun,
        timeout: Duration::from_secs(60),
        impls: NET,
        crossbeam_n: None,
    },
    Scenario {
        name: ECHO_1000,
        n: 200_000,
        procs: 2,
        runs: 10,
        processes: Processes::FreshPerRun,
        timeout: Duration::from_secs(60),
        impls: NET,
        crossbeam_n: None,
    },
    Scenario {
        name: IDLE,
        n: 10_000,
        procs: 2,
        runs: 10,
        processes: Processes::FreshPerRun,
        timeout: Duration::from_secs(60),
        impls: NET_NO_THREADS,
        crossbeam_n: None,
    },
    Scenario {
        name: HTTP,
        n: 200_000,
        procs: 2,
        runs: 10,
        processes: Processes::FreshPerRun,
        timeout: Duration::from_secs(120),
        impls: HTTP_SERVERS,
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
    /// worker_pool: pool started until every result has been taken.
    pub const WORKER_POOL_NS: &str = "worker_pool_ns";
    /// pipeline_macro: `pipeline!` (default buffers) built until the sum of
    /// its output is taken (Go: its hand-written pipeline, as pipeline3).
    pub const PIPELINE_MACRO_NS: &str = "pipeline_macro_ns";
    /// pipeline_macro, ours only: the same pipeline hand-written with
    /// `spawn` and unbuffered `chan`s (pipeline3's body).
    pub const PIPELINE_HAND_NS: &str = "pipeline_hand_ns";
    /// pipeline_macro, ours only: the same by hand with `chan(DEFAULT_BUFFER)`s,
    /// the capacity `pipeline!` gives its channels.
    pub const PIPELINE_HAND_BUFFERED_NS: &str = "pipeline_hand_buffered_ns";
    /// pipeline_macro, ours only: `map(buffer = B, …)`, source channel at
    /// the default; one per [`fixed::BUFFERS`](super::fixed::BUFFERS).
    pub const PIPELINE_MAP_BUFFER_NS: [&str; 4] =
        ["pipeline_map_buf0_ns", "pipeline_map_buf16_ns", "pipeline_map_buf64_ns", "pipeline_map_buf256_ns"];
    /// pipeline_macro, ours only: every channel of the pipeline (source and
    /// map stage) at B, as a `DEFAULT_BUFFER` of B would make them.
    pub const PIPELINE_ALL_BUFFER_NS: [&str; 4] =
        ["pipeline_all_buf0_ns", "pipeline_all_buf16_ns", "pipeline_all_buf64_ns", "pipeline_all_buf256_ns"];
    /// map_workers: `pipeline!` built until the sum of its output is taken,
    /// with the map stage's `workers = 1`, `workers = 2`, `workers = 2, ordered`.
    pub const MAP_W1_NS: &str = "map_workers1_ns";
    pub const MAP_W2_NS: &str = "map_workers2_ns";
    pub const MAP_W2_ORDERED_NS: &str = "map_workers2_ordered_ns";
    /// context_cancel: `cancel` called until every goroutine blocked in a
    /// select on `ctx.done()` has ended.
    pub const CONTEXT_CANCEL_NS: &str = "context_cancel_ns";
    /// mutex: first spawn until every locker has ended (n operations).
    pub const MUTEX_NS: &str = "mutex_ns";
    /// rate_limiter: the first token taken (the bucket is then empty) until
    /// the n-th after it has been taken, all with `wait()`.
    pub const RATE_WAIT_NS: &str = "rate_wait_ns";
    /// rate_limiter: [`fixed::ALLOW_CALLS`](super::fixed::ALLOW_CALLS) calls
    /// of `allow()` in a tight loop.
    pub const RATE_ALLOW_NS: &str = "rate_allow_ns";
    /// dump_20k: one `debug::dump()` while n goroutines are parked.
    pub const DUMP_NS: &str = "dump_ns";
    /// dump_20k: one `debug::goroutines()` at the same moment, just before.
    pub const DUMP_GOROUTINES_NS: &str = "dump_goroutines_ns";
    /// parallel_8: n CPU-bound goroutines spawned in a burst until all
    /// ended (run with `--procs 1` and `--procs 2` for the speed-up).
    pub const PARALLEL_NS: &str = "parallel_ns";
    /// echo_C: every client connected until every client has done its
    /// n / C round trips of `fixed::ECHO_MSG` bytes (n round trips in all).
    pub const ECHO_NS: &str = "echo_ns";
    /// idle_10k: (RSS with n connections open, a reader parked on each,
    /// − RSS before the listener was bound) / n.
    pub const IDLE_RSS_PER_CONN: &str = "idle_rss_per_conn_bytes";
    /// idle_10k: OS threads at that moment.
    pub const IDLE_THREADS: &str = "idle_threads";
    /// idle_10k: listener bound until every reader is parked.
    pub const IDLE_SETUP_NS: &str = "idle_setup_ns";
    /// http_hello: the load generator's n keep-alive GETs over
    /// `fixed::HTTP_CONNS` connections, first connect until the last
    /// response (the server is another process).
    pub const HTTP_NS: &str = "http_ns";
}
