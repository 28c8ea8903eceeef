package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestMissedConversationOnTheRealBinary: a visitor's message nobody
// answers is marked missed 30 s (the default) ± 1 s after it was sent —
// seen over the agent websocket, as the red dot in the inbox of a
// supervisor signed in meanwhile, and in /metrics.
func TestMissedConversationOnTheRealBinary(t *testing.T) {
	chromium := requireChromium(t)
	bin := buildBinary(t)
	srv := startServer(t, bin, t.TempDir())
	boot := srv.welcome(t)
	admin := newClient(t, "admin", srv.base)
	admin.login(boot.adminEmail, boot.adminPassword)
	line := createWidgetLine(admin, "Missed line")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	agentWS, resp, err := dialAgentWS(ctx, srv.base, sessionCookie(admin), srv.base)
	if err != nil {
		status, body := handshakeStatus(resp)
		t.Fatalf("agent websocket: %v, status %d; body %s", err, status, body)
	}
	defer agentWS.Close()

	b := newBrowser(t, chromium, "supervisor")
	signIn(t, b, srv.base, boot.adminEmail, boot.adminPassword)
	// The supervisor is on duty: online, desktop notifications allowed (a
	// stand-in records them: headless Chromium shows none).
	admin.expect("PATCH", "/api/v1/me", map[string]any{"presence": "online"}, http.StatusOK, nil)
	brEval[bool](b, nil, "record desktop notifications", `(() => {
		window.__notes = [];
		window.Notification = class {
			static permission = 'granted';
			static requestPermission() { return Promise.resolve('granted'); }
			constructor(title, o) { window.__notes.push(title + ' | ' + (o && o.body)); }
			close() {}
		};
		return true;
	})()`)

	sess, err := newWidgetSession(ctx, srv.base, line.ID, shopOrigin)
	if err != nil {
		t.Fatal(err)
	}
	visitor, _, err := dialVisitor(ctx, srv.base, sess.Token, originOfBase(srv.base), shopOrigin)
	if err != nil {
		t.Fatal(err)
	}
	defer visitor.close()
	if err := visitor.hello(0, ""); err != nil {
		t.Fatal(err)
	}
	if err := visitor.sendMessage("missed-1", "Is anybody there?"); err != nil {
		t.Fatal(err)
	}
	ack, err := visitor.nextOf(ctx, "ack")
	if err != nil {
		t.Fatal(err)
	}
	sent := ack.CreatedAt

	// The agent websocket: conversation.updated with missedAt set.
	type frame struct {
		Type  string `json:"type"`
		Event struct {
			Type         string `json:"type"`
			Conversation *struct {
				ID       string     `json:"id"`
				MissedAt *time.Time `json:"missedAt"`
			} `json:"conversation"`
		} `json:"event"`
	}
	var missedAt time.Time
	var seen time.Time
	for missedAt.IsZero() {
		_ = agentWS.SetReadDeadline(time.Now().Add(45 * time.Second))
		_, data, err := agentWS.ReadMessage()
		if err != nil {
			t.Fatalf("agent websocket, waiting for the missed mark: %v", err)
		}
		var f frame
		if json.Unmarshal(data, &f) != nil || f.Type != "event" || f.Event.Type != "conversation.updated" {
			continue
		}
		if c := f.Event.Conversation; c != nil && c.ID == ack.ConversationID && c.MissedAt != nil {
			missedAt, seen = *c.MissedAt, time.Now()
		}
	}
	if d := missedAt.Sub(sent); d < 30*time.Second-time.Millisecond || d > 30*time.Second+time.Millisecond {
		t.Errorf("missedAt is %s after the message, want 30 s", d)
	}
	if d := seen.Sub(sent); d < 30*time.Second || d > 31*time.Second {
		t.Errorf("the mark reached the agent %s after the message, want 30 s ± 1 s", d)
	}
	t.Logf("marked missed %s after the message", seen.Sub(sent).Round(time.Millisecond))

	// The red dot, live, in the supervisor's inbox.
	b.waitFor(nil, "the red dot on the conversation",
		`document.querySelector('[data-testid="conv-item"][data-id="`+ack.ConversationID+`"][data-missed="true"] [data-testid="missed-dot"]') !== null`, 5*time.Second)
	b.waitFor(nil, "a desktop notification of the missed conversation",
		`window.__notes.some(n => n.startsWith("Missed conversation | "))`, 5*time.Second)
	if notes := brEval[[]string](b, nil, "notifications", `window.__notes.filter(n => n.startsWith("Missed"))`); len(notes) != 1 {
		t.Errorf("missed-conversation notifications: %q, want one", notes)
	}
	// The list filter finds it.
	if ids := admin.conversationIDs("missed=true"); len(ids) != 1 || ids[0] != ack.ConversationID {
		t.Errorf("missed=true lists %v, want [%s]", ids, ack.ConversationID)
	}
	// And /metrics counts it.
	metrics := getBody(t, srv.base+"/metrics")
	if !strings.Contains(metrics, "switchboard_missed_conversations_total 1\n") {
		t.Errorf("/metrics lacks switchboard_missed_conversations_total 1")
	}

	// An answer takes the mark off.
	var posted struct{}
	admin.expect("POST", "/api/v1/conversations/"+ack.ConversationID+"/messages",
		map[string]any{"text": "Sorry, here now"}, http.StatusCreated, &posted)
	b.waitFor(nil, "the red dot is gone after the answer",
		`document.querySelector('[data-testid="conv-item"][data-id="`+ack.ConversationID+`"][data-missed="false"]') !== null`, 5*time.Second)
	srv.stop(t)
	if errs := errorLogLines(srv.stderr.String()); len(errs) > 0 {
		t.Errorf("the gateway logged errors:\n%s", strings.Join(errs, "\n"))
	}
}
