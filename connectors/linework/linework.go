// Package linework is what the connectors' workers share: one worker per
// line whose channel is set up, run under the line's lease so that one
// node in a cluster runs it; a waker that tells a line's worker there is
// work; the claim-and-send pass over a line's queued replies; and the
// pauses between attempts.
package linework

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/inbox/files"
	"github.com/switchboard-chat/switchboard/inbox/lease"
)

// Lines supervises one worker per line.
type Lines[C comparable] struct {
	// List lists the lines (inbox.Service.Lines).
	List func(ctx context.Context) ([]inbox.Line, error)
	// Conf is what a line's worker runs with; false: the line has none.
	// A changed conf restarts the worker.
	Conf func(l *inbox.Line) (C, bool)
	// Lease names a line's lease: prefix + line id.
	Lease string
	Store lease.Store
	Node  string
	TTL   time.Duration
	Log   *slog.Logger
	// OnHeld is told when this node takes (true) or loses a lease.
	OnHeld func(lease string, held bool)
	// Work runs a line's worker while the lease is held.
	Work func(ctx context.Context, lineID string, conf C) error
	// Every is how often the lines are looked at; default 2 s.
	Every time.Duration
}

// Run keeps the workers in step with the lines until ctx ends.
func (s Lines[C]) Run(ctx context.Context) error {
	type running struct {
		conf C
		stop context.CancelFunc
		done chan struct{}
	}
	if s.Every <= 0 {
		s.Every = 2 * time.Second
	}
	if s.Log == nil {
		s.Log = slog.Default()
	}
	workers := map[string]*running{}
	defer func() {
		for _, r := range workers {
			r.stop()
			<-r.done
		}
	}()
	tick := time.NewTicker(s.Every)
	defer tick.Stop()
	for {
		lines, err := s.List(ctx)
		if err != nil && ctx.Err() == nil {
			s.Log.Error("list lines", "err", err)
		}
		want := map[string]C{}
		for i := range lines {
			if conf, ok := s.Conf(&lines[i]); ok {
				want[lines[i].ID] = conf
			}
		}
		for id, r := range workers {
			if conf, ok := want[id]; err == nil && (!ok || conf != r.conf) {
				r.stop()
				<-r.done
				delete(workers, id)
			}
		}
		if err == nil {
			for id, conf := range want {
				if _, ok := workers[id]; ok {
					continue
				}
				wctx, stop := context.WithCancel(ctx)
				r := &running{conf: conf, stop: stop, done: make(chan struct{})}
				workers[id] = r
				name := s.Lease + id
				held := func(h bool) {
					if s.OnHeld != nil {
						s.OnHeld(name, h)
					}
				}
				go func() {
					defer close(r.done)
					_ = lease.Run(wctx, s.Store, name, s.Node, lease.Options{TTL: s.TTL, Log: s.Log, OnHeld: held},
						func(ctx context.Context) error { return s.Work(ctx, id, conf) })
				}()
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// Waker tells the worker waiting on a key that there is work.
type Waker struct {
	mu   sync.Mutex
	keys map[string]chan struct{}
}

// NewWaker builds an empty waker.
func NewWaker() *Waker { return &Waker{keys: map[string]chan struct{}{}} }

// Poke wakes the worker waiting on key (or the next one to wait).
func (w *Waker) Poke(key string) {
	select {
	case w.Chan(key) <- struct{}{}:
	default:
	}
}

// Chan is the channel the worker of key waits on.
func (w *Waker) Chan(key string) chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	c, ok := w.keys[key]
	if !ok {
		c = make(chan struct{}, 1)
		w.keys[key] = c
	}
	return c
}

// Wait pauses for d or until key is poked; false when ctx ended.
func (w *Waker) Wait(ctx context.Context, key string, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-w.Chan(key):
	case <-t.C:
	}
	return true
}

// Files stores what customers send and reads what agents attach
// (files.Store).
type Files interface {
	Put(ctx context.Context, owner, name, contentType string, r io.Reader) (inbox.Attachment, error)
	Open(ctx context.Context, id string) (io.ReadCloser, *files.Meta, error)
}

// Count calls a counter of the gateway's /metrics; a nil one counts nothing.
func Count(f func(line string), line string) {
	if f != nil {
		f(line)
	}
}

// Jitter spreads d by ±50 %.
func Jitter(d time.Duration) time.Duration {
	return d/2 + time.Duration(rand.Int64N(int64(d)+1))
}

// Backoff is the jittered pause after the n-th failure in a row: 1 s
// doubling, at most max.
func Backoff(n int, max time.Duration) time.Duration {
	return Jitter(min(time.Second<<min(n, 16), max))
}

// Sleep pauses for d; false when ctx ended first.
func Sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
