// The Go side of benches/runtime: the same scenarios, written as a Go
// programmer would, printing one "metric value" line per measured run (two
// for ticker_1ms).
//
//	goroutines-bench -scenario spawn_wait -runs 5 -warmup 1
//	goroutines-bench -scenario park_20k
//	goroutines-bench -scenario ping_pong -runs 5 -warmup 1
//
// Scenarios: spawn_wait, park_20k, yield_switch (the runtime core);
// ping_pong, spsc_buffered, mpmc_4x4, select4, pipeline3 (channels);
// ticker_1ms, sleep_20k (time); worker_pool, pipeline_macro (pool.go);
// context_cancel (context.go); mutex (sync.go); echo_10, echo_200,
// echo_1000, idle_10k (net.go).
//
// The flags -n (goroutines, yields, round trips, messages, items, jobs,
// ticks, lock operations or connections: see each scenario) and -procs
// (GOMAXPROCS) default to the values benches/runtime passes, so running it
// by hand measures the same thing.
//
// With -serve (every scenario but park_20k and idle_10k; what
// benches/runtime uses) it does the -warmup runs, prints "ready", then does
// one measured run per "run" line on stdin, each answered with its "metric
// value" lines and "ready", until stdin closes; -runs is then unused.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	scenario := flag.String("scenario", "", "spawn_wait | park_20k | yield_switch | ping_pong | spsc_buffered | mpmc_4x4 | select4 | pipeline3 | ticker_1ms | sleep_20k | worker_pool | pipeline_macro | context_cancel | mutex | echo_10 | echo_200 | echo_1000 | idle_10k")
	runs := flag.Int("runs", 5, "measured runs (park_20k: always one cold and one warm run; idle_10k: always one cold run)")
	warmup := flag.Int("warmup", 1, "unmeasured runs first")
	n := flag.Int("n", 0, "goroutines, yields per goroutine, round trips, messages, items, jobs, ticks, lock operations or connections in all; 0: the scenario's default")
	procs := flag.Int("procs", 0, "GOMAXPROCS; 0: the scenario's default")
	serve := flag.Bool("serve", false, "after the warm-up, one measured run per \"run\" line on stdin (not park_20k or idle_10k)")
	connect := flag.String("connect", "", "idle_10k's helper: open -n connections to this address and hold them until stdin closes")
	flag.Parse()
	if *connect != "" {
		connectAndHold(*connect, *n)
		return
	}

	// GOMAXPROCS and n default to what benches/runtime/scenario.rs sets.
	setup := func(defProcs, defN int) int {
		runtime.GOMAXPROCS(orDefault(*procs, defProcs))
		return orDefault(*n, defN)
	}
	// timed: a scenario whose one figure is its run's duration.
	timed := func(metric string, run func(int) time.Duration, count int) func() []sample {
		return func() []sample { return []sample{{metric, float64(run(count).Nanoseconds())}} }
	}
	var once func() []sample
	switch *scenario {
	case "spawn_wait":
		once = timed("spawn_wait_ns", spawnWait, setup(2, 1_000_000))
	case "park_20k":
		if *serve {
			fmt.Fprintln(os.Stderr, "park_20k: no -serve (each measured run is a fresh process)")
			os.Exit(2)
		}
		count := setup(2, 20_000)
		// First run in this fresh process: spawn time, memory and threads.
		r := park(count)
		fmt.Printf("park_spawn_ns %d\n", r.spawn.Nanoseconds())
		fmt.Printf("park_rss_per_g_bytes %.1f\n", float64(r.rssAfter-r.rssBefore)/float64(count))
		fmt.Printf("park_threads %d\n", r.threads)
		fmt.Printf("park_wake_ns %d\n", r.wake.Nanoseconds())
		// Second run: goroutines (and their stacks) come back from the free lists.
		r = park(count)
		fmt.Printf("park_spawn_warm_ns %d\n", r.spawn.Nanoseconds())
		return
	case "yield_switch":
		once = timed("yield_switch_ns", yieldSwitch, setup(1, 2_000_000))
	case "ping_pong":
		once = timed("ping_pong_ns", pingPong, setup(2, 200_000))
	case "spsc_buffered":
		once = timed("spsc_ns", spsc, setup(2, 2_000_000))
	case "mpmc_4x4":
		once = timed("mpmc_ns", mpmc, setup(2, 2_000_000))
	case "select4":
		once = timed("select4_ns", select4, setup(2, 400_000))
	case "pipeline3":
		once = timed("pipeline3_ns", pipeline3, setup(2, 1_000_000))
	case "ticker_1ms":
		count := setup(2, 1_000)
		once = func() []sample {
			late, dropped := ticker(count)
			return []sample{{"ticker_late_ns", late}, {"ticker_dropped", float64(dropped)}}
		}
	case "sleep_20k":
		once = timed("sleep_20k_ns", sleepMany, setup(2, 20_000))
	case "worker_pool":
		once = timed("worker_pool_ns", workerPool, setup(2, 1_000_000))
	case "pipeline_macro":
		// Go has no pipeline!: its pipeline is the hand-written one.
		once = timed("pipeline_macro_ns", pipeline3, setup(2, 1_000_000))
	case "context_cancel":
		once = timed("context_cancel_ns", contextCancel, setup(2, 10_000))
	case "mutex":
		once = timed("mutex_ns", mutexCounter, setup(2, 4_000_000))
	case "echo_10", "echo_200", "echo_1000":
		clients, _ := strconv.Atoi(strings.TrimPrefix(*scenario, "echo_"))
		once = timed("echo_ns", func(n int) time.Duration { return echo(clients, n) }, setup(2, 200_000))
	case "http_server":
		// http_hello's server; benches/runtime's load generator measures it.
		setup(2, 0)
		httpServer()
		return
	case "idle_10k":
		if *serve {
			fmt.Fprintln(os.Stderr, "idle_10k: no -serve (each measured run is a fresh process)")
			os.Exit(2)
		}
		count := setup(2, 10_000)
		raiseNofile()
		r := idle(count)
		fmt.Printf("idle_rss_per_conn_bytes %.1f\n", float64(r.rssAfter-r.rssBefore)/float64(count))
		fmt.Printf("idle_threads %d\n", r.threads)
		fmt.Printf("idle_setup_ns %d\n", r.setup.Nanoseconds())
		return
	default:
		fmt.Fprintf(os.Stderr, "unknown -scenario %q\n", *scenario)
		os.Exit(2)
	}
	repeat(*warmup, *runs, *serve, once)
}

