//! Subprocesses: how the parent starts a child (this binary re-executed, or
//! Go's program), bounds its time and reads its `metric value` lines, both
//! for a child that runs once and exits and for a long-lived one that runs
//! once per `run` line on its stdin; and the child side, which runs one
//! scenario and prints those lines.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, ExitCode, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use crate::scenario::{metric, Impl, Scenario, HTTP};
use crate::shape::{Shape, SHAPED};
use crate::{crossbeam_rt, ours, ours_net, parking_lot_rt, rayon_rt, threads_net, tokio_rt};

/// What a long-lived child prints when it has finished its warm-up or a
/// measured run and waits for the next `run` line.
pub const READY: &str = "ready";
/// What the parent writes to a long-lived child for one measured run.
pub const RUN: &str = "run";

/// What a child needs to know; the parent passes all of it.
#[derive(Debug, Clone, Copy)]
pub struct Params {
    pub n: usize,
    pub procs: usize,
    pub warmup: usize,
    /// Measured runs, when not `serve`.
    pub runs: usize,
    /// After the warm-up, print `ready` and do one measured run per `run`
    /// line on stdin (then `ready` again) until stdin closes.
    pub serve: bool,
    /// Where ours' body runs (`--shape`; ours only, and only in the
    /// scenarios [`SHAPED`](crate::shape::SHAPED) names). The rounds mode
    /// leaves it at [`Shape::BlockOn`] and passes no `--shape`.
    pub shape: Shape,
}

impl Params {
    /// One measured run, no warm-up, no serving, the rounds mode's shape:
    /// the scenario's own sizes for `which`.
    pub fn once(scenario: &Scenario, which: Impl) -> Params {
        Params {
            n: scenario.n_for(which),
            procs: scenario.procs,
            warmup: 0,
            runs: 1,
            serve: false,
            shape: Shape::BlockOn,
        }
    }
}

/// Who to start for an implementation.
pub enum Launcher {
    /// This bench binary, re-executed with `--child`.
    Own(Impl),
    /// Go's program, built by `golang::prepare`.
    Go(PathBuf),
}

impl Launcher {
    pub fn command(&self, scenario: &Scenario, p: Params) -> Command {
        let (mut cmd, dash) = match self {
            Launcher::Own(which) => {
                let mut cmd = Command::new(std::env::current_exe().expect("the bench binary's own path"));
                cmd.args(["--child", which.arg(), scenario.name]);
                (cmd, "--")
            }
            // http_hello's load generator is ours for both servers.
            Launcher::Go(_) if scenario.name == HTTP => {
                let mut cmd = Command::new(std::env::current_exe().expect("the bench binary's own path"));
                cmd.args(["--child", Impl::Go.arg(), scenario.name]);
                (cmd, "--")
            }
            Launcher::Go(bin) => {
                let mut cmd = Command::new(bin);
                cmd.args(["-scenario", scenario.name]);
                (cmd, "-")
            }
        };
        for (flag, v) in [("n", p.n), ("procs", p.procs), ("warmup", p.warmup), ("runs", p.runs)] {
            cmd.args([format!("{dash}{flag}"), v.to_string()]);
        }
        if p.serve {
            cmd.arg(format!("{dash}serve"));
        }
        // Go has one shape: its `main` is a goroutine.
        if let (Launcher::Own(_), shape @ (Shape::Plain | Shape::Main | Shape::Goroutine)) = (self, p.shape) {
            cmd.args(["--shape", shape.arg()]);
        }
        cmd
    }
}

/// One run's `metric value` lines.
pub type Lines = Vec<(String, f64)>;

/// Starts `cmd`, kills it after `timeout`, and parses its stdout. Its stderr
/// goes straight to ours, so runtime warnings and panics stay visible.
pub fn run_one(mut cmd: Command, timeout: Duration) -> Result<Lines, String> {
    let shown = format!("{cmd:?}");
    let deadline = Instant::now() + timeout;
    let (mut child, lines) = start(&mut cmd, Stdio::null(), &shown)?;
    let mut out = Lines::new();
    loop {
        match next_line(&lines, deadline, timeout) {
            Ok(Some(line)) => out.push(parse_line(&line, &shown)?),
            Ok(None) => break,
            Err(e) => return Err(kill(&mut child, e, &shown)),
        }
    }
    let status = wait_until(&mut child, deadline, timeout, &shown)?;
    if !status.success() {
        return Err(format!("{} : {shown}", describe(status)));
    }
    Ok(out)
}

/// A long-lived child started with `serve`: warmed up, waiting for `run`.
pub struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<std::io::Result<String>>,
    timeout: Duration,
    shown: String,
}

