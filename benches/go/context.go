// The cancellation scenario (issue 5), as a Go programmer writes it:
// context.WithCancel, and <-ctx.Done() in a select. It returns the time
// from cancel() until every goroutine blocked in that select has ended.
package main

import (
	"context"
	"sync"
	"time"
)

// SettleFor is how long main sleeps once every goroutine has started, so
// that the last of them are parked in their select too before the clock
// starts (benches/runtime/scenario.rs's fixed::SETTLE).
const SettleFor = 2 * time.Millisecond

// contextCancel: n goroutines each call started.Done(), then block in a
// select on <-ctx.Done() and on a channel nobody sends on, then
// exited.Done(). Timed from cancel() until exited.Wait() returns.
func contextCancel(n int) time.Duration {
	ctx, cancel := context.WithCancel(context.Background())
	never := make(chan struct{})
	var started, exited sync.WaitGroup
	started.Add(n)
	exited.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			started.Done()
			select {
			case <-ctx.Done():
			case <-never:
			}
			exited.Done()
		}()
	}
	started.Wait()
	time.Sleep(SettleFor)
	start := time.Now()
	cancel()
	exited.Wait()
	return time.Since(start)
}
