//! When each run happens: interleaved rounds. The machine's speed drifts
//! over tens of seconds, so running all of one implementation's runs, then
//! all of the next's, would put that drift into the ratios. Instead each
//! round runs every implementation the scenario has once, back to back,
//! and the order rotates from round to round (ours, tokio, crossbeam, Go;
//! then tokio, crossbeam, Go, ours; …), so no implementation always goes
//! first or last. The report pairs the runs of one round for its per-round
//! ratios.
//!
//! [`fresh`] (one fresh process per side and round) serves park_20k here
//! and every scenario of the fresh mode (`fresh.rs`).

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

use crate::child::{self, Launcher, Lines, Params, Server};
use crate::scenario::{Impl, Processes, Scenario};

/// Every sample of every metric: metric → round → value.
pub type Samples = BTreeMap<String, BTreeMap<usize, f64>>;

/// One implementation's samples in one scenario, and what went wrong if a
/// child timed out, crashed or printed something unexpected (its later
/// rounds are then missing).
#[derive(Default)]
pub struct Outcome {
    pub samples: Samples,
    pub failure: Option<String>,
}

impl Outcome {
    fn record(&mut self, round: usize, lines: Lines) {
        for (metric, v) in lines {
            if self.samples.entry(metric.clone()).or_default().insert(round, v).is_some() {
                self.failure.get_or_insert(format!("printed {metric} twice in round {}", round + 1));
            }
        }
    }
}

/// Runs `rounds` rounds of `scenario` over `launchers`.
pub fn run(scenario: &Scenario, launchers: &[&(Impl, Launcher)], rounds: usize) -> BTreeMap<Impl, Outcome> {
    let names: Vec<&str> = launchers.iter().map(|(which, _)| which.label()).collect();
    eprintln!("running {}: {rounds} rounds of {}, order rotating", scenario.name, names.join(", "));
    let mut outcomes: Vec<Outcome> = launchers.iter().map(|_| Outcome::default()).collect();
    let base = |which: Impl| Params::once(scenario, which);
    match scenario.processes {
        Processes::Shared { warmup } => {
            // One long-lived child per implementation, warmed up one after
            // the other; then one `run` per child and round.
            let mut servers: Vec<Option<Server>> = launchers
                .iter()
                .zip(&mut outcomes)
                .map(|((which, launcher), outcome)| {
                    let params = Params { warmup, serve: true, ..base(*which) };
                    Server::start(launcher.command(scenario, params), scenario.timeout)
                        .map_err(|e| outcome.failure = Some(e))
                        .ok()
                })
                .collect();
            for round in 0..rounds {
                for i in order(round, launchers.len()) {
                    let Some(server) = servers[i].as_mut() else { continue };
                    match server.run_once() {
                        Ok(lines) => outcomes[i].record(round, lines),
                        Err(e) => {
                            outcomes[i].failure = Some(e);
                            servers[i] = None;
                        }
                    }
                }
            }
            for (server, outcome) in servers.into_iter().zip(&mut outcomes) {
                if let Some(Err(e)) = server.map(Server::finish) {
                    outcome.failure.get_or_insert(e);
                }
            }
        }
        Processes::FreshPerRun => {
            let command = |i: usize| launchers[i].1.command(scenario, base(launchers[i].0));
            outcomes = fresh(launchers.len(), &command, scenario.timeout, rounds);
        }
    }
    launchers.iter().map(|(which, _)| *which).zip(outcomes).collect()
}

/// `rounds` rounds of fresh processes, one per side (`command(i)` starts
/// side `i`) and round, after a first, unmeasured round (`None`) that warms
/// the page cache: each side's samples and failure. A side that failed is
/// not started again.
pub fn fresh(sides: usize, command: &dyn Fn(usize) -> Command, timeout: Duration, rounds: usize) -> Vec<Outcome> {
    let mut outcomes: Vec<Outcome> = (0..sides).map(|_| Outcome::default()).collect();
    for round in std::iter::once(None).chain((0..rounds).map(Some)) {
        for i in order(round.unwrap_or(sides - 1), sides) {
            if outcomes[i].failure.is_some() {
                continue;
            }
            match (child::run_one(command(i), timeout), round) {
                (Ok(lines), Some(round)) => outcomes[i].record(round, lines),
                (Ok(_), None) => {}
                (Err(e), _) => outcomes[i].failure = Some(e),
            }
        }
    }
    outcomes
}

/// The launchers' indices in round `round`'s order: rotated by one a round.
fn order(round: usize, count: usize) -> impl Iterator<Item = usize> {
    (0..count).map(move |k| (round + k) % count)
}
