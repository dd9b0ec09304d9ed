//! Placement: where a goroutine waits to run. One decision per event, all
//! of them here: a spawn (`Shared::submit`), a wake
//! (`Shared::schedule_woken`) and a steal (`StealWatch`).
//!
//! A started goroutine is pinned to its worker for life (goroutine/mod.rs),
//! so the worker it *starts* on decides what every message it exchanges
//! will cost: a switch (~25 ns) with a partner on the same worker, a
//! cross-worker wake-up (a remote push, often a futex call) with one on
//! another. Go can leave this to chance, because its scheduler moves a
//! woken goroutine next to its waker; we cannot. So the policy is: start a
//! goroutine next to the goroutine or thread that spawned it (the one it
//! will most likely talk to), and move it to another worker only while it
//! has not started and only when its worker is really not getting to it.
//!
//! # Invariants
//!
//! 1. **Wake.** A started goroutine is only ever queued on its home worker:
//!    on that worker's own thread in `runnext` (a goroutine woke it) or
//!    `ready`, from any other thread in its `remote` queue, whose worker is
//!    woken if it sleeps (idle.rs invariant 4).
//! 2. **Spawn, near** (`go!`, `spawn`, `scope`). From a goroutine running
//!    on an active worker of the runtime: that worker's `spawned` slot,
//!    run next (Go's `runnext` rule; the slot's previous occupant moves to
//!    the deque), so a partner spawned just before its spawner blocks
//!    starts beside it. From anywhere else (a plain thread, a `blocking()`
//!    thread, an inactive worker, another runtime's worker): the `placed`
//!    queue of the calling thread's *home* worker, chosen once per thread
//!    (round robin over the active workers, again if it became inactive),
//!    so the goroutines one plain thread spawns start together, and two
//!    plain threads' goroutines on different workers.
//! 3. **Spawn, spread** (`spawn_spread_at(k)`: the workers of a
//!    `pipeline!` stage or of a worker pool, which exist to run in
//!    parallel): the `placed` queue of the k-th active worker after the
//!    spawner's (or after the thread's home worker).
//! 4. **Steal.** Unstarted goroutines (the `spawned` slot, the deque, the
//!    `placed` queue) are stealable, but a steal is for life, so a thief
//!    takes from a victim only once the victim's unstarted goroutines have
//!    waited [`STEAL_GRACE`] ([`PLACED_GRACE`] if all it holds were placed
//!    there) without the victim running out of them: its
//!    `turnover` count is the same as when the thief first saw work there,
//!    that long ago, and the victim was awake (a worker woken for the work
//!    placed on it may take longer than the grace to get its thread back).
//!    A worker that runs through its queue keeps its goroutines; one stuck
//!    in a goroutine (a CPU loop, a blocked thread), or behind a queue that
//!    never empties, is helped within the grace. (Go's analogue is its
//!    short grace before stealing `runnext`.)
//! 5. `turnover` changes whenever a worker's unstarted goroutines run out
//!    (its own take, or a steal, that leaves none) and whenever one
//!    arrives where there were none. So a thief that sees the same count
//!    twice knows the victim had unstarted work at every moment in
//!    between, and a thief that took part of a stuck victim's queue may
//!    come back for more at once. Each side checks "none" apart from its
//!    push or take, so a push racing a take can miss a change: the cost is
//!    one goroutine stolen before its grace, never one stranded (the rule
//!    is a heuristic for speed; invariant 6 is what guarantees progress).
//! 6. **Nothing is stranded.** Every push of an unstarted goroutine is
//!    followed by `notify_idle` (and, for `placed`, a wake of that worker),
//!    so an idle worker looks; an idle worker that sees young work on a
//!    victim sleeps at most until that work ripens (idle.rs invariant 5),
//!    then looks again; a thief that leaves unstarted work behind on its
//!    victim, or takes a batch into its own deque, calls `notify_idle`
//!    too, so the rest is looked at by another idle worker, not only by
//!    itself once it is free again. So a goroutine placed on a worker that
//!    is held forever is started by another within about the grace, while
//!    any worker is idle.

