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
//! The warm and cold pools belong to a stack size, not to a runtime: every
//! runtime whose stacks have that size (page-rounded) shares them (a
//! [`Tier`]), as it shares the process's stack budget below. So stacks one
//! runtime freed serve another without a new mapping, and the warm pool's
//! cap is per process.
//!
//! A stack whose goroutine went deep is trimmed back to its top pages;
//! depth is checked every [`CHECK_EVERY`] uses, because the check reads a
//! page that may never have been touched, which costs a fault.
//!
//! # Limits
//!
//! - A stack has at most [`MAX_STACK_SIZE`](super::MAX_STACK_SIZE) (1 GiB)
//!   usable bytes: `Builder::build` refuses more, and every size that
//!   becomes an address range is checked (`guarded.rs`).
//! - Stacks are mapped [`CHUNK`] at a time. When the kernel refuses a chunk
//!   (huge stacks under `RLIMIT_AS` or strict overcommit), fewer are mapped,
//!   halving down to one; `Builder::build` maps one stack of its size first
//!   and fails with the OS error if even that is refused.
//! - Admission: stacks cost kernel memory maps (two per chunk with guard
//!   markers, two per stack without: see `guarded.rs`), and the kernel caps
//!   a process's maps at `vm.max_map_count` (65530 by default); past it
//!   every mmap fails, `std::thread::spawn` included. So every live stack
//!   (running, parked or pooled, in every runtime of the process) is counted
//!   in [`LIVE_STACKS`], and no stack is mapped once the count reaches
//!   [`stack_limit`] (`GOROUTINES_MAX_STACKS` may ask for fewer): the caller
//!   leaves the goroutine queued (unstarted) and the scheduler admits it
//!   when a stack frees. The first refusal prints one line on stderr naming
//!   the limit and how to raise it.
//!
//! # One budget, several runtimes
//!
//! The budget is the process's, but free stacks sit where their runtimes
//! left them: in a tier of another size, or in another runtime's worker
//! caches, which only their worker may touch. A runtime that cannot get a
//! stack must not wait for stacks that nobody it can see will free, so:
//!
//! 1. *Reclaim.* Refused by the budget (or the kernel), a pool unmaps idle
//!    stacks of other sizes, from their tiers' cold and warm pools, and maps
//!    its own in the room they leave (`reclaim_other_sizes`). Stacks of its
//!    own size it takes from its tier before it ever maps.
//! 2. *Short.* Finding none, the pool marks itself short ([`SHORT`] counts
//!    the short pools) and has the scheduler wake every sleeping worker of
//!    every runtime (the hook [`set_wake_hook`]), then its goroutine waits
//!    for a stack as before.
//! 3. *Lend.* While another pool is short, a worker hands its whole cache
//!    to its tier's warm pool: at a release (one Relaxed load of `SHORT`),
//!    at its fairness tick, before it sleeps ([`StackPool::share_cache`]).
//!    Whoever puts stacks in a tier or frees budget while others are short
//!    clears their marks and wakes the workers again (`stacks_freed`): the
//!    short runtime's workers then try again ([`StackPool::can_acquire`]),
//!    taking the lent stacks or reclaiming them (1).
//!
//! A runtime's own waiting goroutines are admitted as before (its workers'
//! caches and pools, and the stack of each goroutine that ends: see
//! `scheduler/shared.rs`, invariant 4); its own mark does not make it lend.
//! Marking short and lending order themselves with SeqCst fences (a pool
//! marks itself, fences, and looks at the tiers and the budget once more; a
//! lender fills a tier, fences, and reads `SHORT`; a sleeping worker
//! announces itself, fences, and reads `SHORT`): one always sees the other.
//!
//! With guard markers, unmapping one stack of a chunk whose neighbours stay
//! splits the chunk's map in two until they go too; reclaim happens only at
//! the budget, and only between runtimes of different stack sizes.
//!
//! The acquire/release fast path is unchanged by all this: a pop from or a
//! push to the worker's cache, plus, on release, one Relaxed load of
//! `SHORT` (no lock, no read-modify-write).

