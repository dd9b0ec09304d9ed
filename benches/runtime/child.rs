//! Subprocesses: how the parent starts a child (this binary re-executed, or
//! Go's program), bounds its time and reads its `metric value` lines; and
//! the child side, which runs one scenario and prints those lines.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, ExitCode, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::scenario::{metric, Impl, Processes, Scenario};
use crate::{ours, tokio_rt};

/// Every sample of every metric a scenario printed, in order.
pub type Samples = BTreeMap<String, Vec<f64>>;

/// What a child needs to know; the parent passes all of it.
#[derive(Debug, Clone, Copy)]
pub struct Params {
    pub n: usize,
    pub procs: usize,
    pub warmup: usize,
    pub runs: usize,
}

/// Who to start for an implementation.
pub enum Launcher {
    /// This bench binary, re-executed with `--child`.
    Own(Impl),
    /// Go's program, built by `golang::prepare`.
    Go(PathBuf),
}

impl Launcher {
    fn command(&self, scenario: &Scenario, p: Params) -> Command {
        match self {
            Launcher::Own(which) => {
                let exe = std::env::current_exe().expect("the bench binary's own path");
                let mut cmd = Command::new(exe);
                cmd.args(["--child", which.arg(), scenario.name]);
                for (flag, v) in [("--n", p.n), ("--procs", p.procs), ("--warmup", p.warmup), ("--runs", p.runs)] {
                    cmd.args([flag.to_string(), v.to_string()]);
                }
                cmd
            }
            Launcher::Go(bin) => {
                let mut cmd = Command::new(bin);
                cmd.args(["-scenario", scenario.name]);
                for (flag, v) in [("-n", p.n), ("-procs", p.procs), ("-warmup", p.warmup), ("-runs", p.runs)] {
                    cmd.args([flag.to_string(), v.to_string()]);
                }
                cmd
            }
        }
    }
}

/// The samples of `runs` measured runs, and what went wrong if a child
/// timed out, crashed or printed something unexpected.
pub struct Outcome {
    pub samples: Samples,
    pub failure: Option<String>,
}

/// Runs `scenario` with `launcher` until `runs` measured runs are in.
pub fn collect(launcher: &Launcher, scenario: &Scenario, runs: usize) -> Outcome {
    let mut samples = Samples::new();
    let base = Params { n: scenario.n, procs: scenario.procs, warmup: 0, runs };
    let processes: Vec<(Params, bool)> = match scenario.processes {
        Processes::Shared { warmup } => vec![(Params { warmup, ..base }, true)],
        // The first process warms the page cache and is not measured.
        Processes::FreshPerRun => (0..=runs).map(|i| (Params { runs: 1, ..base }, i > 0)).collect(),
    };
    for (params, measured) in processes {
        match run_one(launcher.command(scenario, params), scenario.timeout) {
            Ok(out) if measured => {
                for (metric, v) in out {
                    samples.entry(metric).or_default().push(v);
                }
            }
            Ok(_) => {}
            Err(e) => return Outcome { samples, failure: Some(e) },
        }
    }
    Outcome { samples, failure: None }
}

/// Starts `cmd`, kills it after `timeout`, and parses its stdout. Its stderr
/// goes straight to ours, so runtime warnings and panics stay visible.
fn run_one(mut cmd: Command, timeout: Duration) -> Result<Vec<(String, f64)>, String> {
    let shown = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start {shown}: {e}"))?;
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).map(|_| s)
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            Ok(None) => {
                // Our own child, by its handle: nothing else is signalled.
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("timed out after {:.1} s and was killed: {shown}", timeout.as_secs_f64()));
            }
            Err(e) => return Err(format!("cannot wait for {shown}: {e}")),
        }
    };
    let out = reader.join().expect("the stdout reader does not panic").map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(format!("{} : {shown}", describe(status)));
    }
    out.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let mut it = line.split_whitespace();
            match (it.next(), it.next().map(str::parse::<f64>), it.next()) {
                (Some(metric), Some(Ok(v)), None) => Ok((metric.to_string(), v)),
                _ => Err(format!("unexpected output line {line:?} from {shown}")),
            }
        })
        .collect()
}

fn describe(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(sig)) => {
            format!("killed by signal {sig}{}", if status.core_dumped() { " (core dumped)" } else { "" })
        }
        _ => format!("ended with {status}"),
    }
}

/// Prints one sample; the parent reads these lines.
pub fn emit(metric: &str, value: impl std::fmt::Display) {
    println!("{metric} {value}");
}

/// The child side: `--child IMPL SCENARIO --n N --procs P --warmup W --runs R`.
pub fn main(args: &[String]) -> ExitCode {
    match parse(args) {
        Ok((Impl::Ours, scenario, p)) => ours::run(scenario, p),
        Ok((Impl::Tokio, scenario, p)) => tokio_rt::run(scenario, p),
        Ok((Impl::Go, ..)) => {
            eprintln!("the Go side is benches/go, not this binary");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("runtime bench child: {e}");
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}

fn parse(args: &[String]) -> Result<(Impl, &'static Scenario, Params), String> {
    let [which, name, rest @ ..] = args else {
        return Err("expected IMPL SCENARIO".into());
    };
    let which = Impl::from_arg(which).ok_or(format!("unknown implementation {which}"))?;
    let scenario = Scenario::named(name).ok_or(format!("unknown scenario {name}"))?;
    let mut p = Params { n: scenario.n, procs: scenario.procs, warmup: 0, runs: 1 };
    for pair in rest.chunks(2) {
        let [flag, value] = pair else {
            return Err(format!("{} has no value", pair[0]));
        };
        let value: usize = value.parse().map_err(|_| format!("{flag} {value}: not a whole number"))?;
        match flag.as_str() {
            "--n" => p.n = value,
            "--procs" => p.procs = value,
            "--warmup" => p.warmup = value,
            "--runs" => p.runs = value,
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    Ok((which, scenario, p))
}

/// One park_20k run, as ours and tokio's children measure it.
pub struct ParkRun {
    /// First spawn until every goroutine has started.
    pub spawn: Duration,
    /// Gate opened until every goroutine has ended.
    pub wake: Duration,
    pub rss_before: u64,
    pub rss_after: u64,
    pub threads: u64,
}

impl ParkRun {
    /// The first run of a fresh process: every park_20k metric.
    pub fn emit_cold(&self, n: usize) {
        emit(metric::PARK_SPAWN_NS, self.spawn.as_nanos());
        emit(metric::PARK_RSS_PER_G, (self.rss_after as f64 - self.rss_before as f64) / n as f64);
        emit(metric::PARK_THREADS, self.threads);
        emit(metric::PARK_WAKE_NS, self.wake.as_nanos());
    }

    /// A later run in the same process: only its spawn time.
    pub fn emit_warm(&self) {
        emit(metric::PARK_SPAWN_WARM_NS, self.spawn.as_nanos());
    }
}
