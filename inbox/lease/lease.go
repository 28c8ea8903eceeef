// Package lease runs work that must run on one node at a time — the
// scheduler's jobs, a Telegram bot's polling, a mailbox's IDLE — under a
// lease document in the store. The node that holds the lease runs the
// work and renews the lease every third of its time; the others try to
// take it as often. When the holder dies its lease expires and another
// node takes the work over within the lease time; when it stops cleanly it
// gives the lease up at once. A holder that cannot renew in time stops its
// work before the lease can have expired: the work must be idempotent, but
// two nodes never run it knowingly at once.
package lease

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Store keeps the leases (inbox.Store).
type Store interface {
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration, now time.Time) (bool, error)
	ReleaseLease(ctx context.Context, name, holder string) error
}

// Options tune Run.
type Options struct {
	// TTL is how long a lease lasts without renewal: how soon another node
	// takes over after the holder died. Default 15 s.
	TTL time.Duration
	// OnHeld is told when this node takes (true) or loses (false) the
	// lease (metrics).
	OnHeld func(held bool)
	Log    *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Run runs work whenever holder holds the lease name, until ctx ends.
// work gets a context that ends when the lease is lost or ctx ends; it is
// run again when the lease is taken again. An error of work is logged and
// work runs again after a pause while the lease is held.
func Run(ctx context.Context, st Store, name, holder string, o Options, work func(context.Context) error) error {
	if o.TTL <= 0 {
		o.TTL = 15 * time.Second
	}
	if o.OnHeld == nil {
		o.OnHeld = func(bool) {}
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	every := o.TTL / 3
	for ctx.Err() == nil {
		held, err := st.AcquireLease(ctx, name, holder, o.TTL, o.Now())
		if err != nil && ctx.Err() == nil {
			o.Log.Error("lease: acquire", "lease", name, "err", err)
		}
		if !held {
			select {
			case <-ctx.Done():
			case <-time.After(every):
			}
			continue
		}
		o.OnHeld(true)
		o.Log.Info("lease taken", "lease", name, "holder", holder)
		hold(ctx, st, name, holder, o, every, work)
		o.OnHeld(false)
	}
	// Give the lease up so that another node need not wait for it to expire.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := st.ReleaseLease(rctx, name, holder); err != nil {
		return fmt.Errorf("lease %s: %w", name, err)
	}
	return nil
}

// hold runs work while the lease is renewed, and returns when it is lost
// or ctx ends, once work has returned.
func hold(ctx context.Context, st Store, name, holder string, o Options, every time.Duration, work func(context.Context) error) {
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for wctx.Err() == nil {
			pause := every // work that returns while the lease is held runs again after a pause
			if err := work(wctx); err != nil && wctx.Err() == nil {
				o.Log.Error("lease: work failed; running it again", "lease", name, "err", err)
				pause = time.Second
			}
			select {
			case <-wctx.Done():
			case <-time.After(pause):
			}
		}
	}()
	// The lease counts from when it was written; renewal must land before
	// it expires, so the holder gives up once its last renewal is older
	// than the TTL less one renewal period.
	last := o.Now()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			stop()
			<-done
			return
		case <-done:
			return
		case <-tick.C:
			now := o.Now()
			rctx, cancel := context.WithTimeout(ctx, every)
			held, err := st.AcquireLease(rctx, name, holder, o.TTL, now)
			cancel()
			switch {
			case err == nil && held:
				last = now
				continue
			case err == nil:
				o.Log.Warn("lease lost to another holder", "lease", name)
			case o.Now().Sub(last) < o.TTL-every:
				o.Log.Warn("lease: renewal failed; trying again", "lease", name, "err", err)
				continue
			default:
				o.Log.Error("lease: cannot renew; stopping the work before the lease expires", "lease", name, "err", err)
			}
			stop()
			<-done
			return
		}
	}
}
