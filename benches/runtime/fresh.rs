//! `--fresh`: the scenarios as users meet them. A user's program runs
//! once, so what they see is the first run in a fresh process, and how far
//! it wanders from one process to the next. Here every sample is one fresh
//! child process doing one measured run with no warm-up run before it,
//! for ours in each program shape (`shape.rs`) and for Go (whose `main` is
//! a goroutine already: one shape), and for worker_pool in rayon. The
//! processes are interleaved: a round starts one of each, back to back, in
//! an order that rotates from round to round, after one unmeasured round
//! that warms the page cache (`rounds::fresh`). Per scenario it prints
//! ours' min, median, p90 and max per shape, the spread (max / min), and
//! ours' p90 / Go's median (of the same run's processes) against issue
//! 12's targets.

use std::collections::BTreeMap;

use crate::child::{Launcher, Params};
use crate::report::{self, Row};
use crate::rounds::{self, Outcome};
use crate::scenario::{
    metric, Impl, Scenario, CONTEXT_CANCEL, ECHO_10, ECHO_1000, ECHO_200, HTTP, IDLE, MPMC, MUTEX, PARK, PING_PONG,
    PIPELINE3, SELECT4, SLEEP, SPAWN_WAIT, SPSC, WORKER_POOL,
};
use crate::shape::{Shape, SHAPED};

/// What the fresh mode runs.
pub struct Options {
    /// Fresh processes (measured runs) per shape and per implementation.
    pub processes: usize,
    pub shapes: Vec<Shape>,
    pub scenarios: Vec<&'static Scenario>,
    pub verbose: bool,
}

/// A scenario the fresh mode runs: its figure, and issue 12's targets on it.
struct Target {
    scenario: &'static str,
    metric: &'static str,
    /// Ours' p90 / Go's median at most this.
    go: f64,
    /// Ours' p90 / rayon's median at most this.
    rayon: Option<f64>,
    /// A channel scenario: its spread (max / min over ours' processes) is
    /// held to at most [`SPREAD`].
    channel: bool,
    /// Others run beside ours and Go for comparison, with no target.
    also: &'static [Impl],
    /// A second metric of ours held below a fixed figure in every process
    /// (idle_10k's threads).
    below: Option<(&'static str, f64)>,
    /// The one shape ours runs in, where the program's shape is not the
    /// child's (http_hello's server is a program of its own).
    only: Option<Shape>,
}

const fn target(scenario: &'static str, metric: &'static str, go: f64, channel: bool) -> Target {
    Target { scenario, metric, go, rayon: None, channel, also: &[], below: None, only: None }
}

/// The network scenarios' comparisons: tokio, and a thread per connection.
const NET_OTHERS: &[Impl] = &[Impl::Tokio, Impl::Threads];

/// The spread (max / min over the processes) every channel scenario must
/// keep within, in every shape.
const SPREAD: f64 = 1.5;

/// The scenarios the fresh mode measures against Go (each runs in every
/// shape: [`SHAPED`]), in the order they run.
/// park_20k's figure is its first run's spawn time (the issue's "1M parked:
/// spawn time"; the scenario parks 20,000).
const TARGETS: [Target; 16] = [
    target(SPAWN_WAIT, metric::SPAWN_WAIT_NS, 0.5, false),
    target(PARK, metric::PARK_SPAWN_NS, 1.0, false),
    target(PING_PONG, metric::PING_PONG_NS, 0.8, true),
    target(SPSC, metric::SPSC_NS, 0.6, true),
    target(MPMC, metric::MPMC_NS, 0.7, true),
    target(SELECT4, metric::SELECT4_NS, 0.9, true),
    target(PIPELINE3, metric::PIPELINE3_NS, 0.9, true),
    target(SLEEP, metric::SLEEP_NS, 1.0, false),
    Target { rayon: Some(1.15), ..target(WORKER_POOL, metric::WORKER_POOL_NS, 1.0, false) },
    target(CONTEXT_CANCEL, metric::CONTEXT_CANCEL_NS, 1.0, false),
    target(MUTEX, metric::MUTEX_NS, 1.0, false),
    Target { also: NET_OTHERS, ..target(ECHO_10, metric::ECHO_NS, 0.8, false) },
    Target { also: NET_OTHERS, ..target(ECHO_200, metric::ECHO_NS, 0.8, false) },
    Target { also: NET_OTHERS, ..target(ECHO_1000, metric::ECHO_NS, 0.8, false) },
    Target {
        also: &[Impl::Tokio],
        below: Some((metric::IDLE_THREADS, 16.0)),
        ..target(IDLE, metric::IDLE_RSS_PER_CONN, 1.5, false)
    },
    // At least 1.2x Go's requests per second: at most 1 / 1.2 of its time
    // per request. The server is examples/http_hello.rs, a
    // `#[goroutines::main]` program.
    Target { only: Some(Shape::Main), ..target(HTTP, metric::HTTP_NS, 1.0 / 1.2, false) },
];

/// Whether the fresh mode runs `scenario`: every scenario with shapes.
pub fn runs(scenario: &str) -> bool {
    TARGETS.iter().any(|t| t.scenario == scenario)
}

/// The scenarios the fresh mode runs when none is named.
pub fn scenarios() -> Vec<&'static Scenario> {
    debug_assert!(TARGETS.iter().all(|t| SHAPED.contains(&t.scenario)));
    TARGETS.iter().map(|t| Scenario::named(t.scenario).expect("targets name scenarios")).collect()
}

