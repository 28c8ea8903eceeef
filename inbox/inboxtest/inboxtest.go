// Package inboxtest starts the embedded store for tests: one engine per
// test binary, a fresh database per test.
package inboxtest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/inbox/embedded"
)

// Engine is a running embedded engine shared by a test binary.
type Engine struct {
	srv *embedded.Server
	dir string
	n   atomic.Int64
}

// Main runs a package's tests with an engine in a temporary directory;
// call it from TestMain and pass the engine to tests through a variable
// that TestMain sets.
func Main(m *testing.M, engine **Engine) {
	dir, err := os.MkdirTemp("", "switchboard-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "inboxtest:", err)
		os.Exit(1)
	}
	srv, err := embedded.Start(context.Background(), dir, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "inboxtest:", err)
		os.Exit(1)
	}
	*engine = &Engine{srv: srv, dir: dir}
	code := m.Run()
	_ = srv.Close()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// URI is the engine's connection string.
func (e *Engine) URI() string { return e.srv.URI() }

// Store connects to a fresh database for t, with indexes, closed at cleanup.
func (e *Engine) Store(t testing.TB) *inbox.Store {
	t.Helper()
	return e.Stores(t, 1, true)[0]
}

// Stores connects n stores to one fresh database for t, as n processes
// would. exclusive says each is the only writer (the embedded mode);
// false is the shared mode of several gateways on one MongoDB, where
// version checks and unique indexes, not in-process locks, order writers.
func (e *Engine) Stores(t testing.TB, n int, exclusive bool) []*inbox.Store {
	t.Helper()
	name := strings.Map(func(r rune) rune {
		if (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			return r
		}
		return '_'
	}, t.Name())
	if len(name) > 40 {
		name = name[:40]
	}
	db := fmt.Sprintf("t%d_%s", e.n.Add(1), strings.ToLower(name))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stores := make([]*inbox.Store, n)
	for i := range stores {
		s, err := inbox.Connect(ctx, e.URI(), db, inbox.StoreOptions{Exclusive: exclusive})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.EnsureIndexes(ctx); err != nil {
			t.Fatal(err)
		}
		stores[i] = s
	}
	// As the gateway does: every collection gets the engine's _id index.
	if _, err := e.srv.IndexIDs(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		// The stores close first (writing what is still behind them): the
		// engine must not drop a database that is written to, nor see it
		// written again once dropped.
		for _, s := range stores {
			_ = s.Close(ctx)
		}
		if d, err := inbox.Connect(ctx, e.URI(), db, inbox.StoreOptions{}); err == nil {
			_ = d.Database().Drop(ctx)
			_ = d.Close(ctx)
		}
	})
	return stores
}

// Clock is a settable clock for tests.
type Clock struct{ t atomic.Int64 }

// NewClock starts a clock at t.
func NewClock(t time.Time) *Clock { c := &Clock{}; c.Set(t); return c }

// Now reads the clock.
func (c *Clock) Now() time.Time { return time.Unix(0, c.t.Load()).UTC() }

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) { c.t.Store(t.UnixNano()) }

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) { c.t.Add(int64(d)) }
