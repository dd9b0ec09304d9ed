//! `Runtime` and `Builder`: configuring and starting a scheduler, the
//! process-wide global runtime, and the functions that act on "the current
//! runtime" (the one whose worker runs the caller, else the global one).

use std::cell::Cell;
use std::io;
use std::panic::Location;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use super::shared::{valid_procs, Config, PanicPolicy, Shared, MAX_PROCS};
use super::worker;
use crate::join::{spawn_in, JoinHandle};
use crate::stack::{self, DEFAULT_STACK_SIZE, MAX_STACK_SIZE};

/// The smallest stack a goroutine may be given.
const MIN_STACK_SIZE: usize = 16 * 1024;

static GLOBAL: OnceLock<&'static Shared> = OnceLock::new();
/// Serialises starting the global runtime, and holds a `set_max_procs`
/// made before it started.
static GLOBAL_INIT: Mutex<Option<usize>> = Mutex::new(None);

/// Configures and starts a runtime.
///
/// ```
/// use goroutines_runtime::{Builder, PanicPolicy};
/// let rt = Builder::new().max_procs(2).stack_size(128 * 1024).build().unwrap();
/// assert_eq!(rt.block_on(|| 6 * 7), 42);
/// ```
#[derive(Debug, Clone)]
pub struct Builder {
    detect_deadlocks: bool,
    held_worker_warning: Option<Duration>,
    max_procs: Option<usize>,
    stack_size: Option<usize>,
    panic_policy: PanicPolicy,
    thread_name: String,
}

impl Default for Builder {
    fn default() -> Self {
        Builder::new()
    }
}

impl Builder {
    /// Defaults: `max_procs` from `GOMAXPROCS` or the number of CPUs, stack
    /// size from `GOROUTINES_STACK_SIZE` or 256 KiB, panics caught.
    pub fn new() -> Builder {
        Builder {
            detect_deadlocks: false,
            held_worker_warning: Some(Duration::from_millis(100)),
            max_procs: None,
            stack_size: None,
            panic_policy: PanicPolicy::Catch,
            thread_name: "goroutines".into(),
        }
    }

    /// Worker threads running goroutines (Go's `GOMAXPROCS`), 1 to 256.
    pub fn max_procs(mut self, n: usize) -> Builder {
        self.max_procs = Some(n);
        self
    }

    /// Usable bytes of each goroutine's stack, rounded up to whole pages.
    /// Only touched pages cost memory.
    ///
    /// Limits, checked by [`build`](Builder::build): at least 16 KiB, at most
    /// 1 GiB (`1 << 30`; an `InvalidInput` error otherwise), and the kernel
    /// must be able to map one stack of that size (`build` maps one first
    /// and fails with the OS error, e.g. `ENOMEM` under `RLIMIT_AS` or
    /// strict overcommit). Stacks are mapped 64 at a time, fewer when the
    /// kernel refuses that many. `GOROUTINES_STACK_SIZE` (used when this is
    /// not called) has the same limits: a value outside them, or one the
    /// kernel cannot map, is ignored with a warning and the default (256
    /// KiB) used.
    pub fn stack_size(mut self, bytes: usize) -> Builder {
        self.stack_size = Some(bytes);
        self
    }

    /// Stops the process with Go's "fatal error: all goroutines are asleep -
    /// deadlock!" and the goroutine dump when every goroutine waits for
    /// good while a thread waits in `block_on` (see `scheduler/deadlock.rs`
    /// for what it can and cannot see: plain threads that may still send
    /// are invisible to it). Off by default; `#[goroutines::main]` turns it
    /// on for the global runtime.
    pub fn detect_deadlocks(mut self, on: bool) -> Builder {
        self.detect_deadlocks = on;
        self
    }

    /// Warns once per spawn site, on stderr, about a goroutine that has held
    /// its worker this long without reaching a runtime primitive while
    /// goroutines wait behind it (there is no preemption: woken goroutines
    /// pinned to that worker, and unstarted ones no other worker is free to
    /// take, wait). A goroutine holding its worker while nothing waits is
    /// not reported. Default 100 ms; `None` turns it off.
    pub fn held_worker_warning(mut self, after: Option<Duration>) -> Builder {
        self.held_worker_warning = after;
        self
    }

    /// What a panicking goroutine does to the process.
    pub fn panic_policy(mut self, policy: PanicPolicy) -> Builder {
        self.panic_policy = policy;
        self
    }

