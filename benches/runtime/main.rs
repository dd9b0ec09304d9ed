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
//!
//! `--fresh [--processes N] [--shape plain|main|goroutine|all|block_on]…`
//! runs the other mode instead (`fresh.rs`): every sample a fresh process,
//! ours in each program shape, p90s against Go's median.

mod child;
mod connector;
mod crossbeam_rt;
mod fresh;
mod golang;
mod ours;
mod ours_chan;
mod ours_context;
mod ours_debug;
mod ours_net;
mod ours_pool;
mod ours_sync;
mod parking_lot_rt;
mod procfs;
mod rayon_rt;
mod report;
mod rounds;
mod scenario;
mod shape;
mod threads_net;
mod ticks;
mod tokio_net;
mod tokio_rt;

use std::process::ExitCode;

use child::Launcher;
use scenario::{Impl, Scenario, SCENARIOS};
use shape::Shape;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        return child::main(&args[1..]);
    }
    if args.first().map(String::as_str) == Some("--connect") {
        return connector::main(&args[1..]);
    }
    if args.first().map(String::as_str) == Some("--http-server") {
        return ours_net::http_server(&args[1..]);
    }
    match Options::parse(&args) {
        Ok(opts) => run(&opts),
        Err(e) => {
            eprintln!("runtime bench: {e}");
            eprintln!("usage: cargo bench --bench runtime -- [--runs N] [--verbose] [SCENARIO…]");
            eprintln!(
                "       cargo bench --bench runtime -- --fresh [--processes N] [--shape SHAPE]… [--verbose] [SCENARIO…]"
            );
            eprintln!("shapes: {SHAPES}");
            eprintln!("scenarios: {}", SCENARIOS.iter().map(|s| s.name).collect::<Vec<_>>().join(", "));
            eprintln!("with --fresh: {}", fresh::scenarios().iter().map(|s| s.name).collect::<Vec<_>>().join(", "));
            ExitCode::from(2)
        }
    }
}

struct Options {
    scenarios: Vec<&'static Scenario>,
    runs: Option<usize>,
    verbose: bool,
    /// `--fresh`: the fresh-process mode, with its processes and shapes
    /// (in the order named; `None`: all three).
    fresh: bool,
    processes: Option<usize>,
    shapes: Option<Vec<Shape>>,
}

/// What `--shape` takes (it may be given more than once).
const SHAPES: &str = "plain, main, goroutine, all, or block_on (the rounds mode's)";

/// Fresh processes per shape and implementation when `--processes` is not
/// given: the "at least 10".
const PROCESSES: usize = 10;

impl Options {
    fn parse(args: &[String]) -> Result<Options, String> {
        let mut opts =
            Options { scenarios: Vec::new(), runs: None, verbose: false, fresh: false, processes: None, shapes: None };
        let mut args = args.iter();
        let count = |flag: &str, value: Option<&String>| {
            let n = value.and_then(|v| v.parse().ok()).filter(|&n: &usize| n > 0);
            n.ok_or(format!("{flag} takes a whole number above 0"))
        };
        while let Some(arg) = args.next() {
            match arg.as_str() {
                // Cargo passes `--bench` to every bench binary.
                "--bench" => {}
                "--verbose" | "-v" => opts.verbose = true,
                "--runs" => opts.runs = Some(count("--runs", args.next())?),
                "--fresh" => opts.fresh = true,
                "--processes" => opts.processes = Some(count("--processes", args.next())?),
                "--shape" => {
                    let named = match args.next().map(String::as_str) {
                        Some("all") => Shape::ALL.to_vec(),
                        Some(s) => vec![Shape::from_arg(s).ok_or(format!("unknown shape {s} ({SHAPES})"))?],
                        None => return Err(format!("--shape takes {SHAPES}")),
                    };
                    let shapes = opts.shapes.get_or_insert_with(Vec::new);
                    for shape in named {
                        if !shapes.contains(&shape) {
                            shapes.push(shape);
                        }
                    }
                }
                flag if flag.starts_with('-') => return Err(format!("unknown option {flag}")),
                name => opts.scenarios.push(Scenario::named(name).ok_or(format!("unknown scenario {name}"))?),
            }
        }
        if opts.fresh {
            if opts.runs.is_some() {
                return Err("--runs is for the rounds mode; --fresh takes --processes".to_string());
            }
            if let Some(s) = opts.scenarios.iter().find(|s| !fresh::runs(s.name)) {
                return Err(format!("{} has no --fresh version", s.name));
            }
            if opts.scenarios.is_empty() {
                opts.scenarios = fresh::scenarios();
            }
        } else {
            if opts.processes.is_some() || opts.shapes.is_some() {
                return Err("--processes and --shape go with --fresh".to_string());
            }
            if opts.scenarios.is_empty() {
                opts.scenarios = SCENARIOS.iter().collect();
            }
        }
        Ok(opts)
    }
}

fn run(opts: &Options) -> ExitCode {
    if opts.fresh {
        return run_fresh(opts);
    }
    let started = std::time::Instant::now();
    let mut launchers: Vec<(Impl, Launcher)> =
        [Impl::Ours, Impl::Tokio, Impl::Crossbeam, Impl::Rayon, Impl::ParkingLot, Impl::Threads]
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

/// The fresh-process mode: ours in each shape, Go, and rayon for the pool.
fn run_fresh(opts: &Options) -> ExitCode {
    let started = std::time::Instant::now();
    let mut launchers: Vec<(Impl, Launcher)> = [Impl::Ours, Impl::Rayon, Impl::Tokio, Impl::Threads]
        .into_iter()
        .map(|which| (which, Launcher::Own(which)))
        .collect();
    match golang::prepare() {
        Ok(go) => launchers.push((Impl::Go, go)),
        Err(why) => println!("{why}"),
    }
    let fresh = fresh::Options {
        processes: opts.processes.unwrap_or(PROCESSES),
        shapes: opts.shapes.clone().unwrap_or_else(|| Shape::ALL.to_vec()),
        scenarios: opts.scenarios.clone(),
        verbose: opts.verbose,
    };
    let failed = fresh::run(&fresh, &launchers);
    println!("\nbench wall time: {:.1} s", started.elapsed().as_secs_f64());
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
