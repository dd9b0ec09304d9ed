//! Coordinates idle workers: who spins looking for work, who sleeps, and who
//! gets woken when new work appears. The protocol is Go's (proc.go, "Worker
//! thread parking/unparking"); `README.md` beside this file explains it.
//!
//! # Invariants
//!
//! 1. New stealable work (an unstarted goroutine in a `spawned` slot, a
//!    deque or a `placed` queue) is always followed by
//!    `Shared::notify_idle`. It wakes a sleeper unless a worker is already
//!    spinning or watching (invariant 5): either is bound to look at every
//!    queue again before it sleeps for good.
//! 2. A spinning worker that finds work stops spinning; if it was the last
//!    spinner it calls `notify_idle`, so the work that may have arrived while
//!    it spun (and whose `notify_idle` saw it spinning) is still looked for.
//! 3. A worker going to sleep first announces it (sleepers list + its own
//!    `sleeping` flag), then issues a SeqCst fence, then checks every queue
//!    once more. A pusher pushes, fences, then reads the announcements. One
//!    of the two must see the other (Dekker): no wake-up is lost.
//! 4. Pinned goroutines woken from another thread go to their home worker's
//!    remote queue and wake that worker specifically (`WorkerShared::notify`);
//!    no other worker can run them.
//! 5. A sleeper that saw young unstarted work elsewhere (placement.rs
//!    invariant 4) is *watching*: it sleeps only until that work ripens,
//!    then looks at every worker again. While one watches, new stealable
//!    work wakes nobody: the watcher is bound to look before long, as a
//!    spinner is (invariant 1), and a worker that gets to its own queue in
//!    time makes the look unneeded. Without this rule every spawn of a
//!    busy spawner would wake a sleeper, with a system call, for work that
//!    is not to be stolen yet. A watcher that then steals, and leaves
//!    unstarted work behind, passes the wake on (placement.rs invariant 6),
//!    as the last spinner does (invariant 2).

use std::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use super::netpoll::Claim;
use super::shared::Shared;
use crate::goroutine::GoRef;

/// Rounds a spinning worker looks for work before it sleeps.
const SPIN_ROUNDS: u32 = 64;

/// What the idle protocol needs from a worker (worker.rs implements it).
pub(crate) trait Seeker {
    fn index(&self) -> usize;
    fn shared(&self) -> &'static Shared;
    /// Whether the worker takes new goroutines (shared.rs invariant 3).
    fn is_active(&self) -> bool;
    /// Its Dekker flag (invariants 3 and 4).
    fn sleeping(&self) -> &AtomicBool;
    /// A look at its network poller without blocking; whether it woke
    /// anything (netpoll.rs invariant 1).
    fn poll_now(&self) -> bool;
    /// Its network poller's role for one sleep, if sockets are registered
    /// with it (netpoll.rs invariants 2 and 3).
    fn claim_poller(&self) -> Option<Claim>;
    /// One look at every queue it may take from.
    fn find(&self) -> Option<GoRef>;
    /// Whether the last `find` saw nothing but young unstarted work
    /// elsewhere (placement.rs invariant 4).
    fn saw_young_only(&self) -> bool;
    /// A short watch of its own remote queue (worker.rs `watch_remote`).
    fn watch_remote(&self) -> Option<GoRef>;
    /// The look after the announcement (invariant 3), with `listed`: it is
    /// on the sleepers list.
    fn last_look(&self, listed: bool) -> LastLook;
}

/// What a worker about to sleep found in its last look.
pub(crate) struct LastLook {
    /// Work it can run now: do not sleep.
    pub(crate) local_work: bool,
    /// When the young unstarted work it saw elsewhere ripens, if any (now
    /// or earlier: do not sleep).
    pub(crate) ripens: Option<Instant>,
}

pub(crate) struct Idle {
    /// Workers spinning (looking for work without sleeping). SeqCst with the
    /// fences of invariant 3.
    spinning: AtomicUsize,
    /// Sleeping workers' indices, in no particular order.
    sleepers: Mutex<Vec<usize>>,
    /// `sleepers.len()`, readable without the lock.
    num_sleepers: AtomicUsize,
    /// Sleepers watching young work (invariant 5). SeqCst, as `spinning`.
    watching: AtomicUsize,
}

impl Idle {
    pub(crate) fn new() -> Idle {
        Idle {
            spinning: AtomicUsize::new(0),
            sleepers: Mutex::new(Vec::new()),
            num_sleepers: AtomicUsize::new(0),
            watching: AtomicUsize::new(0),
        }
    }

    /// After pushing stealable work: returns the index of a sleeping worker
    /// the caller must wake, already counted as spinning (invariant 1).
    pub(crate) fn worker_to_wake(&self) -> Option<usize> {
        // Pairs with the fence in a sleeping worker's last look (invariant 3).
        fence(Ordering::SeqCst);
        if self.spinning.load(Ordering::SeqCst) != 0
            || self.watching.load(Ordering::SeqCst) != 0
            || self.num_sleepers.load(Ordering::SeqCst) == 0
        {
            return None;
        }
        let mut sleepers = self.sleepers.lock().unwrap_or_else(|e| e.into_inner());
        // Re-check under the lock: another pusher may have just woken one.
        if self.spinning.load(Ordering::SeqCst) != 0 {
            return None;
        }
        let w = sleepers.pop()?;
        self.num_sleepers.store(sleepers.len(), Ordering::SeqCst);
        self.spinning.fetch_add(1, Ordering::SeqCst);
        Some(w)
    }

