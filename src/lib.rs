//! # goroutines
//!
//! Go's concurrency model for Rust: `go!` starts a goroutine, goroutines
//! block cheaply, and everything is plain synchronous Rust (no `async`, no
//! `.await`) that the compiler checks for data races.
//!
//! A goroutine is a *stackful coroutine*, not an OS thread and not a future.
//! Blocking in a runtime primitive ([`WaitGroup::wait`],
//! [`JoinHandle::join`], …) suspends the goroutine and frees its worker
//! thread, so tens of thousands of blocked goroutines run on
//! [`max_procs()`] threads.
//!
//! ```
//! use goroutines::prelude::*;
//!
//! fn fib(n: u64) -> u64 { if n < 2 { n } else { fib(n - 1) + fib(n - 2) } }
//!
//! #[goroutines::main]
//! fn main() {
//!     let wg = WaitGroup::new();
//!     for i in 0..3 {
//!         wg.add(1);
//!         let wg = wg.clone();
//!         go!(move || {
//!             println!("hello from goroutine {i}");
//!             wg.done();
//!         });
//!     }
//!     wg.wait();
//!
//!     let h: JoinHandle<u64> = go!(fib(20));   // call form: arguments evaluated now
//!     assert_eq!(h.join().unwrap(), 6765);
//!
//!     let words = vec!["a", "b"];
//!     scope(|s| {
//!         s.go(|| println!("borrowed: {:?}", words));   // scoped goroutines may borrow
//!     });
//! }
//! ```
//!
//! ## Channels, `select!` and time
//!
//! ```
//! use std::time::Duration;
//! use goroutines::prelude::*;
//!
//! #[goroutines::main]
//! fn main() {
//!     let (tx, rx) = chan::<u32>(0);              // unbuffered: a rendezvous
//!     go!(move || {
//!         for i in 0..3 {
//!             tx.send(i).unwrap();                 // Err gives the value back if closed
//!         }
//!     });                                          // the last Sender dropped: closed
//!     let got: Vec<u32> = rx.iter().collect();     // for v := range ch
//!     assert_eq!(got, [0, 1, 2]);
//!
//!     let (_tx2, quiet) = chan::<u32>(1);
//!     let picked = select! {
//!         v = <-quiet => format!("{v:?}"),
//!         <-after(Duration::from_millis(10)) => "timeout".to_string(),
//!     };
//!     assert_eq!(picked, "timeout");
//! }
//! ```
//!
//! ## Pipelines, pools, Context and Group
//!
//! ```
//! use std::time::Duration;
//! use goroutines::prelude::*;
//!
//! #[goroutines::worker_pool(workers = 4)]
//! fn square(n: u64) -> u64 {
//!     n * n
//! }
//!
//! #[goroutines::main]
//! fn main() {
//!     // Stages of goroutines joined by channels; dropping the Pipeline
//!     // stops them all.
//!     let evens: Vec<u64> = pipeline! { 1..=6u64 => map(|n| n * n) => filter(|n| n % 2 == 0) }.collect();
//!     assert_eq!(evens, [4, 16, 36]);
//!
//!     // A function as a pool of goroutines: results in completion order.
//!     assert_eq!(square::run([3]), [9]);
//!
//!     // Cancellation handed down to goroutines; `<-ctx.done()` in select!.
//!     let (ctx, _cancel) = Context::background().with_timeout(Duration::from_millis(5));
//!     let (_tx, never) = chan::<u32>(0);
//!     let why = select! {
//!         v = <-never => format!("{v:?}"),
//!         <-ctx.done() => ctx.err().unwrap().to_string(),
//!     };
//!     assert_eq!(why, "context deadline exceeded");
//!
//!     // Go's errgroup: the first error wins and cancels the others.
//!     let g = Group::<String>::new();
//!     g.go(|| Err("failed".to_string()));
//!     assert_eq!(g.wait(), Err("failed".to_string()));
//! }
//! ```
//!
//! [`debug`] shows every goroutine (Go's dump, `debug::dump()`), counts
//! for monitoring (`debug::metrics()`), and serves both with a page over
//! HTTP on loopback (`debug::serve("127.0.0.1:6060")`); under
//! `#[goroutines::main]` / `#[goroutines::test]` a program whose goroutines
//! all wait for good stops with "fatal error: all goroutines are asleep -
//! deadlock!" and the dump (it cannot see plain threads that may still
//! send; `Builder::detect_deadlocks` turns it on or off); a
//! `#[goroutines::test]` also fails if it leaves goroutines behind.
//!
//! [`sync`] holds goroutine-aware `Mutex`, `RwLock`, `Once`, `Semaphore`
//! and `Pool`; [`time`] holds `sleep`, `after`, `tick`, `Ticker`, `Timer`,
//! `timeout`, `RateLimiter` and `every`. Each pattern of the Go goroutines
//! tutorial has a runnable example in `examples/`.
//!
//! ## How it runs
//!
//! - **Scheduler**: [`max_procs()`] worker threads (default: the number of
//!   CPUs; `GOMAXPROCS` is honoured; [`set_max_procs`]), work stealing with a
//!   `runnext` slot as in Go.
//! - **Pinned after first run**: a goroutine that has not started may run on
//!   any worker; once started it stays on that worker's thread for life. So a
//!   `thread_local!`, an `Rc` or a `std::sync::MutexGuard` held across a
//!   blocking call never changes thread.
//! - **Stacks**: 256 KiB of virtual memory each (pages committed on touch,
//!   guard page below, pooled); `GOROUTINES_STACK_SIZE` or
//!   [`Builder::stack_size`] changes it. An overflow stops the process with
//!   `goroutine N (spawned at FILE:LINE) has overflowed its stack of S bytes`.
//!   Each stack costs two kernel memory maps; when `vm.max_map_count` would
//!   be exceeded, new goroutines wait for a stack instead of failing.
//! - **No preemption**: a goroutine runs until it blocks in a runtime
//!   primitive, calls [`yield_now`], or ends; every 128th channel operation
//!   (or `select`, or `sync::Mutex` lock) in one run yields too, so a loop
//!   that never blocks on a channel (a `try_recv` poll, a select fed from
//!   other workers, a lock taken in a loop) still lets the goroutines beside
//!   it run. A loop that touches no channel must call
//!   [`yield_now`] itself. So any channel operation, `try_recv` and
//!   `try_send` included, may switch the goroutine out: do not hold a
//!   `std::sync::MutexGuard` or a `RefCell` borrow across one. Foreign blocking calls (`std::thread::sleep`, std
//!   I/O, `std::sync::Mutex`) block the worker: wrap them in [`blocking`],
//!   which runs them on a separate pool of threads while the goroutine is
//!   suspended.
//! - **Panics** are caught at the goroutine boundary, reported as
//!   `goroutine N (spawned at FILE:LINE) panicked at …`, and returned by
//!   [`JoinHandle::join`] as [`Panicked`]; [`Builder::panic_policy`] can
//!   choose Go's policy (abort the process).

