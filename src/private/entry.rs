//! `#[goroutines::main]` and `#[goroutines::test]`: the body runs as a
//! goroutine of the global runtime while the calling thread waits.
//!
//! What the body returns crosses from its goroutine to the waiting thread,
//! so it must be `Send`, and `main`'s favourite error type,
//! `Box<dyn Error>`, is not. So the body's value is turned, inside the
//! goroutine, into a `Send` value that ends the program (or the test) the
//! same way: an error becomes its `Debug` text, which is all `main` or the
//! test harness would print of it.

use std::fmt;
use std::process::{ExitCode, Termination};

/// A type `main` or a test may return under `#[goroutines::main]` /
/// `#[goroutines::test]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned from a goroutines main or test",
    label = "return `()`, `ExitCode`, or `Result<(), E>` / `Result<ExitCode, E>` with `E: Debug`"
)]
pub trait EntryReturn {
    /// What crosses back to the waiting thread.
    type Sendable: Termination + Send + 'static;

    /// Called inside the goroutine.
    fn into_sendable(self) -> Self::Sendable;
}

impl EntryReturn for () {
    type Sendable = ();
    fn into_sendable(self) {}
}

impl EntryReturn for ExitCode {
    type Sendable = ExitCode;
    fn into_sendable(self) -> ExitCode {
        self
    }
}

impl<E: fmt::Debug> EntryReturn for Result<(), E> {
    type Sendable = Result<(), ErrorReport>;
    fn into_sendable(self) -> Self::Sendable {
        self.map_err(ErrorReport::new)
    }
}

impl<E: fmt::Debug> EntryReturn for Result<ExitCode, E> {
    type Sendable = Result<ExitCode, ErrorReport>;
    fn into_sendable(self) -> Self::Sendable {
        self.map_err(ErrorReport::new)
    }
}

/// An error returned by `main` or a test, as its `Debug` text: printed as
/// `Error: …` exactly as the error itself would have been.
pub struct ErrorReport(String);

impl ErrorReport {
    fn new<E: fmt::Debug>(e: E) -> ErrorReport {
        ErrorReport(format!("{e:?}"))
    }
}

impl fmt::Debug for ErrorReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `#[goroutines::main]`: runs `body` as a goroutine of the global runtime;
/// the main thread waits for it. A panic continues in `main`.
#[track_caller]
pub fn run_main<F, T>(body: F) -> T::Sendable
where
    F: FnOnce() -> T + Send + 'static,
    T: EntryReturn,
{
    let rt = goroutines_runtime::Runtime::global();
    // Go's "all goroutines are asleep - deadlock!" (Builder::detect_deadlocks).
    rt.set_detect_deadlocks(true);
    rt.block_on(move || body().into_sendable())
}

/// `#[goroutines::test]`: runs the test body as a goroutine.
#[track_caller]
pub fn run_test<F, T>(body: F) -> T::Sendable
where
    F: FnOnce() -> T + Send + 'static,
    T: EntryReturn,
{
    goroutines_runtime::Runtime::global().set_detect_deadlocks(true);
    // Fails the test if the body leaves goroutines it started behind.
    goroutines_runtime::debug::__run_test_checked(move || body().into_sendable())
}
