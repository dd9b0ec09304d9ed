//! Medians, per-round ratios, the table and the targets.

use std::collections::BTreeMap;

use crate::rounds::Outcome;
use crate::scenario::{
    fixed, metric, Impl, Scenario, CONTEXT_CANCEL, DUMP, ECHO_10, ECHO_1000, ECHO_200, HTTP, IDLE, MAP_WORKERS, MPMC,
    MUTEX, PARALLEL, PARK, PING_PONG, PIPELINE3, PIPELINE_MACRO, RATE_LIMITER, SELECT4, SLEEP, SPAWN_WAIT, SPSC,
    TICKER, WORKER_POOL, YIELD_SWITCH,
};

/// Every child's outcome, by scenario and implementation, and why an
/// implementation a scenario has did not run.
#[derive(Default)]
pub struct Results {
    outcomes: BTreeMap<(&'static str, Impl), Outcome>,
    skipped: BTreeMap<(&'static str, Impl), String>,
}

impl Results {
    /// `which` has `scenario` but did not run it, because of `why`.
    pub fn skip(&mut self, scenario: &'static Scenario, which: Impl, why: String) {
        self.skipped.insert((scenario.name, which), why);
    }

    pub fn record(&mut self, scenario: &'static Scenario, outcomes: BTreeMap<Impl, Outcome>) {
        for (which, outcome) in outcomes {
            self.outcomes.insert((scenario.name, which), outcome);
        }
    }

    /// Whether some child timed out, crashed or printed nonsense.
    pub fn any_failed(&self) -> bool {
        self.outcomes.values().any(|o| o.failure.is_some())
    }

    /// The samples of `row` by `which`, by round, in the row's unit.
    fn samples(&self, row: &Row, which: Impl) -> Option<BTreeMap<usize, f64>> {
        let outcome = self.outcomes.get(&(row.scenario, which))?;
        let raw = outcome.samples.get(row.metric)?;
        let n = Scenario::named(row.scenario).expect("rows name scenarios").n_for(which) as f64;
        Some(raw.iter().map(|(&round, &v)| (round, row.unit.convert(v, n))).collect())
    }

    /// The median of `which`'s samples of `row`.
    fn median(&self, row: &Row, which: Impl) -> Option<f64> {
        self.samples(row, which).and_then(|s| median(&s.into_values().collect::<Vec<_>>()))
    }

    /// `a`'s sample / `b`'s sample, for every round in which both have one.
    fn round_ratios(&self, row: &Row, a: Impl, b: Impl) -> BTreeMap<usize, f64> {
        let (Some(a), Some(b)) = (self.samples(row, a), self.samples(row, b)) else { return BTreeMap::new() };
        a.iter().filter_map(|(round, &va)| b.get(round).filter(|&&vb| vb > 0.0).map(|&vb| (*round, va / vb))).collect()
    }

    /// The median of the per-round ratios `a` / `b` (below 1: `a` is faster
    /// or smaller), and how many rounds it is taken over.
    fn ratio(&self, row: &Row, a: Impl, b: Impl) -> Option<(f64, usize)> {
        let ratios: Vec<f64> = self.round_ratios(row, a, b).into_values().collect();
        Some((median(&ratios)?, ratios.len()))
    }

    /// Ours' sample of `row` / ours' sample of `other` (a row of the same
    /// scenario: another version measured in the same run), for every
    /// round in which both have one.
    fn own_round_ratios(&self, row: &Row, other: &Row) -> BTreeMap<usize, f64> {
        let Some(outcome) = self.outcomes.get(&(row.scenario, Impl::Ours)) else { return BTreeMap::new() };
        let (Some(a), Some(b)) = (outcome.samples.get(row.metric), outcome.samples.get(other.metric)) else {
            return BTreeMap::new();
        };
        a.iter().filter_map(|(round, &va)| b.get(round).filter(|&&vb| vb > 0.0).map(|&vb| (*round, va / vb))).collect()
    }

    /// The median of [`own_round_ratios`](Self::own_round_ratios), and how
    /// many rounds it is taken over.
    fn own_ratio(&self, row: &Row, other: &Row) -> Option<(f64, usize)> {
        let ratios: Vec<f64> = self.own_round_ratios(row, other).into_values().collect();
        Some((median(&ratios)?, ratios.len()))
    }
}

#[derive(Clone, Copy)]
enum Unit {
    /// Nanoseconds shown as milliseconds.
    Ms,
    /// Nanoseconds shown as microseconds.
    Us,
    /// Nanoseconds for two goroutines × n yields, shown per switch.
    NsPerSwitch,
    /// Nanoseconds for n round trips, messages or items, shown per one.
    NsPerN,
    /// Nanoseconds for this many calls (not n), shown per call.
    NsPer(u64),
    /// Nanoseconds for n tokens, shown as tokens per second.
    PerSec,
    Bytes,
    Count,
}

impl Unit {
    fn convert(self, raw: f64, n: f64) -> f64 {
        match self {
            Unit::Ms => raw / 1e6,
            Unit::Us => raw / 1e3,
            Unit::NsPerSwitch => raw / (2.0 * n),
            Unit::NsPerN => raw / n,
            Unit::NsPer(calls) => raw / calls as f64,
            Unit::PerSec => n * 1e9 / raw,
            Unit::Bytes | Unit::Count => raw,
        }
    }

    fn show(self, v: f64) -> String {
        match self {
            Unit::Ms => format!("{v:.1} ms"),
            Unit::Us => format!("{v:.0} µs"),
            Unit::NsPerSwitch | Unit::NsPerN | Unit::NsPer(_) => format!("{v:.1} ns"),
            Unit::PerSec => format!("{v:.1}/s"),
            Unit::Bytes => format!("{v:.0} B"),
            Unit::Count => format!("{v:.0}"),
        }
    }
}

/// One row of the rounds table: a metric, its label and its unit (also
/// how the fresh mode, `fresh.rs`, shows a metric).
pub struct Row {
    scenario: &'static str,
    metric: &'static str,
    label: &'static str,
    unit: Unit,
    /// Whether the table shows ratios (not for counts that are mostly 0).
    compare: bool,
}

/// The row of `metric` in `scenario` (the echo scenarios share theirs).
pub fn row_of(scenario: &str, metric: &str) -> Option<&'static Row> {
    ROWS.iter().find(|r| r.scenario == scenario && r.metric == metric)
}

impl Row {
    pub fn label(&self) -> &'static str {
        self.label
    }

