//! Reuses goroutine stacks and admits goroutines only while a stack can be had.
//!
//! A fresh mapped stack costs ~13 µs here (mmap + mprotect + first faults), a
//! pooled one ~20 ns, so ended goroutines hand their stacks back: first to a
//! small cache owned by their worker (no synchronisation), then to a shared
//! pool, and only past both to `munmap`.
//!
//! Admission: each stack costs kernel memory maps (two with `mprotect`
//! guards, at most one with guard markers: see `guarded.rs`), and the kernel
//! caps a process's maps at `vm.max_map_count` (65530 by default); past it
//! every mmap fails, `std::thread::spawn` included. So every live stack
//! (running, parked or pooled, in every runtime of the process) is counted
//! in [`LIVE_STACKS`], and no stack is mapped once the count reaches
//! [`stack_limit`]: the caller leaves the goroutine queued (unstarted) and the
//! scheduler admits it when a stack frees. The first refusal prints one line
//! on stderr naming the limit and how to raise it.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use super::guarded::{maps_per_stack, GuardedStack};

/// Stacks a worker keeps for itself.
pub(crate) const LOCAL_CACHE: usize = 64;
/// Stacks the shared pool keeps; the rest are unmapped. A stack in the pool
/// costs its committed top pages (usually one) and its two maps.
const SHARED_POOL: usize = 4096;
/// Stacks mapped at once when the pools are empty.
const CHUNK: usize = 32;

/// Live stacks in the process: mapped and not yet unmapped. Incremented
/// before a mapping is made (so concurrent mappers cannot overshoot the
/// limit), decremented after one is unmapped or a mapping failed. Relaxed:
/// it guards a budget, not memory.
static LIVE_STACKS: AtomicUsize = AtomicUsize::new(0);
static WARNED: AtomicBool = AtomicBool::new(false);

/// Memory maps the kernel allows this process (`vm.max_map_count`).
fn max_map_count() -> usize {
    std::fs::read_to_string("/proc/sys/vm/max_map_count").ok().and_then(|s| s.trim().parse().ok()).unwrap_or(65530)
}

/// How many stacks may live at once: the kernel's map budget less headroom
/// (an eighth, at least 2048 maps) for the heap, libraries, thread stacks and
/// the user's own mappings, divided by the maps each stack costs; or less,
/// if `GOROUTINES_MAX_STACKS` asks for less.
pub(crate) fn stack_limit() -> usize {
    let maps = max_map_count();
    let headroom = (maps / 8).max(2048);
    let kernel = (maps.saturating_sub(headroom) / maps_per_stack()).max(16);
    requested_limit().map_or(kernel, |n| n.min(kernel))
}

/// `GOROUTINES_MAX_STACKS`, read once.
fn requested_limit() -> Option<usize> {
    static LIMIT: OnceLock<Option<usize>> = OnceLock::new();
    *LIMIT.get_or_init(|| match std::env::var("GOROUTINES_MAX_STACKS").map(|v| v.trim().parse::<usize>()) {
        Ok(Ok(n)) if n >= 1 => Some(n),
        Ok(_) => {
            eprintln!("goroutines: ignoring GOROUTINES_MAX_STACKS: expected a whole number of stacks, at least 1");
            None
        }
        Err(_) => None,
    })
}

/// Stacks currently mapped in this process.
pub(crate) fn live_stacks() -> usize {
    LIVE_STACKS.load(Ordering::Relaxed)
}

/// The shared part of one runtime's stack pool (all its stacks have one size).
pub(crate) struct StackPool {
    size: usize,
    shared: Mutex<Vec<GuardedStack>>,
    /// Stacks in `shared`, readable without the lock.
    shared_len: AtomicUsize,
}

impl StackPool {
    pub(crate) fn new(size: usize) -> StackPool {
        StackPool { size, shared: Mutex::new(Vec::new()), shared_len: AtomicUsize::new(0) }
    }

    /// Usable bytes of every stack of this pool.
    pub(crate) fn stack_size(&self) -> usize {
        self.size
    }

