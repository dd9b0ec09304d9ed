//! The timer facility: sleep suspends goroutines, timers deliver on
//! channels, tickers drop ticks for a slow receiver.

use std::time::{Duration, Instant};

use goroutines_runtime::time::{after, sleep, tick, Ticker, Timer};
use goroutines_runtime::{spawn, Builder, WaitGroup};

#[test]
fn sleep_suspends_goroutines_and_frees_the_worker() {
    // One worker: if sleep blocked the thread, the sleepers would run one
    // after another (1 s); suspended, they overlap. The bound only catches
    // a worker held by sleep, with a wide margin for a noisy machine.
    let rt = Builder::new().max_procs(1).build().unwrap();
    let t = Instant::now();
    rt.block_on(|| {
        let wg = WaitGroup::new();
        for _ in 0..100 {
            wg.go(|| sleep(Duration::from_millis(10)));
        }
        wg.wait();
    });
    assert!(t.elapsed() < Duration::from_millis(900), "sleeps did not overlap: {:?}", t.elapsed());
}

#[test]
fn sleep_waits_at_least_its_duration() {
    for d in [Duration::ZERO, Duration::from_millis(3)] {
        let t = Instant::now();
        spawn(move || sleep(d)).join().unwrap();
        assert!(t.elapsed() >= d);
        let t = Instant::now();
        sleep(d);
        assert!(t.elapsed() >= d);
    }
}

#[test]
fn after_delivers_once() {
    let start = Instant::now();
    let rx = after(Duration::from_millis(2));
    let at = rx.recv().unwrap();
    assert!(at >= start + Duration::from_millis(2));
    assert!(rx.recv_timeout(Duration::from_millis(10)).is_err(), "one value only");
}

#[test]
fn ticker_drops_ticks_for_a_slow_receiver_and_stops() {
    let t = Ticker::new(Duration::from_millis(1));
    std::thread::sleep(Duration::from_millis(20));
    // ~20 periods passed; the channel held one tick.
    assert_eq!(t.receiver().len(), 1);
    t.recv().unwrap();
    t.recv().unwrap(); // the next one comes on schedule
    t.stop();
    let _ = t.receiver().try_recv();
    assert!(t.receiver().recv_timeout(Duration::from_millis(10)).is_err(), "no tick after stop");
    t.reset(Duration::from_millis(1));
    assert!(t.recv().is_some(), "reset restarts it");
}

#[test]
fn tick_keeps_ticking() {
    let rx = tick(Duration::from_millis(1));
    for _ in 0..5 {
        rx.recv().unwrap();
    }
}

#[test]
fn timer_stop_and_reset() {
    let t = Timer::new(Duration::from_secs(60));
    assert!(t.stop(), "stopped before firing");
    assert!(!t.stop(), "already stopped");
    assert!(!t.reset(Duration::from_millis(1)));
    assert!(t.recv().is_some());
    let t = Timer::new(Duration::from_millis(1));
    std::thread::sleep(Duration::from_millis(10));
    assert!(!t.stop(), "it had fired");
}

#[test]
fn many_early_finished_timeouts_do_not_pile_up() {
    // Each recv_timeout schedules a long timer and finishes at once; the
    // cancelled timers must not accumulate (this only checks it runs and
    // stays correct; the heap rebuild is what keeps it small).
    let rt = Builder::new().max_procs(1).build().unwrap();
    rt.block_on(|| {
        let (tx, rx) = goroutines_runtime::chan::<u32>(1);
        for i in 0..5_000 {
            let tx = tx.clone();
            // Runs once the receiver below blocks (one worker), so each
            // receive waits, with a timer, and is woken before it fires.
            drop(spawn(move || tx.send(i).unwrap()));
            assert_eq!(rx.recv_timeout(Duration::from_secs(3600)), Ok(i));
        }
    });
}

/// A tick's value is the time it was due (as Go's since 1.23), so values
/// sit on the ticker's schedule however late the timer ran.
#[test]
fn ticks_carry_the_time_they_were_due() {
    let period = Duration::from_millis(1);
    let t = Ticker::new(period);
    let first = t.recv().unwrap();
    for _ in 0..5 {
        let v = t.recv().unwrap();
        let since = v.duration_since(first).as_nanos();
        assert_eq!(since % period.as_nanos(), 0, "tick {since} ns after the first is off the schedule");
    }
    t.stop();
}

