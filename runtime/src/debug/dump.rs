//! See inside a running program: every goroutine with its state, what it
//! waits for and since when, where it was spawned and where it waits (Go's
//! goroutine dump, `runtime.Stack(buf, true)`, and SIGQUIT's dump).
//!
//! The status is kept always (goroutine/status.rs); reading it costs the
//! running program nothing but the reader's own time. A dump is a snapshot
//! of hints taken without stopping anything: a goroutine may change state
//! while it is read.

use std::fmt::Write as _;
use std::panic::Location;
use std::time::Duration;

pub use crate::goroutine::status::{State, WaitReason};
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

/// Goroutines that outlived a [`leak_check`]: still alive after the
/// checked code returned and a grace period passed.
#[derive(Debug)]
pub struct Leaked {
    /// What each was doing.
    pub goroutines: Vec<GoroutineInfo>,
}

impl std::fmt::Display for Leaked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{} goroutine(s) outlived the code that started them:", self.goroutines.len())?;
        for g in &self.goroutines {
            write!(f, "  goroutine {} [{}] spawned at {}", g.id, g.doing(), g.spawn_site)?;
            if let Some(site) = g.wait_site {
                write!(f, ", waiting at {site}")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

impl std::error::Error for Leaked {}

/// How long a leak check waits for goroutines that are about to end.
const LEAK_GRACE: Duration = Duration::from_millis(200);

/// Runs `f` as a goroutine and checks that every goroutine it started (and
/// they started, ...) has ended by the time `f` returned, allowing a short
/// grace period for ones on their way out (Go's goleak). Goroutines are
/// told apart by ancestry, so checks running in parallel (tests) do not
/// blame each other. `f`'s panic is resumed here.
///
/// ```
/// use goroutines_runtime::{chan, debug, spawn};
/// assert!(debug::leak_check(|| spawn(|| 1).join().unwrap()).is_ok());
/// let leaked = debug::leak_check(|| {
///     let (tx, rx) = chan::<u32>(0);
///     std::mem::forget(tx); // nobody will ever send or close
///     drop(spawn(move || rx.recv()));
/// });
/// assert_eq!(leaked.unwrap_err().goroutines.len(), 1);
/// ```
#[track_caller]
pub fn leak_check<T, F>(f: F) -> Result<T, Leaked>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let checked = crate::spawn(move || {
        let me = crate::goroutine::current::make_root();
        (me, f())
    });
    let (root, value) = match checked.join() {
        Ok(v) => v,
        Err(p) => p.resume(),
    };
    check_root(root).map(|()| value)
}

/// The leak check of [`leak_check`], for goroutine `root` (which has
/// ended, or is ending): waits the grace period for its descendants.
pub(crate) fn check_root(root: u64) -> Result<(), Leaked> {
    let deadline = std::time::Instant::now() + LEAK_GRACE;
    loop {
        let left: Vec<GoroutineInfo> = goroutines().into_iter().filter(|g| g.root == root && g.id != root).collect();
        if left.is_empty() {
            return Ok(());
        }
        if std::time::Instant::now() >= deadline {
            return Err(Leaked { goroutines: left });
        }
        crate::time::sleep(Duration::from_millis(5));
    }
}

/// For `#[goroutines::test]`: runs `body` as a root goroutine of the global
/// runtime and fails (panics) if it leaves goroutines behind.
#[doc(hidden)]
#[track_caller]
pub fn __run_test_checked<T, F>(body: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let (root, value) = crate::Runtime::global().block_on(move || {
        let me = crate::goroutine::current::make_root();
        (me, body())
    });
    if let Err(leaked) = check_root(root) {
        panic!("{leaked}");
    }
    value
}
