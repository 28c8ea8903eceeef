package lease_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/inbox/inboxtest"
	"github.com/switchboard-chat/switchboard/inbox/lease"
)

var engine *inboxtest.Engine

func TestMain(m *testing.M) { inboxtest.Main(m, &engine) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// TestAcquireLease: the store's lease rules, with an injected clock.
func TestAcquireLease(t *testing.T) {
	st := engine.Store(t)
	ctx := context.Background()
	t0 := time.Date(2026, 5, 5, 9, 0, 0, 0, time.UTC)
	const ttl = 10 * time.Second
	try := func(holder string, at time.Duration, want bool) {
		t.Helper()
		got, err := st.AcquireLease(ctx, "jobs", holder, ttl, t0.Add(at))
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("%s at +%s: held %v, want %v", holder, at, got, want)
		}
	}
	try("a", 0, true)                                         // free: taken
	try("b", 5*time.Second, false)                            // a's has not expired
	try("a", 6*time.Second, true)                             // renewed until +16 s
	try("b", 15*time.Second, false)                           // still a's
	try("b", 16*time.Second+time.Millisecond, true)           // expired (the store keeps milliseconds): b takes it
	try("a", 17*time.Second, false)                           // a lost it
	if err := st.ReleaseLease(ctx, "jobs", "a"); err != nil { // not a's: nothing happens
		t.Fatal(err)
	}
	try("a", 18*time.Second, false)
	if err := st.ReleaseLease(ctx, "jobs", "b"); err != nil {
		t.Fatal(err)
	}
	try("a", 18*time.Second, true) // given up: taken at once
	if holder, until, err := st.LeaseHolder(ctx, "jobs"); err != nil || holder != "a" || !until.Equal(t0.Add(28*time.Second)) {
		t.Fatalf("holder %q until %s (%v)", holder, until, err)
	}
}

// node is a lease store that can die: from then on it reaches nothing (so
// it can neither renew nor give the lease up).
type node struct {
	lease.Store
	dead atomic.Bool
}

var errDead = errors.New("node is dead")

func (n *node) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration, now time.Time) (bool, error) {
	if n.dead.Load() {
		return false, errDead
	}
	return n.Store.AcquireLease(ctx, name, holder, ttl, now)
}

func (n *node) ReleaseLease(ctx context.Context, name, holder string) error {
	if n.dead.Load() {
		return errDead
	}
	return n.Store.ReleaseLease(ctx, name, holder)
}

// TestOneNodeRunsTheWorkAndAnotherTakesOver: two nodes on one store; the
// work runs on one at a time; when its node dies the other takes it over
// within the lease time; a node that stops cleanly hands it over at once.
func TestOneNodeRunsTheWorkAndAnotherTakesOver(t *testing.T) {
	st := engine.Store(t)
	const ttl = 1500 * time.Millisecond
	var running atomic.Int32
	var mu sync.Mutex
	var overlap bool
	started := map[string]chan time.Time{"a": make(chan time.Time, 10), "b": make(chan time.Time, 10)}
	work := func(name string) func(context.Context) error {
		return func(ctx context.Context) error {
			if running.Add(1) > 1 {
				mu.Lock()
				overlap = true
				mu.Unlock()
			}
			started[name] <- time.Now()
			<-ctx.Done()
			running.Add(-1)
			return nil
		}
	}
	run := func(n *node, name string) (context.CancelFunc, chan error) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- lease.Run(ctx, n, "scheduler", name, lease.Options{TTL: ttl, Log: quiet}, work(name)) }()
		return cancel, done
	}
	a, b := &node{Store: st}, &node{Store: st}
	stopA, doneA := run(a, "a")
	select {
	case <-started["a"]:
	case <-time.After(2 * time.Second):
		t.Fatal("node a did not take the free lease")
	}
	stopB, doneB := run(b, "b")
	select {
	case <-started["b"]:
		t.Fatal("node b ran the work while a held the lease")
	case <-time.After(2 * ttl):
	}

	// a dies: b takes over once a's lease has expired.
	died := time.Now()
	a.dead.Store(true)
	select {
	case at := <-started["b"]:
		if d := at.Sub(died); d > ttl+ttl/3+500*time.Millisecond {
			t.Errorf("b took over %s after a died, want within the lease time %s (+ one try)", d, ttl)
		}
		t.Logf("b took over %s after a died", at.Sub(died).Round(time.Millisecond))
	case <-time.After(3 * ttl):
		t.Fatal("b never took over")
	}
	stopA()
	<-doneA // a's work stopped: it could not renew

	// a comes back; b stops cleanly and gives the lease up: a takes it at
	// its next try.
	a.dead.Store(false)
	stopA, doneA = run(a, "a")
	time.Sleep(ttl / 3)
	stopped := time.Now()
	stopB()
	if err := <-doneB; err != nil {
		t.Fatal(err)
	}
	select {
	case at := <-started["a"]:
		if d := at.Sub(stopped); d > ttl/3+500*time.Millisecond {
			t.Errorf("a took over %s after b gave the lease up, want within one try (%s)", d, ttl/3)
		}
	case <-time.After(3 * ttl):
		t.Fatal("a never took the lease back")
	}
	stopA()
	if err := <-doneA; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if overlap {
		t.Error("the work ran on two nodes at once")
	}
}
