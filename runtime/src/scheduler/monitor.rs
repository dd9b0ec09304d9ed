//! The held-worker warning: there is no preemption, so a goroutine that
//! runs a long time without reaching a runtime primitive (a CPU loop, a
//! `std::thread::sleep`, std I/O, a `std::sync::Mutex`) keeps every
//! goroutine pinned to its worker waiting. A monitor thread notices a
//! worker that has made no pick for longer than a threshold (100 ms by
//! default; `Builder::held_worker_warning`) *while that does harm*, and
//! says once per spawn site, on stderr, which goroutine, where it was
//! spawned, for how long, how many goroutines wait behind it, and what to
//! do.
//!
//! # Invariants
//!
//! 1. The monitor reads only atomics (each worker's `picks`, `sleeping`,
//!    `running` record pointer, queue lengths and `queued` count; records
//!    are never freed), so it never slows the workers; a worker's only
//!    costs are storing which record it resumes and how many started
//!    goroutines are queued behind it.
//! 2. A worker counts as held while it is awake and its `picks` stays the
//!    same; any pick resets it.
//! 3. A held worker does harm when goroutines wait for it that no other
//!    worker can run: started goroutines pinned to it that are runnable
//!    (woken from other threads, a timer among them, or queued on it when
//!    the holder was resumed), or unstarted goroutines on it while every
//!    other active worker is held too (otherwise one of them takes them
//!    after the grace: placement.rs invariant 4). A goroutine that holds
//!    its worker alone, as a spawning loop whose children other workers
//!    take, is not warned about; it is, as soon as something waits.
//! 4. One warning per spawn site, for the life of the process.
//!
//! The same thread is the network pollers' last resort (netpoll.rs
//! invariant 1): it looks at a busy worker's poller when nobody has for
//! `netpoll::STALE` while someone waits on a socket.

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How often the monitor looks.
const PERIOD: Duration = Duration::from_millis(10);

/// Starts the monitor thread once a runtime that wants the warning exists;
/// it watches every such runtime (`runtime::all`).
pub(crate) fn watch(shared: &'static super::Shared) {
    if shared.config.held_worker_warning.is_some() {
        start();
    }
}

/// Starts the monitor thread once the network poller exists, whatever the
/// runtimes' warning settings: it is the poller's last resort.
pub(crate) fn start_for_netpoll() {
    start();
}

fn start() {
    static STARTED: OnceLock<()> = OnceLock::new();
    STARTED.get_or_init(|| {
        let _ = std::thread::Builder::new().name("goroutines-monitor".into()).spawn(run);
    });
}

/// Per worker: its picks when last seen, and since when they stand still.
struct Seen {
    picks: u32,
    since: Instant,
}

fn run() {
    let mut seen: Vec<Vec<Seen>> = Vec::new();
    let mut warned: HashSet<(&'static str, u32, u32)> = HashSet::new();
    loop {
        std::thread::sleep(PERIOD);
        let runtimes = super::runtime::all();
        super::netpoll::poll_stale(&runtimes);
        seen.resize_with(runtimes.len(), Vec::new);
        for (r, shared) in runtimes.iter().enumerate() {
            let Some(threshold) = shared.config.held_worker_warning else { continue };
            let n = shared.started();
            let active = shared.active().min(n);
            let now = Instant::now();
            seen[r].resize_with(n, || Seen { picks: 0, since: now });
            // Invariant 2: how long each worker has been held.
            let held: Vec<Option<Duration>> = seen[r]
                .iter_mut()
                .enumerate()
                .map(|(w, s)| {
                    let ws = shared.worker(w);
                    let picks = ws.picks.load(Ordering::Relaxed);
                    if picks != s.picks || ws.sleeping.load(Ordering::Relaxed) {
                        *s = Seen { picks, since: now };
                        return None;
                    }
                    Some(now.duration_since(s.since))
                })
                .collect();
            for (w, held_for) in held.iter().enumerate() {
                let Some(held_for) = held_for.filter(|h| *h >= threshold) else { continue };
                let ws = shared.worker(w);
                // Invariant 3.
                let pinned = ws.remote.len() + ws.stats.queued.load(Ordering::Relaxed) as usize;
                let others_held = (0..active).filter(|&o| o != w).all(|o| held[o].is_some_and(|h| h >= PERIOD));
                let unstarted = if others_held { ws.unstarted_len() } else { 0 };
                if pinned + unstarted == 0 {
                    continue;
                }
                let Some(g) = ws.running_goroutine() else { continue };
                let Some(snap) = g.status.snapshot() else { continue };
                let site = snap.spawn_site;
                if !warned.insert((site.file(), site.line(), site.column())) {
                    continue;
                }
                eprintln!(
                    "goroutines: goroutine {} (spawned at {site}) has held worker {w} for {} ms without reaching a \
                     runtime primitive; {pinned} goroutine(s) pinned to that worker and {unstarted} not started \
                     yet wait behind it. There is no preemption: run blocking calls in blocking(|| ...), use \
                     goroutines::sync::Mutex rather than std's, and call yield_now() in long loops. (Said once per \
                     spawn site; Builder::held_worker_warning(None) turns it off.)",
                    snap.id,
                    held_for.as_millis()
                );
            }
        }
    }
}
