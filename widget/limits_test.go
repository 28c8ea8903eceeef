package widget_test

import (
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/widget"
)

// TestEveryFrameIsRateLimited: 2,000 transcript frames from one visitor
// are refused past the per-visitor frame budget, and the store sees a
// bounded number of writes.
func TestEveryFrameIsRateLimited(t *testing.T) {
	const perMinute = 50
	h := newHarness(t, func(c *widget.Config) { c.FramesPerMinute = perMinute })
	s := h.session(nil)
	c, _ := h.connect(s.Token, nil) // hello draws one frame of the budget
	ack := c.sendMessage("c-1", "hello")
	before, err := h.svc.Conversation(h.ctx, inbox.System, ack.ConversationID)
	if err != nil {
		t.Fatal(err)
	}
	const frames = 2000
	start := time.Now()
	for i := range frames {
		email := "ada@example.com"
		if i%2 == 1 {
			email = "bob@example.com"
		}
		c.write(map[string]any{"type": "transcript", "email": email})
	}
	// The budget is the burst plus what refills while the frames are
	// handled (perMinute a minute): on a slow machine a few more pass.
	allowed := func() int { return perMinute + int(time.Since(start).Minutes()*perMinute) + 1 }
	refused := 0
	deadline := time.Now().Add(wait)
	for refused < frames-allowed() && time.Now().Before(deadline) {
		f, ok := c.next(time.Until(deadline))
		if ok && f.Type == "error" && f.Code == "rate_limited" {
			refused++
		}
	}
	if refused < frames-allowed() {
		t.Fatalf("%d of %d transcript frames refused, want at least %d", refused, frames, frames-allowed())
	}
	after, err := h.svc.Conversation(h.ctx, inbox.System, ack.ConversationID)
	if err != nil {
		t.Fatal(err)
	}
	if writes := after.Version - before.Version; writes > int64(allowed()) {
		t.Fatalf("%d conversation writes for %d transcript frames, want at most %d", writes, frames, allowed())
	}
	// Typing and read frames draw on the same budget.
	for range 5 {
		c.write(map[string]any{"type": "read", "seq": 1})
	}
	if f := c.waitFor("error"); f.Code != "rate_limited" {
		t.Fatalf("read frames past the budget: %+v", f)
	}
}

// TestSocketsPerVisitorAreCapped: past MaxSocketsPerVisitor a visitor's new
// socket is closed with 1008; when one closes, a new one is welcome.
func TestSocketsPerVisitorAreCapped(t *testing.T) {
	h := newHarness(t, func(c *widget.Config) { c.MaxSocketsPerVisitor = 3 })
	s := h.session(nil)
	var open []*client
	for range 3 {
		c, _ := h.connect(s.Token, nil)
		open = append(open, c)
	}
	ws, _, err := h.dial(s.Token, gatewayOrigin)
	if err != nil {
		t.Fatal(err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(wait))
	_, _, err = ws.ReadMessage()
	if !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
		t.Fatalf("fourth socket: %v, want close 1008", err)
	}
	_ = ws.Close()
	// Another visitor is not affected.
	other := h.session(nil)
	h.connect(other.Token, nil)
	// One of the three goes: a new one is welcome again.
	_ = open[0].ws.Close()
	deadline := time.Now().Add(wait)
	for {
		ws, _, err := h.dial(s.Token, gatewayOrigin)
		if err != nil {
			t.Fatal(err)
		}
		c := &client{t: t, ws: ws}
		c.write(map[string]any{"type": "hello", "lastSeq": 0})
		_ = ws.SetReadDeadline(time.Now().Add(wait))
		_, b, err := ws.ReadMessage()
		_ = ws.Close()
		if err == nil && len(b) > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no socket welcome after one of three closed: %v", err)
		}
		time.Sleep(50 * time.Millisecond) // the server notices the close
	}
}

