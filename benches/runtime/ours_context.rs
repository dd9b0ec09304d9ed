//! The cancellation scenario on our runtime, as a user of `goroutines`
//! writes it: `Context::with_cancel`, `<-ctx.done()` in `select!`. The body
//! runs where `p.shape` says (`shape.rs`; in the rounds mode a goroutine of
//! the global runtime, `block_on`, which plays Go's `main`); the spawned
//! goroutines' handles are dropped (detached).

use std::time::{Duration, Instant};

use goroutines::time::sleep;
use goroutines::{chan, select, Builder, Context, WaitGroup};

use crate::child::{self, Params};
use crate::scenario::{fixed, metric, Scenario, CONTEXT_CANCEL};

pub fn run(scenario: &Scenario, p: Params) -> Result<(), String> {
    Builder::new().max_procs(p.procs).build_global().expect("start the global runtime");
    let n = p.n;
    match scenario.name {
        CONTEXT_CANCEL => child::repeat(p, metric::CONTEXT_CANCEL_NS, || p.shape.run(move || context_cancel(n))),
        other => Err(format!("{other} is not a context scenario")),
    }
}

/// `n` goroutines each do `started.done()`, then block in `select!` on
/// `<-ctx.done()` and on a channel nobody sends on, then `exited.done()`.
/// Once all have started and had [`fixed::SETTLE`] to park, timed from
/// `cancel()` until `exited.wait()` returns.
fn context_cancel(n: usize) -> Duration {
    let (ctx, cancel) = Context::background().with_cancel();
    // Never sent on and never closed while the goroutines wait: its sender
    // lives until the end of the run.
    let (_never_tx, never_rx) = chan::<()>(0);
    let (started, exited) = (WaitGroup::new(), WaitGroup::new());
    started.add(n);
    exited.add(n);
    for _ in 0..n {
        let (ctx, never, started, exited) = (ctx.clone(), never_rx.clone(), started.clone(), exited.clone());
        drop(goroutines::spawn(move || {
            started.done();
            select! {
                <-ctx.done() => {},
                <-never => {},
            }
            exited.done();
        }));
    }
    started.wait();
    sleep(fixed::SETTLE);
    let start = Instant::now();
    cancel.cancel();
    exited.wait();
    start.elapsed()
}
