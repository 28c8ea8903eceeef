package scheduler_test

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/scheduler"
)

type countingInbox struct{ calls atomic.Int32 }

func (c *countingInbox) CloseExpired(context.Context) (int, error) {
	c.calls.Add(1)
	return 1, nil
}

func (c *countingInbox) CloseInactive(context.Context) (int, error) { return 0, nil }

func (c *countingInbox) ReofferStale(context.Context) (int, error) { return 0, nil }

func TestRunsTheJobOnScheduleAndStopsWithTheContext(t *testing.T) {
	in := &countingInbox{}
	s := scheduler.New(scheduler.Jobs{Inbox: in}, scheduler.Config{CloseExpired: "* * * * * *"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for in.calls.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("job ran %d times in 5 s, want ≥ 2 (every second)", in.calls.Load())
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after the context ended")
	}
	n := in.calls.Load()
	time.Sleep(1500 * time.Millisecond)
	if in.calls.Load() != n {
		t.Fatal("job still runs after Run returned")
	}
}

func TestBadScheduleIsAnError(t *testing.T) {
	s := scheduler.New(scheduler.Jobs{Inbox: &countingInbox{}}, scheduler.Config{CloseExpired: "every now and then"}, nil)
	if err := s.Run(context.Background()); err == nil {
		t.Fatal("want an error for a bad schedule")
	}
}

type countingUploads struct{ calls atomic.Int32 }

func (c *countingUploads) SweepUploads(context.Context) (int, error) {
	c.calls.Add(1)
	return 0, nil
}

func TestRunsTheUploadSweep(t *testing.T) {
	up := &countingUploads{}
	s := scheduler.New(scheduler.Jobs{Uploads: up}, scheduler.Config{SweepUploads: "* * * * * *"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for up.calls.Load() < 1 {
		if time.Now().After(deadline) {
			t.Fatal("the upload sweep did not run in 5 s (scheduled every second)")
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