/// `Timer::reset` drains the timer's channel while it holds the timer's
/// lock; a drain that spent the cooperative budget could switch the
/// goroutine out holding it, and another goroutine of the same worker
/// taking the lock would then block that worker for good. Every offset of
/// the budget is tried.
#[test]
fn reset_never_switches_out_holding_the_timers_lock() {
    use std::sync::Arc;
    let rt = Builder::new().max_procs(1).build().unwrap();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let _main = rt.spawn(move || {
        for pre in 0..=130 {
            let t = Arc::new(Timer::new(Duration::from_secs(60)));
            let (go_tx, go_rx) = goroutines_runtime::chan::<()>(1);
            let t2 = t.clone();
            let stopper = spawn(move || {
                go_rx.recv();
                t2.stop();
            });
            go_tx.send(()).unwrap(); // the stopper is ready to run beside us
            let (_idle_tx, idle) = goroutines_runtime::chan::<()>(1);
            for _ in 0..pre {
                let _ = idle.try_recv();
            }
            t.reset(Duration::from_secs(60));
            stopper.join().unwrap();
        }
        done_tx.send(()).unwrap();
    });
    // A hang guard, not a timing assertion.
    done_rx.recv_timeout(Duration::from_secs(60)).expect("a worker blocked on the timer's lock");
}

mod helpers {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use goroutines_runtime::context::Context;
    use goroutines_runtime::time::{every, sleep, timeout, RateLimiter};

    #[test]
    fn timeout_returns_the_value_or_elapsed_and_the_late_goroutine_ends() {
        assert_eq!(timeout(Duration::from_secs(60), || "fast"), Ok("fast"));
        let finished = Arc::new(AtomicBool::new(false));
        let f = finished.clone();
        let late = timeout(Duration::from_millis(1), move || {
            sleep(Duration::from_millis(20));
            f.store(true, Ordering::SeqCst);
            vec![0u8; 1024] // a result that goes nowhere
        });
        assert_eq!(late.map(|v| v.len()).map_err(|e| e.after()), Err(Duration::from_millis(1)));
        // The abandoned goroutine is not blocked on its send: it finishes.
        let deadline = Instant::now() + Duration::from_secs(60); // hang guard
        while !finished.load(Ordering::SeqCst) && Instant::now() < deadline {
            sleep(Duration::from_millis(1));
        }
        assert!(finished.load(Ordering::SeqCst));
    }

    #[test]
    fn timeout_resumes_a_panic_that_comes_in_time() {
        let r = std::panic::catch_unwind(|| timeout(Duration::from_secs(60), || -> u8 { panic!("inside") }));
        assert_eq!(r.expect_err("resumed").downcast_ref::<&str>(), Some(&"inside"));
    }

    #[test]
    fn a_rate_limiter_starts_with_its_burst() {
        let l = RateLimiter::new(1.0, 3); // one token a second: no refill during the test
        assert_eq!((0..10).filter(|_| l.allow()).count(), 3);
        assert!(!l.allow_n(1));
        let l = RateLimiter::new(1.0, 4);
        assert!(l.allow_n(4));
        assert!(!l.allow());
    }

    #[test]
    fn a_rate_limiter_waits_for_tokens_in_order() {
        let l = RateLimiter::new(2_000.0, 1);
        let start = Instant::now();
        for _ in 0..20 {
            l.wait();
        }
        // 19 intervals of 0.5 ms after the first token: at least 9.5 ms.
        assert!(start.elapsed() >= Duration::from_micros(9_500));
    }

    #[test]
    fn bad_rates_are_refused_with_what_is_allowed() {
        fn message(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
            let p = std::panic::catch_unwind(f).expect_err("refused");
            p.downcast_ref::<String>().cloned().unwrap_or_default()
        }
        assert!(message(|| {
            let _ = RateLimiter::new(0.0, 1);
        })
        .contains("positive, finite"));
        assert!(message(|| {
            let _ = RateLimiter::new(-5.0, 1);
        })
        .contains("positive, finite"));
        assert!(message(|| {
            let _ = RateLimiter::new(f64::NAN, 1);
        })
        .contains("positive, finite"));
        assert!(message(|| {
            let _ = RateLimiter::new(10.0, 0);
        })
        .contains("at least 1"));
        assert!(message(|| {
            let _ = RateLimiter::new(1e-11, 1);
        })
        .contains("100 years"));
        assert!(message(|| {
            let _ = RateLimiter::new(0.001, 20_000_000);
        })
        .contains("100 years"));
        let l = RateLimiter::new(10.0, 2);
        assert!(message(move || l.wait_n(3)).contains("at most 2 tokens"));
    }

    #[test]
    fn every_runs_until_its_context_is_cancelled() {
        let (ctx, cancel) = Context::background().with_cancel();
        let h = every(Duration::from_millis(1), &ctx, || {});
        sleep(Duration::from_millis(10));
        cancel.cancel();
        assert!(h.join().unwrap() >= 1);
    }
}
