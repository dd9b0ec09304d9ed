//! A guided tour of `goroutines`: run it with
//!
//! ```text
//! cargo run --release --example tour
//! ```
//!
//! Each stop prints what it shows. The code is the documentation: every
//! stop is a few lines you could paste into your own program.

use std::cell::Cell;
use std::time::{Duration, Instant};

use goroutines::prelude::*;

fn stop(n: u32, title: &str) {
    println!("\n== {n}. {title}");
}

fn square(x: u64) -> u64 {
    x * x
}

fn fib(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        fib(n - 1) + fib(n - 2)
    }
}

fn threads() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("Threads:")).and_then(|v| v.trim().parse().ok()))
        .unwrap_or(0)
}

thread_local! {
    static LOCAL: Cell<u32> = const { Cell::new(0) };
}

#[goroutines::main]
fn main() {
    println!("goroutines tour: main runs as goroutine {} on {} worker threads", goroutine_id(), max_procs());

    stop(1, "go! starts a goroutine; join() waits for its value");
    let mut x = 7;
    let h = go!(square(x)); // call form: `x` is evaluated now, like Go's `go f(x)`
    x = 100;
    println!("go!(square(x)) with x = 7, then x = {x}: the goroutine computed {}", h.join().unwrap());
    let h = go!({ fib(25) }); // block form: a `move` block
    println!("go!({{ fib(25) }}) = {}", h.join().unwrap());
    let name = String::from("closure");
    let h = go!(move || format!("hello from a {name} on goroutine {}", goroutine_id()));
    println!("{}", h.join().unwrap());

    stop(2, "WaitGroup waits for a group of goroutines");
    let wg = WaitGroup::new();
    let results = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    for i in 1..=5u64 {
        let results = results.clone();
        wg.go(move || results.lock().unwrap().push(fib(10 + i)));
    }
    wg.wait();
    let mut r = results.lock().unwrap().clone();
    r.sort();
    println!("five goroutines computed {r:?}");

    stop(3, "blocking is cheap: a blocked goroutine frees its worker");
    let t = Instant::now();
    let (started, gate) = (WaitGroup::new(), WaitGroup::new());
    gate.add(1);
    for _ in 0..20_000 {
        let (started, gate) = (started.clone(), gate.clone());
        started.add(1);
        go!(move || {
            started.done();
            gate.wait(); // suspends this goroutine, not a thread
        });
    }
    started.wait();
    println!(
        "20,000 goroutines blocked at once after {:.1?}: {} goroutines alive, {} OS threads in the process",
        t.elapsed(),
        num_goroutines(),
        threads()
    );
    gate.done();

    stop(4, "a started goroutine never changes thread (so thread_local!, Rc, guards stay sound)");
    let h = go!(move || {
        LOCAL.with(|l| l.set(42));
        let me = std::thread::current().id();
        let rc = std::rc::Rc::new("not Send, and fine here");
        for _ in 0..100 {
            go!(|| ()).join().unwrap(); // blocks: this goroutine suspends 100 times
        }
        (me == std::thread::current().id(), LOCAL.with(|l| l.get()), *rc)
    });
    let (same_thread, local, rc) = h.join().unwrap();
    println!("after 100 suspensions: same thread = {same_thread}, thread_local = {local}, Rc says {rc:?}");

    stop(5, "a panic stays in its goroutine: join() returns Err naming it");
    let h = go!(|| -> u32 { panic!("something went wrong") });
    match h.join() {
        Ok(_) => unreachable!(),
        Err(p) => println!("join() -> Err: {p}"),
    }

    stop(6, "scope: goroutines that borrow from the stack");
    let words = vec!["go", "rust", "goroutines"];
    let mut lens = vec![0; words.len()];
    scope(|s| {
        for (w, l) in words.iter().zip(lens.iter_mut()) {
            s.go(move || *l = w.len());
        }
    });
    println!("lengths of {words:?}, computed in place by scoped goroutines: {lens:?}");

    stop(7, "yield_now is Go's Gosched; set_max_procs is GOMAXPROCS");
    let t = Instant::now();
    let a = go!(|| (0..100_000).for_each(|_| yield_now()));
    let b = go!(|| (0..100_000).for_each(|_| yield_now()));
    a.join().unwrap();
    b.join().unwrap();
    println!("200,000 yields in {:.1?}; max_procs() = {}", t.elapsed(), max_procs());

    stop(8, "channels: an unbuffered send waits for its receiver; close ends a range");
    let (tx, rx) = chan::<u64>(0);
    go!(move || {
        for i in 1..=5 {
            tx.send(i * i).unwrap(); // returns once the receiver has the value
        }
        // tx dropped here: the last sender closes the channel
    });
    let squares: Vec<u64> = rx.iter().collect(); // Go's `for v := range ch`
    println!("received {squares:?}; after close, recv() = {:?}", rx.recv());
    let (tx, rx) = chan::<&str>(2);
    tx.send("buffered").unwrap();
    tx.close();
    println!(
        "a closed channel drains first: {:?} then {:?}; send now gives the value back: {:?}",
        rx.recv(),
        rx.recv(),
        tx.send("late").map_err(|e| e.into_inner())
    );

    stop(9, "select!: whichever is ready first, with a timeout and a default");
    let (fast_tx, fast) = chan::<&str>(0);
    let (_slow_tx, slow) = chan::<&str>(0);
    go!(move || {
        sleep(Duration::from_millis(5));
        fast_tx.send("fast").unwrap();
    });
    let got = select! {
        v = <-fast => format!("received {v:?}"),
        v = <-slow => format!("received {v:?}"),
        <-after(Duration::from_millis(500)) => "timed out".to_string(),
    };
    println!("{got}");
    let polled = select! {
        v = <-slow => format!("{v:?}"),
        default => "nothing ready: default ran".to_string(),
    };
    println!("{polled}");

    stop(10, "time: sleep suspends, a Ticker ticks on schedule");
    let ticker = Ticker::new(Duration::from_millis(2));
    let t = Instant::now();
    for _ in 0..5 {
        ticker.recv();
    }
    ticker.stop();
    println!("5 ticks of 2 ms in {:.1?}", t.elapsed());

    stop(11, "pipeline!: stages of goroutines joined by channels (more: examples/pipeline.rs)");
    let squares: Vec<u64> = pipeline! {
        1..=8u64
        => map(workers = 2, ordered, |n| n * n)
        => filter(|n| n % 2 == 0)
    }
    .collect();
    println!("even squares of 1..=8, two workers, order kept: {squares:?}");
    println!("(fan-out/fan-in by hand with merge and fan_out: examples/fan_out_fan_in.rs)");

    stop(12, "#[worker_pool]: a function becomes a pool of goroutines (more: examples/worker_pool.rs)");
    let mut cubes = cube::run(1..=5);
    cubes.sort_unstable();
    println!("cube::run(1..=5) on {} workers: {cubes:?}", max_procs());

    stop(13, "Context: cancellation and deadlines handed down to goroutines");
    let (ctx, cancel) = Context::background().with_timeout(Duration::from_millis(20));
    let (_tx, never) = chan::<u32>(0);
    let waiter = {
        let ctx = ctx.clone();
        go!(move || select! {
            _ = <-never => "a value",
            <-ctx.done() => "ctx.done() closed",
        })
    };
    println!("{} ({})", waiter.join().unwrap(), ctx.err().map(|e| e.to_string()).unwrap_or_default());
    drop(cancel);

    stop(14, "Group: errgroup, the first error cancels the rest");
    let g = Group::<String>::new();
    for part in 0..4 {
        let ctx = g.context().clone();
        g.go(move || {
            if part == 2 {
                return Err(format!("part {part} failed"));
            }
            let _ = ctx.done().recv(); // the others stop when one fails
            Ok(())
        });
    }
    println!("group: {:?}", g.wait());

    stop(15, "sync: a Mutex whose contenders suspend, not block their worker");
    let counter = std::sync::Arc::new(goroutines::sync::Mutex::new(0));
    let wg = WaitGroup::new();
    for _ in 0..8 {
        let counter = counter.clone();
        wg.go(move || {
            for _ in 0..1000 {
                *counter.lock() += 1;
            }
        });
    }
    wg.wait();
    println!("8 goroutines x 1000 increments: {}", *counter.lock());

    stop(16, "every pattern of the Go goroutines tutorial, one example each, in order; then the network");
    for (example, shows) in [
        ("starting_goroutines", "go f(x)"),
        ("anonymous_goroutines", "go func(x) {...}(x)"),
        ("wait_group", "sync.WaitGroup"),
        ("done_channel", "stopping a goroutine by closing a channel"),
        ("worker_pool", "jobs and results channels, then #[worker_pool]"),
        ("fan_out_fan_in", "fan-out, fan-in, merge"),
        ("pipeline", "gen -> sq by hand, then pipeline!"),
        ("gomaxprocs", "runtime.GOMAXPROCS"),
        ("gosched", "runtime.Gosched"),
        ("graceful_shutdown", "Context and Ctrl-C"),
        ("rate_limiting", "a token bucket"),
        ("timeout", "timeout(d, f) and select with after(d)"),
        ("periodic_task", "a Ticker stopped by a Context"),
        ("panic_recovery", "recover() in a goroutine"),
        ("avoiding_leaks", "closing, Context, dropping a pipeline"),
        ("bounded_goroutines", "a Semaphore, Group::set_limit"),
        ("loop_variable", "the loop variable gotcha, impossible with go!"),
        ("main_exits", "main returning before its goroutines"),
        ("goroutine_count", "runtime.NumGoroutine"),
        ("debugging", "the dump, the debug page, the deadlock message"),
        ("echo_server", "net: a goroutine per connection, deadlines, shutdown"),
        ("http_hello", "net: HTTP/1.1 keep-alive over httparse, Ctrl-C shutdown"),
        ("fetch_all", "net: a client fan-out with Group, per-request deadlines"),
    ] {
        println!("  cargo run --release --example {example:<22} # {shows}");
    }
}

/// A pool of `max_procs()` goroutines; `cube::run` and `cube::start` are
/// generated beside it.
#[goroutines::worker_pool]
fn cube(n: u64) -> u64 {
    n * n * n
}
