//! The worker-pool and `pipeline!` scenarios on our runtime, as a user of
//! `goroutines` writes them: `#[worker_pool]`, `pipeline!`. Each body runs
//! in a goroutine of the global runtime (`block_on`), which plays Go's
//! `main`; worker_pool's runs where `p.shape` says (`shape.rs`). Versions measured side by side (the hand-written pipeline, the
//! buffer sweep, the worker counts) run in the same child, one after the
//! other in a rotating order (`child::repeat_variants`), so their ratios
//! are taken within one run.

use std::hint::black_box;
use std::time::{Duration, Instant};

use goroutines::pipeline::DEFAULT_BUFFER;
use goroutines::{chan, pipeline, worker_pool, Builder, Pipeline};
use goroutines_runtime::pipeline::{Builder as Stages, Opts};

use crate::child::{self, Params, Variant};
use crate::scenario::{fixed, metric, work, Scenario, MAP_WORKERS, PIPELINE_MACRO, WORKER_POOL};

pub fn run(scenario: &Scenario, p: Params) -> Result<(), String> {
    let rt = Builder::new().max_procs(p.procs).build_global().expect("start the global runtime");
    let n = p.n;
    // One timed version: `f(n)` in a goroutine.
    let timed =
        |metric, f: fn(usize) -> Duration| -> Variant<'_> { (metric, Box::new(move || rt.block_on(move || f(n)))) };
    match scenario.name {
        WORKER_POOL => child::repeat(p, metric::WORKER_POOL_NS, || p.shape.run(move || pool(n))),
        PIPELINE_MACRO => {
            let mut variants = vec![
                timed(metric::PIPELINE_MACRO_NS, squares_macro),
                timed(metric::PIPELINE_HAND_NS, squares_by_hand),
                timed(metric::PIPELINE_HAND_BUFFERED_NS, squares_by_hand_buffered),
            ];
            for (&buffer, (&map_metric, &all_metric)) in
                fixed::BUFFERS.iter().zip(metric::PIPELINE_MAP_BUFFER_NS.iter().zip(&metric::PIPELINE_ALL_BUFFER_NS))
            {
                variants.push((map_metric, Box::new(move || rt.block_on(move || squares_map_buffer(n, buffer)))));
                variants.push((all_metric, Box::new(move || rt.block_on(move || squares_all_buffers(n, buffer)))));
            }
            child::repeat_variants(p, &variants)
        }
        MAP_WORKERS => child::repeat_variants(
            p,
            &[
                timed(metric::MAP_W1_NS, map_one_worker),
                timed(metric::MAP_W2_NS, map_two_workers),
                timed(metric::MAP_W2_ORDERED_NS, map_two_workers_ordered),
            ],
        ),
        other => Err(format!("{other} is not a worker-pool or pipeline scenario")),
    }
}

/// One worker_pool job: about 1 µs of CPU.
#[worker_pool(workers = fixed::POOL_WORKERS, buffer = fixed::POOL_BUFFER)]
fn pool_job(job: u64) -> u64 {
    work(job, fixed::JOB_ROUNDS)
}

/// `pool_job::run(0..n)`: 8 worker goroutines, jobs and results channels of
/// 100; this goroutine submits, a goroutine of `run`'s collects the results
/// (in completion order) into a `Vec`.
fn pool(n: usize) -> Duration {
    let start = Instant::now();
    let results = pool_job::run(0..n as u64);
    let elapsed = start.elapsed();
    assert_eq!(results.len(), n, "every job has its result");
    black_box(results);
    elapsed
}

/// Sums what `squares` emits: the time since `start`.
fn sum(start: Instant, squares: Pipeline<usize>) -> Duration {
    black_box(squares.fold(0, usize::wrapping_add));
    start.elapsed()
}

/// generator → square → this goroutine sums, as `pipeline!` with its
/// default buffers.
fn squares_macro(n: usize) -> Duration {
    let start = Instant::now();
    sum(start, pipeline! { 0..n => map(|x| x * x) })
}

/// The same by hand over unbuffered channels: pipeline3's body.
fn squares_by_hand(n: usize) -> Duration {
    crate::ours_chan::pipeline3(n)
}

/// The same by hand over channels of `DEFAULT_BUFFER`, the capacity
/// `pipeline!` gives both of its channels: what the macro saves the user
/// from writing, like for like.
fn squares_by_hand_buffered(n: usize) -> Duration {
    let (nums_tx, nums_rx) = chan::<usize>(DEFAULT_BUFFER);
    let (squares_tx, squares_rx) = chan::<usize>(DEFAULT_BUFFER);
    let start = Instant::now();
    drop(goroutines::spawn(move || (0..n).for_each(|i| nums_tx.send(i).expect("square receives"))));
    drop(goroutines::spawn(move || {
        for v in &nums_rx {
            squares_tx.send(v * v).expect("sum receives");
        }
    }));
    black_box(squares_rx.iter().fold(0, usize::wrapping_add));
    start.elapsed()
}

/// `pipeline!` with `buffer = B` on the map stage (the source's channel at
/// the default).
fn squares_map_buffer(n: usize, buffer: usize) -> Duration {
    let start = Instant::now();
    sum(start, pipeline! { 0..n => map(buffer = buffer, |x| x * x) })
}

/// Every channel at `B`: what `pipeline!` builds when `DEFAULT_BUFFER` is
/// B (the source's channel takes it too), written with the runtime's
/// builder, which `pipeline!` expands to.
fn squares_all_buffers(n: usize, buffer: usize) -> Duration {
    let start = Instant::now();
    let opts = Opts { stage: 1, kind: "map", workers: 1, ordered: false, buffer };
    sum(start, Stages::from_iter(0..n, buffer).map(opts, |x| x * x).finish())
}

/// map_workers: items through a ~20 µs map, summed by this goroutine.
fn map_sum(start: Instant, out: Pipeline<u64>) -> Duration {
    black_box(out.fold(0, u64::wrapping_add));
    start.elapsed()
}

fn map_one_worker(n: usize) -> Duration {
    let start = Instant::now();
    map_sum(start, pipeline! { 0..n as u64 => map(workers = 1, |x| work(x, fixed::ITEM_ROUNDS)) })
}

fn map_two_workers(n: usize) -> Duration {
    let start = Instant::now();
    map_sum(start, pipeline! { 0..n as u64 => map(workers = 2, |x| work(x, fixed::ITEM_ROUNDS)) })
}

fn map_two_workers_ordered(n: usize) -> Duration {
    let start = Instant::now();
    map_sum(start, pipeline! { 0..n as u64 => map(workers = 2, ordered, |x| work(x, fixed::ITEM_ROUNDS)) })
}