use std::io;
use std::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use crossbeam_utils::CachePadded;

use super::guarded::{span, trim_all, uses_markers, GuardedStack, MAX_CHUNK};

/// Stacks a worker keeps for itself.
const LOCAL_CACHE: usize = 64;
/// Stacks a tier's warm pool keeps, pages and all: usually one 4 KiB page
/// each, so up to 128 MiB, and only after that many goroutines ended at
/// once. A burst of goroutines that comes back (20,000 sleepers, a fan-out
/// repeated) then finds its stacks committed: re-faulting a trimmed page
/// costs ~1.5 µs, which made a second burst of 20,000 cost 2.5x Go's time
/// with a pool of 4,096. Go keeps freed stacks too, until a GC.
const WARM_POOL: usize = 32768;
/// Stacks mapped at once when the pools are empty: one mmap, one mprotect
/// and one guard-marker call for all of them.
const CHUNK: usize = MAX_CHUNK;
/// Releases of a stack between two checks of its depth.
const CHECK_EVERY: u32 = 16;

/// Live stacks in the process: mapped and not yet unmapped. Incremented
/// before a mapping is made (so concurrent mappers cannot overshoot the
/// limit), decremented after one is unmapped or a mapping failed. Relaxed:
/// it guards a budget, not memory.
static LIVE_STACKS: AtomicUsize = AtomicUsize::new(0);
static WARNED: AtomicBool = AtomicBool::new(false);

/// How many pools are short (their `short` flag is set). Written only under
/// the `REGISTRY` lock, with the flags; read without it: Relaxed on the
/// release path (a hint: a lender that misses it lends at its next tick or
/// sleep), SeqCst after the fences of the module docs. On a cache line of
/// its own: every release reads it, so no hot neighbour may share it.
static SHORT: CachePadded<AtomicUsize> = CachePadded::new(AtomicUsize::new(0));

/// Every tier and every pool's `short` flag. Runtimes live as long as the
/// process, and so do their pools: nothing leaves these lists. Lock order:
/// `REGISTRY` before a tier's locks, never after.
static REGISTRY: Mutex<Registry> = Mutex::new(Registry { tiers: Vec::new(), short: Vec::new() });

struct Registry {
    tiers: Vec<&'static Tier>,
    short: Vec<&'static AtomicBool>,
}

fn registry() -> std::sync::MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

/// Wakes every sleeping worker of every runtime; set by the scheduler (a
/// lower layer never names a higher one).
static WAKE_WORKERS: OnceLock<fn()> = OnceLock::new();

/// Registers the scheduler's "wake every sleeping worker" (see the module
/// docs). The first registration stays.
pub(crate) fn set_wake_hook(wake: fn()) {
    let _ = WAKE_WORKERS.set(wake);
}

fn wake_workers() {
    if let Some(wake) = WAKE_WORKERS.get() {
        wake();
    }
}

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

/// Whether a stack of `size` usable bytes can be mapped at all: maps one
/// and unmaps it (outside the budget: it lives for a few microseconds).
/// `Err` for a size above the limit, or with the OS error.
pub(crate) fn check_size(size: usize) -> io::Result<()> {
    GuardedStack::map_chunk(size, 1).map(drop)
}

/// The free stacks of one size (one span), shared by every runtime whose
/// stacks have it.
struct Tier {
    /// Bytes a stack spans, guard included: the tier's key.
    span: usize,
    /// A usable size giving that span, to map more.
    size: usize,
    warm: Mutex<Vec<GuardedStack>>,
    /// Stacks in `warm`, readable without the lock (stored under it).
    warm_len: AtomicUsize,
    /// Trimmed stacks (guard markers only): address space, no memory.
    cold: Mutex<Vec<GuardedStack>>,
    cold_len: AtomicUsize,
}

