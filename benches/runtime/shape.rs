//! The program shapes a user's code runs in, and running a scenario's body
//! (written once, in `ours*.rs`) in one of them. The body spawns its
//! goroutines with `goroutines::spawn` on the global runtime and sends to,
//! receives from, selects on or waits for them; which thread or goroutine
//! does that is the shape.

use std::sync::mpsc;

use goroutines::Runtime;

use crate::scenario::{
    CONTEXT_CANCEL, ECHO_10, ECHO_1000, ECHO_200, HTTP, IDLE, MPMC, MUTEX, PARALLEL, PARK, PING_PONG, PIPELINE3,
    SELECT4, SLEEP, SPAWN_WAIT, SPSC, WORKER_POOL,
};

/// The scenarios whose body ours runs in [`Shape::run`], so in any shape
/// (`--shape`). The others' bodies need a goroutine (`yield_switch`'s
/// runtime of one worker, the dump's list, the `pipeline!` comparisons
/// measured side by side) or have no target in the fresh mode yet.
pub const SHAPED: [&str; 17] = [
    SPAWN_WAIT,
    PARK,
    PING_PONG,
    SPSC,
    MPMC,
    SELECT4,
    PIPELINE3,
    SLEEP,
    WORKER_POOL,
    CONTEXT_CANCEL,
    MUTEX,
    PARALLEL,
    ECHO_10,
    ECHO_200,
    ECHO_1000,
    IDLE,
    HTTP,
];

/// Where the measuring code of a scenario runs. The global runtime must be
/// built (`Builder::build_global`) before [`Shape::run`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Shape {
    /// A plain `fn main`: the body runs on the child's main OS thread, which
    /// is no goroutine; its spawns start on the thread's home worker
    /// (scheduler/placement.rs) and it waits as a thread.
    Plain,
    /// `#[goroutines::main]`: the body is the main goroutine, started by the
    /// attribute's expansion (`__private::run_main`: `block_on` on the
    /// global runtime, with the deadlock detector on, as every such program
    /// has it).
    Main,
    /// The body runs in a goroutine that the main goroutine (as in
    /// [`Shape::Main`]) spawned and joins: goroutines spawned by a goroutine
    /// other than main, as in a server's handler or a library's worker.
    Goroutine,
    /// The rounds mode's shape, unchanged: `Runtime::global().block_on(body)`
    /// from the main thread ([`Shape::Main`] without the deadlock detector).
    BlockOn,
}

impl Shape {
    /// What `--shape all` runs, in this order.
    pub const ALL: [Shape; 3] = [Shape::Plain, Shape::Main, Shape::Goroutine];

    /// The name on a command line and in the table.
    pub fn arg(self) -> &'static str {
        match self {
            Shape::Plain => "plain",
            Shape::Main => "main",
            Shape::Goroutine => "goroutine",
            Shape::BlockOn => "block_on",
        }
    }

    pub fn from_arg(s: &str) -> Option<Shape> {
        Shape::ALL.into_iter().chain([Shape::BlockOn]).find(|shape| shape.arg() == s)
    }

    /// Runs `body` in this shape and returns its value; a panic in it
    /// continues here.
    pub fn run<T, F>(self, body: F) -> T
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        match self {
            Shape::Plain => body(),
            Shape::Main => as_main(body),
            Shape::Goroutine => as_main(move || match goroutines::spawn(body).join() {
                Ok(v) => v,
                Err(p) => p.resume(),
            }),
            Shape::BlockOn => Runtime::global().block_on(body),
        }
    }
}

/// `body` as the main goroutine, exactly as `#[goroutines::main] fn main()`
/// expands (`run_main(move || { body })`). The attribute's main returns `()`
/// (or an exit code, or a `Result`), so the value comes back through a
/// channel whose `send` never blocks.
fn as_main<T, F>(body: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let (tx, rx) = mpsc::channel();
    goroutines::__private::run_main::<_, ()>(move || {
        // The receiver lives until `run_main` returns.
        let _ = tx.send(body());
    });
    rx.recv().expect("the main goroutine sends its value before it ends")
}
