//! `pipeline!`'s runtime: a source and stages, each stage one goroutine (or
//! `workers` of them) joined by channels, and [`Pipeline`], the output end.
//!
//! - `stage.rs`: what a stage does with one item (`map`, `filter`, ...);
//! - this file: the goroutines that run the source and the stages, the
//!   shared state that stops them, and `Pipeline`;
//! - `fan.rs`: `merge` and `fan_out`, the same fan-in/fan-out as helpers.
//!
//! A pipeline is exactly what one writes by hand with `go!` and `chan`: the
//! expansion adds no goroutine and no channel hop (beyond the dispatcher and
//! collector an `ordered` fan-out needs), and per item only a relaxed load
//! of the `cancelled` flag.
//!
//! # Invariants
//!
//! 1. Every channel of a pipeline (source to stage 1, between stages, and
//!    the output) is registered in `State::closers` when made. `cancel`
//!    sets `cancelled` and closes them all, which wakes every goroutine
//!    blocked on any of them: blocked sends fail, blocked receives end. So
//!    after `cancel` each goroutine of the pipeline ends after at most the
//!    item it is working on (they also check `cancelled` before each item).
//! 2. The first failure (a `try_map` error, a panic in a stage's closure or
//!    in the source's iterator) is kept and cancels the pipeline; later ones
//!    are dropped.
//! 3. Completion flows downstream: a goroutine ends when its input is
//!    closed and drained, and drops its output `Sender`, so a stage's output
//!    closes once all its workers ended.
//! 4. Dropping a `Pipeline` cancels it (invariant 1); `wait` runs it to its
//!    end and joins every goroutine, so none outlives it.

mod fan;
mod stage;

pub use fan::{fan_out, merge};
pub use stage::{Filter, FilterMap, FlatMap, Inspect, Map, Step, TryMap};

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe, Location};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::chan::{chan, Receiver, Sender};
use crate::join::JoinHandle;
use crate::scheduler::{spawn_at, spawn_spread_at};

/// A `try_map` stage's error, boxed.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The capacity of a stage's output channel when `buffer` is not given.
///
/// Chosen by measurement (`cargo bench --bench runtime -- pipeline_macro`:
/// generator -> square -> sum over 1M items on 2 workers, the map stage's
/// buffer swept): 0 costs ~80-95 ns per item (a rendezvous, so a switch or
/// a cross-worker wake per item), 16 ~41 ns, 64 ~35 ns, 256 ~35 ns. Past 64
/// nothing is gained while each stage holds more items in flight.
pub const DEFAULT_BUFFER: usize = 64;

/// Why a pipeline stopped before its end.
#[derive(Debug)]
pub enum PipelineError {
    /// A `try_map` stage returned an error.
    Failed {
        /// The stage's position, from 1 for the first after the source.
        stage: usize,
        /// The stage's kind (`"try_map"`).
        kind: &'static str,
        /// What the closure returned.
        error: BoxError,
    },
    /// A stage's closure, or the source's iterator (stage 0), panicked.
    Panicked {
        /// The stage's position; 0 is the source.
        stage: usize,
        /// The stage's kind (`"map"`, ..., or `"source"`).
        kind: &'static str,
        /// The panic's message.
        message: String,
    },
}

impl fmt::Display for PipelineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PipelineError::Failed { stage, kind, error } => write!(f, "stage {stage} ({kind}) failed: {error}"),
            PipelineError::Panicked { stage: 0, message, .. } => write!(f, "the source panicked: {message}"),
            PipelineError::Panicked { stage, kind, message } => write!(f, "stage {stage} ({kind}) panicked: {message}"),
        }
    }
}

impl std::error::Error for PipelineError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PipelineError::Failed { error, .. } => Some(&**error),
            PipelineError::Panicked { .. } => None,
        }
    }
}

type Closer = Box<dyn Fn() + Send + Sync>;

/// What every goroutine of one pipeline shares.
struct State {
    /// Invariant 1. Relaxed: a hint checked per item; the channels' close
    /// is what actually stops a goroutine.
    cancelled: AtomicBool,
    /// Invariant 2.
    error: Mutex<Option<PipelineError>>,
    /// Invariant 1: closes each channel of the pipeline.
    closers: Mutex<Vec<Closer>>,
    /// Where `pipeline!` was written: the spawn site of its goroutines.
    site: &'static Location<'static>,
}

impl State {
    fn new(site: &'static Location<'static>) -> Arc<State> {
        Arc::new(State {
            cancelled: AtomicBool::new(false),
            error: Mutex::new(None),
            closers: Mutex::new(Vec::new()),
            site,
        })
    }

    fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
        for close in self.closers.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            close();
        }
    }

    fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    /// Records `e` if it is the first failure, and stops the pipeline.
    fn fail(&self, e: PipelineError) {
        {
            let mut slot = self.error.lock().unwrap_or_else(|e| e.into_inner());
            if slot.is_none() {
                *slot = Some(e);
            }
        }
        self.cancel();
    }

    /// A channel of this pipeline, registered for `cancel`.
    fn channel<T: Send + 'static>(&self, cap: usize) -> (Sender<T>, Receiver<T>) {
        let (tx, rx) = chan(cap);
        self.adopt(&rx);
        (tx, rx)
    }

    /// Registers `rx`'s channel for `cancel` (a clone of a receiver keeps
    /// no sender alive, so completion still flows: invariant 3).
    fn adopt<T: Send + 'static>(&self, rx: &Receiver<T>) {
        let rx = rx.clone();
        self.closers.lock().unwrap_or_else(|e| e.into_inner()).push(Box::new(move || {
            rx.close();
        }));
    }

    /// Runs `body` as a goroutine of the pipeline: a panic in it is the
    /// pipeline's failure (invariant 2), not the goroutine's.
    fn go(self: &Arc<State>, stage: usize, kind: &'static str, body: impl FnOnce() + Send + 'static) -> JoinHandle<()> {
        self.go_placed(None, stage, kind, body)
    }

    /// As `go`; `Some(k)` for the k-th worker of a fan-out, started on the
    /// k-th worker thread after this one so the fan-out runs in parallel
    /// (scheduler/placement.rs invariant 3).
    fn go_placed(
        self: &Arc<State>,
        spread: Option<usize>,
        stage: usize,
        kind: &'static str,
        body: impl FnOnce() + Send + 'static,
    ) -> JoinHandle<()> {
        let state = self.clone();
        let run = move || {
            if let Err(payload) = catch_unwind(AssertUnwindSafe(body)) {
                let message = crate::panic::payload_message(&*payload);
                state.fail(PipelineError::Panicked { stage, kind, message });
            }
        };
        match spread {
            Some(k) => spawn_spread_at(k, run, self.site),
            None => spawn_at(run, self.site),
        }
    }
}

/// How a stage runs: `pipeline!`'s options.
#[derive(Clone, Copy, Debug)]
pub struct Opts {
    /// The stage's position, from 1.
    pub stage: usize,
    /// Its kind, for error messages.
    pub kind: &'static str,
    /// Goroutines running it (fan-out/fan-in over one input channel).
    pub workers: usize,
    /// Keep the input's order with `workers > 1`.
    pub ordered: bool,
    /// The capacity of its output channel.
    pub buffer: usize,
}

/// A pipeline under construction: its last channel and its goroutines.
/// `pipeline!` expands to a chain of these calls. Dropped before `finish`
/// (a stage's function or option panicked while the pipeline was being
/// built, after its source started), it cancels what it started.
pub struct Builder<T> {
    /// `None` once moved on to the next stage or the `Pipeline`.
    input: Option<Receiver<T>>,
    state: Arc<State>,
    handles: Vec<JoinHandle<()>>,
}

impl<T> Drop for Builder<T> {
    fn drop(&mut self) {
        if self.input.is_some() {
            self.state.cancel();
        }
    }
}

impl<T> Builder<T> {
    fn input(&self) -> &Receiver<T> {
        match &self.input {
            Some(rx) => rx,
            None => unreachable!("a Builder is used once"),
        }
    }

    /// Moves on: the next stage's builder (or the pipeline) takes the
    /// goroutines; this one no longer cancels them when dropped.
    fn take(&mut self) -> (Receiver<T>, Vec<JoinHandle<()>>) {
        match self.input.take() {
            Some(rx) => (rx, std::mem::take(&mut self.handles)),
            None => unreachable!("a Builder is used once"),
        }
    }
}