impl Server {
    /// Starts `cmd` (with `serve` set) and waits until its warm-up is done.
    pub fn start(mut cmd: Command, timeout: Duration) -> Result<Server, String> {
        let shown = format!("{cmd:?}");
        let (mut child, lines) = start(&mut cmd, Stdio::piped(), &shown)?;
        let stdin = child.stdin.take();
        let mut server = Server { child, stdin, lines, timeout, shown };
        server.until_ready()?;
        Ok(server)
    }

    /// One measured run: its `metric value` lines.
    pub fn run_once(&mut self) -> Result<Lines, String> {
        let stdin = self.stdin.as_mut().expect("stdin is open until finish");
        if let Err(e) = writeln!(stdin, "{RUN}").and_then(|()| stdin.flush()) {
            // It has probably exited: say how, if it did.
            return Err(self.ended(format!("cannot send `{RUN}`: {e}")));
        }
        self.until_ready()
    }

    /// Closes its stdin, which ends it, and checks that it ended well.
    pub fn finish(mut self) -> Result<(), String> {
        drop(self.stdin.take());
        let status = wait_until(&mut self.child, Instant::now() + self.timeout, self.timeout, &self.shown)?;
        if !status.success() {
            return Err(format!("{} : {}", describe(status), self.shown));
        }
        Ok(())
    }

    fn until_ready(&mut self) -> Result<Lines, String> {
        let deadline = Instant::now() + self.timeout;
        let mut out = Lines::new();
        loop {
            match next_line(&self.lines, deadline, self.timeout) {
                Ok(Some(line)) if line.trim() == READY => return Ok(out),
                Ok(Some(line)) => match parse_line(&line, &self.shown) {
                    Ok(pair) => out.push(pair),
                    Err(e) => return Err(kill(&mut self.child, e, &self.shown)),
                },
                Ok(None) => return Err(self.ended(format!("closed its output without `{READY}`"))),
                Err(e) => return Err(kill(&mut self.child, e, &self.shown)),
            }
        }
    }

    /// `what` went wrong and the child is gone or going: its exit status.
    fn ended(&mut self, what: String) -> String {
        drop(self.stdin.take());
        let limit = Duration::from_secs(10);
        match wait_until(&mut self.child, Instant::now() + limit, limit, &self.shown) {
            Ok(status) if !status.success() => format!("{} : {}", describe(status), self.shown),
            Ok(_) => format!("{what} : {}", self.shown),
            Err(e) => e,
        }
    }
}

/// Spawns `cmd` with stdout piped into a thread that forwards its lines.
fn start(cmd: &mut Command, stdin: Stdio, shown: &str) -> Result<(Child, Receiver<std::io::Result<String>>), String> {
    let mut child = cmd
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start {shown}: {e}"))?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    Ok((child, rx))
}

/// The child's next stdout line; `None` at its end; an error once `limit`
/// (which set `deadline`) has passed.
fn next_line(
    lines: &Receiver<std::io::Result<String>>,
    deadline: Instant,
    limit: Duration,
) -> Result<Option<String>, String> {
    match lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        Ok(Ok(line)) => Ok(Some(line)),
        Ok(Err(e)) => Err(format!("cannot read its output: {e}")),
        Err(RecvTimeoutError::Disconnected) => Ok(None),
        Err(RecvTimeoutError::Timeout) => Err(timed_out(limit)),
    }
}

fn timed_out(limit: Duration) -> String {
    format!("timed out after {:.1} s and was killed", limit.as_secs_f64())
}

fn parse_line(line: &str, shown: &str) -> Result<(String, f64), String> {
    let mut it = line.split_whitespace();
    match (it.next(), it.next().map(str::parse::<f64>), it.next()) {
        (Some(metric), Some(Ok(v)), None) => Ok((metric.to_string(), v)),
        _ => Err(format!("unexpected output line {line:?} from {shown}")),
    }
}

/// Kills our own child, by its handle (nothing else is signalled), after `why`.
fn kill(child: &mut Child, why: String, shown: &str) -> String {
    let _ = child.kill();
    let _ = child.wait();
    if why.contains(shown) {
        why
    } else {
        format!("{why}: {shown}")
    }
}

/// Waits for the child to exit, killing it once `limit` (which set
/// `deadline`) has passed.
fn wait_until(child: &mut Child, deadline: Instant, limit: Duration, shown: &str) -> Result<ExitStatus, String> {
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            Ok(None) => return Err(kill(child, timed_out(limit), shown)),
            Err(e) => return Err(format!("cannot wait for {shown}: {e}")),
        }
    }
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

