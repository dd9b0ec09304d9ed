//! worker_pool on rayon, what a Rust user would otherwise write for a
//! CPU-bound map over a million jobs: `into_par_iter().map().collect()` on
//! a pool of `procs` threads (built once per child, as the runtimes are).

use std::hint::black_box;
use std::time::{Duration, Instant};

use rayon::prelude::*;
use rayon::ThreadPool;

use crate::child::{self, Params};
use crate::scenario::{fixed, metric, work, Scenario, WORKER_POOL};

pub fn run(scenario: &Scenario, p: Params) -> Result<(), String> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(p.procs)
        .build()
        .map_err(|e| format!("cannot start a rayon pool: {e}"))?;
    let n = p.n;
    match scenario.name {
        WORKER_POOL => child::repeat(p, metric::WORKER_POOL_NS, || par_map(&pool, n)),
        other => Err(format!("{other} has no rayon version")),
    }
}

/// The `n` jobs' results, in order, in a `Vec`.
fn par_map(pool: &ThreadPool, n: usize) -> Duration {
    let start = Instant::now();
    let results: Vec<u64> =
        pool.install(|| (0..n as u64).into_par_iter().map(|j| work(j, fixed::JOB_ROUNDS)).collect());
    let elapsed = start.elapsed();
    assert_eq!(results.len(), n, "every job has its result");
    black_box(results);
    elapsed
}
