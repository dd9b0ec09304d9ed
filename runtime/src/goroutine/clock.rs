//! A coarse clock for the goroutine status (`status.rs` invariant 3):
//! milliseconds since the runtime started, kept in one atomic. Reading it
//! is one relaxed load, where `Instant::now()` would cost a clock call per
//! park. The workers advance it (every 61st pick, with Go's fairness check,
//! and whenever one wakes up), so it lags by at most the time 61 picks
//! take on a busy worker, and no thread of its own is needed.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

static NOW_MS: AtomicU64 = AtomicU64::new(0);
static ORIGIN: OnceLock<Instant> = OnceLock::new();

fn origin() -> Instant {
    *ORIGIN.get_or_init(Instant::now)
}

/// Milliseconds since the clock started, as last advanced.
#[inline]
pub(crate) fn now_ms() -> u64 {
    NOW_MS.load(Ordering::Relaxed)
}

/// Reads the real time into the clock. Workers call it now and then.
pub(crate) fn advance() {
    NOW_MS.store(exact_ms(), Ordering::Relaxed);
}

/// Milliseconds since the clock started, exactly (for a dump).
pub(crate) fn exact_ms() -> u64 {
    origin().elapsed().as_millis() as u64
}