/// One column of processes: who, in which shape.
struct Side<'a> {
    which: Impl,
    shape: Shape,
    launcher: &'a Launcher,
}

impl Side<'_> {
    fn label(&self) -> &'static str {
        match self.which {
            Impl::Ours => self.shape.arg(),
            other => other.label(),
        }
    }
}

/// Runs every scenario of `opts`, printing a table after each; whether
/// some child failed.
pub fn run(opts: &Options, launchers: &[(Impl, Launcher)]) -> bool {
    let launcher = |which: Impl| launchers.iter().find(|(w, _)| *w == which).map(|(_, l)| l);
    let mut failures = Vec::new();
    let mut verdicts = Vec::new();
    println!(
        "\nfresh processes: {} per row, one measured run each, no warm-up run; ours' shapes and Go interleaved",
        opts.processes
    );
    for &scenario in &opts.scenarios {
        let t = TARGETS.iter().find(|t| t.scenario == scenario.name).expect("options keep shaped scenarios only");
        let ours = launcher(Impl::Ours).expect("ours always runs");
        let shapes = t.only.map_or_else(|| opts.shapes.clone(), |shape| vec![shape]);
        let mut sides: Vec<Side> =
            shapes.iter().map(|&shape| Side { which: Impl::Ours, shape, launcher: ours }).collect();
        let mut others = vec![Impl::Go];
        if t.rayon.is_some() {
            others.push(Impl::Rayon);
        }
        others.extend(t.also);
        for which in others {
            match launcher(which) {
                Some(l) => sides.push(Side { which, shape: Shape::BlockOn, launcher: l }),
                None => println!("{}: no {} (see above), no ratios to it", scenario.name, which.label()),
            }
        }
        let names: Vec<&str> = sides.iter().map(Side::label).collect();
        eprintln!(
            "running {} fresh: {} processes each of {}, interleaved",
            scenario.name,
            opts.processes,
            names.join(", ")
        );
        let command = |i: usize| {
            let side = &sides[i];
            side.launcher.command(scenario, Params { shape: side.shape, ..Params::once(scenario, side.which) })
        };
        let outcomes = rounds::fresh(sides.len(), &command, scenario.timeout, opts.processes);
        let table = Table::new(scenario, t, &sides, &outcomes);
        table.print(opts.verbose);
        verdicts.extend(table.verdicts());
        for (side, outcome) in sides.iter().zip(&outcomes) {
            if let Some(failure) = &outcome.failure {
                failures.push(format!("{} in {}: {failure}", scenario.name, side.label()));
            }
        }
    }
    println!("\nfresh targets (ours' p90 over fresh processes / the other's median in the same run):");
    for line in &verdicts {
        println!("  {line}");
    }
    if !failures.is_empty() {
        println!("\nfailed runs (their figures are missing or partial):");
        for failure in &failures {
            println!("  {failure}");
        }
    }
    !failures.is_empty()
}

