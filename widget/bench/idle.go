package main

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// idleResult is part (c).
type idleResult struct {
	n                      int
	opened                 int
	sessions, connect      time.Duration
	rssBefore, rssAfter    int64 // KiB
	heapBefore, heapAfter  float64
	gorBefore, gorAfter    float64
	heapOK                 bool
	benchFDLimit, fdTarget uint64
	err                    string
}

func (r idleResult) perConnKiB() float64 {
	if r.opened == 0 {
		return 0
	}
	return float64(r.rssAfter-r.rssBefore) / float64(r.opened)
}

func (r idleResult) heapPerConnKiB() float64 {
	if r.opened == 0 || !r.heapOK {
		return 0
	}
	return (r.heapAfter - r.heapBefore) / 1024 / float64(r.opened)
}

// runIdle creates n visitor sessions, lets the gateway settle, then opens
// n websockets that send hello and nothing more, and measures the
// gateway's resident memory before and after.
func runIdle(ctx context.Context, g *gateway, lineID, origin string, n int, b *bus) (idleResult, []*visitorClient) {
	res := idleResult{n: n}
	vs := make([]*visitorClient, n)
	start := time.Now()
	err := parallel(ctx, n, 32, func(i int) error {
		tok, id, err := newSession(ctx, g.base, lineID, origin)
		if err != nil {
			return err
		}
		vs[i] = &visitorClient{idx: 1_000_000 + i, token: tok, id: id}
		return nil
	})
	res.sessions = time.Since(start)
	if err != nil {
		res.err = "sessions: " + err.Error()
		return res, nil
	}
	if _, err = settledRSS(ctx, g.pid(), 5*time.Second, 30*time.Second); err != nil {
		res.err = err.Error()
		return res, nil
	}
	names := []string{"go_memstats_heap_inuse_bytes", "go_goroutines"}
	before, errB := scrapeMetrics(ctx, g.base, names...)
	// The scrape itself allocates; let that settle too.
	if res.rssBefore, err = settledRSS(ctx, g.pid(), 2*time.Second, 10*time.Second); err != nil {
		res.err = err.Error()
		return res, nil
	}
	start = time.Now()
	err = parallel(ctx, n, 64, func(i int) error {
		if err := connectVisitor(ctx, g.addr, origin, vs[i], b); err != nil {
			return fmt.Errorf("idle socket %d: %w", i, err)
		}
		select {
		case <-vs[i].welcome:
			if vs[i].ended.Load() {
				return fmt.Errorf("idle socket %d closed", i)
			}
			return nil
		case <-time.After(30 * time.Second):
			return fmt.Errorf("idle socket %d: no welcome within 30s", i)
		}
	})
	res.connect = time.Since(start)
	for _, v := range vs {
		if v != nil && v.ws != nil {
			res.opened++
		}
	}
	if err != nil {
		res.err = err.Error()
	}
	if res.rssAfter, err = settledRSS(ctx, g.pid(), 5*time.Second, 30*time.Second); err != nil {
		res.err = err.Error()
		return res, vs
	}
	after, errA := scrapeMetrics(ctx, g.base, names...)
	if errB == nil && errA == nil {
		res.heapBefore, res.heapAfter = before[names[0]], after[names[0]]
		res.gorBefore, res.gorAfter = before[names[1]], after[names[1]]
		res.heapOK = res.heapBefore > 0 && res.heapAfter > 0
	}
	return res, vs
}

func (r idleResult) report() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "idle: %d websockets asked for, %d open (sessions %s, sockets %s); bench RLIMIT_NOFILE %d\n",
		r.n, r.opened, r.sessions.Round(time.Millisecond), r.connect.Round(time.Millisecond), r.benchFDLimit)
	fmt.Fprintf(&sb, "  gateway VmRSS %d KiB → %d KiB: %.1f KiB per connection\n", r.rssBefore, r.rssAfter, r.perConnKiB())
	if r.heapOK {
		fmt.Fprintf(&sb, "  Go heap in use %.1f MiB → %.1f MiB: %.1f KiB per connection; goroutines %.0f → %.0f (%.2f per connection)\n",
			r.heapBefore/(1<<20), r.heapAfter/(1<<20), r.heapPerConnKiB(), r.gorBefore, r.gorAfter,
			(r.gorAfter-r.gorBefore)/float64(max(1, r.opened)))
	}
	if r.err != "" {
		fmt.Fprintf(&sb, "  error: %s\n", r.err)
	}
	return sb.String()
}