impl Tier {
    fn has_pooled(&self) -> bool {
        self.warm_len.load(Ordering::Relaxed) > 0 || self.cold_len.load(Ordering::Relaxed) > 0
    }

    /// Takes up to `n` stacks, cold ones (no memory to lose) first.
    fn take(&self, n: usize, into: &mut Vec<GuardedStack>) {
        for (pool, len) in [(&self.cold, &self.cold_len), (&self.warm, &self.warm_len)] {
            let want = n - into.len();
            if want == 0 || len.load(Ordering::Relaxed) == 0 {
                continue;
            }
            let mut pool = pool.lock().unwrap_or_else(|e| e.into_inner());
            let at = pool.len().saturating_sub(want);
            into.extend(pool.drain(at..));
            len.store(pool.len(), Ordering::Relaxed);
        }
    }
}

/// Why no stack could be mapped.
enum Refusal {
    /// The process is at its stack limit.
    Limit(usize),
    /// The kernel refused even one stack.
    Kernel(io::Error),
}

/// One runtime's handle on the stacks of its size.
pub(crate) struct StackPool {
    /// Usable bytes asked for (the overflow message names it; read in a
    /// signal handler, so a plain field).
    size: usize,
    tier: &'static Tier,
    /// Goroutines of this runtime wait for a stack that neither its tier nor
    /// the budget could give (module docs, "Short"). Written under the
    /// `REGISTRY` lock, with `SHORT`.
    short: &'static AtomicBool,
}

