//! Yielding before parking: a goroutine whose send or receive on a buffered
//! channel, or whose select with a buffered arm, cannot complete now looks
//! again a few times, yielding its worker in between, before it registers
//! and parks. A plain thread does the same with crossbeam's backoff (spin,
//! then yield the thread): a plain `fn main` feeding a worker pool through a
//! full jobs channel went from 1.3 s to 1.0 s (fresh processes, 2 cores). (Unbuffered operations register at once: a rendezvous needs
//! one side registered for the other to meet.)
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
//! most `MAX_YIELDS` switches, and parks at the first look after
//! `PATIENCE` has passed (timed only while other goroutines are queued
//! here: with none, a yield comes straight back); and it does not look
//! again at all while more than `MAX_QUEUED` goroutines are queued on its
//! worker, where a yield would come back late, after a trip through cold
//! stacks (20,000 goroutines settling into a select each paid one:
//! measured, twice the time to settle).
//!
//! Fairness: a sender woken from the queue competes with goroutines still
//! looking, so the order among blocked senders is a hint, as it was for
//! senders racing a woken one before.

use std::time::{Duration, Instant};

/// Yields (and looks again) at most this many times.
const MAX_YIELDS: u32 = 16;
/// Stops looking once this long has passed since the first look.
const PATIENCE: Duration = Duration::from_micros(2);
/// Looks a plain thread takes before it registers (see `snooze`).
const THREAD_LOOKS: u32 = 10;
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
    /// once it should register and park. Plain threads spin and yield
    /// their thread a few times instead (`snooze`); loom models park at
    /// once. The caller holds no lock, spin lock or reservation
    /// (as for `spend_budget`).
    pub(crate) fn yield_again(&mut self) -> bool {
        if cfg!(loom) || self.yields >= MAX_YIELDS {
            return false;
        }
        if crate::goroutine::current::running_ptr().is_none() {
            return self.snooze();
        }
        let queued = crate::scheduler::queued_here();
        if queued > MAX_QUEUED {
            return false;
        }
        if queued > 0 {
            let now = Instant::now();
            match self.since {
                None => self.since = Some(now),
                Some(since) if now.duration_since(since) >= PATIENCE => return false,
                Some(_) => {}
            }
        }
        self.yields += 1;
        crate::yield_now();
        true
    }

    /// A plain thread's looking again (crossbeam's `Backoff::snooze`): spin
    /// 1, 2, 4, .. 32 times, then yield the thread, [`THREAD_LOOKS`] looks
    /// in all. The peer is a goroutine on another core, usually a message
    /// away; registering and being woken would cost both sides more.
    fn snooze(&mut self) -> bool {
        if self.yields >= THREAD_LOOKS {
            return false;
        }
        if self.yields < 6 {
            for _ in 0..1u32 << self.yields {
                std::hint::spin_loop();
            }
        } else {
            std::thread::yield_now();
        }
        self.yields += 1;
        true
    }
}