/// One side's samples in the row's unit, in process order.
struct Column {
    label: &'static str,
    which: Impl,
    samples: BTreeMap<usize, f64>,
}

impl Column {
    fn values(&self) -> Vec<f64> {
        self.samples.values().copied().collect()
    }

    fn stats(&self) -> Option<Stats> {
        Stats::of(&self.values())
    }
}

/// Order statistics of one side's samples.
struct Stats {
    min: f64,
    median: f64,
    p90: f64,
    max: f64,
    count: usize,
}

impl Stats {
    fn of(samples: &[f64]) -> Option<Stats> {
        let mut s = samples.to_vec();
        s.sort_by(f64::total_cmp);
        Some(Stats {
            min: *s.first()?,
            median: report::median(&s)?,
            // Nearest rank: the smallest sample that at least 90 % of the
            // samples are at or below (the 9th of 10, the 18th of 20).
            p90: s[(s.len() * 9).div_ceil(10) - 1],
            max: *s.last()?,
            count: s.len(),
        })
    }

    /// max / min.
    fn spread(&self) -> f64 {
        self.max / self.min
    }
}

/// One scenario's figures: ours per shape, then Go (and rayon).
struct Table<'a> {
    scenario: &'static Scenario,
    target: &'a Target,
    row: &'static Row,
    columns: Vec<Column>,
    /// Per shape of ours: the largest value of `target.below`'s metric.
    below: Vec<(&'static str, Option<f64>)>,
}

