//! Every goroutine with its state, what it waits for and since when, where
//! it was spawned and where it waits: `goroutines()`, Go's dump in `dump()`,
//! and the dump on SIGQUIT.

use std::fmt::Write as _;
use std::panic::Location;
use std::time::Duration;

use crate::goroutine::status::{State, WaitReason};
use crate::goroutine::{clock, goref};

/// One goroutine, as `goroutines()` saw it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct GoroutineInfo {
    /// Its id (`goroutine_id()` inside it).
    pub id: u64,
    /// The goroutine it descends from (a leak check's root, or the first
    /// goroutine a plain thread spawned in its line).
    pub root: u64,
    /// The goroutine that spawned it, or 0 (spawned by a plain thread).
    pub parent: u64,
    /// Runnable, running, or waiting.
    pub state: State,
    /// What it waits for, when waiting.
    pub wait_reason: Option<WaitReason>,
    /// How long it has been in its state (to within a few milliseconds).
    pub for_how_long: Duration,
    /// Where it was spawned (`go!`, `spawn`, ...).
    pub spawn_site: &'static Location<'static>,
    /// The line of the caller's blocking operation it waits in, when
    /// waiting in one (channels, select, sleep, WaitGroup, join, sync).
    pub wait_site: Option<&'static Location<'static>>,
}

impl GoroutineInfo {
    /// What it is doing, in the words of Go's dump: its wait reason
    /// (`chan receive`, ...), `running` or `runnable`.
    pub fn doing(&self) -> &'static str {
        match (self.state, self.wait_reason) {
            (State::Waiting, Some(r)) => r.as_str(),
            (State::Running, _) => "running",
            _ => "runnable",
        }
    }
}

/// Every goroutine alive now, by id.
pub fn goroutines() -> Vec<GoroutineInfo> {
    let now = clock::exact_ms();
    let mut all = Vec::new();
    goref::for_each_record(|g| {
        if let Some(s) = g.status.snapshot() {
            all.push(GoroutineInfo {
                id: s.id,
                root: s.root,
                parent: s.parent,
                state: s.state,
                wait_reason: s.reason,
                for_how_long: Duration::from_millis(now.saturating_sub(s.since_ms)),
                spawn_site: s.spawn_site,
                wait_site: s.wait_site,
            });
        }
    });
    all.sort_by_key(|g| g.id);
    all
}

/// Every goroutine alive now, in the shape of Go's dump:
///
/// ```text
/// goroutine 7 [chan receive, 2.1s]:
///     waiting at src/main.rs:12:9
/// created by goroutine 1 at src/main.rs:10:5
/// ```
///
/// ```
/// use goroutines_runtime::{chan, debug, spawn};
/// let (_tx, rx) = chan::<u32>(0);
/// let _h = spawn(move || rx.recv());
/// std::thread::sleep(std::time::Duration::from_millis(20));
/// assert!(debug::dump().contains("[chan receive"));
/// ```
pub fn dump() -> String {
    let mut out = String::new();
    for g in goroutines() {
        let _ = writeln!(out, "goroutine {} [{}, {:.1?}]:", g.id, g.doing(), g.for_how_long);
        if let Some(site) = g.wait_site {
            let _ = writeln!(out, "    waiting at {site}");
        }
        match g.parent {
            0 => {
                let _ = writeln!(out, "created at {}", g.spawn_site);
            }
            p => {
                let _ = writeln!(out, "created by goroutine {p} at {}", g.spawn_site);
            }
        }
        out.push('\n');
    }
    out
}

/// Prints the dump on stderr whenever the process gets SIGQUIT (Ctrl-\),
/// as Go does, except that the process keeps running. Idempotent.
///
/// # Panics
/// If the signal handler cannot be installed.
pub fn dump_on_signal() {
    static INSTALLED: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    INSTALLED.get_or_init(|| {
        let mut signals = match signal_hook::iterator::Signals::new([signal_hook::consts::SIGQUIT]) {
            Ok(s) => s,
            Err(e) => panic!("debug::dump_on_signal: cannot install the SIGQUIT handler: {e}"),
        };
        let started = std::thread::Builder::new().name("goroutines-dump".into()).spawn(move || {
            for _ in signals.forever() {
                eprint!("SIGQUIT: goroutine dump\n\n{}", dump());
            }
        });
        if let Err(e) = started {
            panic!("debug::dump_on_signal: cannot start its thread: {e}");
        }
    });
}