#![warn(missing_docs)]

extern crate self as goroutines;

/// Starts a goroutine and returns its [`JoinHandle`].
///
/// Three forms:
/// - `go!(f(a, b))` / `go!(obj.method(a))`: the call form. Callee, receiver
///   and arguments are evaluated now, in the caller, as Go's `go f(x)` does;
///   the call runs in the new goroutine.
/// - `go!({ ... })`: the block form, a `move` block.
/// - `go!(move || ...)`: the closure form.
///
/// The goroutine records where `go!` was written (its spawn site), which
/// panic reports and overflow messages name. Dropping the handle detaches
/// the goroutine.
pub use goroutines_macros::go;
/// Runs `main` as a goroutine on the global runtime and waits for it.
pub use goroutines_macros::main;
/// A pipeline of goroutines joined by channels; see the macro's own docs.
pub use goroutines_macros::pipeline;
/// Waits on several channel operations and runs the arm of the one that
/// proceeds, with Go's arrows; see the macro's own docs.
pub use goroutines_macros::select;
/// Runs a test's body as a goroutine on the global runtime.
pub use goroutines_macros::test;
/// Turns `fn name(job: J) -> R` into a worker pool; see the macro's docs.
pub use goroutines_macros::worker_pool;

pub use goroutines_runtime::{
    blocking, goroutine_id, max_procs, num_cpu, num_goroutines, scope, set_max_procs, spawn, yield_now, Builder,
    JoinHandle, PanicPolicy, Panicked, Runtime, Scope, ScopedJoinHandle, WaitGroup, WorkerPool, DEFAULT_STACK_SIZE,
    MAX_PROCS,
};
pub use goroutines_runtime::{
    chan, Receiver, RecvTimeoutError, Select, SelectedOperation, SendError, SendTimeoutError, Sender, TryRecvError,
    TrySendError,
};

/// Goroutine-aware synchronisation: contenders suspend their goroutine (or
/// park their thread); they never block a worker.
pub mod sync {
    pub use goroutines_runtime::sync::*;
}

/// Go's `time`, goroutine-aware: `sleep` suspends the goroutine; timers
/// deliver on channels, so they work in `select!`.
pub mod time {
    pub use goroutines_runtime::time::*;
}

/// Network I/O that suspends goroutines: std::net's types with Go's
/// deadlines (not in the prelude).
pub mod net {
    pub use goroutines_runtime::net::*;
}

/// See inside a running program: every goroutine's state, what it waits for
/// and where (Go's goroutine dump), and a dump on SIGQUIT.
pub mod debug {
    pub use goroutines_runtime::debug::*;
}

/// Pipelines of goroutines: [`Pipeline`] (what `pipeline!` returns), why one
/// stopped ([`PipelineError`]), and the fan-in/fan-out helpers [`merge`]
/// and [`fan_out`] for pipelines written by hand.
pub mod pipeline {
    pub use goroutines_runtime::pipeline::{fan_out, merge, BoxError, Pipeline, PipelineError, DEFAULT_BUFFER};
}
pub use pipeline::{fan_out, merge, Pipeline, PipelineError};

pub use goroutines_runtime::context::{AfterFunc, CancelFn, Context, ContextError};
pub use goroutines_runtime::group::Group;

/// What ordinary programs use: `use goroutines::prelude::*;`.
pub mod prelude {
    pub use crate::time::{after, sleep, tick, Ticker, Timer};
    pub use crate::{
        chan, fan_out, go, goroutine_id, max_procs, merge, num_goroutines, pipeline, scope, select, set_max_procs,
        yield_now, CancelFn, Context, Group, JoinHandle, Pipeline, Receiver, Sender, WaitGroup,
    };
}

/// What the macros expand to. Not public API: no stability promise.
#[doc(hidden)]
#[path = "private/mod.rs"]
pub mod __private;
