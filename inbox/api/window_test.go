package api_test

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/inbox/api"
	"github.com/switchboard-chat/switchboard/inbox/inboxtest"
	"github.com/switchboard-chat/switchboard/inbox/realtime"
)

// The conversation window: the contact panel's read, the last-message
// preview and the visitor number on conversations, and presence that
// follows the agent websockets and sign-outs.

func TestWindowContactPanel(t *testing.T) {
	h := newHarness(t)
	ann := h.agentSession("Ann Agent", inbox.RoleAgent)
	bob := h.agentSession("Bob Agent", inbox.RoleAgent)
	line := h.seedLine("Shop")
	first := h.openIncoming(line.ID, "Alice", "hello")
	// The same contact writes again after the first conversation closed.
	h.do(http.MethodPost, "/api/v1/conversations/"+first.ID+"/close", nil, h.admin).want(http.StatusOK)
	var second api.ConversationView
	h.do(http.MethodPost, "/api/v1/conversations", map[string]any{
		"lineId": line.ID, "type": "incoming", "contactId": first.ContactID,
		"message": map[string]any{"text": "me again"},
	}, h.admin).want(http.StatusCreated).decode(&second)
	h.do(http.MethodPost, "/api/v1/conversations/"+second.Conversation.ID+"/assign", map[string]string{"agentId": ann.agent.ID}, h.admin).want(http.StatusOK)

	var p api.ContactPanel
	h.get("/api/v1/conversations/"+second.Conversation.ID+"/contact", h.admin, &p)
	if p.Contact == nil || p.Contact.ID != first.ContactID || p.Contact.Name != "Alice" {
		t.Fatalf("panel contact: %+v", p.Contact)
	}
	if p.Conversations.Total != 2 || len(p.Conversations.Items) != 2 || p.Conversations.Items[0].ID != second.Conversation.ID {
		t.Fatalf("admin sees the contact's two conversations, newest first: %+v", p.Conversations)
	}
	if p.Conversations.Limit != api.DefaultPanelConversations {
		t.Errorf("default limit %d, want %d", p.Conversations.Limit, api.DefaultPanelConversations)
	}
	h.get("/api/v1/conversations/"+second.Conversation.ID+"/contact?limit=1&offset=1", h.admin, &p)
	if p.Conversations.Total != 2 || len(p.Conversations.Items) != 1 || p.Conversations.Items[0].ID != first.ID {
		t.Fatalf("second page: %+v", p.Conversations)
	}
	// Ann sees only what is hers: the closed first conversation is not.
	h.get("/api/v1/conversations/"+second.Conversation.ID+"/contact", ann, &p)
	if p.Contact.ID != first.ContactID || p.Conversations.Total != 1 || p.Conversations.Items[0].ID != second.Conversation.ID {
		t.Fatalf("agent's panel: %+v", p)
	}

	path := "/api/v1/conversations/" + second.Conversation.ID + "/contact"
	before := h.snap()
	refusals := []struct {
		name       string
		method     string
		path       string
		s          *session
		opts       []reqOpt
		status     int
		code, fld  string
		checkField bool
	}{
		{name: "anonymous", method: http.MethodGet, path: path, status: http.StatusUnauthorized, code: "unauthorized"},
		{name: "another agent's conversation", method: http.MethodGet, path: path, s: bob, status: http.StatusForbidden, code: "forbidden"},
		{name: "unknown conversation", method: http.MethodGet, path: "/api/v1/conversations/" + missingID + "/contact", s: h.admin, status: http.StatusNotFound, code: "not_found"},
		{name: "bad limit", method: http.MethodGet, path: path + "?limit=many", s: h.admin, status: http.StatusBadRequest, code: "invalid", fld: "limit"},
		{name: "negative offset", method: http.MethodGet, path: path + "?offset=-1", s: h.admin, status: http.StatusBadRequest, code: "invalid", fld: "offset"},
		{name: "unknown parameter", method: http.MethodGet, path: path + "?contact=x", s: h.admin, status: http.StatusBadRequest, code: "invalid", fld: "contact"},
		{name: "write without CSRF", method: http.MethodPost, path: path, s: h.admin, opts: []reqOpt{noCSRF}, status: http.StatusForbidden, code: "csrf"},
		{name: "write with CSRF: no such endpoint", method: http.MethodPost, path: path, s: h.admin, status: http.StatusNotFound, code: "not_found"},
	}
	for _, r := range refusals {
		t.Run(r.name, func(t *testing.T) {
			resp := h.do(r.method, r.path, nil, r.s, r.opts...)
			resp.t = t
			resp.wantError(r.status, r.code, r.fld)
		})
	}
	h.unchanged(before, "refused contact panel reads")
}

