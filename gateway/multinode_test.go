package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// startStoreServer builds and starts cmd/storeserver (the embedded engine
// alone) on a free loopback port, and returns the MONGODB_URI it prints.
func startStoreServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "storeserver")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/storeserver").CombinedOutput(); err != nil {
		t.Fatalf("go build storeserver: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-dir", filepath.Join(t.TempDir(), "shared"), "-listen", freePort(t))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	first := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		first <- strings.TrimSpace(line)
	}()
	select {
	case line := <-first:
		uri, ok := strings.CutPrefix(line, "MONGODB_URI=")
		if !ok {
			t.Fatalf("storeserver printed %q first; stderr:\n%s", line, stderr)
		}
		return uri
	case <-time.After(30 * time.Second):
		t.Fatalf("storeserver did not start; stderr:\n%s", stderr)
	}
	return ""
}

// dialAgentEvents opens the agent websocket of c's session on base (closed
// at the test's end) and reads its event frames into a channel.
func dialAgentEvents(ctx context.Context, t *testing.T, base string, c *client) (*websocket.Conn, <-chan json.RawMessage) {
	t.Helper()
	a := dialAgentSocket(ctx, t, base, c)
	return a.ws, a.events
}

// TestThreeGatewaysOneStore: three gateway processes on one shared store
// (the engine run alone by cmd/storeserver, reached through MONGODB_URI):
// a visitor on node A writes, and the agent connected to node B sees the
// message live; the agent answers on node B, the visitor on node A gets
// the answer and a supervisor's table on node C sees the conversation turn
// answered and, for a second visitor nobody answers, the missed marker;
// visitor and agent see each other typing; the widget's mode follows the
// agent's presence set on another node. Each event arrives once on
// each node: the node that made it delivers it from memory, the other
// from the event log.
func TestThreeGatewaysOneStore(t *testing.T) {
	bin := buildBinary(t)
	uri := startStoreServer(t)
	start := func() *server { return startServerWith(t, bin, t.TempDir(), false, "MONGODB_URI="+uri) }
	a := start()
	boot := a.welcome(t)
	b := start()
	c := start()
	adminA, adminB := newClient(t, "admin@A", a.base), newClient(t, "admin@B", b.base)
	me := adminA.login(boot.adminEmail, boot.adminPassword)
	adminB.login(boot.adminEmail, boot.adminPassword)
	var line lineJSON
	adminA.expect("POST", "/api/v1/lines", map[string]any{
		"name": "Shared line", "agentIds": []string{me.ID}, "settings": map[string]any{"missedAfterSeconds": 5},
		"channels": map[string]any{"widget": map[string]any{"enabled": true, "allowedOrigins": []string{shopOrigin}}},
	}, http.StatusCreated, &line)
	adminB.expect("PATCH", "/api/v1/me", map[string]any{"presence": "online"}, http.StatusOK, nil)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	agentWS, events := dialAgentEvents(ctx, t, b.base, adminB)
	// A supervisor's table on node C follows the conversation's status.
	adminC := newClient(t, "admin@C", c.base)
	adminC.login(boot.adminEmail, boot.adminPassword)
	_, tableEvents := dialAgentEvents(ctx, t, c.base, adminC)

	sess, err := newWidgetSession(ctx, a.base, line.ID, shopOrigin)
	if err != nil {
		t.Fatal(err)
	}
	visitor, _, err := dialVisitor(ctx, a.base, sess.Token, originOfBase(a.base), shopOrigin)
	if err != nil {
		t.Fatal(err)
	}
	defer visitor.close()
	if err := visitor.hello(0, ""); err != nil {
		t.Fatal(err)
	}
	sent := time.Now()
	if err := visitor.sendMessage("two-nodes-1", "Hello from node A"); err != nil {
		t.Fatal(err)
	}
	ack, err := visitor.nextOf(ctx, "ack")
	if err != nil {
		t.Fatal(err)
	}

	// On B: message.created of the visitor's message, once.
	type messageEvent struct {
		Type    string `json:"type"`
		Message *struct {
			ID             string `json:"id"`
			ConversationID string `json:"conversationId"`
			Text           string `json:"text"`
		} `json:"message"`
	}
	waitMessage := func(text string, within time.Duration) (seen time.Time, id string) {
		t.Helper()
		deadline := time.After(within)
		for {
			select {
			case raw, ok := <-events:
				if !ok {
					t.Fatalf("the agent websocket on B closed while waiting for %q", text)
				}
				var ev messageEvent
				if json.Unmarshal(raw, &ev) == nil && ev.Type == "message.created" && ev.Message != nil && ev.Message.Text == text {
					return time.Now(), ev.Message.ID
				}
			case <-deadline:
				t.Fatalf("the agent on node B did not see %q within %s", text, within)
			}
		}
	}
	seen, msgID := waitMessage("Hello from node A", 5*time.Second)
	t.Logf("visitor on A → agent on B: %s", seen.Sub(sent).Round(time.Millisecond))

	// The agent answers on B; the visitor on A gets it.
	answered := time.Now()
	adminB.expect("POST", "/api/v1/conversations/"+ack.ConversationID+"/messages", map[string]any{"text": "Hello from node B"}, http.StatusCreated, nil)
	for {
		f, err := visitor.nextOf(ctx, "message")
		if err != nil {
			t.Fatalf("the visitor on node A, waiting for the answer: %v", err)
		}
		m, err := f.message()
		if err == nil && m.Text == "Hello from node B" {
			break
		}
	}
	t.Logf("agent on B → visitor on A: %s", time.Since(answered).Round(time.Millisecond))
	for deadline := time.After(5 * time.Second); ; {
		var ev struct {
			Type         string `json:"type"`
			Conversation *struct {
				ID     string `json:"id"`
				Status string `json:"status"`
			} `json:"conversation"`
		}
		select {
		case raw := <-tableEvents:
			if json.Unmarshal(raw, &ev) != nil || ev.Type != "conversation.updated" || ev.Conversation == nil ||
				ev.Conversation.ID != ack.ConversationID || ev.Conversation.Status != "answered" {
				continue
			}
		case <-deadline:
			t.Fatal("the supervisor on node C did not see the conversation turn answered")
		}
		break
	}
	t.Logf("agent on B → supervisor's table on C: %s", time.Since(answered).Round(time.Millisecond))

	// Typing crosses too: the visitor types on A, the agent on B sees it;
	// the agent types on B, the visitor on A sees it.
	if err := visitor.send(map[string]any{"type": "typing", "typing": true}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.After(5 * time.Second); ; {
		var ev struct {
			Type           string `json:"type"`
			ConversationID string `json:"conversationId"`
			Typing         bool   `json:"typing"`
		}
		select {
		case raw := <-events:
			if json.Unmarshal(raw, &ev) != nil || ev.Type != "typing" || ev.ConversationID != ack.ConversationID || !ev.Typing {
				continue
			}
		case <-deadline:
			t.Fatal("the agent on node B did not see the visitor on node A typing")
		}
		break
	}
	if err := agentWS.WriteJSON(map[string]any{"type": "typing", "conversationId": ack.ConversationID, "typing": true}); err != nil {
		t.Fatal(err)
	}
	if _, err := visitor.nextOf(ctx, "typing"); err != nil {
		t.Fatalf("the visitor on node A, waiting for the agent on node B typing: %v", err)
	}

	// A second visitor on A waits unanswered: the supervisor's table on C
	// shows the missed marker, once, whichever node runs the watcher.
	sess2, err := newWidgetSession(ctx, a.base, line.ID, shopOrigin)
	if err != nil {
		t.Fatal(err)
	}
	visitor2, _, err := dialVisitor(ctx, a.base, sess2.Token, originOfBase(a.base), shopOrigin)
	if err != nil {
		t.Fatal(err)
	}
	defer visitor2.close()
	if err := visitor2.hello(0, ""); err != nil {
		t.Fatal(err)
	}
	sent2 := time.Now()
	if err := visitor2.sendMessage("two-nodes-2", "Anyone?"); err != nil {
		t.Fatal(err)
	}
	ack2, err := visitor2.nextOf(ctx, "ack")
	if err != nil {
		t.Fatal(err)
	}
	missed := watchMissed(tableEvents)
	if got := missed.next(t, 10*time.Second); got != ack2.ConversationID {
		t.Fatalf("the table on C saw %s turn missed, want %s", got, ack2.ConversationID)
	}
	t.Logf("missed marker on C's table %s after the message (missed after 5 s)", time.Since(sent2).Round(time.Millisecond))

	// Nothing doubled: the visitor's message reached B once.
	quiet := time.After(1500 * time.Millisecond)
	for done := false; !done; {
		select {
		case raw := <-events:
			var ev messageEvent
			if json.Unmarshal(raw, &ev) == nil && ev.Type == "message.created" && ev.Message != nil && ev.Message.ID == msgID {
				t.Errorf("the visitor's message reached the agent on B twice")
			}
		case <-quiet:
			done = true
		}
	}
	select {
	case id := <-missed.marks:
		t.Errorf("the table on C saw %s turn missed again", id)
	default:
	}
	_, metrics := adminB.do("GET", "/metrics", nil, "")
	// The visitors' sockets are on A, none on B.
	if !strings.Contains(string(metrics), "switchboard_widget_websockets 0\n") {
		t.Errorf("node B's /metrics: %s, want 0 visitor websockets", grepLines(string(metrics), "switchboard_widget"))
	}
	if metricsA := getBody(t, a.base+"/metrics"); !strings.Contains(metricsA, "switchboard_widget_websockets ") ||
		strings.Contains(metricsA, "switchboard_widget_websockets 0\n") {
		t.Errorf("node A's /metrics: %s, want its visitor websockets counted", grepLines(metricsA, "switchboard_widget"))
	}
	if body := string(metrics); !strings.Contains(body, "switchboard_events_from_other_nodes_total") ||
		strings.Contains(body, "switchboard_events_from_other_nodes_total 0\n") {
		t.Errorf("node B's /metrics counts no events from other nodes:\n%s", grepLines(body, "switchboard_event"))
	}
	// The widget's mode follows the agents' presence on another node: the
	// agent goes offline on B, the visitor on A is told "messenger"; back
	// online, "live".
	for _, p := range []struct{ presence, mode string }{{"offline", "messenger"}, {"online", "live"}} {
		adminB.expect("PATCH", "/api/v1/me", map[string]any{"presence": p.presence}, http.StatusOK, nil)
		if f, err := visitor.nextOf(ctx, "mode"); err != nil || f.Mode != p.mode {
			t.Fatalf("the visitor on A, the agent %s on B: mode %+v (%v), want %s", p.presence, f, err, p.mode)
		}
	}

	for _, s := range []*server{a, b, c} {
		s.stop(t)
	}
	noErrorLogs(t, a, b, c)
}

// grepLines keeps the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
