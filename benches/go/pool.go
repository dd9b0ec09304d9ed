// The worker-pool scenarios, as a Go programmer writes them: the classic
// worker pool (worker_pool), and the generator -> square -> sum pipeline
// that pipeline_macro sets next to our pipeline! (pipeline3's body, in
// chan.go). Each returns its run's duration.
package main

import "time"

// Worker_pool's figures, as benches/runtime/scenario.rs sets them.
const (
	PoolWorkers = 8
	PoolBuffer  = 100
	// JobRounds rounds of work: about 1 µs here.
	JobRounds = 900
)

// work is one job's CPU work: rounds rounds of a 64-bit hash mixing step,
// each depending on the last. benches/runtime/scenario.rs's work is the
// same loop and computes the same values.
//
//go:noinline
func work(seed uint64, rounds int) uint64 {
	x := seed
	for i := 0; i < rounds; i++ {
		x = (x ^ (x >> 29)) * 0xbf58476d1ce4e5b9
	}
	return x
}

// workerPool: 8 workers range over jobs := make(chan int, 100) and send on
// results := make(chan int, 100); a goroutine sends the n jobs and closes
// jobs; main takes all n results into a slice (in completion order, as
// ours' run returns them).
func workerPool(n int) time.Duration {
	jobs := make(chan int, PoolBuffer)
	results := make(chan int, PoolBuffer)
	start := time.Now()
	for w := 0; w < PoolWorkers; w++ {
		go func() {
			for j := range jobs {
				results <- int(work(uint64(j), JobRounds))
			}
		}()
	}
	go func() {
		for i := 0; i < n; i++ {
			jobs <- i
		}
		close(jobs)
	}()
	var out []int
	for i := 0; i < n; i++ {
		out = append(out, <-results)
	}
	elapsed := time.Since(start)
	sink(len(out))
	return elapsed
}