    /// Prefix of the worker threads' names (`{name}-{index}`).
    pub fn thread_name(mut self, name: impl Into<String>) -> Builder {
        self.thread_name = name.into();
        self
    }

    /// Starts a runtime of its own. Its worker threads live until the
    /// process exits (a started goroutine can live on no other thread).
    pub fn build(self) -> io::Result<Runtime> {
        let procs = match self.max_procs {
            Some(n) if !valid_procs(n) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("max_procs must be between 1 and {MAX_PROCS}, got {n}"),
                ))
            }
            Some(n) => n,
            None => env_max_procs().unwrap_or_else(num_cpu),
        };
        let stack_size = checked_stack_size(self.stack_size)?;
        let config = Config {
            detect_deadlocks: self.detect_deadlocks,
            held_worker_warning: self.held_worker_warning,
            stack_size,
            panic_policy: self.panic_policy,
            thread_name: self.thread_name,
        };
        start(procs, config)
    }

    /// Starts the global runtime (the one `go!` uses outside any runtime)
    /// with this configuration. Fails if it has already started.
    pub fn build_global(self) -> io::Result<Runtime> {
        let mut pending = GLOBAL_INIT.lock().unwrap_or_else(|e| e.into_inner());
        if GLOBAL.get().is_some() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "the global goroutine runtime has already started",
            ));
        }
        let builder = match (self.max_procs, pending.take()) {
            (None, Some(n)) => self.max_procs(n),
            _ => self,
        };
        let rt = builder.build()?;
        let _ = GLOBAL.set(rt.shared);
        Ok(rt)
    }
}

/// Every runtime started in this process. Runtimes live as long as the
/// process, so none leaves the list.
static RUNTIMES: Mutex<Vec<&'static Shared>> = Mutex::new(Vec::new());

/// `RUNTIMES.len()`, readable without the lock (the deadlock detector
/// asks on the way to sleep).
static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Every runtime started so far (for `debug::metrics`, the held-worker
/// monitor and the deadlock detector).
pub(crate) fn all() -> Vec<&'static Shared> {
    RUNTIMES.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// How many runtimes this process has started.
pub(crate) fn count() -> usize {
    COUNT.load(std::sync::atomic::Ordering::SeqCst)
}

/// Wakes every sleeping worker of every runtime: the stack pool's hook,
/// when a runtime is short of stacks that other runtimes' workers may hold,
/// or when stacks were lent to it (stack/pool.rs).
fn wake_all_workers() {
    for shared in all() {
        for i in 0..shared.started() {
            shared.worker(i).notify();
        }
    }
}

fn start(procs: usize, config: Config) -> io::Result<Runtime> {
    crate::panic::install_hook();
    stack::overflow::install();
    stack::set_wake_hook(wake_all_workers);
    let shared: &'static Shared = Box::leak(Box::new(Shared::new(config)));
    {
        let mut all = RUNTIMES.lock().unwrap_or_else(|e| e.into_inner());
        all.push(shared);
        COUNT.store(all.len(), std::sync::atomic::Ordering::SeqCst);
    }
    shared.set_active(procs)?;
    super::monitor::watch(shared);
    Ok(Runtime { shared })
}

/// Reads `GOMAXPROCS`; warns once and ignores it when it is not 1..=256.
fn env_max_procs() -> Option<usize> {
    let v = std::env::var("GOMAXPROCS").ok()?;
    match v.trim().parse::<usize>() {
        Ok(n) if valid_procs(n) => Some(n),
        _ => {
            eprintln!("goroutines: ignoring GOMAXPROCS={v:?}: expected a whole number from 1 to {MAX_PROCS}");
            None
        }
    }
}

/// The stack size `build` uses: `requested` (16 KiB to 1 GiB), else
/// `GOROUTINES_STACK_SIZE`, else the default; `Err` when it is out of range
/// or the kernel cannot map one stack of it (see `Builder::stack_size`).
fn checked_stack_size(requested: Option<usize>) -> io::Result<usize> {
    let size = match requested {
        Some(n) if !(MIN_STACK_SIZE..=MAX_STACK_SIZE).contains(&n) => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("stack_size must be at least {MIN_STACK_SIZE} and at most {MAX_STACK_SIZE} bytes, got {n}"),
            ))
        }
        Some(n) => n,
        None => match env_stack_size() {
            // Checked already.
            Some(n) => return Ok(n),
            None => DEFAULT_STACK_SIZE,
        },
    };
    stack::check_size(size)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot map a goroutine stack of {size} bytes: {e}")))?;
    Ok(size)
}