impl<'a> Table<'a> {
    fn new(scenario: &'static Scenario, target: &'a Target, sides: &[Side], outcomes: &[Outcome]) -> Table<'a> {
        let row = report::row_of(scenario.name, target.metric).expect("fresh targets name metrics that have rows");
        let n = scenario.n_for(Impl::Ours);
        let columns = sides
            .iter()
            .zip(outcomes)
            .map(|(side, outcome)| Column {
                label: side.label(),
                which: side.which,
                samples: outcome
                    .samples
                    .get(target.metric)
                    .map(|s| s.iter().map(|(&round, &raw)| (round, row.value(raw, n))).collect())
                    .unwrap_or_default(),
            })
            .collect();
        let below = target.below.map(|(metric, _)| {
            sides
                .iter()
                .zip(outcomes)
                .filter(|(side, _)| side.which == Impl::Ours)
                .map(|(side, outcome)| {
                    let max = outcome.samples.get(metric).and_then(|s| s.values().copied().reduce(f64::max));
                    (side.label(), max)
                })
                .collect()
        });
        Table { scenario, target, row, columns, below: below.unwrap_or_default() }
    }

    fn median_of(&self, which: Impl) -> Option<f64> {
        self.columns.iter().find(|c| c.which == which).and_then(Column::stats).map(|s| s.median)
    }

    fn print(&self, verbose: bool) {
        let go = self.median_of(Impl::Go);
        println!(
            "\n{} (ours' p90 / Go's median at most {:.2}x{})",
            self.row.label(),
            self.target.go,
            if self.target.channel { format!("; spread at most {SPREAD:.1}x") } else { String::new() }
        );
        println!(
            "  {:<10}{:>12}{:>12}{:>12}{:>12}{:>9}{:>12}{:>9}  {:<8}spread ok",
            "", "min", "median", "p90", "max", "max/min", "Go median", "p90/Go", "p90 ok"
        );
        for column in &self.columns {
            let Some(s) = column.stats() else {
                println!("  {:<10}{:>12}", column.label, "no runs");
                continue;
            };
            let ours = column.which == Impl::Ours;
            let ratio = go.filter(|_| ours).map(|go| s.p90 / go);
            let pass = |ok: bool| if ok { "PASS" } else { "MISS" };
            let p90_verdict = ratio.map_or("-", |r| pass(r <= self.target.go));
            let spread_verdict = if ours && self.target.channel { pass(s.spread() <= SPREAD) } else { "-" };
            println!(
                "  {:<10}{:>12}{:>12}{:>12}{:>12}{:>8.2}x{:>12}{:>9}  {:<8}{}{}",
                column.label,
                self.row.show(s.min),
                self.row.show(s.median),
                self.row.show(s.p90),
                self.row.show(s.max),
                s.spread(),
                go.filter(|_| ours).map_or_else(|| "-".to_string(), |v| self.row.show(v)),
                ratio.map_or_else(|| "-".to_string(), |r| format!("{r:.2}x")),
                p90_verdict,
                spread_verdict,
                if s.count < self.columns.iter().map(|c| c.samples.len()).max().unwrap_or(0) {
                    format!(" ({} processes)", s.count)
                } else {
                    String::new()
                },
            );
        }
        if let (Some(max), Some(rayon)) = (self.target.rayon, self.median_of(Impl::Rayon)) {
            for column in self.columns.iter().filter(|c| c.which == Impl::Ours) {
                let Some(s) = column.stats() else { continue };
                let r = s.p90 / rayon;
                println!(
                    "  {:<10} p90 / rayon's median {}: {r:.2}x (at most {max:.2}x) {}",
                    column.label,
                    self.row.show(rayon),
                    if r <= max { "PASS" } else { "MISS" }
                );
            }
        }
        if verbose {
            for column in &self.columns {
                let all: Vec<String> = column.samples.values().map(|&v| self.row.show(v)).collect();
                println!("  {:<10} by process: {}", column.label, all.join(", "));
            }
        }
    }

    /// One line per target and shape: `PASS`, `MISS` or why there is no figure.
    fn verdicts(&self) -> Vec<String> {
        let name = self.scenario.name;
        let pass = |ok: bool| if ok { "PASS" } else { "MISS" };
        let mut lines = Vec::new();
        for column in self.columns.iter().filter(|c| c.which == Impl::Ours) {
            let Some(s) = column.stats() else {
                lines.push(format!("{name} {}: MISS (no figure from ours)", column.label));
                continue;
            };
            let mut against = vec![(Impl::Go, self.target.go)];
            against.extend(self.target.rayon.map(|max| (Impl::Rayon, max)));
            for (other, max) in against {
                let text = format!("{name} {}: p90 at most {max:.2}x {}", column.label, other.label());
                match self.median_of(other) {
                    Some(m) => lines.push(format!("{text:<48} {} ({:.2}x)", pass(s.p90 / m <= max), s.p90 / m)),
                    None => lines.push(format!("{text:<48} SKIP (no figure from {})", other.label())),
                }
            }
            if self.target.channel {
                let text = format!("{name} {}: spread at most {SPREAD:.1}x", column.label);
                lines.push(format!("{text:<48} {} ({:.2}x)", pass(s.spread() <= SPREAD), s.spread()));
            }
        }
        if let Some((metric, limit)) = self.target.below {
            for (label, max) in &self.below {
                let text = format!("{name} {label}: {metric} under {limit} in every process");
                match max {
                    Some(m) => lines.push(format!("{text:<48} {} (at most {m})", pass(*m < limit))),
                    None => lines.push(format!("{text:<48} MISS (no figure)")),
                }
            }
        }
        lines
    }
}
