package widget_test

import (
	"testing"

	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/widget"
)

// blockAndReturn blocks the visitor of first, then opens a session without
// the token (a visitor who dropped it) with fields, and reports whether
// that session is blocked: its messages are refused. The new session
// never shows the blocked contact's conversation.
func (h *harness) blockAndReturn(t *testing.T, first sessionAnswer, fields map[string]any) bool {
	t.Helper()
	c, _ := h.connect(first.Token, nil)
	c.sendMessage("c-1", "hello")
	if _, err := h.svc.BlockContact(h.ctx, inbox.System, first.VisitorID, true); err != nil {
		t.Fatal(err)
	}
	again := h.session(fields)
	if again.VisitorID == first.VisitorID || again.Conversation != nil || len(again.Messages) != 0 {
		t.Fatalf("a new token was given the blocked contact's chat: %+v", again)
	}
	ct, err := h.svc.Contact(h.ctx, inbox.System, again.VisitorID)
	if err != nil {
		t.Fatal(err)
	}
	if !ct.Blocked {
		return false
	}
	c2, _ := h.connect(again.Token, nil)
	c2.write(map[string]any{"type": "send", "clientId": "c-2", "text": "I am back"})
	if f := c2.waitFor2("ack", "error"); f.Type != "error" || f.Code != "blocked" {
		t.Fatalf("a blocked visitor with a new token sent: %+v", f)
	}
	return true
}

// TestBlockedVisitorStaysBlocked: a blocked visitor who drops their token
// is recognised by their verified user id, their e-mail, or (where the
// setting is on) their address, and stays blocked.
func TestBlockedVisitorStaysBlocked(t *testing.T) {
	t.Run("verified user id", func(t *testing.T) {
		h := newHarness(t)
		ch := h.line.Channels
		ch.Widget.IdentitySecret = "line-secret"
		if _, err := h.svc.UpdateLine(h.ctx, inbox.System, h.line.ID, inbox.LineInput{Channels: &ch}); err != nil {
			t.Fatal(err)
		}
		user := map[string]any{"user": map[string]any{"id": "u-9", "hash": widget.IdentityHash("line-secret", "u-9")}}
		if !h.blockAndReturn(t, h.session(user), user) {
			t.Fatal("the same verified user got a new, unblocked contact")
		}
	})
	t.Run("e-mail", func(t *testing.T) {
		h := newHarness(t)
		first := h.session(map[string]any{"user": map[string]any{"id": "u-1", "email": "mallory@example.com"}})
		if !h.blockAndReturn(t, first, map[string]any{"user": map[string]any{"id": "u-2", "email": "Mallory@Example.com"}}) {
			t.Fatal("the same e-mail got a new, unblocked contact")
		}
	})
	t.Run("address, when the setting is on", func(t *testing.T) {
		h := newHarness(t, func(c *widget.Config) { c.BlockByAddress = true })
		if !h.blockAndReturn(t, h.session(nil), nil) {
			t.Fatal("the same address got a new, unblocked contact")
		}
	})
	t.Run("address, when the setting is off", func(t *testing.T) {
		h := newHarness(t)
		if h.blockAndReturn(t, h.session(nil), nil) {
			t.Fatal("an anonymous visitor from the same address was taken for the blocked one")
		}
	})
	t.Run("unblocked", func(t *testing.T) {
		h := newHarness(t)
		first := h.session(map[string]any{"user": map[string]any{"id": "u-1", "email": "sam@example.com"}})
		h.blockAndReturn(t, first, nil)
		if _, err := h.svc.BlockContact(h.ctx, inbox.System, first.VisitorID, false); err != nil {
			t.Fatal(err)
		}
		again := h.session(map[string]any{"user": map[string]any{"id": "u-3", "email": "sam@example.com"}})
		if ct, err := h.svc.Contact(h.ctx, inbox.System, again.VisitorID); err != nil || ct.Blocked {
			t.Fatalf("after unblocking, a new visitor with the e-mail is blocked: %v", err)
		}
	})
}
