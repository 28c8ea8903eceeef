package widget

import (
	"context"
	"sync"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
)

// limiter is a token bucket per key: perMinute requests a minute, with a
// burst of one minute's worth. Idle full buckets are swept now and then,
// so the map stays as small as the set of recent clients.
type limiter struct {
	mu      sync.Mutex
	rate    float64 // tokens per second
	burst   float64
	now     func() time.Time
	buckets map[string]*bucket
	calls   int
}

type bucket struct {
	tokens float64
	last   time.Time
}

// sweepEvery is how many calls pass between sweeps of idle buckets.
const sweepEvery = 1024

func newLimiter(perMinute int, now func() time.Time) *limiter {
	return &limiter{rate: float64(perMinute) / 60, burst: float64(perMinute), now: now, buckets: map[string]*bucket{}}
}

// allow takes a token for key, reporting false when none is left.
func (l *limiter) allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if l.calls++; l.calls%sweepEvery == 0 {
		l.sweep(now)
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func (l *limiter) sweep(now time.Time) {
	full := time.Duration(l.burst / l.rate * float64(time.Second))
	for k, b := range l.buckets {
		if now.Sub(b.last) >= full {
			delete(l.buckets, k)
		}
	}
}

// modeCache computes a line's mode once per change event, however many
// visitor connections of the line receive that event.
type modeCache struct {
	svc   Inbox
	mu    sync.Mutex
	lines map[string]*modeEntry
}

type modeEntry struct {
	key  string
	done chan struct{}
	mode inbox.Mode
	err  error
}

func newModeCache(svc Inbox) *modeCache {
	return &modeCache{svc: svc, lines: map[string]*modeEntry{}}
}

// get returns the line's mode as of the event named key.
func (m *modeCache) get(ctx context.Context, lineID, key string) (inbox.Mode, error) {
	m.mu.Lock()
	e := m.lines[lineID]
	if e == nil || e.key != key {
		e = &modeEntry{key: key, done: make(chan struct{})}
		m.lines[lineID] = e
		m.mu.Unlock()
		e.mode, e.err = m.svc.LineMode(ctx, lineID)
		close(e.done)
		return e.mode, e.err
	}
	m.mu.Unlock()
	select {
	case <-e.done:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	if e.err != nil {
		// The computing connection may have gone away; ask for ourselves.
		return m.svc.LineMode(ctx, lineID)
	}
	return e.mode, nil
}

// socketCount counts each visitor's open websockets.
type socketCount struct {
	mu sync.Mutex
	n  map[string]int
}

func newSocketCount() *socketCount { return &socketCount{n: map[string]int{}} }

// add counts one more socket of visitor id unless it has max already.
func (s *socketCount) add(id string, max int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n[id] >= max {
		return false
	}
	s.n[id]++
	return true
}

// done counts a socket of visitor id gone.
func (s *socketCount) done(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n[id]--; s.n[id] <= 0 {
		delete(s.n, id)
	}
}