/// Reads `GOROUTINES_STACK_SIZE` (bytes, or with a `k`/`m` suffix); warns
/// and ignores it when it is out of range or the kernel cannot map one
/// stack of that size.
fn env_stack_size() -> Option<usize> {
    let v = std::env::var("GOROUTINES_STACK_SIZE").ok()?;
    let why = match parse_size(&v) {
        Some(n) if (MIN_STACK_SIZE..=MAX_STACK_SIZE).contains(&n) => match stack::check_size(n) {
            Ok(()) => return Some(n),
            Err(e) => format!("the kernel cannot map a stack of that size ({e})"),
        },
        _ => format!(
            "expected at least {MIN_STACK_SIZE} and at most {MAX_STACK_SIZE} bytes, optionally with a k or m \
             suffix, e.g. 512k"
        ),
    };
    eprintln!("goroutines: ignoring GOROUTINES_STACK_SIZE={v:?}: {why}; using the default, {DEFAULT_STACK_SIZE}");
    None
}

fn parse_size(s: &str) -> Option<usize> {
    let s = s.trim().to_ascii_lowercase();
    let s = s.strip_suffix("ib").or_else(|| s.strip_suffix('b')).unwrap_or(&s);
    let (digits, unit) = match s.char_indices().last()? {
        (i, 'k') => (&s[..i], 1024),
        (i, 'm') => (&s[..i], 1024 * 1024),
        _ => (s, 1),
    };
    digits.trim().parse::<usize>().ok()?.checked_mul(unit)
}

/// The number of logical CPUs available to this process.
pub fn num_cpu() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// A handle to a runtime: its workers and its goroutines. Cheap to copy.
#[derive(Clone, Copy)]
pub struct Runtime {
    shared: &'static Shared,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("max_procs", &self.max_procs())
            .field("num_goroutines", &self.num_goroutines())
            .finish()
    }
}

impl Runtime {
    /// The global runtime, started on first use (from `GOMAXPROCS`,
    /// `GOROUTINES_STACK_SIZE`, or a `Builder::build_global` made earlier).
    pub fn global() -> Runtime {
        Runtime { shared: global() }
    }

    /// The runtime running the caller, or the global one on other threads.
    pub fn current() -> Runtime {
        Runtime { shared: current_or_global() }
    }

    /// Spawns a goroutine on this runtime.
    #[track_caller]
    pub fn spawn<F, T>(&self, f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        spawn_in(self.shared, f, Location::caller())
    }

    /// Runs `f` as a goroutine of this runtime and waits for its value; a
    /// panic in `f` continues in the caller. From a goroutine, the caller
    /// suspends while it waits; from a thread, it parks.
    #[track_caller]
    pub fn block_on<F, T>(&self, f: F) -> T
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let h = self.spawn(f);
        // The deadlock detector watches only while a thread waits here.
        let watched = self.shared.detect_deadlocks();
        if watched {
            self.shared.block_on_waiters.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        let r = h.join();
        if watched {
            self.shared.block_on_waiters.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        }
        match r {
            Ok(v) => v,
            Err(p) => p.resume(),
        }
    }

    /// Turns the deadlock detector on or off (see `Builder::detect_deadlocks`).
    pub fn set_detect_deadlocks(&self, on: bool) {
        self.shared.set_detect_deadlocks(on);
    }

    /// Worker threads that take new goroutines.
    pub fn max_procs(&self) -> usize {
        self.shared.active()
    }

    /// Changes the number of workers taking new goroutines and returns the
    /// previous number. `0` only queries. Growing starts threads; shrinking
    /// stops the extra workers from taking new goroutines, while the
    /// goroutines already pinned to them finish there. Above
    /// [`MAX_PROCS`], `n` counts as `MAX_PROCS`. A worker thread that
    /// cannot be started is reported on stderr; the workers started so far
    /// stay, and a later call tries again.
    pub fn set_max_procs(&self, n: usize) -> usize {
        if n == 0 {
            return self.max_procs();
        }
        match self.shared.set_active(n) {
            Ok(prev) => prev,
            Err(e) => {
                eprintln!("goroutines: set_max_procs({n}): could not start a worker thread: {e}");
                self.max_procs()
            }
        }
    }

    /// Goroutines of this runtime that have been spawned and not ended.
    pub fn num_goroutines(&self) -> usize {
        self.shared.live()
    }
}

fn global() -> &'static Shared {
    if let Some(s) = GLOBAL.get() {
        return s;
    }
    global_slow()
}

