//! The leak check: goroutines a piece of code started and left behind
//! (Go's goleak), told apart by ancestry so that parallel tests do not
//! blame each other.

use std::time::Duration;

use super::{goroutines, GoroutineInfo};

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
