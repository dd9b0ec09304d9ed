//! Medians, per-round ratios, the table and the targets.

use std::collections::BTreeMap;

use crate::rounds::Outcome;
use crate::scenario::{metric, Impl, Scenario, PARK, SPAWN_WAIT, YIELD_SWITCH};

/// Every child's outcome, by scenario and implementation.
#[derive(Default)]
pub struct Results {
    outcomes: BTreeMap<(&'static str, Impl), Outcome>,
}

impl Results {
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
        let n = Scenario::named(row.scenario).expect("rows name scenarios").n as f64;
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
}

#[derive(Clone, Copy)]
enum Unit {
    /// Nanoseconds shown as milliseconds.
    Ms,
    /// Nanoseconds for two goroutines × n yields, shown per switch.
    NsPerSwitch,
    Bytes,
    Count,
}

impl Unit {
    fn convert(self, raw: f64, n: f64) -> f64 {
        match self {
            Unit::Ms => raw / 1e6,
            Unit::NsPerSwitch => raw / (2.0 * n),
            Unit::Bytes | Unit::Count => raw,
        }
    }

    fn show(self, v: f64) -> String {
        match self {
            Unit::Ms => format!("{v:.1} ms"),
            Unit::NsPerSwitch => format!("{v:.1} ns"),
            Unit::Bytes => format!("{v:.0} B"),
            Unit::Count => format!("{v:.0}"),
        }
    }
}

struct Row {
    scenario: &'static str,
    metric: &'static str,
    label: &'static str,
    unit: Unit,
}

const ROWS: [Row; 7] = [
    Row { scenario: SPAWN_WAIT, metric: metric::SPAWN_WAIT_NS, label: "spawn_wait: 1M spawn + wait", unit: Unit::Ms },
    Row { scenario: PARK, metric: metric::PARK_SPAWN_NS, label: "park_20k: spawn until all started", unit: Unit::Ms },
    Row {
        scenario: PARK,
        metric: metric::PARK_RSS_PER_G,
        label: "park_20k: RSS per parked goroutine",
        unit: Unit::Bytes,
    },
    Row { scenario: PARK, metric: metric::PARK_THREADS, label: "park_20k: OS threads while parked", unit: Unit::Count },
    Row { scenario: PARK, metric: metric::PARK_WAKE_NS, label: "park_20k: open gate until all ended", unit: Unit::Ms },
    Row {
        scenario: PARK,
        metric: metric::PARK_SPAWN_WARM_NS,
        label: "park_20k: spawn again, same process",
        unit: Unit::Ms,
    },
    Row {
        scenario: YIELD_SWITCH,
        metric: metric::YIELD_SWITCH_NS,
        label: "yield_switch: per switch",
        unit: Unit::NsPerSwitch,
    },
];

/// A target on our median of one row.
enum Goal {
    /// ours / Go at most this.
    GoRatioAtMost(f64),
    /// ours / tokio below 1.
    FasterThanTokio,
    /// ours at most this, in the row's unit.
    AtMost(f64),
    /// ours below this, in the row's unit.
    Below(f64),
}

struct Target {
    row: usize,
    goal: Goal,
    text: &'static str,
}

const TARGETS: [Target; 6] = [
    Target { row: 0, goal: Goal::GoRatioAtMost(0.5), text: "spawn_wait: at most 0.5x Go" },
    Target { row: 0, goal: Goal::FasterThanTokio, text: "spawn_wait: faster than tokio" },
    Target { row: 1, goal: Goal::GoRatioAtMost(1.0), text: "park_20k: spawn at most 1.0x Go" },
    Target { row: 2, goal: Goal::AtMost(5.0 * 1024.0), text: "park_20k: RSS per parked goroutine at most 5 KiB" },
    Target { row: 3, goal: Goal::Below(16.0), text: "park_20k: threads under 16" },
    Target { row: 6, goal: Goal::Below(50.0), text: "yield_switch: under 50 ns per switch" },
];

fn median(samples: &[f64]) -> Option<f64> {
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

pub fn print(results: &Results, scenarios: &[&'static Scenario], have_go: bool, verbose: bool) {
    let rows: Vec<(usize, &Row)> =
        ROWS.iter().enumerate().filter(|(_, r)| scenarios.iter().any(|s| s.name == r.scenario)).collect();
    let w = rows.iter().map(|(_, r)| r.label.len()).max().unwrap_or(0);
    println!();
    println!("{:<w$}  {:^34}  {:^21}", "", "median of each one's runs", "median of round ratios");
    println!(
        "{:<w$}  {:>10}  {:>10}  {:>10}  {:>9}  {:>10}",
        "per scenario, interleaved rounds", "ours", "tokio", "Go", "ours/Go", "ours/tokio"
    );
    for (_, row) in &rows {
        let [ours, tokio, go] = Impl::ALL.map(|i| results.median(row, i));
        println!(
            "{:<w$}  {:>10}  {:>10}  {:>10}  {:>9}  {:>10}",
            row.label,
            show(ours, |v| row.unit.show(v)),
            show(tokio, |v| row.unit.show(v)),
            show(go, |v| row.unit.show(v)),
            show_ratio(results.ratio(row, Impl::Ours, Impl::Go)),
            show_ratio(results.ratio(row, Impl::Ours, Impl::Tokio)),
        );
    }
    println!("ours, tokio, Go: the median of each one's runs. ours/Go, ours/tokio: the median over rounds of the");
    println!("ratio within a round (each round runs every implementation once, back to back, order rotating).");

    let failures: Vec<_> =
        results.outcomes.iter().filter_map(|((s, i), o)| Some((s, i, o.failure.as_ref()?))).collect();
    if !failures.is_empty() {
        println!("\nfailed runs (their figures are missing or partial):");
        for (scenario, which, failure) in failures {
            println!("  {scenario} in {}: {failure}", which.label());
        }
    }

    println!("\ntargets (ratios: median of the per-round ratios):");
    for t in TARGETS.iter().filter(|t| rows.iter().any(|(i, _)| *i == t.row)) {
        let row = &ROWS[t.row];
        let ours = results.median(row, Impl::Ours);
        let verdict = |ok: bool| if ok { "PASS" } else { "MISS" };
        let against = |other: Impl, ok: &dyn Fn(f64) -> bool| match results.ratio(row, Impl::Ours, other) {
            Some((r, rounds)) => format!(
                "{} ({r:.2}x over {rounds} rounds; medians {} vs {} {})",
                verdict(ok(r)),
                show(ours, |v| row.unit.show(v)),
                other.label(),
                show(results.median(row, other), |v| row.unit.show(v)),
            ),
            None if other == Impl::Go && !have_go => "SKIP (no Go)".to_string(),
            None => format!("MISS (no round with figures from both ours and {})", other.label()),
        };
        let line = match (&t.goal, ours) {
            (_, None) => "MISS (no figure from ours)".to_string(),
            (Goal::GoRatioAtMost(max), Some(_)) => against(Impl::Go, &|r| r <= *max),
            (Goal::FasterThanTokio, Some(_)) => against(Impl::Tokio, &|r| r < 1.0),
            (Goal::AtMost(max), Some(v)) => format!("{} ({})", verdict(v <= *max), row.unit.show(v)),
            (Goal::Below(max), Some(v)) => format!("{} ({})", verdict(v < *max), row.unit.show(v)),
        };
        println!("  {:<50} {line}", t.text);
    }

    if verbose {
        print_samples(results, &rows, w);
    }
}

/// Every sample in round order (`-` for a round without one), and every
/// per-round ratio.
fn print_samples(results: &Results, rows: &[(usize, &Row)], w: usize) {
    println!("\nsamples by round (min .. max, spread = (max - min) / median):");
    for (_, row) in rows {
        // (name, samples by round, whether they are ratios)
        let mut series = Vec::new();
        for which in Impl::ALL {
            if let Some(s) = results.samples(row, which) {
                series.push((which.label().to_string(), s, false));
            }
        }
        for other in [Impl::Go, Impl::Tokio] {
            let r = results.round_ratios(row, Impl::Ours, other);
            if !r.is_empty() {
                series.push((format!("ours/{}", other.label()), r, true));
            }
        }
        let rounds = series.iter().filter_map(|(_, s, _)| s.keys().next_back()).max().map_or(0, |&r| r + 1);
        for (name, s, is_ratio) in &series {
            let fmt = |v: f64| if *is_ratio { format!("{v:.2}x") } else { row.unit.show(v) };
            let values: Vec<f64> = s.values().copied().collect();
            let (lo, hi) = values.iter().fold((f64::MAX, f64::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
            let spread = median(&values).filter(|m| *m > 0.0).map_or(0.0, |m| (hi - lo) / m * 100.0);
            let all: Vec<String> =
                (0..rounds).map(|r| s.get(&r).map_or_else(|| "-".to_string(), |&v| fmt(v))).collect();
            println!("  {:<w$} {name:>10}: {} .. {} ({spread:.0}%): {}", row.label, fmt(lo), fmt(hi), all.join(", "));
        }
    }
}
