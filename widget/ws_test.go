package widget_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/widget"
)

func TestSendIsAcknowledgedAfterStoreAndOnceOnRetry(t *testing.T) {
	h := newHarness(t)
	s := h.session(nil)
	c, welcome := h.connect(s.Token, nil)
	if welcome.VisitorID != s.VisitorID || welcome.ConversationID != "" || welcome.Mode != "messenger" {
		t.Fatalf("welcome: %+v", welcome)
	}
	ack := c.sendMessage("c-1", "Where is my order?")
	if ack.ID == "" || ack.Seq != 1 || ack.ConversationID == "" {
		t.Fatalf("ack: %+v", ack)
	}
	stored, err := h.svc.Messages(h.ctx, inbox.System, ack.ConversationID, 0, 100)
	if err != nil || len(stored) != 1 || stored[0].ID != ack.ID || stored[0].ClientID != "c-1" || stored[0].AuthorKind != inbox.AuthorContact || stored[0].AuthorID != s.VisitorID {
		t.Fatalf("stored: %v %+v", err, stored)
	}
	// The retry after a lost ack, on a new connection: the same ack.
	c2, welcome2 := h.connect(s.Token, map[string]any{"lastSeq": 1, "conversationId": ack.ConversationID})
	if welcome2.ConversationID != ack.ConversationID {
		t.Fatalf("welcome after the first message: %+v", welcome2)
	}
	again := c2.sendMessage("c-1", "Where is my order?")
	if again.ID != ack.ID || again.Seq != ack.Seq || again.ConversationID != ack.ConversationID {
		t.Fatalf("retry ack %+v, first %+v", again, ack)
	}
	if stored, _ := h.svc.Messages(h.ctx, inbox.System, ack.ConversationID, 0, 100); len(stored) != 1 {
		t.Fatalf("retry stored again: %d messages", len(stored))
	}
	// A second message goes to the same conversation.
	if next := c2.sendMessage("c-2", "Order 42"); next.ConversationID != ack.ConversationID || next.Seq != 2 {
		t.Fatalf("second ack: %+v", next)
	}
	// Refused sends say which message they refuse.
	c2.write(map[string]any{"type": "send", "clientId": "c-3", "text": strings.Repeat("x", 10001)})
	if f := c2.waitFor("error"); f.ClientID != "c-3" || f.Code != "invalid" {
		t.Fatalf("too long: %+v", f)
	}
	c2.write(map[string]any{"type": "send", "text": "no id"})
	if f := c2.waitFor("error"); f.Code != "invalid" {
		t.Fatalf("no clientId: %+v", f)
	}
	if _, err := h.svc.BlockContact(h.ctx, inbox.System, s.VisitorID, true); err != nil {
		t.Fatal(err)
	}
	c2.write(map[string]any{"type": "send", "clientId": "c-4", "text": "blocked?"})
	if f := c2.waitFor("error"); f.ClientID != "c-4" || f.Code != "blocked" {
		t.Fatalf("blocked: %+v", f)
	}
	c2.write(map[string]any{"type": "nonsense"})
	if f := c2.waitFor("error"); f.Code != "bad_frame" {
		t.Fatalf("unknown frame: %+v", f)
	}
}

