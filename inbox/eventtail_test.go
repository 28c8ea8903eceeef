package inbox_test

import (
	"context"
	"fmt"
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
	logA := inbox.NewEventLog(store, inbox.EventLogOptions{Node: "A", MaxBatch: 3, Durable: true}, nil)
	logB := inbox.NewEventLog(store, inbox.EventLogOptions{Node: "B", Durable: true}, nil)
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

// A durable event log answers Publish once the event's batch is in the
// store (what a request answered is in the log for the other gateways);
// before Run starts it only queues, and Run writes what was queued.
func TestDurableEventLog(t *testing.T) {
	store := engine.Store(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l := inbox.NewEventLog(store, inbox.EventLogOptions{Node: "D", Durable: true}, nil)
	if err := l.Publish(ctx, inbox.Event{ID: "early", Type: inbox.EventMessageCreated, At: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = l.Run(ctx); close(done) }()
	time.Sleep(100 * time.Millisecond) // Run has started
	for i := range 5 {
		id := "durable-" + string(rune('0'+i))
		if err := l.Publish(ctx, inbox.Event{ID: id, Type: inbox.EventMessageCreated, At: time.Now().UTC()}); err != nil {
			t.Fatal(err)
		}
		batches, err := store.RecentEvents(ctx, 3)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, b := range batches {
			found = found || slices.ContainsFunc(b.Events, func(ev inbox.Event) bool { return ev.ID == id })
		}
		if !found {
			t.Fatalf("Publish of %s returned before its batch was in the store", id)
		}
	}
	cancel()
	<-done
	all, err := store.RecentEvents(context.Background(), 20)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, b := range all {
		found = found || slices.ContainsFunc(b.Events, func(ev inbox.Event) bool { return ev.ID == "early" })
	}
	if !found {
		t.Error("the event published before Run started was never written")
	}
}

// A batch a node numbered but that is not in the log (its write failed,
// or the capped log rolled past it) is a gap: the tail hands on what came
// after it, in order, and tells clients to resync — never a silent hole.
// Batches are written here as a node writes them: "<node>#<seq>", with
// the node's numbering in event_nodes.
func TestEventTailReportsAMissingBatch(t *testing.T) {
	store := engine.Store(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hub := &inbox.Recorder{}
	gaps := make(chan struct{}, 4)
	tail := inbox.NewEventTail(store, hub, inbox.EventTailOptions{Node: "B", OnGap: func() { gaps <- struct{}{} }}, nil)
	done := make(chan struct{})
	go func() { _ = tail.Run(ctx); close(done) }()
	time.Sleep(300 * time.Millisecond)
	write := func(seq int64) {
		ev := inbox.Event{ID: fmt.Sprintf("A%d", seq), Type: inbox.EventMessageCreated, At: time.Now().UTC()}
		b := inbox.EventBatch{ID: fmt.Sprintf("A#%d", seq), At: ev.At, Node: "A", Seq: seq, Events: []inbox.Event{ev}}
		if err := store.InsertEventBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.PutEventNode(ctx, "A", 0, time.Now()); err != nil {
		t.Fatal(err)
	}
	write(1)
	write(2)
	// Batch 3 never reaches the log; 4 does, and the node says so.
	write(4)
	if err := store.PutEventNode(ctx, "A", 4, time.Now()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-gaps:
	case <-time.After(15 * time.Second):
		t.Fatal("the tail did not report the missing batch")
	}
	var got []string
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end) && len(got) < 3; time.Sleep(20 * time.Millisecond) {
		got = got[:0]
		for _, ev := range hub.Events() {
			got = append(got, ev.ID)
		}
	}
	if want := []string{"A1", "A2", "A4"}; !slices.Equal(got, want) {
		t.Errorf("the hub got %v, want %v", got, want)
	}
	write(5)
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end) && len(hub.Events()) < 4; {
		time.Sleep(20 * time.Millisecond)
	}
	if n := len(hub.Events()); n != 4 {
		t.Errorf("after the gap the tail handed on %d events, want 4 (it goes on)", n)
	}
	cancel()
	<-done
}
