//! See inside a running program: every goroutine with its state, what it
//! waits for and since when, where it was spawned and where it waits (Go's
//! goroutine dump, `runtime.Stack(buf, true)`, and SIGQUIT's dump).
//!
//! The status is kept always (goroutine/status.rs); reading it costs the
//! running program nothing but the reader's own time. A dump is a snapshot
//! of hints taken without stopping anything: a goroutine may change state
//! while it is read.

//! What there is:
//!
//! - [`goroutines()`] and [`dump()`]: every goroutine, for a program or in
//!   the shape of Go's dump; [`dump_on_signal()`] prints the dump on SIGQUIT.
//! - [`metrics()`]: counts for monitoring (goroutines by state, spawns,
//!   context switches, steals, parks, stacks, blocking threads).
//! - [`leak_check()`]: goroutines a piece of code left behind.
//! - [`serve()`]: all of the above over HTTP on loopback, with a page.
//!
//! The deadlock detector and the held-worker warning are the runtime's own
//! (`Builder::detect_deadlocks`, `Builder::held_worker_warning`); they print
//! what this module shows.

mod dump;
mod leak;
mod metrics;
mod server;

pub use crate::goroutine::status::{State, WaitReason};
pub use dump::{dump, dump_on_signal, goroutines, GoroutineInfo};
#[doc(hidden)]
pub use leak::__run_test_checked;
pub use leak::{leak_check, Leaked};
pub use metrics::{metrics, Metrics};
pub use server::{serve, DebugServer};