#[cold]
fn global_slow() -> &'static Shared {
    let mut pending = GLOBAL_INIT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(s) = GLOBAL.get() {
        return s;
    }
    let mut builder = Builder::new();
    if let Some(n) = pending.take() {
        builder = builder.max_procs(n);
    }
    let rt = match builder.build() {
        Ok(rt) => rt,
        Err(e) => crate::panic::fatal(&format!("cannot start the goroutine runtime: {e}")),
    };
    let _ = GLOBAL.set(rt.shared);
    rt.shared
}

thread_local! {
    /// The runtime a thread that is not a worker acts for: a blocking-pool
    /// thread running a goroutine's call (see `acting_for`).
    static ACTING_FOR: Cell<Option<&'static Shared>> = const { Cell::new(None) };
}

/// The runtime the caller belongs to: its worker's, or the one a
/// blocking-pool thread acts for while it runs a goroutine's call.
pub(crate) fn current_runtime() -> Option<&'static Shared> {
    worker::current_shared().or_else(|| ACTING_FOR.with(Cell::get))
}

/// Runs `f` on this thread as part of `shared` (`None`: of none): what
/// `f` spawns, and the runtime functions it calls, go to `shared`. For
/// `blocking()`, whose calls run on a pool serving every runtime.
pub(crate) fn acting_for<R>(shared: Option<&'static Shared>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<&'static Shared>);
    impl Drop for Restore {
        fn drop(&mut self) {
            ACTING_FOR.with(|a| a.set(self.0));
        }
    }
    let _restore = Restore(ACTING_FOR.with(|a| a.replace(shared)));
    f()
}

/// The runtime the caller belongs to, else the global one.
pub(crate) fn current_or_global() -> &'static Shared {
    current_runtime().unwrap_or_else(global)
}

pub(crate) fn spawn_at<F, T>(f: F, site: &'static Location<'static>) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    spawn_in(current_or_global(), f, site)
}

/// Spawns the `k`-th goroutine of a group meant to run in parallel (a
/// stage's or a pool's workers): it starts on the `k`-th active worker
/// after the caller's (placement.rs invariant 3).
pub(crate) fn spawn_spread_at<F, T>(k: usize, f: F, site: &'static Location<'static>) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    crate::join::spawn_on(current_or_global(), k, f, site)
}

/// Spawns a goroutine running `f` on the current runtime and returns its
/// handle; `go!` expands to this. Dropping the handle detaches it.
#[track_caller]
pub fn spawn<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    spawn_at(f, Location::caller())
}

/// Worker threads of the current runtime that take new goroutines (Go's
/// `runtime.GOMAXPROCS(0)`).
pub fn max_procs() -> usize {
    if let Some(s) = current_runtime().or_else(|| GLOBAL.get().copied()) {
        return s.active();
    }
    let pending = GLOBAL_INIT.lock().unwrap_or_else(|e| e.into_inner());
    match GLOBAL.get() {
        Some(s) => s.active(),
        None => pending.or_else(env_max_procs).unwrap_or_else(num_cpu),
    }
}

/// Sets the current runtime's number of workers taking new goroutines and
/// returns the previous one (Go's `runtime.GOMAXPROCS(n)`); `0` only
/// queries. Before the global runtime starts, this sets how many it starts
/// with. See [`Runtime::set_max_procs`].
pub fn set_max_procs(n: usize) -> usize {
    if let Some(s) = current_runtime().or_else(|| GLOBAL.get().copied()) {
        return Runtime { shared: s }.set_max_procs(n);
    }
    let mut pending = GLOBAL_INIT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(s) = GLOBAL.get() {
        drop(pending);
        return Runtime { shared: s }.set_max_procs(n);
    }
    let prev = pending.or_else(env_max_procs).unwrap_or_else(num_cpu);
    if n != 0 {
        *pending = Some(n.min(MAX_PROCS));
    }
    prev
}

/// Goroutines of the current runtime that have been spawned and have not
/// ended (Go's `runtime.NumGoroutine`). 0 before the global runtime starts.
pub fn num_goroutines() -> usize {
    current_runtime().or_else(|| GLOBAL.get().copied()).map_or(0, Shared::live)
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn stack_sizes_parse_with_units() {
        assert_eq!(parse_size("65536"), Some(65536));
        assert_eq!(parse_size("512k"), Some(512 * 1024));
        assert_eq!(parse_size("2M"), Some(2 * 1024 * 1024));
        assert_eq!(parse_size("1MiB"), Some(1024 * 1024));
        assert_eq!(parse_size("lots"), None);
    }
}