impl StackPool {
    /// The pool of a runtime whose stacks have `size` usable bytes (checked
    /// by `Builder::build`: at most `MAX_STACK_SIZE`).
    pub(crate) fn new(size: usize) -> StackPool {
        let span = span(size).expect("Builder::build checks the stack size");
        let mut reg = registry();
        let tier = match reg.tiers.iter().find(|t| t.span == span) {
            Some(&t) => t,
            None => {
                let t: &'static Tier = Box::leak(Box::new(Tier {
                    span,
                    size,
                    warm: Mutex::new(Vec::new()),
                    warm_len: AtomicUsize::new(0),
                    cold: Mutex::new(Vec::new()),
                    cold_len: AtomicUsize::new(0),
                }));
                reg.tiers.push(t);
                t
            }
        };
        let short: &'static AtomicBool = Box::leak(Box::new(AtomicBool::new(false)));
        reg.short.push(short);
        StackPool { size, tier, short }
    }

    /// Whether an acquire may succeed now: the tier holds a stack, or this
    /// pool is not short (it was never refused, or stacks were lent or freed
    /// since). `false` means: not until a stack frees somewhere.
    pub(crate) fn can_acquire(&self) -> bool {
        self.tier.has_pooled() || !self.short.load(Ordering::SeqCst)
    }

    /// Usable bytes of every stack of this pool.
    pub(crate) fn stack_size(&self) -> usize {
        self.size
    }

    /// A stack for a goroutine about to start: from `local` (the calling
    /// worker's cache), the tier's warm pool, its cold pool, or new mappings
    /// within the limit (reclaiming idle stacks of other sizes if need be).
    /// `None` when none can be had until a stack frees: the process is at
    /// its stack limit or the kernel refused.
    pub(crate) fn acquire(&self, local: &mut Vec<GuardedStack>) -> Option<GuardedStack> {
        if let Some(s) = local.pop() {
            return Some(s);
        }
        self.acquire_slow(local)
    }

    fn acquire_slow(&self, local: &mut Vec<GuardedStack>) -> Option<GuardedStack> {
        let t = self.tier;
        loop {
            // Refill half the local cache in one lock round.
            let got = if refill(&t.warm, &t.warm_len, local) || refill(&t.cold, &t.cold_len, local) {
                local.pop()
            } else {
                match self.map_new(local) {
                    Ok(s) => Some(s),
                    Err(refusal) => {
                        if self.reclaim_other_sizes() > 0 || self.mark_short(&refusal) {
                            continue;
                        }
                        warn_once(&match refusal {
                            Refusal::Limit(limit) => {
                                format!("{limit} goroutine stacks are live, the most this process may map")
                            }
                            Refusal::Kernel(e) => format!("the kernel refused to map more goroutine stacks ({e})"),
                        });
                        return None;
                    }
                }
            };
            if got.is_some() && self.short.load(Ordering::Relaxed) {
                self.set_short(false);
            }
            return got;
        }
    }

    /// Maps a chunk of new stacks within the limit: returns one and caches
    /// the rest in `local`. Maps fewer, halving down to one, when the kernel
    /// refuses.
    #[cold]
    fn map_new(&self, local: &mut Vec<GuardedStack>) -> Result<GuardedStack, Refusal> {
        let limit = stack_limit();
        // Reserve budget for up to CHUNK stacks (fewer near the limit).
        let mut want = CHUNK;
        let mut live = LIVE_STACKS.load(Ordering::Relaxed);
        loop {
            want = want.min(limit.saturating_sub(live));
            if want == 0 {
                return Err(Refusal::Limit(limit));
            }
            match LIVE_STACKS.compare_exchange_weak(live, live + want, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => break,
                Err(now) => live = now,
            }
        }
        loop {
            match GuardedStack::map_chunk(self.tier.size, want) {
                Ok(mut stacks) => {
                    LIVE_STACKS.fetch_sub(want - stacks.len(), Ordering::Relaxed);
                    let one = stacks.pop().expect("a chunk has a stack");
                    local.append(&mut stacks);
                    return Ok(one);
                }
                Err(e) => {
                    let fewer = want / 2;
                    LIVE_STACKS.fetch_sub(want - fewer, Ordering::Relaxed);
                    if fewer == 0 {
                        return Err(Refusal::Kernel(e));
                    }
                    want = fewer;
                }
            }
        }
    }

    /// Unmaps idle stacks of other sizes (up to a chunk's worth, from their
    /// tiers' cold pools first) to make room in the budget, or in the
    /// address space, for stacks of ours. Returns how many it unmapped.
    #[cold]
    fn reclaim_other_sizes(&self) -> usize {
        let mut victims = Vec::new();
        {
            let reg = registry();
            for t in reg.tiers.iter().filter(|t| !std::ptr::eq(**t, self.tier)) {
                t.take(CHUNK, &mut victims);
                if victims.len() == CHUNK {
                    break;
                }
            }
        }
        let n = victims.len();
        // Unmapped (dropped) before the budget is given back.
        drop(victims);
        LIVE_STACKS.fetch_sub(n, Ordering::Relaxed);
        n
    }

    /// Marks this pool short after a refusal, then looks once more at what
    /// may have freed meanwhile (module docs: the fences). Returns whether
    /// to try again (it then unmarks itself); else the pool stays short
    /// and, if it just became so, every sleeping worker is woken to lend.
    #[cold]
    fn mark_short(&self, refusal: &Refusal) -> bool {
        let newly = self.set_short(true);
        // Pairs with the fence in `stacks_freed` (and a sleeping worker's).
        fence(Ordering::SeqCst);
        let retry = self.tier.has_pooled()
            || registry().tiers.iter().any(|t| !std::ptr::eq(*t, self.tier) && t.has_pooled())
            || matches!(refusal, Refusal::Limit(limit) if LIVE_STACKS.load(Ordering::Relaxed) < *limit);
        if retry {
            self.set_short(false);
        } else if newly {
            wake_workers();
        }
        retry
    }

    /// Sets or clears this pool's `short` flag; returns whether it changed.
    fn set_short(&self, on: bool) -> bool {
        let _reg = registry();
        if self.short.load(Ordering::Relaxed) == on {
            return false;
        }
        self.short.store(on, Ordering::SeqCst);
        let n = SHORT.load(Ordering::Relaxed);
        SHORT.store(if on { n + 1 } else { n - 1 }, Ordering::SeqCst);
        true
    }

    /// Whether a pool other than this one is short.
    fn others_short(&self) -> bool {
        SHORT.load(Ordering::SeqCst) > usize::from(self.short.load(Ordering::SeqCst))
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
        } else if SHORT.load(Ordering::Relaxed) != 0 {
            self.share_cache(local, true);
        }
    }

    /// Gives the whole cache of a worker to the tier when it is out of reach
    /// of whoever needs it: always for an inactive worker (`active ==
    /// false`: it starts no goroutine), and while another pool is short
    /// (module docs, "Lend"). Workers call it at their fairness tick and, to
    /// sleep, after announcing it and fencing.
    pub(crate) fn share_cache(&self, local: &mut Vec<GuardedStack>, active: bool) {
        if local.is_empty() || (active && !self.others_short()) {
            return;
        }
        self.spill_from(local, 0);
    }

    /// The local cache is full: half of it goes to the warm pool, and what
    /// overflows that goes cold (or is unmapped).
    #[cold]
    fn spill(&self, local: &mut Vec<GuardedStack>) {
        self.spill_from(local, local.len() / 2);
    }

    /// Moves `local[at..]` to the tier's warm pool, and what overflows it
    /// onwards.
    #[cold]
    fn spill_from(&self, local: &mut Vec<GuardedStack>, at: usize) {
        let t = self.tier;
        let mut warm = t.warm.lock().unwrap_or_else(|e| e.into_inner());
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
        t.warm_len.store(warm.len(), Ordering::Relaxed);
        drop(warm);
        if !overflow.is_empty() {
            if uses_markers() {
                trim_all(&overflow);
                let mut cold = t.cold.lock().unwrap_or_else(|e| e.into_inner());
                cold.extend(overflow);
                t.cold_len.store(cold.len(), Ordering::Relaxed);
            } else {
                let n = overflow.len();
                drop(overflow);
                LIVE_STACKS.fetch_sub(n, Ordering::Relaxed);
            }
        }
        self.stacks_freed();
    }

    /// Stacks just went to the tier (or were unmapped): if other pools are
    /// short, they may try again; clears their marks and wakes the workers.
    fn stacks_freed(&self) {
        // Pairs with the fence in `mark_short`.
        fence(Ordering::SeqCst);
        if !self.others_short() {
            return;
        }
        let cleared = {
            let reg = registry();
            let mut cleared = 0;
            for &f in reg.short.iter().filter(|&&f| !std::ptr::eq(f, self.short)) {
                if f.load(Ordering::Relaxed) {
                    f.store(false, Ordering::SeqCst);
                    cleared += 1;
                }
            }
            SHORT.store(SHORT.load(Ordering::Relaxed) - cleared, Ordering::SeqCst);
            cleared
        };
        if cleared > 0 {
            wake_workers();
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

/// What stacks cost and how to allow more: for the first refusal's warning
/// and the deadlock detector's report.
pub(crate) fn raise_limit_advice() -> String {
    let cost = if uses_markers() { "two memory maps per 64 stacks" } else { "two memory maps per stack" };
    format!(
        "Stacks take {cost}, and the kernel allows {} maps (vm.max_map_count); this process may map {} \
         stacks{}. To run more goroutines at once, raise the limit: `sysctl -w vm.max_map_count=262144`{}.",
        max_map_count(),
        stack_limit(),
        if requested_limit().is_some() { " (GOROUTINES_MAX_STACKS)" } else { "" },
        if requested_limit().is_some() { " and GOROUTINES_MAX_STACKS" } else { "" }
    )
}

#[cold]
fn warn_once(why: &str) {
    if WARNED.swap(true, Ordering::Relaxed) {
        return;
    }
    eprintln!(
        "goroutines: no stack for new goroutines: {why}. New goroutines stay queued until running ones \
         end; nothing is lost. {}",
        raise_limit_advice()
    );
}
