//! Medians, the table and the targets.

use std::collections::BTreeMap;

use crate::child::Outcome;
use crate::scenario::{metric, Impl, Scenario, PARK, SPAWN_WAIT, YIELD_SWITCH};

/// Every child's outcome, by scenario and implementation.
#[derive(Default)]
pub struct Results {
    outcomes: BTreeMap<(&'static str, Impl), Outcome>,
}

impl Results {
    pub fn record(&mut self, which: Impl, scenario: &'static Scenario, outcome: Outcome) {
        self.outcomes.insert((scenario.name, which), outcome);
    }

    /// Whether some child timed out, crashed or printed nonsense.
    pub fn any_failed(&self) -> bool {
        self.outcomes.values().any(|o| o.failure.is_some())
    }

    /// The samples of `row` by `which`, in the row's unit.
    fn samples(&self, row: &Row, which: Impl) -> Option<Vec<f64>> {
        let outcome = self.outcomes.get(&(row.scenario, which))?;
        let raw = outcome.samples.get(row.metric)?;
        let n = Scenario::named(row.scenario).expect("rows name scenarios").n as f64;
        Some(raw.iter().map(|&v| row.unit.convert(v, n)).collect())
    }

    fn median(&self, row: &Row, which: Impl) -> Option<f64> {
        self.samples(row, which).and_then(|s| median(&s))
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

fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    }
}

fn show(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map_or_else(|| "-".to_string(), f)
}

pub fn print(results: &Results, scenarios: &[&'static Scenario], have_go: bool, verbose: bool) {
    let rows: Vec<(usize, &Row)> =
        ROWS.iter().enumerate().filter(|(_, r)| scenarios.iter().any(|s| s.name == r.scenario)).collect();
    let w = rows.iter().map(|(_, r)| r.label.len()).max().unwrap_or(0);
    println!();
    println!(
        "{:<w$}  {:>10}  {:>10}  {:>10}  {:>9}  {:>10}",
        "median of runs", "ours", "tokio", "Go", "ours/Go", "ours/tokio"
    );
    for (_, row) in &rows {
        let [ours, tokio, go] = Impl::ALL.map(|i| results.median(row, i));
        println!(
            "{:<w$}  {:>10}  {:>10}  {:>10}  {:>9}  {:>10}",
            row.label,
            show(ours, |v| row.unit.show(v)),
            show(tokio, |v| row.unit.show(v)),
            show(go, |v| row.unit.show(v)),
            show(ratio(ours, go), |r| format!("{r:.2}x")),
            show(ratio(ours, tokio), |r| format!("{r:.2}x")),
        );
    }

    let failures: Vec<_> =
        results.outcomes.iter().filter_map(|((s, i), o)| Some((s, i, o.failure.as_ref()?))).collect();
    if !failures.is_empty() {
        println!("\nfailed runs (their figures are missing or partial):");
        for (scenario, which, failure) in failures {
            println!("  {scenario} in {}: {failure}", which.label());
        }
    }

    println!("\ntargets:");
    for t in TARGETS.iter().filter(|t| rows.iter().any(|(i, _)| *i == t.row)) {
        let row = &ROWS[t.row];
        let ours = results.median(row, Impl::Ours);
        let (go, tokio) = (results.median(row, Impl::Go), results.median(row, Impl::Tokio));
        let verdict = |ok: bool| if ok { "PASS" } else { "MISS" };
        let line = match (&t.goal, ours) {
            (_, None) => "MISS (no figure from ours)".to_string(),
            (Goal::GoRatioAtMost(max), Some(v)) => match ratio(ours, go) {
                Some(r) => format!(
                    "{} ({r:.2}x: {} vs Go {})",
                    verdict(r <= *max),
                    row.unit.show(v),
                    show(go, |g| row.unit.show(g))
                ),
                None if !have_go => "SKIP (no Go)".to_string(),
                None => "MISS (no figure from Go)".to_string(),
            },
            (Goal::FasterThanTokio, Some(v)) => match ratio(ours, tokio) {
                Some(r) => format!(
                    "{} ({r:.2}x: {} vs tokio {})",
                    verdict(r < 1.0),
                    row.unit.show(v),
                    show(tokio, |g| row.unit.show(g))
                ),
                None => "MISS (no figure from tokio)".to_string(),
            },
            (Goal::AtMost(max), Some(v)) => format!("{} ({})", verdict(v <= *max), row.unit.show(v)),
            (Goal::Below(max), Some(v)) => format!("{} ({})", verdict(v < *max), row.unit.show(v)),
        };
        println!("  {:<50} {line}", t.text);
    }

    if verbose {
        println!("\nsamples (min .. max, spread = (max - min) / median):");
        for (_, row) in &rows {
            for which in Impl::ALL {
                let Some(s) = results.samples(row, which) else { continue };
                let (lo, hi) = s.iter().fold((f64::MAX, f64::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
                let spread = median(&s).filter(|m| *m > 0.0).map_or(0.0, |m| (hi - lo) / m * 100.0);
                let all: Vec<String> = s.iter().map(|&v| row.unit.show(v)).collect();
                println!(
                    "  {:<w$} {:>5}: {} .. {} ({spread:.0}%): {}",
                    row.label,
                    which.label(),
                    row.unit.show(lo),
                    row.unit.show(hi),
                    all.join(", ")
                );
            }
        }
    }
}
