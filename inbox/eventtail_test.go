package inbox_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
)

// Two nodes on one store: node B's tail hands B's hub every event node A
// writes to the log, once each and in order, and none of B's own (B's hub
// has those from memory already).
func TestEventTailCarriesOtherNodesEvents(t *testing.T) {
	store := engine.Store(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logA := inbox.NewEventLog(store, inbox.EventLogOptions{Node: "A", MaxBatch: 3}, nil)
	logB := inbox.NewEventLog(store, inbox.EventLogOptions{Node: "B"}, nil)
	hubB := &inbox.Recorder{}
	var batches int
	tail := inbox.NewEventTail(store, hubB, inbox.EventTailOptions{Node: "B", OnBatch: func(n int, lag time.Duration) { batches++ }}, nil)
	done := make(chan struct{}, 3)
	for _, run := range []func(context.Context) error{logA.Run, logB.Run, tail.Run} {
		go func() { _ = run(ctx); done <- struct{}{} }()
	}
	time.Sleep(300 * time.Millisecond) // the tail has written its marker and opened its cursor
	var want []string
	for i := range 10 {
		id := "A" + string(rune('0'+i))
		want = append(want, id)
		if err := logA.Publish(ctx, inbox.Event{ID: id, Type: inbox.EventMessageCreated, At: time.Now().UTC()}); err != nil {
			t.Fatal(err)
		}
		if err := logB.Publish(ctx, inbox.Event{ID: "B" + string(rune('0'+i)), Type: inbox.EventMessageCreated, At: time.Now().UTC()}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	deadline := time.Now().Add(10 * time.Second)
	var got []string
	for time.Now().Before(deadline) {
		got = got[:0]
		for _, ev := range hubB.Events() {
			got = append(got, ev.ID)
		}
		if len(got) >= len(want) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // anything doubled would have come by now
	got = got[:0]
	for _, ev := range hubB.Events() {
		got = append(got, ev.ID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("node B's hub got %v, want node A's events once each, in order: %v", got, want)
	}
	cancel()
	for range 3 {
		<-done
	}
	if batches == 0 {
		t.Error("the tail counted no batches")
	}
}
