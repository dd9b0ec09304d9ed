//! Procedural macros of the `goroutines` crate: `go!`, `select!`,
//! `pipeline!`, `#[worker_pool]`, `#[goroutines::main]` and `#[goroutines::test]`.
//!
//! This file holds the entry points only. Each macro runs in phases kept in
//! separate files: parse the input into a model that keeps the user's
//! syntax, validate it, expand it. Errors are spanned on the smallest
//! offending node and say what to do; on error the output is still a
//! best-effort expansion next to the `compile_error!`, so one mistake does
//! not cascade into ten.
//!
//! Everything expands to calls on `::goroutines::__private`, never on this
//! crate or on `goroutines-runtime` directly.

#![warn(missing_docs)]

mod entry;
mod errors;
mod go;
mod pipeline;
mod select;
mod span;
mod worker_pool;

use proc_macro::TokenStream;

/// Starts a goroutine and returns its `JoinHandle<T>`.
///
/// - **Call form** `go!(f(a, b))`, `go!(obj.method(a))`, `go!((expr)(a))`:
///   like Go's `go f(x)`, the callee (unless it is a plain path such as
///   `f` or `f::<u8>`), the receiver and every argument are evaluated now,
///   in the caller, left to right and exactly once; only the call itself
///   runs in the new goroutine. Each value is moved into the goroutine, the
///   receiver too: `go!(v.len())` moves `v` (write `go!(v.clone().len())`
///   to keep it). A value that is not `Send` is reported at its argument.
///   A closure literal argument, `go!(apply(items, |s| s.len()))`, is built
///   inside the goroutine (so its parameter types come from `apply`); what
///   it captures is moved in at the `go!`.
/// - **Block form** `go!({ ... })`: the block runs as a `move` closure.
/// - **Closure form** `go!(move || ...)`: the closure is spawned as is.
///
/// The goroutine records the place where `go!` is written as its spawn site
/// (`JoinHandle::spawn_site`, panic reports). Dropping the handle detaches
/// the goroutine.
///
/// ```
/// use goroutines::prelude::*;
///
/// fn add(a: u64, b: u64) -> u64 {
///     a + b
/// }
///
/// let mut x = 1;
/// let call = go!(add(x, 10)); // `x` is read here, before the goroutine runs
/// x = 100;
/// let block = go!({ x * 2 });
/// let closure = go!(move || "done");
///
/// assert_eq!(call.join().unwrap(), 11);
/// assert_eq!(block.join().unwrap(), 200);
/// assert_eq!(closure.join().unwrap(), "done");
/// ```
#[proc_macro]
pub fn go(input: TokenStream) -> TokenStream {
    go::go(input.into()).into()
}

/// A pipeline of goroutines joined by channels: a source, then stages
/// joined by `=>`. Evaluates to `goroutines::Pipeline<T>`, an iterator over
/// what the last stage emits.
///
/// ```text
/// pipeline! {
///     source                                  // any IntoIterator + Send + 'static, or a Receiver
///     => map(|x| ...)                         // one output per input
///     => filter(|x: &T| ...)                  // keeps what the function accepts
///     => filter_map(|x| Some(...))            // keeps the Somes
///     => flat_map(|x| vec![...])              // every item of what it returns
///     => try_map(|x| Ok(...))                 // the first Err stops everything
///     => inspect(|x: &T| ...)                 // looks, passes on
///     => map(workers = 4, ordered, buffer = 16, |x| ...)
/// }
/// ```
///
/// - **Options**, before the function: `workers = N` runs the stage on N
///   goroutines over one input channel (fan-out/fan-in); `ordered` keeps the
///   input's order with several workers; `buffer = N` is the capacity of
///   the stage's output channel (default `goroutines::pipeline::DEFAULT_BUFFER`).
/// - **Functions are `Fn`** (they may run on several goroutines at once)
///   and `Send + Sync + 'static`.
/// - **Sources**: a `Receiver` (a variable, or any expression of that type)
///   is used as is, and dropping the pipeline closes it; anything else is
///   an iterator run in a goroutine of its own (a `Receiver` inside an
///   iterator chain, `rx.iter().map(..)`, is such an iterator: dropping the
///   pipeline does not close its channel).
/// - **Stopping**: dropping the `Pipeline`, or breaking out of a loop over
///   it, stops every stage and the source. `Pipeline::wait()` runs it to its
///   end and returns the first `try_map` error or panic, naming the stage
///   ("stage 2 (map) panicked: ..."); after a failure every stage stops.
///
/// ```
/// use goroutines::prelude::*;
///
/// let evens: Vec<u64> = pipeline! {
///     1..=10u64
///     => map(|n| n * n)
///     => map(workers = 4, ordered, |n| n + 1)
///     => filter(|n| n % 2 == 0)
/// }
/// .collect();
/// assert_eq!(evens, [2, 10, 26, 50, 82]);
/// ```
#[proc_macro]
pub fn pipeline(input: TokenStream) -> TokenStream {
    pipeline::pipeline(input.into()).into()
}