use std::cell::Cell;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crossbeam_deque::{Steal, Worker as Deque};

use super::shared::{Shared, WorkerShared};
use super::worker;
use crate::goroutine::GoRef;

/// How long a victim's unstarted goroutines must have waited, without the
/// victim running out of them, before another worker takes them
/// (invariant 4). Long next to what a spawner does before it blocks, even
/// in a cold process, where the first goroutine's start maps a chunk of
/// stacks and faults in its pages; short next to any work worth running
/// in parallel (8 goroutines of 50 ms still run 1.95x faster on 2 workers
/// than on 1). Measured: with 100 µs, a plain `fn main` feeding a
/// 2-goroutine pipeline found its second goroutine stolen in 6 fresh
/// processes of 80 (each message then crossed workers: 21 µs an item
/// instead of 1 µs); with 1 ms, in none of 80.
pub(crate) const STEAL_GRACE: Duration = Duration::from_millis(1);

/// The grace for goroutines that were *placed* on their worker (a spread
/// group's, a plain thread's), when nothing else unstarted waits there:
/// overriding an explicit placement takes longer proof (invariant 4). A
/// worker woken for its placed goroutine that the OS deschedules between
/// waking and taking it looks stuck from outside; under a loaded sanitizer
/// run that took more than 1 ms, and a pipeline stage's second worker then
/// started beside the first, for life.
pub(crate) const PLACED_GRACE: Duration = Duration::from_millis(10);

/// How a spawn wants its goroutine placed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Placement {
    /// Beside its spawner (invariant 2).
    Near,
    /// The k-th of a group meant to run in parallel (invariant 3).
    Spread(usize),
}

thread_local! {
    /// This thread's home worker (invariant 2): the runtime's address and
    /// the worker's index; `(0, 0)`: none chosen yet.
    static HOME: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
}

impl Shared {
    /// Queues a goroutine that has never run (invariants 2, 3 and 6).
    pub(crate) fn submit(&'static self, g: GoRef, how: Placement) {
        self.count_live(1);
        match how {
            Placement::Near => {
                if let Err(g) = worker::push_new_local(self, g) {
                    self.place_on(self.home_of_thread(), g);
                }
            }
            Placement::Spread(k) => {
                let active = self.active().min(self.started()).max(1);
                let base = worker::current_index(self).filter(|&i| i < active).unwrap_or_else(|| self.home_of_thread());
                self.place_on((base + k) % active, g);
            }
        }
        self.notify_idle();
    }

    /// Queues `g` (unstarted) on worker `to`, waking it if it sleeps.
    fn place_on(&self, to: usize, g: GoRef) {
        let ws = self.worker(to);
        let first = !ws.has_unstarted();
        ws.placed.push(g);
        if first {
            ws.note_turnover();
        }
        ws.notify();
    }

    /// The calling thread's home worker: chosen on first use, round robin
    /// over the active workers, and again if it has become inactive.
    pub(crate) fn home_of_thread(&self) -> usize {
        let me = self as *const Shared as usize;
        let active = self.active().min(self.started()).max(1);
        let (rt, i) = HOME.with(Cell::get);
        if rt == me && i < active {
            return i;
        }
        let i = self.next_home.fetch_add(1, Ordering::Relaxed) % active;
        HOME.with(|h| h.set((me, i)));
        i
    }

    /// Queues a woken goroutine on its home worker (invariant 1).
    pub(crate) fn schedule_woken(&'static self, g: GoRef) {
        let home = g.home();
        if let Err(g) = worker::push_woken_local(self, home, g) {
            let ws = self.worker(home);
            ws.remote.push(g);
            ws.notify();
        }
    }

    /// Whether any worker holds an unstarted goroutine.
    pub(crate) fn has_unstarted(&self) -> bool {
        (0..self.started()).any(|i| self.worker(i).has_unstarted())
    }
}

