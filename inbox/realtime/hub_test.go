package realtime_test

import (
	"context"
	"testing"

	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/inbox/realtime"
)

func TestHubDeliversByFilterAndCutsOffTheSlow(t *testing.T) {
	h := realtime.NewHub()
	ctx := context.Background()
	mine := h.Subscribe(func(ev inbox.Event) bool { return ev.ConversationID == "c1" }, 4)
	all := h.Subscribe(nil, 2)
	for _, id := range []string{"c1", "c2"} {
		if err := h.Publish(ctx, inbox.Event{Type: inbox.EventMessageCreated, ConversationID: id}); err != nil {
			t.Fatal(err)
		}
	}
	if ev := <-mine.Events(); ev.ConversationID != "c1" {
		t.Fatalf("filtered subscriber got %s", ev.ConversationID)
	}
	select {
	case ev := <-mine.Events():
		t.Fatalf("filtered subscriber got an event it did not ask for: %+v", ev)
	default:
	}
	// all's buffer (2) is full: the next event cuts it off instead of blocking.
	_ = h.Publish(ctx, inbox.Event{Type: inbox.EventConversationUpdated, ConversationID: "c3"})
	n := 0
	for range all.Events() {
		n++
	}
	if n != 2 || !all.Lagged() {
		t.Fatalf("slow subscriber: drained %d, lagged %v; want 2 and cut off", n, all.Lagged())
	}
	if mine.Lagged() || h.Subscribers() != 1 {
		t.Fatalf("the other subscriber must stay: lagged %v, subscribers %d", mine.Lagged(), h.Subscribers())
	}
	mine.Close()
	mine.Close() // closing twice is harmless
	if _, open := <-mine.Events(); open || h.Subscribers() != 0 {
		t.Fatal("closed subscriber still registered")
	}
}

// Resync cuts every subscriber off as lagged: each client refetches.
func TestResyncCutsEveryoneOff(t *testing.T) {
	h := realtime.NewHub()
	a, b := h.Subscribe(nil, 4), h.Subscribe(nil, 4)
	if n := h.Resync(); n != 2 {
		t.Fatalf("Resync cut off %d subscribers, want 2", n)
	}
	for _, s := range []*realtime.Sub{a, b} {
		if _, ok := <-s.Events(); ok || !s.Lagged() {
			t.Error("a subscriber is still open, or not marked lagged")
		}
	}
	if h.Subscribers() != 0 {
		t.Errorf("%d subscribers left", h.Subscribers())
	}
	c := h.Subscribe(nil, 4) // a client subscribing again is served as before
	_ = h.Publish(context.Background(), inbox.Event{ID: "e1"})
	if ev := <-c.Events(); ev.ID != "e1" {
		t.Errorf("after a resync, got %+v", ev)
	}
}