// TestClientIDReusedWithOtherText: a retry (same clientId, same text) gets
// the first ack; the same clientId with another text is refused with
// client_id_reused and stores nothing.
func TestClientIDReusedWithOtherText(t *testing.T) {
	h := newHarness(t)
	s := h.session(nil)
	c, _ := h.connect(s.Token, nil)
	first := c.sendMessage("c-1", "hello")
	c.write(map[string]any{"type": "send", "clientId": "c-1", "text": "my card number"})
	if f := c.waitFor2("ack", "error"); f.Type != "error" || f.Code != "client_id_reused" || f.ClientID != "c-1" {
		t.Fatalf("same clientId, other text: %+v", f)
	}
	if again := c.sendMessage("c-1", "hello"); again.ID != first.ID || again.Seq != first.Seq {
		t.Fatalf("retry acked %+v, want the first ack %+v", again, first)
	}
	msgs, err := h.svc.VisibleMessages(h.ctx, first.ConversationID, 0, 10)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("stored %d messages (%v), want 1", len(msgs), err)
	}
}

// TestSessionIsNotCached: the session and history answers carry the
// visitor token and messages: no cache may keep them.
func TestSessionIsNotCached(t *testing.T) {
	h := newHarness(t)
	var out sessionAnswer
	resp := h.postSession(nil, &out)
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("session: Cache-Control %q, want no-store", cc)
	}
	resp = h.call("GET", "/widget/v1/history", bearer(out.Token), nil, nil)
	if cc := resp.Header.Get("Cache-Control"); resp.StatusCode != 200 || cc != "no-store" {
		t.Errorf("history: %d, Cache-Control %q, want 200 and no-store", resp.StatusCode, cc)
	}
}

// TestWelcomeAlwaysHasStatus: welcome carries "status" (null) even when
// the visitor has no conversation, as the protocol lists it.
func TestWelcomeAlwaysHasStatus(t *testing.T) {
	h := newHarness(t)
	s := h.session(nil)
	ws, _, err := h.dial(s.Token, gatewayOrigin)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if err := ws.WriteJSON(map[string]any{"type": "hello", "lastSeq": 0}); err != nil {
		t.Fatal(err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(wait))
	var welcome map[string]any
	if err := ws.ReadJSON(&welcome); err != nil {
		t.Fatal(err)
	}
	st, ok := welcome["status"]
	if welcome["type"] != "welcome" || !ok || st != nil {
		t.Fatalf("welcome without a conversation: %v; want \"status\": null", welcome)
	}
}

// TestLooseEnds: what the protocol says of binary frames, whitespace-only
// texts and invalid UTF-8, checked.
func TestLooseEnds(t *testing.T) {
	h := newHarness(t)
	s := h.session(nil)
	c, _ := h.connect(s.Token, nil)
	if err := c.ws.WriteMessage(websocket.BinaryMessage, []byte(`{"type":"send","clientId":"b-1","text":"binary"}`)); err != nil {
		t.Fatal(err)
	}
	if f := c.waitFor2("ack", "error"); f.Type != "error" || f.Code != "bad_frame" {
		t.Fatalf("binary frame: %+v, want error bad_frame", f)
	}
	c.write(map[string]any{"type": "send", "clientId": "w-1", "text": " \n\t "})
	if f := c.waitFor2("ack", "error"); f.Type != "error" || f.Code != "invalid" || f.ClientID != "w-1" {
		t.Fatalf("whitespace-only text: %+v, want error invalid", f)
	}
	if err := c.ws.WriteMessage(websocket.TextMessage, []byte("{\"type\":\"send\",\"clientId\":\"u-1\",\"text\":\"\xff\"}")); err != nil {
		t.Fatal(err)
	}
	if f := c.waitFor2("ack", "error"); f.Type != "error" || f.Code != "bad_frame" {
		t.Fatalf("invalid UTF-8: %+v, want error bad_frame and the connection open", f)
	}
	c.sendMessage("ok-1", "still connected")
}