func TestWindowLastMessagePreview(t *testing.T) {
	h := newHarness(t)
	line := h.seedLine("Shop")
	conv := h.openIncoming(line.ID, "Alice", "  hello\n\tthere  ")
	if conv.LastMessage == nil || conv.LastMessage.Text != "hello there" || conv.LastMessage.AuthorKind != inbox.AuthorContact {
		t.Fatalf("preview of the first message: %+v", conv.LastMessage)
	}
	long := strings.Repeat("ä", inbox.PreviewChars+50)
	h.do(http.MethodPost, "/api/v1/conversations/"+conv.ID+"/messages", map[string]any{"text": long}, h.admin).want(http.StatusCreated)
	h.do(http.MethodPost, "/api/v1/conversations/"+conv.ID+"/messages", map[string]any{"text": "secret note", "comment": true}, h.admin).want(http.StatusCreated)
	var v api.ConversationView
	h.get("/api/v1/conversations/"+conv.ID, h.admin, &v)
	p := v.Conversation.LastMessage
	if p == nil || p.AuthorKind != inbox.AuthorAgent || len([]rune(p.Text)) != inbox.PreviewChars || !strings.HasSuffix(p.Text, "…") {
		t.Fatalf("preview after a long reply and a comment: %+v", p)
	}
}

// presenceHarness serves the API with its websocket on a real listener,
// with the presence grace period given.
type presenceHarness struct {
	*wsHarness
	api *api.API
}

func newPresenceHarness(t *testing.T, grace time.Duration) *presenceHarness {
	t.Helper()
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	store := engine.Store(t)
	clock := inboxtest.NewClock(t0)
	hub := realtime.NewHub()
	svc := inbox.NewService(store, inbox.Options{PasswordCost: 4, Clock: clock.Now, Logger: log, Events: hub})
	app := fiber.New(fiber.Config{Immutable: true, BodyLimit: bodyLimit, DisableStartupMessage: true, ErrorHandler: api.ErrorHandler(log)})
	a := api.New(svc, api.Config{LoginMaxFailures: maxFailures, LoginWindow: time.Minute, PresenceGrace: grace}, log)
	a.MountWS(app, hub, wsMaxFrame)
	a.Mount(app)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Listener(ln) }()
	addr := ln.Addr().String()
	h := &harness{t: t, app: app, svc: svc, store: store, clock: clock}
	h.client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		},
	}}
	t.Cleanup(func() {
		h.client.CloseIdleConnections()
		_ = app.ShutdownWithTimeout(5 * time.Second)
		if err := <-done; err != nil {
			t.Logf("server: %v", err)
		}
	})
	h.seedAgent("Admin", adminEmail, adminPassword, inbox.RoleAdmin)
	h.admin = h.login(adminEmail, adminPassword)
	return &presenceHarness{wsHarness: &wsHarness{harness: h, hub: hub, addr: addr}, api: a}
}

func (p *presenceHarness) setPresence(s *session, want inbox.Presence) {
	p.t.Helper()
	p.do(http.MethodPatch, "/api/v1/me", map[string]any{"presence": want}, s).want(http.StatusOK)
}

