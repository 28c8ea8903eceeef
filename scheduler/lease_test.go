package scheduler_test

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/inbox/lease"
	"github.com/switchboard-chat/switchboard/scheduler"
)

// deadable is a lease store that can die (reach nothing any more).
type deadable struct {
	lease.Store
	dead atomic.Bool
}

func (d *deadable) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration, now time.Time) (bool, error) {
	if d.dead.Load() {
		return false, context.DeadlineExceeded
	}
	return d.Store.AcquireLease(ctx, name, holder, ttl, now)
}

// TestTwoSchedulersRunEachTickOnce: two scheduler instances on one store,
// under the lease as the gateway runs them: a job scheduled every second
// runs once a second, not twice; when the holder dies the other runs it
// within the lease time.
func TestTwoSchedulersRunEachTickOnce(t *testing.T) {
	st := engine.Store(t)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	const ttl = 1500 * time.Millisecond
	counts := []*countingInbox{{}, {}}
	stores := []*deadable{{Store: st}, {Store: st}}
	var cancels []context.CancelFunc
	for i := range 2 {
		s := scheduler.New(scheduler.Jobs{Inbox: counts[i]}, scheduler.Config{CloseExpired: "* * * * * *"}, quiet)
		ctx, cancel := context.WithCancel(context.Background())
		cancels = append(cancels, cancel)
		go func() {
			_ = lease.Run(ctx, stores[i], "scheduler", []string{"a", "b"}[i], lease.Options{TTL: ttl, Log: quiet}, s.Run)
		}()
	}
	defer func() {
		for _, c := range cancels {
			c()
		}
	}()
	time.Sleep(4500 * time.Millisecond)
	a, b := counts[0].calls.Load(), counts[1].calls.Load()
	if a+b < 3 || a+b > 5 || (a > 0 && b > 0) {
		t.Fatalf("in 4.5 s the every-second job ran %d times on a and %d on b: want 3 to 5 runs, all on one", a, b)
	}
	holder, other := 0, 1
	if b > 0 {
		holder, other = 1, 0
	}
	stores[holder].dead.Store(true)
	died := time.Now()
	before := counts[other].calls.Load()
	for counts[other].calls.Load() == before {
		if time.Since(died) > 3*ttl {
			t.Fatal("the other scheduler never took the jobs over")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if d := time.Since(died); d > ttl+ttl/3+time.Second {
		t.Errorf("the jobs moved %s after the holder died, want within the lease time (%s) and a tick", d, ttl)
	}
	// The dead holder's jobs stopped: it ran nothing more.
	held := counts[holder].calls.Load()
	time.Sleep(2 * time.Second)
	if n := counts[holder].calls.Load(); n != held {
		t.Errorf("the dead holder ran the job %d more times", n-held)
	}
}
