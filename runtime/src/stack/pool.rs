//! Reuses goroutine stacks and admits goroutines only while a stack can be had.
//!
//! A fresh stack costs ~2–3 µs here (its share of a chunk mapping, its
//! guard, the first-touch fault), a pooled one ~20 ns, so ended goroutines
//! hand their stacks back, in tiers:
//!
//! 1. a cache owned by their worker (no synchronisation);
//! 2. the shared *warm* pool, up to [`WARM_POOL`] stacks, pages kept;
//! 3. past that, with guard markers, the *cold* pool: the stacks' pages are
//!    returned to the kernel in batches (`trim_all`), the address ranges
//!    kept, so memory follows the number of goroutines down while the maps
//!    stay one per chunk; without guard markers (older kernels) such stacks
//!    are unmapped instead.
//!
//! A stack whose goroutine went deep is trimmed back to its top pages;
//! depth is checked every [`CHECK_EVERY`] uses, because the check reads a
//! page that may never have been touched, which costs a fault.
//!
//! Admission: stacks cost kernel memory maps (two per chunk of [`CHUNK`]
//! with guard markers, two per stack without: see `guarded.rs`), and the
//! kernel caps a process's maps at `vm.max_map_count` (65530 by default);
//! past it every mmap fails, `std::thread::spawn` included. So every live
//! stack (running, parked or pooled, in every runtime of the process) is
//! counted in [`LIVE_STACKS`], and no stack is mapped once the count reaches
//! [`stack_limit`]: the caller leaves the goroutine queued (unstarted) and
//! the scheduler admits it when a stack frees. The first refusal prints one
//! line on stderr naming the limit and how to raise it.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use super::guarded::{trim_all, uses_markers, GuardedStack};

/// Stacks a worker keeps for itself.
const LOCAL_CACHE: usize = 64;
/// Stacks the shared warm pool keeps, pages and all: usually one 4 KiB page
/// each, so up to 128 MiB, and only after that many goroutines ended at
/// once. A burst of goroutines that comes back (20,000 sleepers, a fan-out
/// repeated) then finds its stacks committed: re-faulting a trimmed page
/// costs ~1.5 µs, which made a second burst of 20,000 cost 2.5x Go's time
/// with a pool of 4,096. Go keeps freed stacks too, until a GC.
const WARM_POOL: usize = 32768;
/// Stacks mapped at once when the pools are empty: one mmap, one mprotect
/// and one guard-marker call for all of them.
const CHUNK: usize = 64;
/// Releases of a stack between two checks of its depth.
const CHECK_EVERY: u32 = 16;

/// Live stacks in the process: mapped and not yet unmapped. Incremented
/// before a mapping is made (so concurrent mappers cannot overshoot the
/// limit), decremented after one is unmapped or a mapping failed. Relaxed:
/// it guards a budget, not memory.
static LIVE_STACKS: AtomicUsize = AtomicUsize::new(0);
static WARNED: AtomicBool = AtomicBool::new(false);

/// Memory maps the kernel allows this process (`vm.max_map_count`), read once.
fn max_map_count() -> usize {
    static MAPS: OnceLock<usize> = OnceLock::new();
    *MAPS.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/vm/max_map_count").ok().and_then(|s| s.trim().parse().ok()).unwrap_or(65530)
    })
}

