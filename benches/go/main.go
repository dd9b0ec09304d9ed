// The Go side of benches/runtime.rs: the same scenarios, written as a Go
// programmer would, printing one "metric value" line per measured run.
//
//	goroutines-bench -scenario spawn_wait -runs 5 -warmup 1
//	goroutines-bench -scenario park_20k
//	goroutines-bench -scenario yield_switch -runs 5 -warmup 1
//
// The flags -n (spawn_wait, park_20k: goroutines; yield_switch: yields per
// goroutine) and -procs (GOMAXPROCS) default to the values benches/runtime.rs
// passes, so running it by hand measures the same thing.
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
	scenario := flag.String("scenario", "", "spawn_wait | park_20k | yield_switch")
	runs := flag.Int("runs", 5, "measured runs (park_20k: always one cold and one warm run)")
	warmup := flag.Int("warmup", 1, "unmeasured runs first")
	n := flag.Int("n", 0, "goroutines (spawn_wait, park_20k) or yields per goroutine (yield_switch); 0: the default")
	procs := flag.Int("procs", 0, "GOMAXPROCS; 0: the scenario's default")
	flag.Parse()

	switch *scenario {
	case "spawn_wait":
		runtime.GOMAXPROCS(orDefault(*procs, 2))
		count := orDefault(*n, 1_000_000)
		for i := 0; i < *warmup+*runs; i++ {
			d := spawnWait(count)
			if i >= *warmup {
				fmt.Printf("spawn_wait_ns %d\n", d.Nanoseconds())
			}
		}
	case "park_20k":
		runtime.GOMAXPROCS(orDefault(*procs, 2))
		count := orDefault(*n, 20_000)
		// First run in this fresh process: spawn time, memory and threads.
		r := park(count)
		fmt.Printf("park_spawn_ns %d\n", r.spawn.Nanoseconds())
		fmt.Printf("park_rss_per_g_bytes %.1f\n", float64(r.rssAfter-r.rssBefore)/float64(count))
		fmt.Printf("park_threads %d\n", r.threads)
		fmt.Printf("park_wake_ns %d\n", r.wake.Nanoseconds())
		// Second run: goroutines (and their stacks) come back from the free lists.
		r = park(count)
		fmt.Printf("park_spawn_warm_ns %d\n", r.spawn.Nanoseconds())
	case "yield_switch":
		runtime.GOMAXPROCS(orDefault(*procs, 1))
		count := orDefault(*n, 2_000_000)
		for i := 0; i < *warmup+*runs; i++ {
			d := yieldSwitch(count)
			if i >= *warmup {
				fmt.Printf("yield_switch_ns %d\n", d.Nanoseconds())
			}
		}
	default:
		fmt.Fprintf(os.Stderr, "unknown -scenario %q\n", *scenario)
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