// sample is one "metric value" line.
type sample struct {
	metric string
	value  float64
}

func emit(samples []sample) {
	for _, s := range samples {
		fmt.Printf("%s %s\n", s.metric, strconv.FormatFloat(s.value, 'f', -1, 64))
	}
}

// repeat does warmup unmeasured runs of once, then the measured ones: runs
// of them, or with serve one per "run" line on stdin, each answered with its
// metric lines and "ready" (os.Stdout is unbuffered).
func repeat(warmup, runs int, serve bool, once func() []sample) {
	for i := 0; i < warmup; i++ {
		once()
	}
	if !serve {
		for i := 0; i < runs; i++ {
			emit(once())
		}
		return
	}
	fmt.Println("ready")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		if cmd := strings.TrimSpace(in.Text()); cmd != "run" {
			fmt.Fprintf(os.Stderr, "unknown command %q on stdin\n", cmd)
			os.Exit(2)
		}
		emit(once())
		fmt.Println("ready")
	}
	if err := in.Err(); err != nil {
		fmt.Fprintf(os.Stderr, "cannot read stdin: %v\n", err)
		os.Exit(2)
	}
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// spawnWait: from main, start n goroutines that each call wg.Done(), then
// wg.Wait(). The counter is added once, before the clock starts.
func spawnWait(n int) time.Duration {
	var wg sync.WaitGroup
	wg.Add(n)
	start := time.Now()
	for i := 0; i < n; i++ {
		go func() {
			wg.Done()
		}()
	}
	wg.Wait()
	return time.Since(start)
}

type parkResult struct {
	spawn, wake         time.Duration
	rssBefore, rssAfter int64
	threads             int64
}

// park: n goroutines each do started.Done(); gate.Wait(). Timed from the
// first go statement until started.Wait() returns; memory and threads are
// read while all n are parked; then the gate opens.
func park(n int) parkResult {
	var started, gate, finished sync.WaitGroup
	started.Add(n)
	gate.Add(1)
	finished.Add(n)
	var r parkResult
	r.rssBefore = status("VmRSS") * 1024
	start := time.Now()
	for i := 0; i < n; i++ {
		go func() {
			started.Done()
			gate.Wait()
			finished.Done()
		}()
	}
	started.Wait()
	r.spawn = time.Since(start)
	r.rssAfter = status("VmRSS") * 1024
	r.threads = status("Threads")
	start = time.Now()
	gate.Done()
	finished.Wait()
	r.wake = time.Since(start)
	return r
}

// yieldSwitch: two goroutines on one P, each calling runtime.Gosched() n
// times; main waits for both.
func yieldSwitch(n int) time.Duration {
	var wg sync.WaitGroup
	wg.Add(2)
	start := time.Now()
	for g := 0; g < 2; g++ {
		go func() {
			for i := 0; i < n; i++ {
				runtime.Gosched()
			}
			wg.Done()
		}()
	}
	wg.Wait()
	return time.Since(start)
}

// status reads a numeric field of /proc/self/status ("VmRSS" is in KiB).
func status(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		v, err := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
		if err != nil {
			panic(err)
		}
		return v
	}
	panic("no " + field + " in /proc/self/status")
}