    /// Tries to become a spinner: at most half the active workers spin, so
    /// idle workers do not burn every core looking for work.
    fn start_spinning(&self, active: usize) -> bool {
        let n = self.spinning.load(Ordering::SeqCst);
        if 2 * n >= active.max(1) {
            return false;
        }
        self.spinning.fetch_add(1, Ordering::SeqCst);
        true
    }

    /// A sleeper starts (`true`) or stops watching young work (invariant 5).
    fn watch(&self, on: bool) {
        if on {
            self.watching.fetch_add(1, Ordering::SeqCst);
        } else {
            self.watching.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Stops spinning; returns whether the caller was the last spinner.
    fn stop_spinning(&self) -> bool {
        self.spinning.fetch_sub(1, Ordering::SeqCst) == 1
    }

    /// Announces that worker `w` is about to sleep (invariant 3, first half).
    fn add_sleeper(&self, w: usize) {
        let mut sleepers = self.sleepers.lock().unwrap_or_else(|e| e.into_inner());
        sleepers.push(w);
        self.num_sleepers.store(sleepers.len(), Ordering::SeqCst);
    }

    /// Takes worker `w` off the sleepers list if it is still there (it woke
    /// for its own pinned work, or found work in its last look). Returns
    /// whether it was there; if not, whoever removed it counted it spinning.
    fn remove_sleeper(&self, w: usize) -> bool {
        let mut sleepers = self.sleepers.lock().unwrap_or_else(|e| e.into_inner());
        match sleepers.iter().position(|&s| s == w) {
            Some(i) => {
                sleepers.swap_remove(i);
                self.num_sleepers.store(sleepers.len(), Ordering::SeqCst);
                true
            }
            None => false,
        }
    }

    /// The idle state machine: a worker that found nothing to run spins a
    /// while looking (if fewer than half the active workers spin), watches
    /// its own remote queue, then announces itself and sleeps (invariants
    /// 1 to 5). Returns a goroutine it found, or `None` to look again.
    pub(crate) fn wait_for_work(&self, w: &impl Seeker) -> Option<GoRef> {
        let shared = w.shared();
        // Sockets that became ready may have woken goroutines pinned here
        // (netpoll.rs invariant 1): a look costs one system call, and only
        // while sockets are registered with this worker.
        if w.poll_now() {
            if let Some(g) = w.find() {
                return Some(g);
            }
        }
        let mut spinning = w.is_active() && self.start_spinning(shared.active());
        loop {
            if spinning {
                for round in 0..SPIN_ROUNDS {
                    if let Some(g) = w.find() {
                        // Invariant 2.
                        if self.stop_spinning() {
                            shared.notify_idle();
                        }
                        return Some(g);
                    }
                    if w.saw_young_only() {
                        // Nothing to spin for until it ripens: sleep
                        // watching it (invariant 5) and leave the core to
                        // the threads that are busy.
                        break;
                    }
                    if round < SPIN_ROUNDS / 2 {
                        std::hint::spin_loop();
                    } else {
                        std::thread::yield_now();
                    }
                }
                self.stop_spinning();
            }
            if let Some(g) = w.watch_remote() {
                return Some(g);
            }
            // While sockets are registered here, sleep in epoll (netpoll.rs
            // invariants 2 and 3: claimed before the announcement).
            let claim = w.claim_poller();
            // Announce, fence, look once more (invariant 3).
            let listed = w.is_active();
            w.sleeping().store(true, Ordering::SeqCst);
            if listed {
                self.add_sleeper(w.index());
            }
            fence(Ordering::SeqCst);
            let look = w.last_look(listed);
            let now = Instant::now();
            if !look.local_work && !look.ripens.is_some_and(|t| t <= now) {
                if let Some(t) = look.ripens {
                    self.watch(true);
                    sleep(claim, Some(t - now));
                    self.watch(false);
                } else if listed && shared.may_be_deadlocked() {
                    // The last one asleep watches for a deadlock (deadlock.rs).
                    drop(claim);
                    shared.watch_for_deadlock();
                } else {
                    sleep(claim, None);
                }
            } else {
                drop(claim);
                crate::goroutine::clock::advance();
            }
            w.sleeping().store(false, Ordering::SeqCst);
            // Off the list already: a pusher took us off and counted us as
            // spinning on our behalf; we owe that spin.
            let counted = listed && !self.remove_sleeper(w.index());
            if counted && !w.is_active() {
                // Deactivated while asleep: pass the spin on (invariant 2).
                if self.stop_spinning() {
                    shared.notify_idle();
                }
                return None;
            }
            spinning = counted;
            if !spinning {
                return None;
            }
        }
    }
}

/// Sleeps in epoll if the worker holds the poll role, in a futex if not;
/// `None`: until woken.
fn sleep(claim: Option<Claim>, timeout: Option<std::time::Duration>) {
    match (claim, timeout) {
        (Some(claim), timeout) => claim.sleep(timeout),
        (None, Some(t)) => std::thread::park_timeout(t),
        (None, None) => std::thread::park(),
    }
}