    /// A child's raw value of this metric, for a run of size `n`, in the
    /// row's unit.
    pub fn value(&self, raw: f64, n: usize) -> f64 {
        self.unit.convert(raw, n as f64)
    }

    /// A value in the row's unit, as text.
    pub fn show(&self, v: f64) -> String {
        self.unit.show(v)
    }

    /// The label without its scenario: which version of it this row is.
    fn version(&self) -> &'static str {
        self.label.split_once(": ").map_or(self.label, |(_, version)| version)
    }
}

const fn row(scenario: &'static str, metric: &'static str, label: &'static str, unit: Unit) -> Row {
    Row { scenario, metric, label, unit, compare: true }
}

const ROWS: [Row; 44] = [
    row(SPAWN_WAIT, metric::SPAWN_WAIT_NS, "spawn_wait: 1M spawn + wait", Unit::Ms),
    row(PARK, metric::PARK_SPAWN_NS, "park_20k: spawn until all started", Unit::Ms),
    row(PARK, metric::PARK_RSS_PER_G, "park_20k: RSS per parked goroutine", Unit::Bytes),
    row(PARK, metric::PARK_THREADS, "park_20k: OS threads while parked", Unit::Count),
    row(PARK, metric::PARK_WAKE_NS, "park_20k: open gate until all ended", Unit::Ms),
    row(PARK, metric::PARK_SPAWN_WARM_NS, "park_20k: spawn again, same process", Unit::Ms),
    row(YIELD_SWITCH, metric::YIELD_SWITCH_NS, "yield_switch: per switch", Unit::NsPerSwitch),
    row(PING_PONG, metric::PING_PONG_NS, "ping_pong: per round trip", Unit::NsPerN),
    row(SPSC, metric::SPSC_NS, "spsc_buffered: per message", Unit::NsPerN),
    row(MPMC, metric::MPMC_NS, "mpmc_4x4: per message", Unit::NsPerN),
    row(SELECT4, metric::SELECT4_NS, "select4: per message", Unit::NsPerN),
    row(PIPELINE3, metric::PIPELINE3_NS, "pipeline3: per item", Unit::NsPerN),
    row(TICKER, metric::TICKER_LATE_NS, "ticker_1ms: mean lateness", Unit::Us),
    Row { compare: false, ..row(TICKER, metric::TICKER_DROPPED, "ticker_1ms: ticks dropped (of 1000)", Unit::Count) },
    row(SLEEP, metric::SLEEP_NS, "sleep_20k: spawn until all woke", Unit::Ms),
    row(WORKER_POOL, metric::WORKER_POOL_NS, "worker_pool: 1M jobs of ~1 µs, 8 workers", Unit::Ms),
    row(PIPELINE_MACRO, metric::PIPELINE_MACRO_NS, "pipeline_macro: pipeline!, per item", Unit::NsPerN),
    row(PIPELINE_MACRO, metric::PIPELINE_HAND_NS, "pipeline_macro: by hand, chan(0)", Unit::NsPerN),
    row(PIPELINE_MACRO, metric::PIPELINE_HAND_BUFFERED_NS, "pipeline_macro: by hand, default buffer", Unit::NsPerN),
    row(PIPELINE_MACRO, metric::PIPELINE_MAP_BUFFER_NS[0], "pipeline_macro: map(buffer = 0)", Unit::NsPerN),
    row(PIPELINE_MACRO, metric::PIPELINE_MAP_BUFFER_NS[1], "pipeline_macro: map(buffer = 16)", Unit::NsPerN),
    row(PIPELINE_MACRO, metric::PIPELINE_MAP_BUFFER_NS[2], "pipeline_macro: map(buffer = 64)", Unit::NsPerN),
    row(PIPELINE_MACRO, metric::PIPELINE_MAP_BUFFER_NS[3], "pipeline_macro: map(buffer = 256)", Unit::NsPerN),
    row(PIPELINE_MACRO, metric::PIPELINE_ALL_BUFFER_NS[0], "pipeline_macro: every channel 0", Unit::NsPerN),
    row(PIPELINE_MACRO, metric::PIPELINE_ALL_BUFFER_NS[1], "pipeline_macro: every channel 16", Unit::NsPerN),
    row(PIPELINE_MACRO, metric::PIPELINE_ALL_BUFFER_NS[2], "pipeline_macro: every channel 64", Unit::NsPerN),
    row(PIPELINE_MACRO, metric::PIPELINE_ALL_BUFFER_NS[3], "pipeline_macro: every channel 256", Unit::NsPerN),
    row(MAP_WORKERS, metric::MAP_W1_NS, "map_workers: 20k × 20 µs, workers = 1", Unit::Ms),
    row(MAP_WORKERS, metric::MAP_W2_NS, "map_workers: workers = 2", Unit::Ms),
    row(MAP_WORKERS, metric::MAP_W2_ORDERED_NS, "map_workers: workers = 2, ordered", Unit::Ms),
    row(CONTEXT_CANCEL, metric::CONTEXT_CANCEL_NS, "context_cancel: cancel until 10k exited", Unit::Ms),
    row(MUTEX, metric::MUTEX_NS, "mutex: 4 lockers on 2 procs, per lock", Unit::NsPerN),
    row(RATE_LIMITER, metric::RATE_WAIT_NS, "rate_limiter: wait() at 1,000/s, achieved", Unit::PerSec),
    row(
        RATE_LIMITER,
        metric::RATE_ALLOW_NS,
        "rate_limiter: allow() at 100,000/s, per call",
        Unit::NsPer(fixed::ALLOW_CALLS),
    ),
    row(DUMP, metric::DUMP_NS, "dump_20k: debug::dump(), 20k parked", Unit::Ms),
    row(DUMP, metric::DUMP_GOROUTINES_NS, "dump_20k: debug::goroutines(), 20k parked", Unit::Ms),
    row(PARALLEL, metric::PARALLEL_NS, "parallel_8: 8 goroutines of ~50 ms CPU", Unit::Ms),
    row(ECHO_10, metric::ECHO_NS, "echo_10: 10 connections, per 64 B round trip", Unit::NsPerN),
    row(ECHO_200, metric::ECHO_NS, "echo_200: 200 connections, per 64 B round trip", Unit::NsPerN),
    row(ECHO_1000, metric::ECHO_NS, "echo_1000: 1,000 connections, per 64 B round trip", Unit::NsPerN),
    row(IDLE, metric::IDLE_RSS_PER_CONN, "idle_10k: server RSS per idle connection", Unit::Bytes),
    row(IDLE, metric::IDLE_THREADS, "idle_10k: OS threads with 10k connections", Unit::Count),
    row(IDLE, metric::IDLE_SETUP_NS, "idle_10k: bind until 10k readers parked", Unit::Ms),
    row(
        HTTP,
        metric::HTTP_NS,
        "http_hello: 256 keep-alive connections, per request (1e9 / it: requests/s)",
        Unit::NsPerN,
    ),
];

