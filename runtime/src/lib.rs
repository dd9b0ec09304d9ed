//! The runtime behind the `goroutines` crate: stackful goroutines
//! (`corosensei` coroutines on guard-paged, pooled stacks) scheduled on a
//! work-stealing pool of worker threads, and the blocking primitives built
//! on its `Waiter`.
//!
//! Users depend on `goroutines`, which re-exports this crate; the layout:
//!
//! - `goroutine/`: the goroutine record and "the current goroutine"
//! - `scheduler/`: workers, work stealing, idle coordination, `Runtime`
//! - `stack/`: stacks, their pool and admission limit, overflow reports
//! - `waiter.rs`: the parking abstraction every primitive uses;
//!   `thread_parker.rs`: how a plain thread waits in it (spin, yield, sleep)
//! - `debug.rs`: the goroutine dump (`goroutine/status.rs` keeps what it shows)
//! - `blocking.rs`: `blocking(f)`, a thread pool for calls that block
//! - `join.rs`, `scope.rs`, `panic.rs`: results, scoped goroutines, panics
//! - `chan/`, `select.rs`: channels and `select`
//! - `net/`: sockets that suspend goroutines (the poller: `scheduler/netpoll.rs`)
//! - `context.rs`: `Context`, cancellation and deadlines down a tree
//! - `group.rs`: `Group`, Go's errgroup
//! - `time/`: the timer facility, `sleep`, `after`, `tick`, `Ticker`, `Timer`
//! - `sync/`: goroutine-aware synchronisation
//! - `worker_pool.rs`: `WorkerPool`, what `#[worker_pool]` starts
//! - `pipeline/`: `pipeline!`'s stages and `Pipeline`, `merge`, `fan_out`

#![warn(missing_docs)]

mod blocking;
mod chan;
pub mod context;
pub mod debug;
mod goroutine;
pub mod group;
mod join;
mod loom;
pub mod net;
mod panic;
pub mod pipeline;
mod scheduler;
mod scope;
mod select;
mod small_vec;
mod stack;
pub mod sync;
#[cfg(not(loom))]
mod thread_parker;
pub mod time;
mod waiter;
mod worker_pool;

pub use blocking::blocking;
pub use chan::{
    chan, IntoIter, Iter, Receiver, RecvTimeoutError, SendError, SendTimeoutError, Sender, TryRecvError, TrySendError,
};
pub use goroutine::current::{goroutine_id, yield_now};
pub use join::{JoinHandle, ScopedJoinHandle};
pub use panic::Panicked;
pub use scheduler::{
    max_procs, num_cpu, num_goroutines, set_max_procs, spawn, Builder, PanicPolicy, Runtime, MAX_PROCS,
};
pub use scope::{scope, Scope};
pub use select::{Select, SelectedOperation};
pub use stack::DEFAULT_STACK_SIZE;
pub use sync::WaitGroup;
pub use worker_pool::WorkerPool;

/// The goroutine park token, for its loom model (`tests/loom.rs`).
#[cfg(loom)]
#[doc(hidden)]
pub mod __loom {
    pub use crate::goroutine::ParkToken;
}

/// Stack accounting, for tests and diagnostics.
#[doc(hidden)]
pub mod __stacks {
    /// Stacks mapped by this process now, and the most it may map.
    pub fn live_and_limit() -> (usize, usize) {
        (crate::stack::live_stacks(), crate::stack::stack_limit())
    }
}