/// Waits on several channel operations and runs the arm of the one that
/// happens: Go's `select`, with Go's arrows.
///
/// ```text
/// select! {
///     v = <-rx => ...,            // v: Option<T>, `None` once rx is closed
///     Some(job) = <-jobs => ...,  // arm disabled once `jobs` is closed
///     <-done => ...,              // receive and drop the value (runs on close too)
///     tx <- value => ...,         // send arm
///     res = tx <- value => ...,   // send arm; res: Result<(), SendError<T>>
///     <-after(timeout) => ...,    // any expression giving a receiver
///     default => ...,             // optional: makes the select non-blocking
/// }
/// ```
///
/// - **Which arm**: the select blocks until at least one operation can
///   proceed, then performs exactly one, chosen uniformly at random among
///   those ready, and runs its arm. With `default`, it does not block: if
///   no operation is ready, the `default` arm runs. As Go's, `default`
///   runs only if at one instant during the select no arm could proceed:
///   a select over two channels never takes `default` while one of them
///   always holds a value, however the values move between them.
/// - **Entry**: every channel operand and every sent value is evaluated
///   once, in source order, when the select is entered, as in Go.
/// - **Operands**: `<-x` takes a `Receiver<T>` (owned ones, such as
///   `after(d)`, live as long as the select), a `&Receiver<T>`, a
///   `Ticker` or `Timer`, or an `Option` of those; `tx <- v` takes a
///   `Sender<T>`, `&Sender<T>` or `Option<&Sender<T>>`. `None` disables
///   the arm, as a nil channel does in Go. Operands are borrowed: `<-rx`
///   does not move `rx`.
/// - **Syntax**: arms are separated by commas, optional after a block body
///   (as in `match`); a sent value may be a struct literal
///   (`tx <- Job { id } => ...`).
/// - **Receive arms**: `v = <-rx` binds the `Option<T>` (`None` when `rx`
///   is closed and drained); `<-rx` and `_ = <-rx` drop it. `Some(p) = <-rx`
///   binds the value, and when `rx` is closed the arm is disabled and the
///   select goes on with the other arms (it is never run with `None`). Any
///   other pattern that could refuse a value (`Some(3) = <-rx`) is a compile
///   error: the refused value would be lost.
/// - **Send arms**: the value is handed to the channel only if this arm is
///   chosen; when another arm is chosen it is dropped (Go drops it too),
///   before the chosen arm's body runs. If the chosen channel is closed, a
///   plain `tx <- v` arm panics as Go does ("send on a closed channel");
///   `res = tx <- v` runs the arm with `Err(SendError(v))` instead.
/// - **Blocking forever**: `select! {}`, or a select whose arms are all
///   disabled and that has no `default`, blocks forever, as Go's
///   `select {}` does.
/// - **Value**: `select!` is an expression; its value is the chosen arm's.
///   `break` and `continue` in an arm apply to the loop around the select.
///
/// ```
/// use goroutines::prelude::*;
///
/// let (tx, rx) = chan::<u32>(1);
/// let (_quit_tx, quit) = chan::<()>(0);
/// tx.send(7).unwrap();
/// let got = select! {
///     Some(n) = <-rx => n * 6,
///     <-quit => 0,
///     default => 1,
/// };
/// assert_eq!(got, 42);
/// ```
#[proc_macro]
pub fn select(input: TokenStream) -> TokenStream {
    select::select(input.into()).into()
}

