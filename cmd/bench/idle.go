package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/switchboard-chat/switchboard/cmd/internal/gatewayproc"
)

// idleResult is part (c).
type idleResult struct {
	n                       int
	opened                  int
	sessions, connect       time.Duration
	rssBefore, rssAfter     int64 // KiB
	heapBefore, heapAfter   float64
	stackBefore, stackAfter float64
	gorBefore, gorAfter     float64
	// closed counts sockets that had opened but were closed again when
	// the memory was measured; they are not in opened.
	closed int
	// heapFree is heap memory freed by the collector but still resident
	// (idle minus released).
	heapFreeBefore, heapFreeAfter float64
	// After the runtime's next collection (forced every 2 minutes in an
	// idle process): how much of the growth was garbage of the connect
	// burst. gcWait is 0 when no collection came.
	gcWait                 time.Duration
	rssGC                  int64
	heapGC, heapFreeGC     float64
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

func (r idleResult) stackPerConnKiB() float64 {
	if r.opened == 0 || !r.heapOK {
		return 0
	}
	return (r.stackAfter - r.stackBefore) / 1024 / float64(r.opened)
}

// runIdle creates n visitor sessions, lets the gateway settle, then opens
// n websockets that send hello and nothing more, and measures the
// gateway's resident memory (VmRSS: Go heap, goroutine stacks, runtime
// and fasthttp state, everything the process holds in RAM) before and
// after. Only sockets still open at the second sample count.
func runIdle(ctx context.Context, g *gatewayproc.Process, lineID, origin string, n int, b *bus) (idleResult, []*visitorClient) {
	res := idleResult{n: n}
	vs := make([]*visitorClient, n)
	start := time.Now()
	err := parallel(ctx, n, 32, func(i int) error {
		tok, id, err := newSessionRetry(ctx, g.BaseURL(), lineID, origin)
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
	if _, err = settledRSS(ctx, g.Pid(), 5*time.Second, 30*time.Second); err != nil {
		res.err = err.Error()
		return res, nil
	}
	names := []string{"go_memstats_heap_inuse_bytes", "go_goroutines", "go_memstats_stack_inuse_bytes",
		"go_memstats_heap_idle_bytes", "go_memstats_heap_released_bytes", "go_memstats_last_gc_time_seconds"}
	before, errB := scrapeMetrics(ctx, g.BaseURL(), names...)
	// The scrape itself allocates; let that settle too.
	if res.rssBefore, err = settledRSS(ctx, g.Pid(), 2*time.Second, 10*time.Second); err != nil {
		res.err = err.Error()
		return res, nil
	}
	start = time.Now()
	err = parallel(ctx, n, 64, func(i int) error {
		if err := connectVisitor(ctx, g.Addr(), origin, vs[i], b); err != nil {
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
	if err != nil {
		res.err = err.Error()
	}
	if res.rssAfter, err = settledRSS(ctx, g.Pid(), 5*time.Second, 30*time.Second); err != nil {
		res.err = err.Error()
		return res, vs
	}
	for _, v := range vs {
		switch {
		case v == nil || v.ws == nil:
		case v.ended.Load():
			res.closed++
		default:
			res.opened++
		}
	}
	after, errA := scrapeMetrics(ctx, g.BaseURL(), names...)
	if errB == nil && errA == nil {
		res.heapBefore, res.heapAfter = before[names[0]], after[names[0]]
		res.gorBefore, res.gorAfter = before[names[1]], after[names[1]]
		res.stackBefore, res.stackAfter = before[names[2]], after[names[2]]
		res.heapFreeBefore, res.heapFreeAfter = before[names[3]]-before[names[4]], after[names[3]]-after[names[4]]
		res.heapOK = res.heapBefore > 0 && res.heapAfter > 0
	}
	if res.heapOK {
		res.afterNextGC(ctx, g, names, after[names[5]])
	}
	return res, vs
}

// afterNextGC waits (at most 150 s) for the gateway's next garbage
// collection after lastGC and samples again: the first sample holds the
// garbage of the connect burst (hello's store queries), this one what the
// idle sockets keep. Freed memory the runtime has not returned stays in
// the RSS either way.
func (r *idleResult) afterNextGC(ctx context.Context, g *gatewayproc.Process, names []string, lastGC float64) {
	start := time.Now()
	for time.Since(start) < 150*time.Second {
		if err := sleepCtx(ctx, 2*time.Second); err != nil {
			return
		}
		m, err := scrapeMetrics(ctx, g.BaseURL(), names...)
		if err != nil || m[names[5]] <= lastGC {
			continue
		}
		r.gcWait = time.Since(start)
		r.heapGC, r.heapFreeGC = m[names[0]], m[names[3]]-m[names[4]]
		r.rssGC, _ = settledRSS(ctx, g.Pid(), 2*time.Second, 10*time.Second)
		return
	}
}

// newSessionRetry creates a session, trying again a few times after a
// failure: the embedded store refuses some writes under this burst
// ("database is locked"), and the idle figure is about sockets, not about
// session creation.
func newSessionRetry(ctx context.Context, base, lineID, origin string) (token, visitorID string, err error) {
	wait := 200 * time.Millisecond
	for try := 0; ; try++ {
		token, visitorID, err = newSession(ctx, base, lineID, origin)
		if err == nil || try == 5 || ctx.Err() != nil {
			return token, visitorID, err
		}
		if err := sleepCtx(ctx, wait); err != nil {
			return "", "", err
		}
		wait *= 2
	}
}

func (r idleResult) report() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "idle: %d websockets asked for, %d open (sessions %s, sockets %s); bench RLIMIT_NOFILE %d\n",
		r.n, r.opened, r.sessions.Round(time.Millisecond), r.connect.Round(time.Millisecond), r.benchFDLimit)
	if r.closed > 0 {
		fmt.Fprintf(&sb, "  %d sockets had closed again by the measurement and are not counted\n", r.closed)
	}
	fmt.Fprintf(&sb, "  gateway VmRSS %d KiB → %d KiB: %.1f KiB per connection\n", r.rssBefore, r.rssAfter, r.perConnKiB())
	if r.heapOK {
		fmt.Fprintf(&sb, "  Go heap in use %.1f MiB → %.1f MiB: %.1f KiB per connection; goroutine stacks %.1f MiB → %.1f MiB: %.1f KiB per connection\n",
			r.heapBefore/(1<<20), r.heapAfter/(1<<20), r.heapPerConnKiB(), r.stackBefore/(1<<20), r.stackAfter/(1<<20), r.stackPerConnKiB())
		fmt.Fprintf(&sb, "  Go heap freed but still resident %.1f MiB → %.1f MiB: %.1f KiB per connection; goroutines %.0f → %.0f (%.2f per connection)\n",
			r.heapFreeBefore/(1<<20), r.heapFreeAfter/(1<<20), (r.heapFreeAfter-r.heapFreeBefore)/1024/float64(max(1, r.opened)),
			r.gorBefore, r.gorAfter, (r.gorAfter-r.gorBefore)/float64(max(1, r.opened)))
		if r.gcWait > 0 {
			per := func(a, b float64) float64 { return (a - b) / 1024 / float64(max(1, r.opened)) }
			fmt.Fprintf(&sb, "  after the gateway's next GC (%s later): VmRSS %d KiB (%.1f KiB per connection), Go heap in use %.1f MiB (%.1f KiB per connection), freed but resident %.1f MiB\n",
				r.gcWait.Round(time.Second), r.rssGC, per(float64(r.rssGC)*1024, float64(r.rssBefore)*1024),
				r.heapGC/(1<<20), per(r.heapGC, r.heapBefore), r.heapFreeGC/(1<<20))
		}
	}
	if r.err != "" {
		fmt.Fprintf(&sb, "  error: %s\n", r.err)
	}
	return sb.String()
}
