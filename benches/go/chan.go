// The channel and time scenarios (issue 3), as a Go programmer writes
// them. Each returns its run's duration, timed from before the first go
// statement until the last value has arrived and every goroutine it started
// has ended (ticker: its mean lateness and ticks dropped).
package main

import (
	"sync"
	"sync/atomic"
	"time"
)

// pingPong: main and one goroutine bounce a value over two unbuffered
// channels, n round trips.
func pingPong(n int) time.Duration {
	ping, pong := make(chan int), make(chan int)
	start := time.Now()
	go func() {
		for v := range ping {
			pong <- v
		}
		close(pong)
	}()
	for i := 0; i < n; i++ {
		ping <- i
		<-pong
	}
	close(ping)
	<-pong // closed once the echo goroutine has ended
	return time.Since(start)
}

// spsc: one goroutine sends n values on a buffered(1024) channel; main
// receives them until it is closed.
func spsc(n int) time.Duration {
	c := make(chan int, 1024)
	start := time.Now()
	go func() {
		for i := 0; i < n; i++ {
			c <- i
		}
		close(c)
	}()
	sum := 0
	for v := range c {
		sum += v
	}
	sink(sum)
	return time.Since(start)
}

// mpmc: 4 producers send n/4 values each on one buffered(1024) channel,
// 4 consumers receive until it is closed (the last producer closes it).
func mpmc(n int) time.Duration {
	const producers, consumers = 4, 4
	c := make(chan int, 1024)
	var sent, received sync.WaitGroup
	sent.Add(producers)
	received.Add(consumers)
	start := time.Now()
	for p := 0; p < producers; p++ {
		go func() {
			for i := 0; i < n/producers; i++ {
				c <- i
			}
			sent.Done()
		}()
	}
	go func() {
		sent.Wait()
		close(c)
	}()
	for q := 0; q < consumers; q++ {
		go func() {
			sum := 0
			for v := range c {
				sum += v
			}
			sink(sum)
			received.Done()
		}()
	}
	received.Wait()
	return time.Since(start)
}

// select4: 4 producers each send n/4 values on a buffered(1024) channel of
// their own; main receives all n through one select over the 4.
func select4(n int) time.Duration {
	const producers = 4
	var cs [producers]chan int
	for i := range cs {
		cs[i] = make(chan int, 1024)
	}
	start := time.Now()
	for p := 0; p < producers; p++ {
		c := cs[p]
		go func() {
			for i := 0; i < n/producers; i++ {
				c <- i
			}
		}()
	}
	sum := 0
	for i := 0; i < n/producers*producers; i++ {
		select {
		case v := <-cs[0]:
			sum += v
		case v := <-cs[1]:
			sum += v
		case v := <-cs[2]:
			sum += v
		case v := <-cs[3]:
			sum += v
		}
	}
	sink(sum)
	return time.Since(start)
}

// pipeline3: generator -> square -> sum (main), over unbuffered channels,
// n items.
func pipeline3(n int) time.Duration {
	nums, squares := make(chan int), make(chan int)
	start := time.Now()
	go func() {
		for i := 0; i < n; i++ {
			nums <- i
		}
		close(nums)
	}()
	go func() {
		for v := range nums {
			squares <- v * v
		}
		close(squares)
	}()
	sum := 0
	for v := range squares {
		sum += v
	}
	sink(sum)
	return time.Since(start)
}

// TickPeriod is ticker_1ms's period; SleepFor is what each of sleep_20k's
// goroutines sleeps.
const (
	TickPeriod = time.Millisecond
	SleepFor   = 10 * time.Millisecond
)

// ticker: a 1 ms ticker, received from main until slot n. Slot k is due
// at start + k ms (the ticker is made just after start). A tick belongs to
// the slot its value falls in (its value is the time it was due, or when
// it fired, never before its slot) and is late by the time main got it
// minus that slot's due time. Returns the mean lateness in ns and how many
// of the slots 1..n no tick arrived for.
func ticker(n int) (meanLateNs float64, dropped int) {
	start := time.Now()
	t := time.NewTicker(TickPeriod)
	defer t.Stop()
	var late time.Duration
	ticks, slots, last := 0, 0, 0
	for last < n {
		v := <-t.C
		got := time.Since(start)
		k := int(v.Sub(start) / TickPeriod)
		if k > n {
			break
		}
		ticks++
		late += got - time.Duration(k)*TickPeriod
		if k != last {
			slots++
			last = k
		}
	}
	return float64(late.Nanoseconds()) / float64(max(ticks, 1)), n - slots
}

// sleepMany: n goroutines each sleep 10 ms; main waits for all.
func sleepMany(n int) time.Duration {
	var wg sync.WaitGroup
	wg.Add(n)
	start := time.Now()
	for i := 0; i < n; i++ {
		go func() {
			time.Sleep(SleepFor)
			wg.Done()
		}()
	}
	wg.Wait()
	return time.Since(start)
}

// sinkValue keeps sums observable so no loop is optimised away.
var sinkValue atomic.Int64

func sink(v int) { sinkValue.Add(int64(v)) }
