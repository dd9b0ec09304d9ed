//! `every`: the seed's periodic task, a goroutine driven by a `Ticker`
//! and stopped by a `Context`.

use std::panic::Location;
use std::time::Duration;

use super::Ticker;
use crate::context::Context;
use crate::join::JoinHandle;
use crate::scheduler::spawn_at;
use crate::select::Select;

/// Runs `task` every `period` in a goroutine of its own until `ctx` is
/// cancelled; the handle's `join` returns how many times it ran. A run that
/// takes longer than the period makes the ticker drop ticks (Go's ticker
/// does the same), so runs never pile up. A `period` beyond the clock's
/// range never runs `task`.
///
/// # Panics
/// If `period` is zero (here, at the call, as `Ticker::new` would).
///
/// ```
/// use std::time::Duration;
/// use goroutines_runtime::context::Context;
/// use goroutines_runtime::time::{every, sleep};
/// let (ctx, cancel) = Context::background().with_cancel();
/// let h = every(Duration::from_millis(1), &ctx, || {});
/// sleep(Duration::from_millis(10));
/// cancel.cancel();
/// assert!(h.join().unwrap() >= 1);
/// ```
#[track_caller]
pub fn every<F>(period: Duration, ctx: &Context, mut task: F) -> JoinHandle<u64>
where
    F: FnMut() + Send + 'static,
{
    super::check_period("every", period);
    let ctx = ctx.clone();
    spawn_at(
        move || {
            let ticker = Ticker::new(period);
            let done = ctx.done();
            let mut runs = 0;
            loop {
                let mut sel = Select::new();
                let stop = sel.recv(&done);
                let tick = sel.recv(ticker.receiver());
                let op = sel.select();
                if op.index() == stop {
                    let _ = op.recv(&done);
                    break;
                }
                debug_assert_eq!(op.index(), tick);
                let _ = op.recv(ticker.receiver());
                task();
                runs += 1;
            }
            ticker.stop();
            runs
        },
        Location::caller(),
    )
}