/// The child side: `--child IMPL SCENARIO --n N --procs P --warmup W --runs R
/// [--serve] [--shape plain|main|goroutine|block_on]`.
pub fn main(args: &[String]) -> ExitCode {
    let done = match parse(args) {
        Ok((Impl::Ours, scenario, p)) => ours::run(scenario, p),
        Ok((Impl::Tokio, scenario, p)) => tokio_rt::run(scenario, p),
        Ok((Impl::Crossbeam, scenario, p)) => crossbeam_rt::run(scenario, p),
        Ok((Impl::Rayon, scenario, p)) => rayon_rt::run(scenario, p),
        Ok((Impl::ParkingLot, scenario, p)) => parking_lot_rt::run(scenario, p),
        Ok((Impl::Threads, scenario, p)) => threads_net::run(scenario, p),
        // http_hello's Go side: this binary's load generator against Go's
        // net/http server (the same generator as against ours).
        Ok((Impl::Go, scenario, p)) if scenario.name == HTTP => ours_net::http_load(ours_net::Server::Go, p),
        Ok((Impl::Go, ..)) => Err("the Go side is benches/go, not this binary".to_string()),
        Err(e) => Err(e),
    };
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("runtime bench child: {e}");
            ExitCode::from(2)
        }
    }
}

/// `warmup` unmeasured runs of `once`, then the measured ones: `runs` of
/// them, or with `serve` one per `run` line on stdin, each answered with
/// its `metric` line and `ready`.
pub fn repeat(p: Params, metric: &str, mut once: impl FnMut() -> Duration) -> Result<(), String> {
    repeat_lines(p, || vec![(metric.to_string(), once().as_nanos() as f64)])
}

/// [`repeat`] for a run that prints several `metric value` lines.
pub fn repeat_lines(p: Params, mut once: impl FnMut() -> Lines) -> Result<(), String> {
    let emit_all = |lines: Lines| lines.iter().for_each(|(metric, v)| emit(metric, v));
    for _ in 0..p.warmup {
        once();
    }
    if !p.serve {
        for _ in 0..p.runs {
            emit_all(once());
        }
        return Ok(());
    }
    emit_ready();
    for line in std::io::stdin().lock().lines() {
        match line.map_err(|e| format!("cannot read stdin: {e}"))?.trim() {
            RUN => {
                emit_all(once());
                emit_ready();
            }
            other => return Err(format!("unknown command {other:?} on stdin")),
        }
    }
    Ok(())
}

/// One version of a scenario measured next to others in the same run:
/// its metric and one timed run of it.
pub type Variant<'a> = (&'static str, Box<dyn Fn() -> Duration + 'a>);

/// [`repeat`] for a run made of several versions, each timed and printed
/// under its own metric (their ratios are then taken within one run).
/// The order rotates by one from run to run, so no version always goes
/// first, right after the pipe's wake-up, or right after a given other.
pub fn repeat_variants(p: Params, variants: &[Variant<'_>]) -> Result<(), String> {
    let mut runs = 0..;
    repeat_lines(p, || {
        let first = runs.next().expect("an endless range");
        (0..variants.len())
            .map(|k| &variants[(first + k) % variants.len()])
            .map(|(metric, once)| (metric.to_string(), once().as_nanos() as f64))
            .collect()
    })
}

/// park_20k measures fresh processes: one cold and one warm run, no more.
pub fn cold_only(p: Params) -> Result<(), String> {
    match p {
        Params { serve: false, warmup: 0, runs: 1, .. } => Ok(()),
        _ => Err("park_20k takes no --serve or --warmup and only --runs 1 (one fresh process per run)".to_string()),
    }
}

fn emit_ready() {
    println!("{READY}");
    // stdout is line-buffered already; the parent waits for this line.
    let _ = std::io::stdout().flush();
}

fn parse(args: &[String]) -> Result<(Impl, &'static Scenario, Params), String> {
    let [which, name, rest @ ..] = args else {
        return Err("expected IMPL SCENARIO".into());
    };
    let which = Impl::from_arg(which).ok_or(format!("unknown implementation {which}"))?;
    let scenario = Scenario::named(name).ok_or(format!("unknown scenario {name}"))?;
    let mut p = Params::once(scenario, which);
    let mut rest = rest.iter();
    while let Some(flag) = rest.next() {
        let field = match flag.as_str() {
            "--serve" => {
                p.serve = true;
                continue;
            }
            "--shape" => {
                let value = rest.next().ok_or("--shape has no value")?;
                p.shape = Shape::from_arg(value).ok_or(format!("unknown shape {value}"))?;
                continue;
            }
            "--n" => &mut p.n,
            "--procs" => &mut p.procs,
            "--warmup" => &mut p.warmup,
            "--runs" => &mut p.runs,
            _ => return Err(format!("unknown option {flag}")),
        };
        let value = rest.next().ok_or(format!("{flag} has no value"))?;
        *field = value.parse().map_err(|_| format!("{flag} {value}: not a whole number"))?;
    }
    if p.shape != Shape::BlockOn && (which != Impl::Ours || !SHAPED.contains(&scenario.name)) {
        return Err(format!("--shape: {} in {} runs in one shape only", scenario.name, which.label()));
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