/// Runs `main` as a goroutine on the global runtime; the main thread waits
/// for it and returns its value, so `main` may return `Result`. That value
/// crosses from the goroutine to the main thread and must be `Send`: return
/// `Box<dyn Error + Send + Sync>`, not `Box<dyn Error>`.
///
/// Attributes, visibility and docs on the fn are kept; the fn takes no
/// arguments (read `std::env::args()`) and is not `async`.
///
/// ```
/// use goroutines::prelude::*;
/// use std::error::Error;
///
/// #[goroutines::main]
/// fn main() -> Result<(), Box<dyn Error + Send + Sync>> {
///     let n: u64 = "6".parse()?;
///     let h = go!({ n * 7 });
///     assert_eq!(h.join()?, 42);
///     Ok(())
/// }
/// ```
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::entry(entry::Kind::Main, args.into(), item.into()).into()
}

/// Makes a `#[test]` whose body runs as a goroutine on the global runtime.
/// Other attributes (`#[should_panic]`, `#[ignore]`, docs) are kept.
///
/// **Leak check**: the test fails if goroutines the body started (or they
/// started) are still alive 200 ms after it returned, listing each with
/// where it was spawned and where it waits (Go's goleak). Tests running in
/// parallel are told apart by ancestry, so one test's leak is never blamed
/// on another. `goroutines::debug::leak_check(|| ...)` does the same for
/// any closure.
///
/// ```
/// # // Doctests do not run `#[test]` fns: this one is only compiled.
/// use goroutines::prelude::*;
///
/// #[goroutines::test]
/// fn goroutines_add_up() {
///     let h = go!({ 1 + 1 });
///     assert_eq!(h.join().unwrap(), 2);
/// }
///
/// #[goroutines::test]
/// #[should_panic(expected = "boom")]
/// fn a_panic_fails_the_test() {
///     panic!("boom");
/// }
/// # fn main() {}
/// ```
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::entry(entry::Kind::Test, args.into(), item.into()).into()
}

/// Turns `fn name(job: J) -> R` into a worker pool, keeping the function:
/// a module `name` gets `start() -> WorkerPool<J, R>` and
/// `run(jobs) -> Vec<R>` (results in completion order).
///
/// Options: `workers = N` (default `max_procs()`), `buffer = M` (jobs
/// waiting, and results not yet taken; default
/// `goroutines::pipeline::DEFAULT_BUFFER`). A job that panics is reported
/// (worker number, message), counted (`pool.panicked()`), and its worker
/// goes on with the next job.
///
/// ```
/// use goroutines::worker_pool;
///
/// #[worker_pool(workers = 4, buffer = 16)]
/// fn square(n: u64) -> u64 {
///     n * n
/// }
///
/// fn main() {
///     assert_eq!(square(3), 9); // the function stays callable
///     let mut all = square::run(1..=5);
///     all.sort();
///     assert_eq!(all, [1, 4, 9, 16, 25]);
///
///     let pool = square::start();
///     pool.submit(7).unwrap();
///     assert_eq!(pool.finish(), [49]);
/// }
/// ```
///
/// The function must be an item of a module, not of a function's body: the
/// generated module reaches it as `super::name`.
#[proc_macro_attribute]
pub fn worker_pool(attr: TokenStream, item: TokenStream) -> TokenStream {
    worker_pool::worker_pool(attr.into(), item.into()).into()
}
