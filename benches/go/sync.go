// The mutex scenario, as a Go programmer writes it: one sync.Mutex around a
// shared counter. It returns the time from the first go statement until
// every locker has ended. (rate_limiter has no Go version: Go's rate
// limiter, golang.org/x/time/rate, is not in the standard library, and this
// program builds offline with no module dependencies.)
package main

import (
	"sync"
	"time"
)

// Lockers is mutex's goroutines (benches/runtime/scenario.rs's
// fixed::LOCKERS).
const Lockers = 4

// mutexCounter: 4 goroutines each lock mu, increment the counter and
// unlock, n/4 times; main waits for them.
func mutexCounter(n int) time.Duration {
	var mu sync.Mutex
	var wg sync.WaitGroup
	counter := 0
	wg.Add(Lockers)
	start := time.Now()
	for g := 0; g < Lockers; g++ {
		go func() {
			for i := 0; i < n/Lockers; i++ {
				mu.Lock()
				counter++
				mu.Unlock()
			}
			wg.Done()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if counter != n/Lockers*Lockers {
		panic("mutex: an increment was lost")
	}
	return elapsed
}