func (p *presenceHarness) presenceOf(id string) inbox.Presence {
	p.t.Helper()
	ag, err := p.svc.Agent(context.Background(), id)
	if err != nil {
		p.t.Fatal(err)
	}
	return ag.Presence
}

// ended waits until the server closed the client's connection.
func (c *wsClient) ended(d time.Duration) {
	c.t.Helper()
	timeout := time.After(d)
	for {
		select {
		case _, more := <-c.frames:
			if !more {
				return
			}
		case <-timeout:
			c.t.Fatalf("%s: the connection is still open after %v", c.name, d)
		}
	}
}

func TestWindowLogoutSetsOfflineUnlessAnotherSessionIsConnected(t *testing.T) {
	p := newPresenceHarness(t, time.Minute)
	ann := p.agentSession("Ann Agent", inbox.RoleAgent)
	email := ann.agent.Email
	annPhone := p.login(email, password) // a second session, with no websocket
	p.setPresence(ann, inbox.PresenceOnline)
	ws := p.connect("ann's inbox", ann)

	// Signing out the session without a websocket: the other one is connected.
	p.do(http.MethodPost, "/api/v1/auth/logout", nil, annPhone).want(http.StatusNoContent)
	if got := p.presenceOf(ann.agent.ID); got != inbox.PresenceOnline {
		t.Fatalf("after signing out another session: %s, want online", got)
	}
	// Signing out the connected session: offline, and its websocket ends.
	p.do(http.MethodPost, "/api/v1/auth/logout", nil, ann).want(http.StatusNoContent)
	if got := p.presenceOf(ann.agent.ID); got != inbox.PresenceOffline {
		t.Fatalf("after signing out the last connected session: %s, want offline", got)
	}
	ws.ended(5 * time.Second)

	// No websocket at all: signing out sets offline.
	again := p.login(email, password)
	p.setPresence(again, inbox.PresenceInvisible)
	p.do(http.MethodPost, "/api/v1/auth/logout", nil, again).want(http.StatusNoContent)
	if got := p.presenceOf(ann.agent.ID); got != inbox.PresenceOffline {
		t.Fatalf("invisible agent signed out with no websocket: %s, want offline", got)
	}
}