/// How many stacks may live at once: the kernel's map budget less headroom
/// (an eighth, at least 2048 maps) for the heap, libraries, thread stacks and
/// the user's own mappings, in stacks (two maps per `CHUNK` with guard
/// markers, two per stack without); or less, if `GOROUTINES_MAX_STACKS` asks
/// for less.
pub(crate) fn stack_limit() -> usize {
    let maps = max_map_count();
    let budget = maps.saturating_sub((maps / 8).max(2048));
    let kernel = if uses_markers() { budget / 2 * CHUNK } else { budget / 2 }.max(16);
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

/// One runtime's stack pool (all its stacks have one size).
pub(crate) struct StackPool {
    size: usize,
    warm: Mutex<Vec<GuardedStack>>,
    /// Stacks in `warm`, readable without the lock.
    warm_len: AtomicUsize,
    /// Trimmed stacks (guard markers only): address space, no memory.
    cold: Mutex<Vec<GuardedStack>>,
    cold_len: AtomicUsize,
}

impl StackPool {
    pub(crate) fn new(size: usize) -> StackPool {
        StackPool {
            size,
            warm: Mutex::new(Vec::new()),
            warm_len: AtomicUsize::new(0),
            cold: Mutex::new(Vec::new()),
            cold_len: AtomicUsize::new(0),
        }
    }

    /// Whether the warm or cold pool holds a stack.
    pub(crate) fn has_pooled(&self) -> bool {
        self.warm_len.load(Ordering::Relaxed) > 0 || self.cold_len.load(Ordering::Relaxed) > 0
    }

    /// Usable bytes of every stack of this pool.
    pub(crate) fn stack_size(&self) -> usize {
        self.size
    }

    /// A stack for a goroutine about to start: from `local` (the calling
    /// worker's cache), the warm pool, the cold pool, or new mappings within
    /// the limit. `None` when the process is at its stack limit or the
    /// kernel refused.
    pub(crate) fn acquire(&self, local: &mut Vec<GuardedStack>) -> Option<GuardedStack> {
        if let Some(s) = local.pop() {
            return Some(s);
        }
        // Refill half the local cache in one lock round.
        if refill(&self.warm, &self.warm_len, local) || refill(&self.cold, &self.cold_len, local) {
            return local.pop();
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
    pub(crate) fn release(&self, mut stack: GuardedStack, local: &mut Vec<GuardedStack>) {
        stack.unchecked_uses += 1;
        if stack.unchecked_uses >= CHECK_EVERY {
            stack.unchecked_uses = 0;
            if stack.went_deep() {
                stack.trim();
            }
        }
        local.push(stack);
        if local.len() > LOCAL_CACHE {
            self.spill(local);
        }
    }

    /// Gives a whole worker cache to the shared pools (an inactive worker's,
    /// which will start no goroutine to use it).
    pub(crate) fn give_back(&self, local: &mut Vec<GuardedStack>) {
        self.spill_from(local, 0);
    }

    /// The local cache is full: half of it goes to the warm pool, and what
    /// overflows that goes cold (or is unmapped).
    #[cold]
    fn spill(&self, local: &mut Vec<GuardedStack>) {
        self.spill_from(local, local.len() / 2);
    }

    /// Moves `local[at..]` to the warm pool, and what overflows it onwards.
    fn spill_from(&self, local: &mut Vec<GuardedStack>, at: usize) {
        let mut warm = self.warm.lock().unwrap_or_else(|e| e.into_inner());
        warm.extend(local.drain(at..));
        let excess = warm.len().saturating_sub(WARM_POOL);
        let overflow: Vec<GuardedStack> = if excess > 0 {
            // Cool down a batch at once, not a stack at a time.
            let n = excess.max(WARM_POOL / 8).min(warm.len());
            let from = warm.len() - n;
            warm.drain(from..).collect()
        } else {
            Vec::new()
        };
        self.warm_len.store(warm.len(), Ordering::Relaxed);
        drop(warm);
        if overflow.is_empty() {
            return;
        }
        if uses_markers() {
            trim_all(&overflow);
            let mut cold = self.cold.lock().unwrap_or_else(|e| e.into_inner());
            cold.extend(overflow);
            self.cold_len.store(cold.len(), Ordering::Relaxed);
        } else {
            let n = overflow.len();
            drop(overflow);
            LIVE_STACKS.fetch_sub(n, Ordering::Relaxed);
        }
    }
}

/// Moves up to half a local cache from `pool` into `local`; whether any came.
fn refill(pool: &Mutex<Vec<GuardedStack>>, len: &AtomicUsize, local: &mut Vec<GuardedStack>) -> bool {
    if len.load(Ordering::Relaxed) == 0 {
        return false;
    }
    let mut pool = pool.lock().unwrap_or_else(|e| e.into_inner());
    let take = pool.len().min(LOCAL_CACHE / 2);
    let at = pool.len() - take;
    local.extend(pool.drain(at..));
    len.store(pool.len(), Ordering::Relaxed);
    take > 0
}

#[cold]
fn warn_once(why: &str) {
    if WARNED.swap(true, Ordering::Relaxed) {
        return;
    }
    let cost = if uses_markers() { "two memory maps per 64 stacks" } else { "two memory maps per stack" };
    eprintln!(
        "goroutines: no stack for new goroutines: {why}. Stacks take {cost}, and the kernel \
         allows {} maps (vm.max_map_count). New goroutines stay queued until running ones \
         end; nothing is lost. To run more at once, raise the limit: \
         `sysctl -w vm.max_map_count=262144`{}.",
        max_map_count(),
        if std::env::var_os("GOROUTINES_MAX_STACKS").is_some() { " and GOROUTINES_MAX_STACKS" } else { "" }
    );
}