func TestReconnectReplaysMissedMessagesExactlyOnce(t *testing.T) {
	h := newHarness(t)
	s := h.session(nil)
	c, _ := h.connect(s.Token, nil)
	ack := c.sendMessage("c-1", "Hi")
	conv := ack.ConversationID
	_ = c.ws.Close()

	agentSays := func(text string, comment bool) {
		if _, _, err := h.svc.Append(h.ctx, h.agent, conv, inbox.MessageInput{AuthorKind: inbox.AuthorAgent, Text: text, Comment: comment}); err != nil {
			t.Error(err)
		}
	}
	var want []string
	for i := 0; i < 20; i++ {
		text := fmt.Sprintf("offline %d", i)
		agentSays(text, false)
		want = append(want, text)
		if i%5 == 0 {
			agentSays("internal note", true)
		}
	}
	// Reconnect while the agent keeps writing: replay and live overlap.
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; i < 10; i++ {
			agentSays(fmt.Sprintf("live %d", i), false)
			agentSays("internal note", true)
		}
	})
	c2, welcome := h.connect(s.Token, map[string]any{"lastSeq": ack.Seq, "conversationId": conv})
	if welcome.ConversationID != conv {
		t.Fatalf("welcome: %+v", welcome)
	}
	for i := 0; i < 10; i++ {
		want = append(want, fmt.Sprintf("live %d", i))
	}
	var got []string
	last := ack.Seq
	for len(got) < len(want) {
		f, ok := c2.next(wait)
		if !ok {
			t.Fatalf("got %d of %d messages: %v", len(got), len(want), got)
		}
		m := f.msg()
		if m == nil {
			continue
		}
		if m.Comment || m.Text == "internal note" {
			t.Fatalf("a comment reached the visitor: %+v", m)
		}
		if m.Seq <= last {
			t.Fatalf("message seq %d after %d: replayed twice or out of order", m.Seq, last)
		}
		last = m.Seq
		got = append(got, m.Text)
	}
	wg.Wait()
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("messages\n got %v\nwant %v", got, want)
	}
	// The same event twice (as another node's copy may bring it) is
	// dropped by seq.
	old, err := h.svc.Messages(h.ctx, inbox.System, conv, ack.Seq, 1)
	if err != nil || len(old) != 1 {
		t.Fatal(err)
	}
	_ = h.hub.Publish(h.ctx, inbox.Event{ID: "dup", Type: inbox.EventMessageCreated, ConversationID: conv, LineID: h.line.ID, Message: &old[0]})
	for {
		f, ok := c2.next(300 * time.Millisecond)
		if !ok {
			break
		}
		if f.Type == "message" {
			t.Fatalf("extra message after all were delivered: %s", f.Raw)
		}
	}
	// The REST fallback shows no comments either.
	var hist struct {
		Messages []inbox.Message `json:"messages"`
		More     bool            `json:"more"`
	}
	h.call("GET", fmt.Sprintf("/widget/v1/history?after=%d", ack.Seq), bearer(s.Token), nil, &hist)
	if len(hist.Messages) != 30 || hist.More {
		t.Fatalf("history after %d: %d messages, more=%v", ack.Seq, len(hist.Messages), hist.More)
	}
	for _, m := range hist.Messages {
		if m.Comment {
			t.Fatalf("history shows a comment: %+v", m)
		}
	}
}

func TestModeFollowsAgentPresence(t *testing.T) {
	h := newHarness(t)
	s := h.session(nil)
	c, welcome := h.connect(s.Token, nil)
	if welcome.Mode != "messenger" {
		t.Fatalf("mode with nobody online: %s", welcome.Mode)
	}
	if _, err := h.svc.SetPresence(h.ctx, inbox.System, h.agent.AgentID, inbox.PresenceOnline); err != nil {
		t.Fatal(err)
	}
	c.waitFor("mode", "live")
	if _, err := h.svc.SetPresence(h.ctx, inbox.System, h.agent.AgentID, inbox.PresenceInvisible); err != nil {
		t.Fatal(err)
	}
	c.waitFor("mode", "messenger")
	if s := h.session(map[string]any{"token": s.Token}); s.Mode != "messenger" {
		t.Fatalf("session mode with the agent invisible: %s", s.Mode)
	}
}

