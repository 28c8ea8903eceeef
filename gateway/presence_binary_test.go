package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// TestPresenceOnTheRealBinary: on the real binary, an agent on automatic
// presence whose own hours open at the next minute goes online within a
// second of it, and the demo widget turns live with them; closing the
// inbox then sets them offline after the grace period, and the widget
// turns to messenger mode.
func TestPresenceOnTheRealBinary(t *testing.T) {
	bin := buildBinary(t)
	srv := launchGateway(t, bin, t.TempDir(), freePort(t), "SWITCHBOARD_PRESENCE_GRACE=3s")
	boot := srv.welcome(t)
	admin := newClient(t, "admin", srv.base)
	admin.login(boot.adminEmail, boot.adminPassword)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// The opening: the next minute at least 5 s away, in UTC.
	opening := time.Now().UTC().Truncate(time.Minute).Add(time.Minute)
	if time.Until(opening) < 5*time.Second {
		opening = opening.Add(time.Minute)
	}
	day := strings.ToLower(opening.Weekday().String()[:3])
	hours := map[string]any{"enabled": true, "timeZone": "UTC", "days": map[string]any{
		day: []map[string]string{{"from": opening.Format("15:04"), "to": opening.Add(10 * time.Minute).Format("15:04")}}}}

	agentWS, resp, err := dialAgentWS(ctx, srv.base, sessionCookie(admin), srv.base)
	if err != nil {
		status, body := handshakeStatus(resp)
		t.Fatalf("agent websocket: %v, status %d; body %s", err, status, body)
	}
	presence := make(chan [2]string, 16) // presence, reason
	go func() {
		for {
			_, data, err := agentWS.ReadMessage()
			if err != nil {
				close(presence)
				return
			}
			var f struct {
				Type  string `json:"type"`
				Event struct {
					Type     string `json:"type"`
					Presence string `json:"presence"`
					Reason   string `json:"reason"`
				} `json:"event"`
			}
			if json.Unmarshal(data, &f) == nil && f.Event.Type == "agent.presence" {
				presence <- [2]string{f.Event.Presence, f.Event.Reason}
			}
		}
	}()
	next := func(want, reason string, within time.Duration) time.Time {
		t.Helper()
		select {
		case p, ok := <-presence:
			if !ok || p[0] != want || p[1] != reason {
				t.Fatalf("presence event %v, want %s (%s)", p, want, reason)
			}
			return time.Now()
		case <-time.After(within):
			t.Fatalf("no presence change to %s within %s", want, within)
		}
		return time.Time{}
	}

	// A visitor of the demo line.
	sess, err := newWidgetSession(ctx, srv.base, boot.demoLineID, srv.base)
	if err != nil {
		t.Fatal(err)
	}
	visitor, _, err := dialVisitor(ctx, srv.base, sess.Token, originOfBase(srv.base), srv.base)
	if err != nil {
		t.Fatal(err)
	}
	defer visitor.close()
	if err := visitor.hello(0, ""); err != nil {
		t.Fatal(err)
	}
	if w, err := visitor.nextOf(ctx, "welcome"); err != nil || w.Mode != "messenger" {
		t.Fatalf("welcome %+v (%v), want messenger mode with nobody online", w, err)
	}

	// Automatic presence, hours opening at the next minute: closed now, so
	// the agent is set offline at once (they were offline already: no
	// event), and online at the opening.
	admin.expect("PATCH", "/api/v1/me", map[string]any{"presence": "online"}, http.StatusOK, nil)
	next("online", "manual", 5*time.Second)
	if f, err := visitor.nextOf(ctx, "mode"); err != nil || f.Mode != "live" {
		t.Fatalf("mode %+v (%v), want live with the admin online", f, err)
	}
	admin.expect("PATCH", "/api/v1/me", map[string]any{"presenceMode": "hours", "businessHours": hours}, http.StatusOK, nil)
	next("offline", "hours", 5*time.Second)
	if f, err := visitor.nextOf(ctx, "mode"); err != nil || f.Mode != "messenger" {
		t.Fatalf("mode %+v (%v), want messenger outside the agent's hours", f, err)
	}
	at := next("online", "hours", time.Until(opening)+5*time.Second)
	if d := at.Sub(opening); d < 0 || d > time.Second {
		t.Errorf("online %s after the opening, want within 1 s", d)
	}
	f, err := visitor.nextOf(ctx, "mode")
	if err != nil || f.Mode != "live" {
		t.Fatalf("mode %+v (%v), want live at the opening", f, err)
	}
	if d := time.Since(opening); d > 1500*time.Millisecond {
		t.Errorf("the widget turned live %s after the opening", d)
	}

	// The agent closes the inbox: offline after the grace (3 s), and the
	// widget turns to messenger mode.
	_ = agentWS.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	_ = agentWS.Close()
	closed := time.Now()
	f, err = visitor.nextOf(ctx, "mode")
	if err != nil || f.Mode != "messenger" {
		t.Fatalf("mode %+v (%v), want messenger once the agent's inbox is gone", f, err)
	}
	if d := time.Since(closed); d < 3*time.Second || d > 6*time.Second {
		t.Errorf("messenger mode %s after the inbox closed, want after the 3 s grace (+ one sweep)", d)
	}
	srv.stop(t)
	if errs := errorLogLines(srv.stderr.String()); len(errs) > 0 {
		t.Errorf("the gateway logged errors:\n%s", strings.Join(errs, "\n"))
	}
}
