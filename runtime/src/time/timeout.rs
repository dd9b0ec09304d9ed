//! `timeout(d, f)`: the seed's `doWorkWithTimeout`, without its leak. `f`
//! runs in a goroutine that sends its result on a channel with room for
//! it, so when the caller has stopped waiting the goroutine still finishes
//! (nothing can stop running code), its send never blocks, and the result
//! goes nowhere: dropped with the channel.

use std::fmt;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe, Location};
use std::time::Duration;

use crate::chan::{chan, RecvTimeoutError};
use crate::scheduler::spawn_at;

/// `timeout` gave up waiting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Elapsed {
    after: Duration,
}

impl Elapsed {
    /// How long it waited.
    pub fn after(&self) -> Duration {
        self.after
    }
}

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "timed out after {:?}", self.after)
    }
}

impl std::error::Error for Elapsed {}

/// Runs `f` in a goroutine and waits at most `d` for its result. On
/// `Err(Elapsed)` the goroutine runs on to its end and its result is
/// dropped: give it a `Context` to stop it early. A panic in `f` is resumed
/// here if it comes in time.
///
/// ```
/// use std::time::Duration;
/// use goroutines_runtime::time::{sleep, timeout};
/// assert_eq!(timeout(Duration::from_secs(5), || 6 * 7), Ok(42));
/// let slow = timeout(Duration::from_millis(1), || sleep(Duration::from_millis(50)));
/// assert!(slow.is_err());
/// ```
#[track_caller]
pub fn timeout<T, F>(d: Duration, f: F) -> Result<T, Elapsed>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    // Room for the one result: the goroutine's send never waits.
    let (tx, rx) = chan(1);
    drop(spawn_at(
        move || {
            let _ = tx.send(catch_unwind(AssertUnwindSafe(f)));
        },
        Location::caller(),
    ));
    match rx.recv_timeout(d) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(payload)) => resume_unwind(payload),
        Err(RecvTimeoutError::Timeout) => Err(Elapsed { after: d }),
        // The goroutine always sends before its sender goes.
        Err(RecvTimeoutError::Closed) => unreachable!("timeout's goroutine ended without a result"),
    }
}