impl WorkerShared {
    /// Whether this worker holds unstarted goroutines (invariant 4).
    pub(crate) fn has_unstarted(&self) -> bool {
        !self.spawned.load(Ordering::Relaxed).is_null() || !self.stealer.is_empty() || !self.placed.is_empty()
    }

    /// Whether this worker's only unstarted goroutines are placed ones.
    pub(crate) fn placed_only(&self) -> bool {
        self.spawned.load(Ordering::Relaxed).is_null() && self.stealer.is_empty()
    }

    /// How many unstarted goroutines this worker holds (a snapshot).
    pub(crate) fn unstarted_len(&self) -> usize {
        usize::from(!self.spawned.load(Ordering::Relaxed).is_null()) + self.stealer.len() + self.placed.len()
    }

    /// Invariant 5: the unstarted goroutines ran out, or arrived into none.
    pub(crate) fn note_turnover(&self) {
        self.turnover.fetch_add(1, Ordering::Relaxed);
    }

    /// Takes unstarted goroutines (one to run, a batch more into `dest`);
    /// the caller has seen them ripe (invariant 4). What is left stays
    /// ripe while the victim does not run out (invariant 5).
    pub(crate) fn steal_unstarted(&self, dest: &Deque<GoRef>) -> Option<GoRef> {
        let g = steal_until_done(|| self.stealer.steal_batch_and_pop(dest))
            .or_else(|| steal_until_done(|| self.placed.steal_batch_and_pop(dest)))
            .or_else(|| self.take_spawned());
        if g.is_some() && !self.has_unstarted() {
            self.note_turnover();
        }
        g
    }
}

/// One goroutine from a crossbeam steal, retrying while it says `Retry`.
pub(crate) fn steal_until_done(mut steal: impl FnMut() -> Steal<GoRef>) -> Option<GoRef> {
    loop {
        match steal() {
            Steal::Success(g) => return Some(g),
            Steal::Empty => return None,
            Steal::Retry => {}
        }
    }
}

/// What a thief found on a victim (invariant 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Look {
    /// No unstarted goroutines.
    Nothing,
    /// Unstarted goroutines that have waited out the grace: take them.
    Ripe,
    /// Unstarted goroutines, stealable from this instant.
    YoungUntil(Instant),
}

impl Look {
    /// The earliest time a victim's work ripens, over `self` and `other`.
    pub(crate) fn ripens(self, other: Option<Instant>) -> Option<Instant> {
        match self {
            Look::YoungUntil(t) => Some(other.map_or(t, |o| o.min(t))),
            Look::Ripe => Some(other.map_or_else(Instant::now, |o| o.min(Instant::now()))),
            Look::Nothing => other,
        }
    }
}

/// A thief's memory of when it first saw unstarted work on each victim,
/// and at which `turnover` count (invariant 4).
#[derive(Default)]
pub(crate) struct StealWatch {
    seen: Vec<Option<(u32, Instant)>>,
}

impl StealWatch {
    /// Looks at victim `v`'s unstarted goroutines (invariant 4).
    pub(crate) fn look(&mut self, v: usize, victim: &WorkerShared) -> Look {
        if self.seen.len() <= v {
            self.seen.resize(v + 1, None);
        }
        if !victim.has_unstarted() {
            self.seen[v] = None;
            return Look::Nothing;
        }
        let turnover = victim.turnover.load(Ordering::Relaxed);
        let now = Instant::now();
        let since = match self.seen[v] {
            // A victim still waking up is not stuck: waking a thread can
            // take longer than the grace (invariant 4).
            Some((t, since)) if t == turnover && !victim.sleeping.load(Ordering::Relaxed) => since,
            _ => {
                self.seen[v] = Some((turnover, now));
                now
            }
        };
        let grace = if victim.placed_only() { PLACED_GRACE } else { STEAL_GRACE };
        let ripe = since + grace;
        if now < ripe {
            Look::YoungUntil(ripe)
        } else {
            Look::Ripe
        }
    }
}