func TestClosingAsksForRatingAndRatingCloses(t *testing.T) {
	h := newHarness(t)
	s := h.session(nil)
	c, _ := h.connect(s.Token, nil)
	ack := c.sendMessage("c-1", "Thanks, bye")
	if _, _, err := h.svc.Append(h.ctx, h.agent, ack.ConversationID, inbox.MessageInput{AuthorKind: inbox.AuthorAgent, Text: "Bye!"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Close(h.ctx, h.agent, ack.ConversationID); err != nil {
		t.Fatal(err)
	}
	if f := c.waitFor("status", "closing"); f.ConversationID != ack.ConversationID {
		t.Fatalf("closing status: %+v", f)
	}
	c.write(map[string]any{"type": "rate", "rating": 9})
	if f := c.waitFor("error"); f.Code != "invalid" {
		t.Fatalf("rating 9: %+v", f)
	}
	c.write(map[string]any{"type": "rate", "rating": 5})
	c.waitFor("status", "closed")
	conv, err := h.svc.Conversation(h.ctx, inbox.System, ack.ConversationID)
	if err != nil || conv.Status != inbox.StatusClosed || conv.ClientRating != 5 {
		t.Fatalf("rated conversation: %v %+v", err, conv)
	}
	// A message after closing opens a new conversation.
	if next := c.sendMessage("c-2", "One more thing"); next.ConversationID == ack.ConversationID || next.Seq != 1 {
		t.Fatalf("after closing: %+v", next)
	}
}

func TestOversizeFrameClosesWith1009(t *testing.T) {
	h := newHarness(t, func(c *widget.Config) { c.MaxFrameBytes = 4 << 10 })
	s := h.session(nil)
	c, _ := h.connect(s.Token, nil)
	if err := c.ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"send","text":"`+strings.Repeat("x", 10<<10)+`"}`)); err != nil {
		t.Fatal(err)
	}
	_ = c.ws.SetReadDeadline(time.Now().Add(wait))
	sawError := false
	for {
		_, b, err := c.ws.ReadMessage()
		if err != nil {
			if !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
				t.Fatalf("closed with %v, want 1009", err)
			}
			break
		}
		sawError = sawError || strings.Contains(string(b), `"frame_too_large"`)
	}
	if !sawError {
		t.Fatal("no frame_too_large error frame before the close")
	}
}

func TestTypingIsRelayedBothWays(t *testing.T) {
	h := newHarness(t)
	s := h.session(nil)
	c, _ := h.connect(s.Token, nil)
	ack := c.sendMessage("c-1", "Hello")
	sub := h.hub.Subscribe(func(ev inbox.Event) bool { return ev.Type == inbox.EventTyping }, 8)
	defer sub.Close()
	c.write(map[string]any{"type": "typing", "typing": true})
	select {
	case ev := <-sub.Events():
		if ev.ConversationID != ack.ConversationID || !ev.Typing || ev.AgentID != "" {
			t.Fatalf("visitor typing event: %+v", ev)
		}
	case <-time.After(wait):
		t.Fatal("the visitor's typing reached no agent")
	}
	// An agent's typing, as the agent websocket publishes it.
	_ = h.hub.Publish(h.ctx, inbox.Event{ID: "t1", Type: inbox.EventTyping, ConversationID: ack.ConversationID, AgentID: h.agent.AgentID, SubjectID: "true"})
	if f := c.waitFor("typing"); !f.Typing || f.Name != "Alice" {
		t.Fatalf("agent typing frame: %+v", f)
	}
}

func TestMessageRateLimit(t *testing.T) {
	h := newHarness(t, func(c *widget.Config) { c.MessagesPerMinute = 2 })
	s := h.session(nil)
	c, _ := h.connect(s.Token, nil)
	c.sendMessage("c-1", "one")
	c.sendMessage("c-2", "two")
	c.write(map[string]any{"type": "send", "clientId": "c-3", "text": "three"})
	if f := c.waitFor2("ack", "error"); f.Type != "error" || f.Code != "rate_limited" || f.ClientID != "c-3" {
		t.Fatalf("third message in a minute: %+v", f)
	}
}

func TestShutdownClosesWebsocketsWith1001(t *testing.T) {
	h := newHarness(t)
	s := h.session(nil)
	c, _ := h.connect(s.Token, nil)
	h.stop()
	_ = c.ws.SetReadDeadline(time.Now().Add(wait))
	for {
		if _, _, err := c.ws.ReadMessage(); err != nil {
			if !websocket.IsCloseError(err, websocket.CloseGoingAway) {
				t.Fatalf("closed with %v, want 1001", err)
			}
			return
		}
	}
}