/// A target on our figures of one row.
enum Goal {
    /// The median of the per-round ratios ours / that one at most this.
    RatioAtMost(Impl, f64),
    /// The median of the per-round ratios ours / that one below 1.
    FasterThan(Impl),
    /// ours' median at most this, in the row's unit.
    AtMost(f64),
    /// ours' median below this, in the row's unit.
    Below(f64),
    /// ours' median within this fraction of this value, in the row's unit.
    Within(f64, f64),
    /// zero in every one of ours' runs.
    ZeroInEveryRun,
    /// The median of the per-round ratios ours / ours' version in that
    /// metric (measured in the same run) at most this.
    OwnRatioAtMost(&'static str, f64),
    /// The median of the per-round ratios ours' version in that metric /
    /// ours (how many times faster this version is) at least this.
    OwnSpeedupAtLeast(&'static str, f64),
}

struct Target {
    metric: &'static str,
    goal: Goal,
    text: &'static str,
}

const fn target(metric: &'static str, goal: Goal, text: &'static str) -> Target {
    Target { metric, goal, text }
}

const TARGETS: [Target; 29] = [
    target(metric::SPAWN_WAIT_NS, Goal::RatioAtMost(Impl::Go, 0.5), "spawn_wait: at most 0.5x Go"),
    target(metric::SPAWN_WAIT_NS, Goal::FasterThan(Impl::Tokio), "spawn_wait: faster than tokio"),
    target(metric::PARK_SPAWN_NS, Goal::RatioAtMost(Impl::Go, 1.0), "park_20k: spawn at most 1.0x Go"),
    target(metric::PARK_RSS_PER_G, Goal::AtMost(5.0 * 1024.0), "park_20k: RSS per parked goroutine at most 5 KiB"),
    target(metric::PARK_THREADS, Goal::Below(16.0), "park_20k: threads under 16"),
    target(metric::YIELD_SWITCH_NS, Goal::Below(50.0), "yield_switch: under 50 ns per switch"),
    target(metric::PING_PONG_NS, Goal::RatioAtMost(Impl::Go, 0.7), "ping_pong: at most 0.7x Go"),
    target(metric::SPSC_NS, Goal::RatioAtMost(Impl::Go, 0.6), "spsc_buffered: at most 0.6x Go"),
    target(metric::SPSC_NS, Goal::RatioAtMost(Impl::Crossbeam, 1.3), "spsc_buffered: at most 1.3x crossbeam"),
    target(metric::MPMC_NS, Goal::RatioAtMost(Impl::Go, 0.6), "mpmc_4x4: at most 0.6x Go"),
    target(metric::MPMC_NS, Goal::RatioAtMost(Impl::Crossbeam, 1.3), "mpmc_4x4: at most 1.3x crossbeam"),
    target(metric::SELECT4_NS, Goal::RatioAtMost(Impl::Go, 0.7), "select4: at most 0.7x Go"),
    target(metric::PIPELINE3_NS, Goal::RatioAtMost(Impl::Go, 0.8), "pipeline3: at most 0.8x Go"),
    target(metric::TICKER_LATE_NS, Goal::Below(200.0), "ticker_1ms: mean lateness under 200 µs"),
    target(metric::TICKER_DROPPED, Goal::ZeroInEveryRun, "ticker_1ms: no tick dropped, in any run"),
    target(metric::SLEEP_NS, Goal::RatioAtMost(Impl::Go, 1.0), "sleep_20k: at most 1.0x Go"),
    target(metric::WORKER_POOL_NS, Goal::RatioAtMost(Impl::Go, 0.6), "worker_pool: at most 0.6x Go"),
    target(metric::WORKER_POOL_NS, Goal::RatioAtMost(Impl::Rayon, 1.15), "worker_pool: at most 1.15x rayon"),
    target(
        metric::PIPELINE_MACRO_NS,
        Goal::OwnRatioAtMost(metric::PIPELINE_HAND_NS, 1.1),
        "pipeline_macro: at most 1.1x by hand, chan(0)",
    ),
    target(
        metric::PIPELINE_MACRO_NS,
        Goal::OwnRatioAtMost(metric::PIPELINE_HAND_BUFFERED_NS, 1.1),
        "pipeline_macro: at most 1.1x by hand, same buffers",
    ),
    target(metric::PIPELINE_MACRO_NS, Goal::RatioAtMost(Impl::Go, 0.8), "pipeline_macro: at most 0.8x Go"),
    target(
        metric::MAP_W2_NS,
        Goal::OwnSpeedupAtLeast(metric::MAP_W1_NS, 1.8),
        "map_workers: 2 workers at least 1.8x as fast as 1",
    ),
    target(
        metric::MAP_W2_ORDERED_NS,
        Goal::OwnRatioAtMost(metric::MAP_W2_NS, 1.15),
        "map_workers: ordered at most 1.15x unordered",
    ),
    target(metric::CONTEXT_CANCEL_NS, Goal::RatioAtMost(Impl::Go, 1.0), "context_cancel: at most 1.0x Go"),
    target(metric::MUTEX_NS, Goal::RatioAtMost(Impl::Go, 1.0), "mutex: at most 1.0x Go's sync.Mutex"),
    target(
        metric::MUTEX_NS,
        Goal::RatioAtMost(Impl::ParkingLot, 1.5),
        "mutex: within 1.5x of parking_lot::Mutex (threads)",
    ),
    target(
        metric::RATE_WAIT_NS,
        Goal::Within(fixed::WAIT_RATE, 0.01),
        "rate_limiter: achieved rate within 1% of 1,000/s",
    ),
    target(metric::RATE_ALLOW_NS, Goal::Below(50.0), "rate_limiter: allow() at 100,000/s under 50 ns"),
    target(metric::DUMP_NS, Goal::Below(50.0), "dump_20k: debug::dump() of 20k under 50 ms"),
];

/// Who ours is compared with, in this order.
const OTHERS: [Impl; 6] = [Impl::Go, Impl::Tokio, Impl::Crossbeam, Impl::Rayon, Impl::ParkingLot, Impl::Threads];

/// The median (the mean of the middle two for an even count).
pub fn median(samples: &[f64]) -> Option<f64> {
    let mut s = samples.to_vec();
    s.sort_by(f64::total_cmp);
    let mid = s.len() / 2;
    match s.len() {
        0 => None,
        len if len % 2 == 1 => Some(s[mid]),
        _ => Some((s[mid - 1] + s[mid]) / 2.0),
    }
}

fn show(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map_or_else(|| "-".to_string(), f)
}

fn show_ratio(r: Option<(f64, usize)>) -> String {
    show(r.map(|(r, _)| r), |r| format!("{r:.2}x"))
}

pub fn print(results: &Results, scenarios: &[&'static Scenario], verbose: bool) {
    let rows: Vec<&Row> = ROWS.iter().filter(|r| scenarios.iter().any(|s| s.name == r.scenario)).collect();
    let w = rows.iter().map(|r| r.label.chars().count()).max().unwrap_or(0);
    // Columns: every implementation one of the scenarios has, then ours /
    // each other one; a wider one where its name needs it (parking_lot).
    const COL: usize = 11;
    const RATIO_COL: usize = 16;
    let col = |i: Impl| COL.max(i.label().len() + 2);
    let ratio_col = |i: Impl| RATIO_COL.max("ours/".len() + i.label().len() + 2);
    let impls: Vec<Impl> = Impl::ALL.into_iter().filter(|i| scenarios.iter().any(|s| s.impls.contains(i))).collect();
    let others: Vec<Impl> = OTHERS.into_iter().filter(|i| impls.contains(i)).collect();
    let label = "per scenario, interleaved rounds";
    let w = w.max(label.len());
    let (span, ratio_span) = (impls.iter().map(|&i| col(i)).sum(), others.iter().map(|&o| ratio_col(o)).sum());
    println!();
    println!("{:<w$} {:>span$}{:>ratio_span$}", "", "median of each one's runs", "median of round ratios");
    let heads: String = impls.iter().map(|&i| format!("{:>w$}", i.label(), w = col(i))).collect();
    let ratio_heads: String =
        others.iter().map(|&o| format!("{:>w$}", format!("ours/{}", o.label()), w = ratio_col(o))).collect();
    println!("{label:<w$} {heads}{ratio_heads}");
    for row in &rows {
        let cells: String = impls
            .iter()
            .map(|&i| format!("{:>w$}", show(results.median(row, i), |v| row.unit.show(v)), w = col(i)))
            .collect();
        let ratios: String = others
            .iter()
            .map(|&o| {
                let r = if row.compare { results.ratio(row, Impl::Ours, o) } else { None };
                format!("{:>w$}", show_ratio(r), w = ratio_col(o))
            })
            .collect();
        println!("{:<w$} {cells}{ratios}", row.label);
    }
    println!("ours, tokio, crossbeam, rayon, parking_lot, Go: the median of each one's runs (crossbeam: OS threads");
    println!("and crossbeam-channel; parking_lot: its Mutex between OS threads). ours/…: the median over rounds of");
    println!("the ratio within a round (each round runs every implementation once, back to back, order rotating).");
    println!("`-`: the scenario has no such version, or it did not run.");

    let skipped: Vec<_> =
        results.skipped.iter().filter(|((s, _), _)| scenarios.iter().any(|sc| sc.name == *s)).collect();
    if !skipped.is_empty() {
        println!("\nnot run:");
        for ((scenario, which), why) in skipped {
            println!("  {scenario} in {}: {why}", which.label());
        }
    }

    let failures: Vec<_> =
        results.outcomes.iter().filter_map(|((s, i), o)| Some((s, i, o.failure.as_ref()?))).collect();
    if !failures.is_empty() {
        println!("\nfailed runs (their figures are missing or partial):");
        for (scenario, which, failure) in failures {
            println!("  {scenario} in {}: {failure}", which.label());
        }
    }

    println!("\ntargets (ratios: median of the per-round ratios):");
    for t in TARGETS.iter() {
        let Some(row) = rows.iter().find(|r| r.metric == t.metric) else { continue };
        println!("  {:<50} {}", t.text, verdict(results, row, &t.goal));
    }

    if verbose {
        print_samples(results, &rows, w);
    }
}

/// `PASS (…)`, `MISS (…)` or `SKIP (…)` for one target.
fn verdict(results: &Results, row: &Row, goal: &Goal) -> String {
    let pass = |ok: bool| if ok { "PASS" } else { "MISS" };
    let why_not = |which: Impl| results.skipped.get(&(row.scenario, which));
    let ours = results.median(row, Impl::Ours);
    if ours.is_none() {
        return match why_not(Impl::Ours) {
            Some(why) => format!("SKIP (ours: {why})"),
            None => "MISS (no figure from ours)".to_string(),
        };
    }
    let against = |other: Impl, ok: &dyn Fn(f64) -> bool| match results.ratio(row, Impl::Ours, other) {
        Some((r, rounds)) => format!(
            "{} ({r:.2}x over {rounds} rounds; medians {} vs {} {})",
            pass(ok(r)),
            show(ours, |v| row.unit.show(v)),
            other.label(),
            show(results.median(row, other), |v| row.unit.show(v)),
        ),
        None => match why_not(other) {
            Some(why) => format!("SKIP ({}: {why})", other.label()),
            None => format!("MISS (no round with figures from both ours and {})", other.label()),
        },
    };
    let ours = ours.expect("checked above");
    match goal {
        Goal::RatioAtMost(other, max) => against(*other, &|r| r <= *max),
        Goal::FasterThan(other) => against(*other, &|r| r < 1.0),
        Goal::AtMost(max) => format!("{} ({})", pass(ours <= *max), row.unit.show(ours)),
        Goal::Below(max) => format!("{} ({})", pass(ours < *max), row.unit.show(ours)),
        Goal::Within(value, fraction) => {
            let off = (ours - value) / value;
            format!("{} ({}, {:+.2}%)", pass(off.abs() <= *fraction), row.unit.show(ours), off * 100.0)
        }
        Goal::ZeroInEveryRun => {
            let all: Vec<f64> = results.samples(row, Impl::Ours).map(|s| s.into_values().collect()).unwrap_or_default();
            let worst = all.iter().copied().fold(0.0, f64::max);
            format!("{} (at most {} in {} runs)", pass(worst == 0.0), row.unit.show(worst), all.len())
        }
        Goal::OwnRatioAtMost(metric, max) => against_own(results, row, metric, false, &|r| r <= *max),
        Goal::OwnSpeedupAtLeast(metric, min) => against_own(results, row, metric, true, &|r| r >= *min),
    }
}

/// The verdict on ours' `row` against ours' version in `metric`, measured
/// in the same runs: on `row` / `metric`, or with `inverse` on `metric` /
/// `row` (a speed-up).
fn against_own(results: &Results, row: &Row, metric: &str, inverse: bool, ok: &dyn Fn(f64) -> bool) -> String {
    let other = ROWS.iter().find(|r| r.metric == metric).expect("targets name metrics that have rows");
    let Some((r, rounds)) = results.own_ratio(row, other) else {
        return format!("MISS (no round with figures from both {} and {})", row.label, other.label);
    };
    let r = if inverse { 1.0 / r } else { r };
    let shown = |row: &Row| show(results.median(row, Impl::Ours), |v| row.unit.show(v));
    format!(
        "{} ({r:.2}x over {rounds} rounds; medians {} vs {} {})",
        if ok(r) { "PASS" } else { "MISS" },
        shown(row),
        other.version(),
        shown(other),
    )
}

/// Every sample in round order (`-` for a round without one), and every
/// per-round ratio.
fn print_samples(results: &Results, rows: &[&Row], w: usize) {
    println!("\nsamples by round (min .. max, spread = (max - min) / median):");
    for row in rows {
        // (name, samples by round, whether they are ratios)
        let mut series = Vec::new();
        for which in Impl::ALL {
            if let Some(s) = results.samples(row, which) {
                series.push((which.label().to_string(), s, false));
            }
        }
        for other in OTHERS.into_iter().filter(|_| row.compare) {
            let r = results.round_ratios(row, Impl::Ours, other);
            if !r.is_empty() {
                series.push((format!("ours/{}", other.label()), r, true));
            }
        }
        // Ours against ours' other versions its targets name.
        for t in TARGETS.iter().filter(|t| t.metric == row.metric) {
            let (Goal::OwnRatioAtMost(metric, _) | Goal::OwnSpeedupAtLeast(metric, _)) = t.goal else { continue };
            let other = ROWS.iter().find(|r| r.metric == metric).expect("targets name metrics that have rows");
            series.push((format!("/({})", other.version()), results.own_round_ratios(row, other), true));
        }
        let rounds = series.iter().filter_map(|(_, s, _)| s.keys().next_back()).max().map_or(0, |&r| r + 1);
        for (name, s, is_ratio) in &series {
            let fmt = |v: f64| if *is_ratio { format!("{v:.2}x") } else { row.unit.show(v) };
            let values: Vec<f64> = s.values().copied().collect();
            let (lo, hi) = values.iter().fold((f64::MAX, f64::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
            let spread = median(&values).filter(|m| *m > 0.0).map_or(0.0, |m| (hi - lo) / m * 100.0);
            let all: Vec<String> =
                (0..rounds).map(|r| s.get(&r).map_or_else(|| "-".to_string(), |&v| fmt(v))).collect();
            println!("  {:<w$} {name:>14}: {} .. {} ({spread:.0}%): {}", row.label, fmt(lo), fmt(hi), all.join(", "));
        }
    }
}
