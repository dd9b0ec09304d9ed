//! `Pool<T>`: a cache of values to reuse (Go's `sync.Pool`): `get` takes
//! one (or makes one), `put` gives one back. Like Go's, it promises
//! nothing about which value comes back, or whether a value put is kept.
//!
//! # Invariants
//!
//! 1. It keeps at most `MAX_KEPT` values, behind a lock held only to push or
//!    pop (never while `make` runs), so a `get` never waits for another.

use std::sync::Mutex;

/// Values kept at most; a `put` beyond drops the value.
const MAX_KEPT: usize = 1024;

type Make<T> = Box<dyn Fn() -> T + Send + Sync>;

/// A pool of reusable values; see the module docs.
///
/// ```
/// use goroutines_runtime::sync::Pool;
/// let buffers = Pool::new(|| Vec::<u8>::with_capacity(4096));
/// let mut b = buffers.get();
/// b.extend_from_slice(b"hello");
/// b.clear();
/// buffers.put(b);
/// assert!(buffers.get().capacity() >= 4096);
/// ```
pub struct Pool<T> {
    make: Make<T>,
    kept: Mutex<Vec<T>>,
}

impl<T> Pool<T> {
    /// A pool whose `get` calls `make` when it holds nothing.
    pub fn new(make: impl Fn() -> T + Send + Sync + 'static) -> Pool<T> {
        Pool { make: Box::new(make), kept: Mutex::new(Vec::new()) }
    }

    /// A value from the pool, or a new one.
    pub fn get(&self) -> T {
        let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner()).pop();
        kept.unwrap_or_else(|| (self.make)())
    }

    /// Gives a value back for reuse (reset it first: the next `get` returns
    /// it as it is).
    pub fn put(&self, value: T) {
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        if kept.len() < MAX_KEPT {
            kept.push(value);
        }
    }
}

impl<T> std::fmt::Debug for Pool<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.kept.lock().map_or(0, |k| k.len());
        f.debug_struct("Pool").field("kept", &n).finish_non_exhaustive()
    }
}
