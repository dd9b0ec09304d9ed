//! The goroutine-dump scenario on our runtime, as a user of `goroutines`
//! reads its goroutines: `debug::dump()` and `debug::goroutines()` while
//! 20,000 goroutines are parked in `recv`. It runs in a goroutine of the
//! global runtime (`block_on`), which plays Go's `main`; the parked
//! goroutines' handles are dropped (detached).

use std::hint::black_box;
use std::time::{Duration, Instant};

use goroutines::time::sleep;
use goroutines::{chan, debug, Builder, WaitGroup};

use crate::child::{self, Lines, Params};
use crate::scenario::{fixed, metric, Scenario, DUMP};

pub fn run(scenario: &Scenario, p: Params) -> Result<(), String> {
    let rt = Builder::new().max_procs(p.procs).build_global().expect("start the global runtime");
    let n = p.n;
    match scenario.name {
        DUMP => child::repeat_lines(p, || rt.block_on(move || dump_parked(n))),
        other => Err(format!("{other} is not a debug scenario")),
    }
}

/// `n` goroutines each do `started.done()`, then block in `recv` on a
/// channel nobody sends on, then `exited.done()`. Once all have started and
/// had [`fixed::SETTLE`] to park, `debug::goroutines()` and `debug::dump()`
/// are timed, one after the other; then the channel is closed and every
/// goroutine waited for. Panics if either saw fewer than `n` goroutines.
fn dump_parked(n: usize) -> Lines {
    let (tx, rx) = chan::<()>(0);
    let (started, exited) = (WaitGroup::new(), WaitGroup::new());
    started.add(n);
    exited.add(n);
    for _ in 0..n {
        let (rx, started, exited) = (rx.clone(), started.clone(), exited.clone());
        drop(goroutines::spawn(move || {
            started.done();
            assert!(rx.recv().is_none(), "nothing is sent, the channel is only closed");
            exited.done();
        }));
    }
    started.wait();
    sleep(fixed::SETTLE);

    let start = Instant::now();
    let all = black_box(debug::goroutines());
    let listed = start.elapsed();
    let start = Instant::now();
    let dump = black_box(debug::dump());
    let dumped = start.elapsed();

    // Every parked one, at least: a dump that skipped some would be a fast
    // dump of the wrong thing.
    assert!(all.len() >= n, "debug::goroutines() listed {} goroutines, {n} parked", all.len());
    let entries = dump.lines().filter(|line| line.starts_with("goroutine ")).count();
    assert!(entries >= n, "debug::dump() has {entries} goroutine entries, {n} parked");

    drop(tx);
    exited.wait();
    let ns = |d: Duration| d.as_nanos() as f64;
    vec![(metric::DUMP_NS.to_string(), ns(dumped)), (metric::DUMP_GOROUTINES_NS.to_string(), ns(listed))]
}
