package widget_test

import (
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
)

// With several gateways on one store, a message stored on another gateway
// reaches this one through the event log, later than the visitor's own
// next message stored here. The visitor still gets every message once, in
// seq order: a message after a gap waits for the missing one's event;
// a comment's seq is a gap nobody fills; a message whose event never
// comes is read from the store after a second.
func TestMessagesReachTheVisitorInSeqOrder(t *testing.T) {
	h := newHarness(t)
	s := h.session(nil)
	c, _ := h.connect(s.Token, nil)
	conv := c.sendMessage("o-1", "Hello").ConversationID
	// Another gateway: the same store, its events not in this hub.
	other := &inbox.Recorder{}
	svc2 := inbox.NewService(h.store, inbox.Options{Events: other, PasswordCost: 4, Clock: h.clock.Now})
	say := func(text string, comment bool) inbox.Event {
		t.Helper()
		before := len(other.Events())
		if _, _, err := svc2.Append(h.ctx, h.agent, conv, inbox.MessageInput{AuthorKind: inbox.AuthorAgent, Text: text, Comment: comment}); err != nil {
			t.Fatal(err)
		}
		for _, ev := range other.Events()[before:] {
			if ev.Type == inbox.EventMessageCreated {
				return ev
			}
		}
		t.Fatalf("no message.created for %q", text)
		return inbox.Event{}
	}
	a, note, b := say("first answer", false), say("internal note", true), say("second answer", false)
	// Their events come in the wrong order.
	for _, ev := range []inbox.Event{b, note, a} {
		_ = h.hub.Publish(h.ctx, ev)
	}
	texts := func(n int, within time.Duration) []string {
		t.Helper()
		var got []string
		for end := time.Now().Add(within); len(got) < n && time.Now().Before(end); {
			f, ok := c.next(time.Until(end))
			if ok && f.Type == "message" {
				got = append(got, f.msg().Text)
			}
		}
		return got
	}
	start := time.Now()
	if got := texts(2, 5*time.Second); strings.Join(got, "|") != "first answer|second answer" {
		t.Fatalf("the visitor got %v, want the two answers in order", got)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("the answers waited %s although every event came", d)
	}

	// An answer whose event is lost: the visitor's next message (stored
	// and announced here) waits for it, and it is read from the store.
	say("lost answer", false)
	c.write(map[string]any{"type": "send", "clientId": "o-2", "text": "Are you there?"})
	if got := texts(2, 5*time.Second); strings.Join(got, "|") != "lost answer|Are you there?" {
		t.Fatalf("the visitor got %v, want the lost answer, then their own message", got)
	}
	// The same events again bring nothing.
	for _, ev := range []inbox.Event{a, b} {
		_ = h.hub.Publish(h.ctx, ev)
	}
	if got := texts(1, 1500*time.Millisecond); len(got) != 0 {
		t.Errorf("repeated events brought %v", got)
	}
}