impl<T: Send + 'static> Builder<T> {
    /// A source that runs `items` in a goroutine of its own.
    #[track_caller]
    pub fn from_iter<I>(items: I, buffer: usize) -> Builder<T>
    where
        I: IntoIterator<Item = T> + Send + 'static,
    {
        Builder::from_iter_at(items, buffer, Location::caller())
    }

    /// As [`from_iter`](Self::from_iter), with the pipeline's goroutines
    /// recording `site` as their spawn site.
    pub fn from_iter_at<I>(items: I, buffer: usize, site: &'static Location<'static>) -> Builder<T>
    where
        I: IntoIterator<Item = T> + Send + 'static,
    {
        let state = State::new(site);
        let (tx, rx) = state.channel(buffer);
        let s = state.clone();
        let source = state.go(0, "source", move || {
            for item in items {
                if s.is_cancelled() || tx.send(item).is_err() {
                    break;
                }
            }
        });
        Builder { input: Some(rx), state, handles: vec![source] }
    }

    /// A source that is a channel: its values, until it is closed. Dropping
    /// the pipeline closes it too.
    #[track_caller]
    pub fn from_receiver(rx: Receiver<T>) -> Builder<T> {
        Builder::from_receiver_at(rx, Location::caller())
    }

    /// As [`from_receiver`](Self::from_receiver), with `site` as the spawn
    /// site.
    pub fn from_receiver_at(rx: Receiver<T>, site: &'static Location<'static>) -> Builder<T> {
        let state = State::new(site);
        state.adopt(&rx);
        Builder { input: Some(rx), state, handles: Vec::new() }
    }

    /// `map(f)`.
    pub fn map<U: Send + 'static>(self, opts: Opts, f: impl Fn(T) -> U + Send + Sync + 'static) -> Builder<U> {
        self.stage(opts, Map::new(f))
    }

    /// `filter(f)`.
    pub fn filter(self, opts: Opts, f: impl Fn(&T) -> bool + Send + Sync + 'static) -> Builder<T> {
        self.stage(opts, Filter::new(f))
    }

    /// `filter_map(f)`.
    pub fn filter_map<U: Send + 'static>(
        self,
        opts: Opts,
        f: impl Fn(T) -> Option<U> + Send + Sync + 'static,
    ) -> Builder<U> {
        self.stage(opts, FilterMap::new(f))
    }

    /// `flat_map(f)`.
    pub fn flat_map<I>(self, opts: Opts, f: impl Fn(T) -> I + Send + Sync + 'static) -> Builder<I::Item>
    where
        I: IntoIterator + 'static,
        I::Item: Send + 'static,
    {
        self.stage(opts, FlatMap::new(f))
    }

    /// `try_map(f)`.
    pub fn try_map<U, E>(self, opts: Opts, f: impl Fn(T) -> Result<U, E> + Send + Sync + 'static) -> Builder<U>
    where
        U: Send + 'static,
        E: Into<BoxError> + 'static,
    {
        self.stage(opts, TryMap::new(f))
    }

    /// `inspect(f)`.
    pub fn inspect(self, opts: Opts, f: impl Fn(&T) + Send + Sync + 'static) -> Builder<T> {
        self.stage(opts, Inspect::new(f))
    }

    /// Adds a stage running `step`, as `opts` says.
    pub fn stage<S: Step<T>>(mut self, opts: Opts, step: S) -> Builder<S::Out> {
        assert!(opts.workers > 0, "pipeline! stage {} ({}): `workers` must be at least 1", opts.stage, opts.kind);
        let (tx, rx) = self.state.channel(opts.buffer);
        if opts.workers > 1 && opts.ordered {
            self.ordered(opts, step, tx);
        } else {
            let fan_out = opts.workers > 1;
            for k in 0..opts.workers {
                let (input, tx, step, s) = (self.input().clone(), tx.clone(), step.clone(), self.state.clone());
                let spread = fan_out.then_some(k);
                let h = self.state.go_placed(spread, opts.stage, opts.kind, move || run(&s, opts, &step, &input, &tx));
                self.handles.push(h);
            }
        }
        let (_, handles) = self.take();
        Builder { input: Some(rx), state: self.state.clone(), handles }
    }

    /// `workers > 1, ordered`: a dispatcher deals items round-robin to the
    /// workers, each over a channel of its own, and a collector takes the
    /// results back in the same rotation, so the output keeps the input's
    /// order. A worker streams what one input produces (a `flat_map` may
    /// produce any number, endlessly) and then marks its end, so the
    /// reorder buffer is these channels: at most `buffer` pieces per worker,
    /// and every send can fail when the pipeline is cancelled.
    fn ordered<S: Step<T>>(&mut self, opts: Opts, step: S, tx: Sender<S::Out>) {
        let per_worker = opts.buffer.max(1);
        let mut to_workers = Vec::with_capacity(opts.workers);
        let mut from_workers = Vec::with_capacity(opts.workers);
        for k in 0..opts.workers {
            let (in_tx, in_rx) = self.state.channel::<T>(per_worker);
            let (out_tx, out_rx) = self.state.channel::<Piece<S::Out>>(per_worker);
            let (step, s) = (step.clone(), self.state.clone());
            let h = self.state.go_placed(Some(k), opts.stage, opts.kind, move || {
                for item in &in_rx {
                    if s.is_cancelled() {
                        return;
                    }
                    match step.step(item, &mut |v| out_tx.send(Piece::Item(v)).is_ok()) {
                        Ok(true) => {}
                        Ok(false) => return,
                        Err(error) => {
                            return s.fail(PipelineError::Failed { stage: opts.stage, kind: opts.kind, error })
                        }
                    }
                    if out_tx.send(Piece::End).is_err() {
                        return;
                    }
                }
            });
            self.handles.push(h);
            to_workers.push(in_tx);
            from_workers.push(out_rx);
        }
        let (input, s) = (self.input().clone(), self.state.clone());
        let dispatcher = self.state.go(opts.stage, opts.kind, move || {
            for (i, item) in input.iter().enumerate() {
                if s.is_cancelled() || to_workers[i % to_workers.len()].send(item).is_err() {
                    break;
                }
            }
        });
        let s = self.state.clone();
        let collector = self.state.go(opts.stage, opts.kind, move || {
            for i in 0.. {
                // Item i's outputs, from the worker it was dealt to.
                let from = &from_workers[i % from_workers.len()];
                loop {
                    match from.recv() {
                        Some(Piece::Item(v)) => {
                            if s.is_cancelled() || tx.send(v).is_err() {
                                return;
                            }
                        }
                        Some(Piece::End) => break,
                        // That worker ended: the input is drained (or the
                        // pipeline stopped).
                        None => return,
                    }
                }
            }
        });
        self.handles.push(dispatcher);
        self.handles.push(collector);
    }

    /// The output end.
    pub fn finish(mut self) -> Pipeline<T> {
        let (output, handles) = self.take();
        Pipeline { output, state: self.state.clone(), handles }
    }
}

/// One stage worker: its share of the input, through `step`, to `tx`.
fn run<T, S: Step<T>>(state: &State, opts: Opts, step: &S, input: &Receiver<T>, tx: &Sender<S::Out>) {
    for item in input {
        if state.is_cancelled() {
            return;
        }
        match step.step(item, &mut |v| tx.send(v).is_ok()) {
            Ok(true) => {}
            Ok(false) => return,
            Err(error) => return state.fail(PipelineError::Failed { stage: opts.stage, kind: opts.kind, error }),
        }
    }
}

/// What an ordered stage's worker sends its collector: the outputs of one
/// input, then its end.
enum Piece<U> {
    Item(U),
    End,
}

/// The output of a `pipeline!`: an iterator over what its last stage
/// emits. Dropping it (or breaking out of a loop over it) stops every stage
/// and the source; [`wait`](Pipeline::wait) runs it to its end and reports
/// the first failure.
///
/// ```
/// use goroutines_runtime::pipeline::{Builder, Opts, DEFAULT_BUFFER};
/// let opts = Opts { stage: 1, kind: "map", workers: 1, ordered: false, buffer: DEFAULT_BUFFER };
/// let squares: Vec<u64> = Builder::from_iter(1..=4u64, DEFAULT_BUFFER).map(opts, |n| n * n).finish().collect();
/// assert_eq!(squares, [1, 4, 9, 16]);
/// ```
#[must_use = "dropping a Pipeline stops it at once: iterate over it, or call `wait()` to run it to its end"]
pub struct Pipeline<T> {
    output: Receiver<T>,
    state: Arc<State>,
    handles: Vec<JoinHandle<()>>,
}

impl<T> Pipeline<T> {
    /// Runs the pipeline to its end, dropping what it emits that was not
    /// taken yet, waits for every stage, and returns the first failure: a
    /// `try_map` error or a panic, naming the stage ("stage 2 (map)
    /// panicked: ..."). After a failure every stage stops.
    pub fn wait(mut self) -> Result<(), PipelineError> {
        for _ in &self.output {}
        for h in self.handles.drain(..) {
            // A panic inside a stage is caught by the stage (`State::go`)
            // and recorded; `join` has nothing else to report.
            let _ = h.join();
        }
        match self.state.error.lock().unwrap_or_else(|e| e.into_inner()).take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Stops every stage and the source now (what dropping it does).
    pub fn cancel(&self) {
        self.state.cancel();
    }
}

impl<T> Iterator for Pipeline<T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.output.recv()
    }
}

impl<T> Drop for Pipeline<T> {
    fn drop(&mut self) {
        // Invariant 4.
        self.state.cancel();
    }
}

impl<T> fmt::Debug for Pipeline<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pipeline").field("goroutines", &self.handles.len()).finish_non_exhaustive()
    }
}
