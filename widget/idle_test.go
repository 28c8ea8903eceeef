package widget_test

import (
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/widget"
)

// settledGoroutines waits until the number of goroutines has stayed the
// same for a while (pumps and the server's request workers come and go)
// and returns it.
func settledGoroutines(t *testing.T) int {
	t.Helper()
	deadline := time.Now().Add(wait)
	last, same := runtime.NumGoroutine(), 0
	for time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		n := runtime.NumGoroutine()
		if n == last {
			if same++; same == 6 {
				return n
			}
			continue
		}
		last, same = n, 0
	}
	return last
}

// TestIdleSocketsWithoutThePoller: when the HTTP server closes hijacked
// connections as their handlers return (fasthttp's default), each socket
// is read by its upgrade handler's goroutine: exactly one per idle socket,
// and everything else works the same.
func TestIdleSocketsWithoutThePoller(t *testing.T) {
	idleGoroutines(t, func(t *testing.T, mods ...func(*widget.Config)) *harness {
		return newHarnessMode(t, false, mods...)
	}, 1)
}

func idleGoroutines(t *testing.T, harnessFor func(*testing.T, ...func(*widget.Config)) *harness, each int) {
	const n = 200
	h := harnessFor(t, func(c *widget.Config) { c.SessionsPerMinute = 10 * n })
	tokens := make([]string, n)
	for i := range tokens {
		tokens[i] = h.session(nil).Token
	}
	before := settledGoroutines(t)
	clients := make([]*client, n)
	for i, tok := range tokens {
		clients[i], _ = h.connect(tok, nil)
	}
	after := settledGoroutines(t)
	// Tolerance both ways: the widget's ping ticker and poller, and a few
	// of the server's request workers and HTTP client goroutines, which
	// come and go on their own.
	perSocket := float64(after-before) / n
	t.Logf("goroutines: %d before, %d with %d idle sockets: %.2f per socket", before, after, n, perSocket)
	if after-before > each*n+n/20 {
		t.Fatalf("%d idle sockets hold %d goroutines (%.2f each), want %d each", n, after-before, perSocket, each)
	}
	if after-before < each*n-n/20 {
		t.Fatalf("%d idle sockets hold %d goroutines: fewer than %d each", n, after-before, each)
	}

	// A broadcast event (the line's mode) reaches every idle socket, and
	// the writers it needed are gone again afterwards.
	if _, err := h.svc.SetPresence(h.ctx, inbox.System, h.agent.AgentID, inbox.PresenceOnline); err != nil {
		t.Fatal(err)
	}
	for _, c := range clients {
		c.waitFor("mode", "live")
	}
	// A writer left behind per socket would be n more; the harness's own
	// HTTP workers and client goroutines come and go by a dozen or two.
	if again := settledGoroutines(t); again > after+n/4 {
		t.Fatalf("after an event to every socket: %d goroutines, %d before it (writers left behind?)", again, after)
	}

	// Every idle socket is still read and answered, and the turns that
	// read them are gone afterwards.
	for _, c := range clients {
		c.write(map[string]any{"type": "no-such-frame"})
	}
	for _, c := range clients {
		if f := c.waitFor("error"); f.Code != "bad_frame" {
			t.Fatalf("answer to an unknown frame: %+v", f)
		}
	}
	if again := settledGoroutines(t); again > after+n/4 {
		t.Fatalf("after a frame from every socket: %d goroutines, %d before it (turns left behind?)", again, after)
	}

	// Closing the sockets ends them.
	for _, c := range clients {
		_ = c.ws.Close()
	}
	if end := settledGoroutines(t); end > before+n/4 { // a reader left per socket would be n more
		t.Fatalf("sockets closed: %d goroutines, %d before they opened", end, before)
	}
}

// TestIdleSocketMemoryProfile measures what idle sockets cost in this
// process and writes a heap profile, for finding where the bytes go. It
// runs only when WIDGET_IDLE_PROFILE names the profile file to write;
// WIDGET_IDLE_SOCKETS sets how many sockets (default 2,000). The client
// sockets live in this process too: read the profile by allocation site.
//
//	WIDGET_IDLE_PROFILE=/tmp/idle.pprof go test ./widget/ -run TestIdleSocketMemoryProfile -v
//	go tool pprof -sample_index=inuse_space -top /tmp/idle.pprof
func TestIdleSocketMemoryProfile(t *testing.T) {
	path := os.Getenv("WIDGET_IDLE_PROFILE")
	if path == "" {
		t.Skip("set WIDGET_IDLE_PROFILE to a file name to measure")
	}
	n := 2000
	if s := os.Getenv("WIDGET_IDLE_SOCKETS"); s != "" {
		if _, err := fmt.Sscan(s, &n); err != nil {
			t.Fatal(err)
		}
	}
	// About every allocation is recorded (one sample per 512 bytes), not
	// one per 512 KiB.
	defer func(rate int) { runtime.MemProfileRate = rate }(runtime.MemProfileRate)
	runtime.MemProfileRate = 512
	h := newHarness(t, func(c *widget.Config) { c.SessionsPerMinute = 10 * n })
	tokens := make([]string, n)
	for i := range tokens {
		tokens[i] = h.session(nil).Token
	}
	settledGoroutines(t)
	m0 := readMem()
	// The test's clients do not read, so they answer no pings: everything
	// is measured well within the server's 60 s read timeout.
	start := time.Now()
	clients := make([]*client, n)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < n; i += 8 {
				clients[i], _ = h.connect(tokens[i], nil)
			}
		})
	}
	wg.Wait()
	settledGoroutines(t)
	m1 := readMem()
	if took := time.Since(start); took > 45*time.Second {
		t.Fatalf("opening the sockets took %s: the first ones may have timed out", took)
	}
	for _, name := range memNames {
		d := float64(m1[name]-m0[name]) / float64(n)
		if name == "/sched/goroutines:goroutines" {
			t.Logf("%-45s %9.2f per socket", name, d)
			continue
		}
		t.Logf("%-45s %9.2f KiB per socket (client and server)", name, d/1024)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	runtime.GC()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		t.Fatal(err)
	}
	runtime.KeepAlive(clients)
}

var memNames = []string{
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/stacks:bytes",
	"/memory/classes/os-stacks:bytes",
	"/memory/classes/total:bytes",
	"/sched/goroutines:goroutines",
}

// readMem collects garbage twice (so stacks shrink too) and reads the
// memory metrics.
func readMem() map[string]int64 {
	runtime.GC()
	runtime.GC()
	s := make([]metrics.Sample, len(memNames))
	for i, name := range memNames {
		s[i].Name = name
	}
	metrics.Read(s)
	out := map[string]int64{}
	for _, x := range s {
		out[x.Name] = int64(x.Value.Uint64())
	}
	return out
}
