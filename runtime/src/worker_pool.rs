//! `WorkerPool`: N goroutines taking jobs from one buffered channel and
//! sending results on another (the seed's worker pool), what
//! `#[worker_pool]` generates `start()` and `run()` for.
//!
//! # Invariants
//!
//! 1. The pool holds the jobs channel's only `Sender` (behind a lock, so
//!    `close` can drop it while other goroutines submit); the workers hold
//!    the results channel's only `Sender`s. So closing the pool (or
//!    dropping it) closes the jobs channel; each worker drains what was
//!    submitted, then ends, dropping its results `Sender`; the results
//!    channel closes when the last worker ended.
//! 2. A job that panics is caught in its worker, reported on stderr with
//!    the worker's number and the message, and counted; the worker goes on
//!    with the next job. Nothing else stops a worker, so none outlives the
//!    pool's jobs.
//! 3. A result nobody can receive any more (every results `Receiver` is
//!    gone) is dropped by the worker that made it, which still runs the
//!    remaining jobs: the jobs were accepted by `submit`, and their side
//!    effects are what a pool whose results are ignored is for.

use std::panic::{catch_unwind, AssertUnwindSafe, Location};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::chan::{chan, Receiver, Sender, TrySendError};
use crate::join::JoinHandle;
use crate::scheduler::spawn_spread_at;

/// A pool of worker goroutines; see the module docs, and
/// `#[goroutines::worker_pool]`.
///
/// ```
/// use goroutines_runtime::WorkerPool;
/// let pool = WorkerPool::start("square", 4, 16, |n: u64| n * n);
/// for n in 1..=10 {
///     pool.submit(n).unwrap();
/// }
/// let mut squares = pool.finish();
/// squares.sort();
/// assert_eq!(squares, [1, 4, 9, 16, 25, 36, 49, 64, 81, 100]);
/// ```
pub struct WorkerPool<J, R> {
    /// Invariant 1: `None` once closed.
    jobs: Mutex<Option<Sender<J>>>,
    results: Receiver<R>,
    panicked: Arc<AtomicUsize>,
    workers: Vec<JoinHandle<()>>,
}

impl<J: Send + 'static, R: Send + 'static> WorkerPool<J, R> {
    /// Starts `workers` goroutines running `f` on each job, with room for
    /// `buffer` jobs waiting and `buffer` results not yet taken. `name`
    /// names the pool in panic reports.
    ///
    /// # Panics
    /// If `workers` is 0.
    #[track_caller]
    pub fn start<F>(name: &'static str, workers: usize, buffer: usize, f: F) -> WorkerPool<J, R>
    where
        F: Fn(J) -> R + Send + Sync + 'static,
    {
        assert!(workers > 0, "worker pool `{name}`: `workers` must be at least 1");
        let site = Location::caller();
        let (jobs_tx, jobs_rx) = chan::<J>(buffer);
        let (results_tx, results) = chan::<R>(buffer);
        let panicked = Arc::new(AtomicUsize::new(0));
        let f = Arc::new(f);
        let workers = (1..=workers)
            .map(|n| {
                let (jobs, results, f, panicked) = (jobs_rx.clone(), results_tx.clone(), f.clone(), panicked.clone());
                // Spread over the worker threads (scheduler/placement.rs inv. 3).
                spawn_spread_at(n - 1, move || work(name, n, &jobs, &results, &*f, &panicked), site)
            })
            .collect();
        WorkerPool { jobs: Mutex::new(Some(jobs_tx)), results, panicked, workers }
    }

    /// Submits a job, waiting while the jobs buffer is full (backpressure).
    /// `Err` gives the job back once the pool is closed.
    pub fn submit(&self, job: J) -> Result<(), J> {
        // Clone the sender out of the lock: a submit waiting for room must
        // not keep `close` (or other submitters) waiting on the lock.
        let Some(tx) = self.sender() else { return Err(job) };
        tx.send(job).map_err(|e| e.0)
    }

    /// Submits a job if there is room now: `Full` or `Closed` give it back.
    pub fn try_submit(&self, job: J) -> Result<(), TrySendError<J>> {
        match self.sender() {
            Some(tx) => tx.try_send(job),
            None => Err(TrySendError::Closed(job)),
        }
    }

    fn sender(&self) -> Option<Sender<J>> {
        self.jobs.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Takes no more jobs: the workers finish what was submitted, then end,
    /// and the results channel closes after the last result. Returns whether
    /// this call closed it.
    pub fn close(&self) -> bool {
        match self.jobs.lock().unwrap_or_else(|e| e.into_inner()).take() {
            Some(tx) => {
                tx.close();
                true
            }
            None => false,
        }
    }

    /// The results, in the order jobs complete; the channel closes once the
    /// pool is closed and every job has run.
    pub fn results(&self) -> Receiver<R> {
        self.results.clone()
    }

    /// Jobs that panicked so far.
    pub fn panicked(&self) -> usize {
        self.panicked.load(Ordering::Relaxed)
    }

    /// Closes the pool, waits for every job, and returns the results not
    /// taken yet, in completion order. Read [`panicked`](Self::panicked)
    /// first if you need it: this consumes the pool.
    ///
    /// With more jobs submitted than the two buffers and the workers hold,
    /// somebody must take results while jobs are still being submitted
    /// (`results()` from another goroutine), or `submit` waits for ever:
    /// the generated `run` does that for you.
    pub fn finish(mut self) -> Vec<R> {
        self.close();
        let out: Vec<R> = self.results.iter().collect();
        for w in self.workers.drain(..) {
            // Workers catch their jobs' panics (invariant 2).
            let _ = w.join();
        }
        out
    }

    /// Runs every job of `jobs` on the pool and returns the results, in
    /// completion order: results are collected by a goroutine of their
    /// own while the caller submits, so any number of jobs fits.
    pub fn run(self, jobs: impl IntoIterator<Item = J>) -> Vec<R> {
        let results = self.results.clone();
        let collector = crate::spawn(move || results.iter().collect::<Vec<R>>());
        // One sender for the whole loop, not a lock and a clone per job.
        if let Some(tx) = self.sender() {
            for job in jobs {
                if tx.send(job).is_err() {
                    break;
                }
            }
        }
        self.close();
        let mut out = match collector.join() {
            Ok(out) => out,
            Err(p) => p.resume(),
        };
        out.extend(self.finish());
        out
    }
}

impl<J, R> Drop for WorkerPool<J, R> {
    fn drop(&mut self) {
        // Invariant 1: the workers drain what was submitted and end.
        if let Some(tx) = self.jobs.lock().unwrap_or_else(|e| e.into_inner()).take() {
            tx.close();
        }
    }
}

impl<J, R> std::fmt::Debug for WorkerPool<J, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerPool")
            .field("workers", &self.workers.len())
            .field("panicked", &self.panicked.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// Worker `n`'s loop (invariants 2, 3).
fn work<J, R>(
    pool: &str,
    n: usize,
    jobs: &Receiver<J>,
    results: &Sender<R>,
    f: &impl Fn(J) -> R,
    panicked: &AtomicUsize,
) {
    for job in jobs {
        match catch_unwind(AssertUnwindSafe(|| f(job))) {
            Ok(r) => {
                // Err: nobody can take results any more (invariant 3).
                let _ = results.send(r);
            }
            Err(payload) => {
                panicked.fetch_add(1, Ordering::Relaxed);
                let msg = crate::panic::payload_message(&*payload);
                eprintln!("worker pool `{pool}`: worker {n} recovered from a job's panic ({msg}); it goes on with the next job");
            }
        }
    }
}
