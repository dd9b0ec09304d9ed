//! `RateLimiter`: a token bucket (Go's `golang.org/x/time/rate`), as the
//! generic cell rate algorithm: one atomic holds the "theoretical arrival
//! time" (`tat`) of the next request, in nanoseconds since the limiter was
//! made.
//!
//! # Invariants
//!
//! 1. Taking `n` tokens at time `now` moves `tat` to `max(tat, now) + n·T`
//!    (`T` = 1 / rate) by one compare-exchange; the request conforms when
//!    the new `tat` is at most `now + burst·T`, i.e. the bucket had `n`
//!    tokens. `allow` takes only conforming requests; `wait_n` always
//!    reserves and then sleeps until its reservation conforms.
//! 2. Time only moves forward in the computation (`max(tat, now)`), so a
//!    limiter idle for a while holds at most `burst` tokens, never more.
//! 3. `burst·T` is at most 100 years (checked in `new`), and sums of times
//!    saturate, so no arithmetic overflows for a limiter's whole life.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::sleep;

/// The longest a full bucket may take to refill (100 years in ns), so that
/// times since the limiter was made plus its span never overflow a `u64`
/// (invariant 3).
const MAX_SPAN_NS: f64 = 100.0 * 365.25 * 86_400.0 * 1e9;

/// A token bucket: `per_sec` tokens a second, at most `burst` at once.
///
/// ```
/// use goroutines_runtime::time::RateLimiter;
/// let limiter = RateLimiter::new(1000.0, 5);
/// let allowed = (0..10).filter(|_| limiter.allow()).count();
/// assert!(allowed >= 5 && allowed <= 6, "the burst, then about one per ms");
/// limiter.wait(); // sleeps (a goroutine suspends) until a token is there
/// ```
pub struct RateLimiter {
    start: Instant,
    /// Invariant 1.
    tat: AtomicU64,
    /// Nanoseconds per token.
    interval: f64,
    burst: u64,
}

impl RateLimiter {
    /// `per_sec` tokens a second, with room for `burst` (the bucket starts
    /// full).
    ///
    /// # Panics
    /// If `per_sec` is not a positive, finite number, or `burst` is 0.
    pub fn new(per_sec: f64, burst: usize) -> RateLimiter {
        assert!(
            per_sec.is_finite() && per_sec > 0.0,
            "RateLimiter::new({per_sec}, {burst}): the rate must be a positive, finite number of tokens per second"
        );
        assert!(burst > 0, "RateLimiter::new({per_sec}, 0): the burst must be at least 1, or nothing could pass");
        let interval = 1e9 / per_sec;
        // Invariant 3: the bucket's span must fit the clock's range.
        assert!(
            interval * burst as f64 <= MAX_SPAN_NS,
            "RateLimiter::new({per_sec}, {burst}): a full bucket would take more than 100 years to refill; \
             use a higher rate or a smaller burst"
        );
        RateLimiter { start: Instant::now(), tat: AtomicU64::new(0), interval, burst: burst as u64 }
    }

    fn now(&self) -> u64 {
        self.start.elapsed().as_nanos() as u64
    }

    fn cost(&self, n: u64) -> u64 {
        (self.interval * n as f64) as u64
    }

    /// Takes a token if one is there now.
    pub fn allow(&self) -> bool {
        self.allow_n(1)
    }

    /// Takes `n` tokens if they are all there now.
    pub fn allow_n(&self, n: usize) -> bool {
        let n = n as u64;
        let now = self.now();
        let limit = now.saturating_add(self.cost(self.burst));
        let mut tat = self.tat.load(Ordering::Relaxed);
        loop {
            let next = tat.max(now).saturating_add(self.cost(n));
            if next > limit {
                return false;
            }
            match self.tat.compare_exchange_weak(tat, next, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return true,
                Err(t) => tat = t,
            }
        }
    }

    /// Waits for a token and takes it: the goroutine suspends (a thread
    /// sleeps).
    pub fn wait(&self) {
        self.wait_n(1)
    }

    /// Waits for `n` tokens and takes them. Waiters are served in the order
    /// they asked (each reserves its place, invariant 1).
    ///
    /// # Panics
    /// If `n` exceeds the burst: the bucket never holds that many.
    pub fn wait_n(&self, n: usize) {
        assert!(
            n as u64 <= self.burst,
            "RateLimiter::wait_n({n}): the bucket holds at most {} tokens (its burst)",
            self.burst
        );
        let n = n as u64;
        let now = self.now();
        let mut tat = self.tat.load(Ordering::Relaxed);
        let next = loop {
            let next = tat.max(now).saturating_add(self.cost(n));
            match self.tat.compare_exchange_weak(tat, next, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => break next,
                Err(t) => tat = t,
            }
        };
        // Conforms once `next <= t + burst·T`.
        let ready = next.saturating_sub(self.cost(self.burst));
        if ready > now {
            sleep(Duration::from_nanos(ready - now));
        }
    }
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter").field("per_sec", &(1e9 / self.interval)).field("burst", &self.burst).finish()
    }
}
