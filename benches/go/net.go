// The network scenarios, as a Go programmer writes them: a goroutine per
// connection on loopback TCP, parked in the runtime's network poller while
// it waits. echo returns its run's duration; idle what idle_10k prints.
package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The network scenarios' fixed figures (benches/runtime/scenario.rs's
// fixed::ECHO_MSG and fixed::NOFILE).
const (
	// EchoMsg is the echo scenarios' request (and response) size, in bytes.
	EchoMsg = 64
	// Nofile is the open-file limit idle_10k raises its own to (as far as
	// it may: here the hard limit stays at 20,000).
	Nofile = 65_536
	// IdleSettle is how long idle sleeps once every reader has started, so
	// that the last of them are parked in the poller too.
	IdleSettle = 50 * time.Millisecond
)

// echo: an accept loop starts a goroutine per connection that echoes
// EchoMsg-byte messages until its client hangs up. clients goroutines each
// dial the listener and wait; once all are connected, each does
// n/clients round trips (write EchoMsg bytes, io.ReadFull the reply) and
// closes its connection. Timed from the start signal until every client is
// done; then the listener closes and every server goroutine has ended
// before it returns.
func echo(clients, n int) time.Duration {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	var servers sync.WaitGroup
	servers.Add(1) // the accept loop: Add never races with Wait
	go func() {
		defer servers.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return // the listener is closed
			}
			servers.Add(1)
			go func() {
				defer servers.Done()
				defer c.Close()
				buf := make([]byte, EchoMsg)
				for {
					if _, err := io.ReadFull(c, buf); err != nil {
						return
					}
					if _, err := c.Write(buf); err != nil {
						return
					}
				}
			}()
		}
	}()

	var connected, done sync.WaitGroup
	connected.Add(clients)
	done.Add(clients)
	begin := make(chan struct{})
	for i := 0; i < clients; i++ {
		go func() {
			defer done.Done()
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				panic(err)
			}
			defer c.Close()
			msg, reply := make([]byte, EchoMsg), make([]byte, EchoMsg)
			connected.Done()
			<-begin
			for j := 0; j < n/clients; j++ {
				if _, err := c.Write(msg); err != nil {
					panic(err)
				}
				if _, err := io.ReadFull(c, reply); err != nil {
					panic(err)
				}
			}
		}()
	}
	connected.Wait()
	start := time.Now()
	close(begin)
	done.Wait()
	elapsed := time.Since(start)
	ln.Close()
	servers.Wait()
	return elapsed
}

type idleResult struct {
	setup               time.Duration
	rssBefore, rssAfter int64
	threads             int64
}

// idle: n connections to a loopback listener whose accept loop starts a
// reader goroutine per connection, parked in Read (nobody writes). Timed
// from before Listen until every reader has started and IdleSettle has
// passed; memory and threads are read then. Then the clients hang up and
// every reader ends before it returns.
func idle(n int) idleResult {
	var r idleResult
	r.rssBefore = status("VmRSS") * 1024
	start := time.Now()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	var started, ended sync.WaitGroup
	started.Add(n)
	ended.Add(1) // the accept loop: Add never races with Wait
	go func() {
		defer ended.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return // the listener is closed
			}
			ended.Add(1)
			go func() {
				defer ended.Done()
				defer c.Close()
				buf := make([]byte, 64)
				started.Done()
				c.Read(buf) // parks until the client hangs up (EOF)
			}()
		}
	}()
	// The clients' ends live in another process: this sandbox caps a
	// process at 20,000 open files, too few for both ends of 10,000
	// connections (benches/runtime/connector.rs does the same for Rust).
	clients := startConnector(ln.Addr().String(), n)
	started.Wait()
	time.Sleep(IdleSettle)
	r.setup = time.Since(start)
	r.rssAfter = status("VmRSS") * 1024
	r.threads = status("Threads")
	clients.stop()
	ln.Close()
	ended.Wait()
	return r
}

// raiseNofile raises the open-file limit to Nofile, the hard limit too if
// this process may (as root), or else the soft limit to the hard one. (Go
// already raises the soft limit to the hard one at start-up.)
func raiseNofile() {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		panic(err)
	}
	raised := syscall.Rlimit{Cur: max(lim.Cur, Nofile), Max: max(lim.Max, Nofile)}
	if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised) != nil {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			panic(err)
		}
	}
}

// connector is a child process holding the client ends of idle_10k's
// connections (this binary run with -connect).
type connector struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

// startConnector starts one and waits until its n connections are open.
func startConnector(addr string, n int) connector {
	cmd := exec.Command(os.Args[0], "-connect", addr, "-n", strconv.Itoa(n))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		panic(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		panic(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		panic(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "connected" {
		panic(fmt.Sprintf("the connector failed: %q %v", line, err))
	}
	return connector{cmd, stdin}
}

// stop closes its connections (it exits when its stdin closes).
func (c connector) stop() {
	c.stdin.Close()
	c.cmd.Wait()
}

// connectAndHold is -connect: it opens n connections to addr, prints
// "connected", and holds them until stdin closes.
func connectAndHold(addr string, n int) {
	conns := make([]net.Conn, n)
	for i := range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, "connector:", err)
			os.Exit(1)
		}
		conns[i] = c
	}
	fmt.Println("connected")
	io.Copy(io.Discard, os.Stdin)
	for _, c := range conns {
		c.Close()
	}
}

// httpServer is http_hello's Go side: net/http on a free loopback port,
// answering every request as examples/http_hello.rs does. It prints
// "listening on ADDR" for benches/runtime's load generator (the same one
// drives ours), and exits when its stdin closes.
func httpServer() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	fmt.Println("listening on", ln.Addr())
	go func() {
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	body := []byte("Hello, World!\n")
	http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(body)
	}))
}
