package widget_test

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/switchboard-chat/switchboard/inbox"
)

// TestSlowClientIsCutOffWithoutBlockingTheHub: a visitor whose socket does
// not read while events for it keep coming is cut off (close 1013) once
// it is too far behind; publishing never waits for it, and another
// visitor's socket keeps getting its events.
func TestSlowClientIsCutOffWithoutBlockingTheHub(t *testing.T) {
	h := newHarness(t)
	slow, _ := h.connect(h.session(nil).Token, nil)
	conv := slow.sendMessage("c-1", "I will stop reading now").ConversationID
	other, _ := h.connect(h.session(nil).Token, nil)

	// About 40 MB of messages for the slow visitor: far more than the
	// socket buffers hold, so its writer blocks and its queue fills.
	big := strings.Repeat("x", 64<<10)
	start := time.Now()
	for i := range 600 {
		m := &inbox.Message{ID: fmt.Sprintf("m%d", i), ConversationID: conv, Seq: int64(100 + i), Text: big,
			AuthorKind: inbox.AuthorAgent, AuthorID: h.agent.AgentID}
		if err := h.hub.Publish(h.ctx, inbox.Event{ID: m.ID, Type: inbox.EventMessageCreated, ConversationID: conv, LineID: h.line.ID, Message: m}); err != nil {
			t.Fatal(err)
		}
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("publishing to a socket that does not read took %s: the hub waited for it", took)
	}
	// The other visitor is not held up.
	if _, err := h.svc.SetPresence(h.ctx, inbox.System, h.agent.AgentID, inbox.PresenceOnline); err != nil {
		t.Fatal(err)
	}
	other.waitFor("mode", "live")

	// The slow client reads again: what was written, then close 1013.
	_ = slow.ws.SetReadDeadline(time.Now().Add(wait))
	got := 0
	for {
		_, _, err := slow.ws.ReadMessage()
		if err == nil {
			got++
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("no close after %d frames", got)
		}
		if !websocket.IsCloseError(err, websocket.CloseTryAgainLater) {
			t.Fatalf("after %d frames: %v, want close 1013", got, err)
		}
		break
	}
	if got >= 600 {
		t.Fatalf("all %d messages reached the slow client: it was never cut off", got)
	}
}