    /// A stack for a goroutine about to start: from `local` (the calling
    /// worker's cache), the shared pool, or a new mapping within the limit.
    /// `None` when the process is at its stack limit or the kernel refused.
    pub(crate) fn acquire(&self, local: &mut Vec<GuardedStack>) -> Option<GuardedStack> {
        if let Some(s) = local.pop() {
            return Some(s);
        }
        if self.shared_len.load(Ordering::Relaxed) > 0 {
            let mut shared = self.shared.lock().unwrap_or_else(|e| e.into_inner());
            // Refill half the local cache in one lock round.
            let take = shared.len().min(LOCAL_CACHE / 2);
            let at = shared.len() - take;
            local.extend(shared.drain(at..));
            self.shared_len.store(shared.len(), Ordering::Relaxed);
            drop(shared);
            if let Some(s) = local.pop() {
                return Some(s);
            }
        }
        self.map_new(local)
    }

    /// Maps a chunk of new stacks within the limit: returns one and caches
    /// the rest in `local`.
    #[cold]
    fn map_new(&self, local: &mut Vec<GuardedStack>) -> Option<GuardedStack> {
        let limit = stack_limit();
        // Reserve budget for up to CHUNK stacks (fewer near the limit).
        let mut want = CHUNK;
        let mut live = LIVE_STACKS.load(Ordering::Relaxed);
        loop {
            want = want.min(limit.saturating_sub(live));
            if want == 0 {
                warn_once(&format!("{limit} goroutine stacks are live, the most this process may map"));
                return None;
            }
            match LIVE_STACKS.compare_exchange_weak(live, live + want, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => break,
                Err(now) => live = now,
            }
        }
        match GuardedStack::map_chunk(self.size, want) {
            Ok(mut stacks) => {
                LIVE_STACKS.fetch_sub(want - stacks.len(), Ordering::Relaxed);
                let one = stacks.pop();
                local.append(&mut stacks);
                one
            }
            Err(e) => {
                LIVE_STACKS.fetch_sub(want, Ordering::Relaxed);
                warn_once(&format!("the kernel refused to map more goroutine stacks ({e})"));
                None
            }
        }
    }

    /// Takes back the stack of an ended goroutine.
    pub(crate) fn release(&self, stack: GuardedStack, local: &mut Vec<GuardedStack>) {
        if stack.went_deep() {
            stack.trim();
        }
        if local.len() < LOCAL_CACHE {
            local.push(stack);
            return;
        }
        // Local cache full: move half of it to the shared pool in one lock round.
        let mut shared = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        let room = SHARED_POOL.saturating_sub(shared.len());
        let moving = room.min(LOCAL_CACHE / 2);
        let at = local.len() - moving;
        shared.extend(local.drain(at..));
        self.shared_len.store(shared.len(), Ordering::Relaxed);
        drop(shared);
        if local.len() < LOCAL_CACHE {
            local.push(stack);
        } else {
            unmap(stack);
        }
    }

    /// Unmaps a worker's cache (when the worker retires).
    #[allow(dead_code)]
    pub(crate) fn drain_local(&self, local: &mut Vec<GuardedStack>) {
        local.drain(..).for_each(unmap);
    }
}

fn unmap(stack: GuardedStack) {
    drop(stack);
    LIVE_STACKS.fetch_sub(1, Ordering::Relaxed);
}

#[cold]
fn warn_once(why: &str) {
    if WARNED.swap(true, Ordering::Relaxed) {
        return;
    }
    eprintln!(
        "goroutines: no stack for new goroutines: {why}. Each stack takes up to {} \
         memory maps and the kernel allows {} (vm.max_map_count). New goroutines \
         stay queued until running ones end; nothing is lost. To run more at once, \
         raise the limit: `sysctl -w vm.max_map_count=262144`{}.",
        maps_per_stack(),
        max_map_count(),
        if std::env::var_os("GOROUTINES_MAX_STACKS").is_some() { " and GOROUTINES_MAX_STACKS" } else { "" }
    );
}
