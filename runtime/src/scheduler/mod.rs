//! The scheduler: worker threads running goroutines, work stealing between
//! them, and the runtimes that own them. `README.md` here explains how idle
//! workers spin, sleep and are woken.

mod deadlock;
mod idle;
mod monitor;
pub(crate) mod netpoll;
mod placement;
mod runtime;
mod shared;
pub(crate) mod stats;
mod worker;

pub(crate) use deadlock::timers_ended;
pub(crate) use placement::Placement;
pub(crate) use runtime::{acting_for, current_or_global, current_runtime, spawn_at, spawn_spread_at};
pub use runtime::{max_procs, num_cpu, num_goroutines, set_max_procs, spawn, Builder, Runtime};
pub(crate) use shared::Shared;
pub use shared::{PanicPolicy, MAX_PROCS};
pub(crate) use worker::queued_here;
