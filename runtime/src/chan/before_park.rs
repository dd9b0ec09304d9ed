//! Yielding before parking: a goroutine whose channel operation cannot
//! complete now looks again a few times, yielding its worker in between,
//! before it registers and parks.
//!
//! Goroutines are pinned, so a producer and a consumer on different
//! workers talk through cross-worker wake-ups (a remote queue push, often
//! a futex call). When one side waits only because the other has not
//! caught up yet, as a producer filling a full ring usually does, the
//! other side frees room within a message's time; parking there would
//! cost a wake-up per message. A yield also runs this worker's other
//! goroutines first (the other side among them, if it is here).
//!
//! The looking is bounded: a goroutine that must really wait burns at
//! most `MAX_YIELDS` switches and parks once `PATIENCE` has passed; and
//! it does not look again at all while more than `MAX_QUEUED` goroutines
//! are queued on its worker, where a yield would come back late, after a
//! trip through cold stacks (10,000 goroutines settling into a wait would
//! each pay one: measured, twice the time to settle).

use std::time::{Duration, Instant};

/// Looks at most this many times.
const MAX_YIELDS: u32 = 16;
/// Stops looking once this long has passed since the first look.
const PATIENCE: Duration = Duration::from_micros(2);
/// Parks at once while more goroutines than this are queued on the worker.
const MAX_QUEUED: usize = 8;

/// The state of one operation's looking (see the module docs).
#[derive(Default)]
pub(crate) struct BeforePark {
    yields: u32,
    since: Option<Instant>,
}

impl BeforePark {
    /// Yields and returns `true` if the caller should look again, `false`
    /// once it should register and park. Plain threads park at once, as
    /// loom models do.
    pub(crate) fn yield_again(&mut self) -> bool {
        if cfg!(loom) || self.yields >= MAX_YIELDS || crate::goroutine_id() == 0 {
            return false;
        }
        if crate::scheduler::queued_here() > MAX_QUEUED {
            return false;
        }
        let now = Instant::now();
        match self.since {
            None => self.since = Some(now),
            Some(since) if now.duration_since(since) >= PATIENCE => return false,
            Some(_) => {}
        }
        self.yields += 1;
        crate::yield_now();
        true
    }
}
