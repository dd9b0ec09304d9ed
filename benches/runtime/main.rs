//! `cargo bench --bench runtime`: the runtime next to tokio, crossbeam-channel,
//! rayon, parking_lot and Go (and, with no counterpart, its goroutine dump).
//!
//! Each scenario runs in our crate, in tokio (multi-thread runtime), for the
//! channel scenarios on OS threads with crossbeam-channel, for the worker
//! pool in rayon, for the mutex on OS threads with parking_lot, and in Go
//! (`benches/go/`), every one in a subprocess of its own: this binary
//! re-executes itself with `--child IMPL SCENARIO …`, Go's program takes the
//! same parameters, and both print `metric value` lines. The runs are
//! interleaved in rounds (one run of each implementation per round, order
//! rotating; `rounds.rs`). The parent takes medians per implementation and
//! medians of the per-round ratios, prints one table and checks the
//! targets. `benches/README.md` describes the scenarios and how the figures
//! are computed.
//!
//! Arguments (after `cargo bench --bench runtime --`): scenario names to run
//! only those, `--runs N` rounds (measured runs per implementation) per
//! scenario, `--verbose` for every sample and every per-round ratio.

mod child;
mod crossbeam_rt;
mod golang;
mod ours;
mod ours_chan;
mod ours_context;
mod ours_debug;
mod ours_pool;
mod ours_sync;
mod parking_lot_rt;
mod procfs;
mod rayon_rt;
mod report;
mod rounds;
mod scenario;
mod shape;
mod ticks;
mod tokio_rt;

use std::process::ExitCode;

use child::Launcher;
use scenario::{Impl, Scenario, SCENARIOS};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        return child::main(&args[1..]);
    }
    match Options::parse(&args) {
        Ok(opts) => run(&opts),
        Err(e) => {
            eprintln!("runtime bench: {e}");
            eprintln!("usage: cargo bench --bench runtime -- [--runs N] [--verbose] [SCENARIO…]");
            eprintln!("scenarios: {}", SCENARIOS.iter().map(|s| s.name).collect::<Vec<_>>().join(", "));
            ExitCode::from(2)
        }
    }
}

struct Options {
    scenarios: Vec<&'static Scenario>,
    runs: Option<usize>,
    verbose: bool,
}

impl Options {
    fn parse(args: &[String]) -> Result<Options, String> {
        let mut opts = Options { scenarios: Vec::new(), runs: None, verbose: false };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                // Cargo passes `--bench` to every bench binary.
                "--bench" => {}
                "--verbose" | "-v" => opts.verbose = true,
                "--runs" => {
                    let n = args.next().and_then(|v| v.parse().ok()).filter(|&n: &usize| n > 0);
                    opts.runs = Some(n.ok_or("--runs takes a whole number above 0")?);
                }
                flag if flag.starts_with('-') => return Err(format!("unknown option {flag}")),
                name => opts.scenarios.push(Scenario::named(name).ok_or(format!("unknown scenario {name}"))?),
            }
        }
        if opts.scenarios.is_empty() {
            opts.scenarios = SCENARIOS.iter().collect();
        }
        Ok(opts)
    }
}

fn run(opts: &Options) -> ExitCode {
    let started = std::time::Instant::now();
    let mut launchers: Vec<(Impl, Launcher)> =
        [Impl::Ours, Impl::Tokio, Impl::Crossbeam, Impl::Rayon, Impl::ParkingLot]
            .into_iter()
            .map(|which| (which, Launcher::Own(which)))
            .collect();
    match golang::prepare() {
        Ok(go) => launchers.push((Impl::Go, go)),
        Err(why) => println!("{why}"),
    }
    let mut results = report::Results::default();
    for &scenario in &opts.scenarios {
        // Who runs it: those the scenario has, if they can.
        let mut here = Vec::new();
        for &which in scenario.impls {
            match launchers.iter().find(|(w, _)| *w == which) {
                None => results.skip(scenario, which, "no Go toolchain".to_string()),
                Some(launcher) => here.push(launcher),
            }
        }
        let rounds = opts.runs.unwrap_or(scenario.runs);
        results.record(scenario, rounds::run(scenario, &here, rounds));
    }
    report::print(&results, &opts.scenarios, opts.verbose);
    println!("\nbench wall time: {:.1} s", started.elapsed().as_secs_f64());
    // A miss is a finding; a child that hung or crashed is a failure.
    if results.any_failed() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
