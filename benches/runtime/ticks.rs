//! ticker_1ms's bookkeeping, the same for ours, tokio and crossbeam (Go's
//! `ticker` in `benches/go/chan.go` does the same).
//!
//! Slot `k` is due at `start + k × period`; the ticker is made just after
//! `start`. A tick belongs to the slot its value falls in (every ticker's
//! value is the time the tick was due or when it fired, never before its
//! slot) and is late by the time the receiver got it minus that slot's due
//! time. The run ends with the tick for slot `n` (or the first one past it,
//! which is not counted); a slot of `1..=n` no tick arrived for is dropped.

use std::time::{Duration, Instant};

use crate::child::Lines;
use crate::scenario::metric;

pub struct TickLog {
    start: Instant,
    period: Duration,
    n: u64,
    late: Duration,
    ticks: u32,
    slots: u64,
    last: u64,
}

impl TickLog {
    /// Read `start` just before making the ticker.
    pub fn new(start: Instant, period: Duration, n: usize) -> TickLog {
        TickLog { start, period, n: n as u64, late: Duration::ZERO, ticks: 0, slots: 0, last: 0 }
    }

    /// Records a tick whose value is `value`, received just now. Returns
    /// whether the run goes on.
    pub fn tick(&mut self, value: Instant) -> bool {
        let got = self.start.elapsed();
        let k = (value.saturating_duration_since(self.start).as_nanos() / self.period.as_nanos()) as u64;
        if k > self.n {
            return false;
        }
        self.ticks += 1;
        self.late += got.saturating_sub(self.period * k as u32);
        if k != self.last {
            self.slots += 1;
            self.last = k;
        }
        k < self.n
    }

    /// Mean lateness (ns) and slots dropped.
    pub fn lines(&self) -> Lines {
        vec![
            (metric::TICKER_LATE_NS.to_string(), self.late.as_nanos() as f64 / f64::from(self.ticks.max(1))),
            (metric::TICKER_DROPPED.to_string(), (self.n - self.slots) as f64),
        ]
    }
}
