package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// recorder keeps every latency sample of one kind.
type recorder struct {
	mu sync.Mutex
	d  []time.Duration
}

func (r *recorder) add(d time.Duration) {
	r.mu.Lock()
	r.d = append(r.d, d)
	r.mu.Unlock()
}

// summary is a recorder's figures.
type summary struct {
	n                  int
	p50, p90, p99, max time.Duration
}

func (r *recorder) summary() summary {
	r.mu.Lock()
	d := slices.Clone(r.d)
	r.mu.Unlock()
	if len(d) == 0 {
		return summary{}
	}
	slices.Sort(d)
	at := func(p float64) time.Duration {
		i := int(p*float64(len(d))+0.5) - 1
		return d[max(0, min(i, len(d)-1))]
	}
	return summary{n: len(d), p50: at(0.50), p90: at(0.90), p99: at(0.99), max: d[len(d)-1]}
}

func (s summary) String() string {
	if s.n == 0 {
		return "no samples"
	}
	return fmt.Sprintf("n=%d p50=%s p90=%s p99=%s max=%s", s.n, ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max))
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64) + " ms"
}

// rssKiB reads VmRSS of a process from /proc.
func rssKiB(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			fields := strings.Fields(rest)
			if len(fields) >= 1 {
				return strconv.ParseInt(fields[0], 10, 64)
			}
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// metrics reads some gauges of the gateway's /metrics.
func scrapeMetrics(ctx context.Context, base string, names ...string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := (&http.Client{Transport: sharedTransport, Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: status %d", resp.StatusCode)
	}
	out := map[string]float64{}
	for _, line := range strings.Split(string(b), "\n") {
		for _, n := range names {
			if rest, ok := strings.CutPrefix(line, n+" "); ok {
				if v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64); err == nil {
					out[n] = v
				}
			}
		}
	}
	return out, nil
}

// settledRSS waits at least minWait, then until two RSS samples a second
// apart differ by less than 0.5 % (at most maxWait), and returns the last.
func settledRSS(ctx context.Context, pid int, minWait, maxWait time.Duration) (int64, error) {
	if err := sleepCtx(ctx, minWait); err != nil {
		return 0, err
	}
	deadline := time.Now().Add(maxWait - minWait)
	prev, err := rssKiB(pid)
	if err != nil {
		return 0, err
	}
	for {
		if err := sleepCtx(ctx, time.Second); err != nil {
			return 0, err
		}
		cur, err := rssKiB(pid)
		if err != nil {
			return 0, err
		}
		diff := cur - prev
		if diff < 0 {
			diff = -diff
		}
		if float64(diff) < 0.005*float64(cur) || time.Now().After(deadline) {
			return cur, nil
		}
		prev = cur
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// parallel runs fn(i) for i in [0,n) on at most conc goroutines and
// returns the first error (the others still run to completion).
func parallel(ctx context.Context, n, conc int, fn func(i int) error) error {
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
		next  = make(chan int)
	)
	for range max(1, min(conc, n)) {
		wg.Go(func() {
			for i := range next {
				if err := fn(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		mu.Lock()
		failed := first != nil
		mu.Unlock()
		if failed || ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}