func TestWindowPresenceGraceWithoutWebsocket(t *testing.T) {
	const grace = time.Minute
	p := newPresenceHarness(t, grace)
	ctx := context.Background()
	ann := p.agentSession("Ann Agent", inbox.RoleAgent)
	bob := p.agentSession("Bob Agent", inbox.RoleAgent)
	p.setPresence(ann, inbox.PresenceOnline)
	p.setPresence(bob, inbox.PresenceOnline)
	// This test is about the websocket's grace; inactivity has its own.
	for _, s := range []*session{ann, bob} {
		p.do(http.MethodPatch, "/api/v1/me", map[string]any{"awayAfterMinutes": inbox.AwayNever}, s).want(http.StatusOK)
	}
	p.connect("bob's inbox", bob)
	annWS := p.connect("ann's inbox", ann)

	// Connected, with inactivity switched off: online however long.
	p.clock.Advance(time.Hour)
	if err := p.api.SweepPresence(ctx); err != nil {
		t.Fatal(err)
	}
	if p.presenceOf(ann.agent.ID) != inbox.PresenceOnline || p.presenceOf(bob.agent.ID) != inbox.PresenceOnline {
		t.Fatal("connected agents went offline")
	}

	// Ann's last websocket ends: once the server has seen it go, the
	// grace period passes and she is offline. (Within the grace she stays
	// online: checked below for an agent who never connected.)
	_ = annWS.conn.Close()
	deadline := time.Now().Add(5 * time.Second)
	for p.presenceOf(ann.agent.ID) == inbox.PresenceOnline {
		if time.Now().After(deadline) {
			t.Fatal("ann is still online long after her websocket ended")
		}
		time.Sleep(20 * time.Millisecond)
		p.clock.Advance(grace + time.Second)
		if err := p.api.SweepPresence(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if p.presenceOf(bob.agent.ID) != inbox.PresenceOnline {
		t.Fatal("bob, still connected, went offline")
	}

	// Online through the API with no websocket ever: offline after the grace too.
	p.setPresence(ann, inbox.PresenceOnline)
	if err := p.api.SweepPresence(ctx); err != nil {
		t.Fatal(err)
	}
	p.clock.Advance(grace - time.Second)
	if err := p.api.SweepPresence(ctx); err != nil {
		t.Fatal(err)
	}
	if p.presenceOf(ann.agent.ID) != inbox.PresenceOnline {
		t.Fatal("offline before the grace period passed")
	}
	p.clock.Advance(2 * time.Second)
	if err := p.api.SweepPresence(ctx); err != nil {
		t.Fatal(err)
	}
	if got := p.presenceOf(ann.agent.ID); got != inbox.PresenceOffline {
		t.Fatalf("online with no websocket past the grace: %s, want offline", got)
	}
}

// An online agent whose inbox is open but unused goes offline after their
// period of inactivity (15 minutes by default), with the reason in the
// event; an "active" frame restarts the period; "never" keeps them online.
func TestWindowInactivitySetsOffline(t *testing.T) {
	p := newPresenceHarness(t, time.Minute)
	ctx := context.Background()
	ann := p.agentSession("Ann Agent", inbox.RoleAgent)
	p.setPresence(ann, inbox.PresenceOnline)
	ws := p.connect("ann's inbox", ann)
	sweep := func(advance time.Duration) {
		t.Helper()
		p.clock.Advance(advance)
		if err := p.api.SweepPresence(ctx); err != nil {
			t.Fatal(err)
		}
	}
	sweep(0)
	sweep(14 * time.Minute)
	// Frames are handled in order: the error for the unknown one says the
	// active one was handled (and drew no error).
	ws.send(map[string]any{"type": "active"})
	ws.send(map[string]any{"type": "bogus"})
	if f := ws.wait(5*time.Second, func(f frame) bool { return f.Type == "error" }); f.Error.Field != "type" {
		t.Fatalf("after the active frame: %v", f)
	}
	ws.never("a second error", func(f frame) bool { return f.Type == "error" && f.Error.Field != "type" })
	sweep(14 * time.Minute) // 14 minutes since the activity
	if got := p.presenceOf(ann.agent.ID); got != inbox.PresenceOnline {
		t.Fatalf("14 minutes after activity: %s, want online", got)
	}
	sweep(time.Minute)
	if got := p.presenceOf(ann.agent.ID); got != inbox.PresenceOffline {
		t.Fatalf("15 minutes without activity: %s, want offline", got)
	}
	ws.wait(5*time.Second, func(f frame) bool {
		return f.Type == "event" && f.Event != nil && f.Event.Type == inbox.EventPresenceChanged &&
			f.Event.Presence == inbox.PresenceOffline && f.Event.Reason == inbox.ReasonInactivity
	})

	// Back online by hand: a new period starts, not an instant offline.
	p.setPresence(ann, inbox.PresenceOnline)
	sweep(time.Minute)
	if got := p.presenceOf(ann.agent.ID); got != inbox.PresenceOnline {
		t.Fatalf("a minute after going online again: %s, want online", got)
	}
	// Never: online however long.
	p.do(http.MethodPatch, "/api/v1/me", map[string]any{"awayAfterMinutes": inbox.AwayNever}, ann).want(http.StatusOK)
	sweep(5 * time.Hour)
	if got := p.presenceOf(ann.agent.ID); got != inbox.PresenceOnline {
		t.Fatalf("inactivity switched off: %s, want online", got)
	}
	p.do(http.MethodPatch, "/api/v1/me", map[string]any{"awayAfterMinutes": 5000}, ann).wantError(http.StatusBadRequest, "invalid", "awayAfterMinutes")
}
