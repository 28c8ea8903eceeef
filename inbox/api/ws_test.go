package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/inbox/api"
	"github.com/switchboard-chat/switchboard/inbox/inboxtest"
	"github.com/switchboard-chat/switchboard/inbox/realtime"
)

// The agent websocket is tested over a real TCP listener with a real
// websocket client; the REST calls that cause the events go through the
// same server.

// wsMaxFrame is MountWS's frame limit in these tests.
const wsMaxFrame = 4 << 10

// wsHarness is a harness whose service publishes to a hub that feeds
// /api/v1/ws, served on a real listener.
type wsHarness struct {
	*harness
	hub  *realtime.Hub
	addr string
}

func newWSHarness(t *testing.T) *wsHarness {
	t.Helper()
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	store := engine.Store(t)
	clock := inboxtest.NewClock(t0)
	hub := realtime.NewHub()
	svc := inbox.NewService(store, inbox.Options{PasswordCost: 4, Clock: clock.Now, Logger: log, Events: hub})
	app := fiber.New(fiber.Config{Immutable: true, BodyLimit: bodyLimit, DisableStartupMessage: true, ErrorHandler: api.ErrorHandler(log)})
	a := api.New(svc, api.Config{LoginMaxFailures: maxFailures, LoginWindow: time.Minute}, log)
	a.MountWS(app, hub, wsMaxFrame) // before Mount: Mount ends /api/v1 with a 404
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
	return &wsHarness{harness: h, hub: hub, addr: addr}
}

func (w *wsHarness) origin() string { return "http://" + w.addr }

// dial opens the websocket as s (nil: no cookie) with the Origin header
// origin ("" sends none).
func (w *wsHarness) dial(s *session, origin string) (*websocket.Conn, *http.Response, error) {
	hdr := http.Header{}
	if origin != "" {
		hdr.Set("Origin", origin)
	}
	if s != nil {
		hdr.Set("Cookie", api.SessionCookie+"="+s.cookie)
	}
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	return d.Dial("ws://"+w.addr+"/api/v1/ws", hdr)
}

// frame is one server frame.
type frame struct {
	Type           string           `json:"type"`
	Event          *inbox.Event     `json:"event"`
	ConversationID string           `json:"conversationId"`
	Error          *api.ErrorDetail `json:"error"`
	raw            string
}

func (f frame) String() string { return f.raw }

// wsClient reads a connection's frames in the background.
type wsClient struct {
	t      *testing.T
	name   string
	conn   *websocket.Conn
	frames chan frame
	mu     sync.Mutex
	seen   []frame
	err    error
}

// connect dials as s and waits for the "ready" frame.
func (w *wsHarness) connect(name string, s *session) *wsClient {
	w.t.Helper()
	conn, resp, err := w.dial(s, w.origin())
	if err != nil {
		w.t.Fatalf("%s: dial: %v (%v)", name, err, resp)
	}
	c := w.client(name, conn)
	c.wait(time.Second, func(f frame) bool { return f.Type == "ready" })
	return c
}

func (w *wsHarness) client(name string, conn *websocket.Conn) *wsClient {
	c := &wsClient{t: w.t, name: name, conn: conn, frames: make(chan frame, 1<<16)}
	go func() {
		defer close(c.frames)
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				c.mu.Lock()
				c.err = err
				c.mu.Unlock()
				return
			}
			f := frame{raw: string(data)}
			if err := json.Unmarshal(data, &f); err != nil {
				c.t.Errorf("%s: frame is not JSON: %s", name, data)
			}
			c.frames <- f
		}
	}()
	w.t.Cleanup(func() { _ = conn.Close() })
	return c
}

// wait returns the first frame matching ok within d; it fails the test
// otherwise. Every frame read is kept in seen.
func (c *wsClient) wait(d time.Duration, ok func(frame) bool) frame {
	c.t.Helper()
	timeout := time.After(d)
	for {
		select {
		case f, more := <-c.frames:
			if !more {
				c.t.Fatalf("%s: connection ended while waiting: %v; seen %v", c.name, c.readErr(), tail(c.seen))
			}
			c.seen = append(c.seen, f)
			if ok(f) {
				return f
			}
		case <-timeout:
			c.t.Fatalf("%s: nothing matching within %v; seen %v", c.name, d, tail(c.seen))
		}
	}
}

// tail is the last few frames, for messages.
func tail(fs []frame) []frame { return fs[max(len(fs)-10, 0):] }

func (c *wsClient) readErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// never fails the test if a frame seen so far matches bad.
func (c *wsClient) never(what string, bad func(frame) bool) {
	c.t.Helper()
	for _, f := range c.seen {
		if bad(f) {
			c.t.Errorf("%s got %s: %v", c.name, what, f)
		}
	}
}

func (c *wsClient) send(v any) {
	c.t.Helper()
	if err := c.conn.WriteJSON(v); err != nil {
		c.t.Fatalf("%s: send: %v", c.name, err)
	}
}

func isEvent(typ inbox.EventType, convID string) func(frame) bool {
	return func(f frame) bool {
		return f.Type == "event" && f.Event != nil && f.Event.Type == typ && f.Event.ConversationID == convID
	}
}

func about(convID string) func(frame) bool {
	return func(f frame) bool {
		return f.ConversationID == convID || (f.Event != nil && f.Event.ConversationID == convID)
	}
}

// assign gives the conversation to the agent, as the admin.
func (w *wsHarness) assign(convID, agentID string) {
	w.t.Helper()
	w.do(http.MethodPost, "/api/v1/conversations/"+convID+"/assign", map[string]string{"agentId": agentID}, w.admin).want(http.StatusOK)
}

// clientWrites posts a message as the conversation's client.
func (w *wsHarness) clientWrites(convID, text string) {
	w.t.Helper()
	w.do(http.MethodPost, "/api/v1/conversations/"+convID+"/messages", map[string]any{"text": text, "as": "contact"}, w.admin).want(http.StatusCreated)
}

func TestWSDeliversOnlyWhatTheAgentMaySee(t *testing.T) {
	w := newWSHarness(t)
	ann := w.agentSession("Ann Agent", inbox.RoleAgent)
	bob := w.agentSession("Bob Agent", inbox.RoleAgent)
	sue := w.agentSession("Sue Supervisor", inbox.RoleSupervisor)
	line := w.seedLine("Shop")
	convA := w.openIncoming(line.ID, "Alice", "hello")
	convB := w.openIncoming(line.ID, "Boris", "hi")
	w.assign(convA.ID, ann.agent.ID)
	w.assign(convB.ID, bob.agent.ID)

	wa, wb, ws := w.connect("ann", ann), w.connect("bob", bob), w.connect("sue", sue)
	w.clientWrites(convB.ID, "for Bob")
	w.clientWrites(convA.ID, "for Ann")

	// Events arrive in order: once Ann has her message, Bob's (published
	// first) would have arrived before it if she were sent it.
	got := wa.wait(time.Second, isEvent(inbox.EventMessageCreated, convA.ID))
	if m := got.Event.Message; m == nil || m.Text != "for Ann" {
		t.Errorf("ann: message.created carries %+v, want the text \"for Ann\"", m)
	}
	wa.never("an event of Bob's conversation", about(convB.ID))
	wb.wait(time.Second, isEvent(inbox.EventMessageCreated, convB.ID))
	// Ann's message came second: wait for an event after it for Bob.
	w.clientWrites(convB.ID, "again for Bob")
	wb.wait(time.Second, func(f frame) bool {
		return isEvent(inbox.EventMessageCreated, convB.ID)(f) && f.Event.Message.Text == "again for Bob"
	})
	wb.never("an event of Ann's conversation", about(convA.ID))

	ws.wait(time.Second, isEvent(inbox.EventMessageCreated, convB.ID))
	ws.wait(time.Second, isEvent(inbox.EventMessageCreated, convA.ID))
}

func TestWSOfferedThroughTheLineQueueAndHiddenWhenForwarded(t *testing.T) {
	w := newWSHarness(t)
	ann := w.agentSession("Ann Agent", inbox.RoleAgent)
	bob := w.agentSession("Bob Agent", inbox.RoleAgent)
	annsLine := w.seedLine("Ann's line", ann.agent.ID)
	wa, wb := w.connect("ann", ann), w.connect("bob", bob)

	conv := w.openIncoming(annsLine.ID, "Carla", "anyone there?")
	wa.wait(time.Second, isEvent(inbox.EventConversationOpened, conv.ID))
	wa.wait(time.Second, isEvent(inbox.EventMessageCreated, conv.ID))

	// Forwarded to Bob: Ann is told to drop it, Bob gets it.
	w.do(http.MethodPost, "/api/v1/conversations/"+conv.ID+"/forward", map[string]string{"agentId": bob.agent.ID}, w.admin).want(http.StatusOK)
	wa.wait(time.Second, func(f frame) bool { return f.Type == "hidden" && f.ConversationID == conv.ID })
	wb.wait(time.Second, isEvent(inbox.EventConversationUpdated, conv.ID))
	w.clientWrites(conv.ID, "hello Bob")
	wb.wait(time.Second, isEvent(inbox.EventMessageCreated, conv.ID))
	w.clientWrites(conv.ID, "hello again")
	wb.wait(time.Second, isEvent(inbox.EventMessageCreated, conv.ID))
	// Something Ann may see, to know she got everything published before.
	w.do(http.MethodPatch, "/api/v1/me", map[string]string{"presence": "online"}, bob).want(http.StatusOK)
	wa.wait(time.Second, func(f frame) bool { return f.Event != nil && f.Event.Type == inbox.EventPresenceChanged })
	wa.never("a message after the conversation left her", func(f frame) bool {
		return isEvent(inbox.EventMessageCreated, conv.ID)(f) && f.Event.Message.Text != "anyone there?"
	})
	for _, f := range wb.seen {
		if about(conv.ID)(f) && f.Type == "event" && f.Event.Type == inbox.EventConversationOpened {
			t.Errorf("bob got the opening of a conversation that was Ann's then: %v", f)
		}
	}

	// Bob joins Ann's line: his view changes, so he is told to refetch.
	w.do(http.MethodPatch, "/api/v1/lines/"+annsLine.ID, map[string]any{"agentIds": []string{ann.agent.ID, bob.agent.ID}}, w.admin).want(http.StatusOK)
	wb.wait(time.Second, func(f frame) bool { return f.Type == "resync" })
}

func TestWSTypingAndReadAreRelayedToThoseWhoSee(t *testing.T) {
	w := newWSHarness(t)
	ann := w.agentSession("Ann Agent", inbox.RoleAgent)
	bob := w.agentSession("Bob Agent", inbox.RoleAgent)
	sue := w.agentSession("Sue Supervisor", inbox.RoleSupervisor)
	line := w.seedLine("Shop")
	conv := w.openIncoming(line.ID, "Alice", "hello")
	w.assign(conv.ID, ann.agent.ID)
	wa, wb, ws := w.connect("ann", ann), w.connect("bob", bob), w.connect("sue", sue)

	wb.send(map[string]any{"type": "typing", "conversationId": conv.ID, "typing": true})
	f := wb.wait(time.Second, func(f frame) bool { return f.Type == "error" })
	if f.Error == nil || f.Error.Code != "forbidden" {
		t.Errorf("bob typing in Ann's conversation: %v, want a forbidden error", f)
	}
	wa.send(map[string]any{"type": "typing", "conversationId": conv.ID, "typing": true})
	wa.send(map[string]any{"type": "read", "conversationId": conv.ID, "seq": 1})
	got := ws.wait(time.Second, isEvent(inbox.EventTyping, conv.ID))
	if got.Event.AgentID != ann.agent.ID || !got.Event.Typing || got.Event.SubjectID != "true" {
		t.Errorf("sue: typing event %v, want Ann's with typing true (subjectId \"true\")", got)
	}
	got = ws.wait(time.Second, isEvent(inbox.EventRead, conv.ID))
	if got.Event.Seq != 1 || got.Event.SubjectID != "1" {
		t.Errorf("sue: read event %v, want seq 1 (subjectId \"1\")", got)
	}
	ws.never("Bob's refused typing", func(f frame) bool { return f.Event != nil && f.Event.AgentID == bob.agent.ID })
	// Ann's other tabs learn what she read, but not that she types.
	wa.wait(time.Second, isEvent(inbox.EventRead, conv.ID))
	wa.never("her own typing", isEvent(inbox.EventTyping, conv.ID))

	wa.send(map[string]any{"type": "shout", "conversationId": conv.ID})
	if f := wa.wait(time.Second, func(f frame) bool { return f.Type == "error" }); f.Error.Code != "invalid" {
		t.Errorf("unknown frame type: %v, want an invalid error", f)
	}
}

func TestWSRefusesBeforeTheUpgrade(t *testing.T) {
	w := newWSHarness(t)
	ann := w.agentSession("Ann Agent", inbox.RoleAgent)
	cases := []struct {
		name   string
		s      *session
		origin string
		status int
	}{
		{"no cookie", nil, w.origin(), http.StatusUnauthorized},
		{"unknown session", &session{cookie: "forged"}, w.origin(), http.StatusUnauthorized},
		{"foreign origin", ann, "https://evil.example", http.StatusForbidden},
		{"same host, other port", ann, "http://127.0.0.1:1", http.StatusForbidden},
		{"other scheme", ann, "https://" + w.addr, http.StatusForbidden},
		{"no origin", ann, "", http.StatusForbidden},
	}
	for _, tc := range cases {
		conn, resp, err := w.dial(tc.s, tc.origin)
		if err == nil {
			conn.Close()
			t.Errorf("%s: upgraded, want %d", tc.name, tc.status)
			continue
		}
		if !errors.Is(err, websocket.ErrBadHandshake) || resp == nil || resp.StatusCode != tc.status {
			t.Errorf("%s: %v (%v), want status %d", tc.name, err, resp, tc.status)
		}
	}
	// A plain GET (no upgrade) with a good session and origin is told to upgrade.
	w.do(http.MethodGet, "/api/v1/ws", nil, ann, func(r *http.Request) { r.Header.Set("Origin", "http://"+r.Host) }).
		wantError(http.StatusUpgradeRequired, "upgrade_required", "")
}

func TestWSResyncWhenTheClientLags(t *testing.T) {
	w := newWSHarness(t)
	ann := w.agentSession("Ann Agent", inbox.RoleAgent)
	conn, _, err := w.dial(ann, w.origin())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	presence := func(id string) inbox.Event {
		return inbox.Event{Type: inbox.EventPresenceChanged, AgentID: id, Presence: inbox.PresenceOnline}
	}
	// Nobody reads yet: the socket buffers fill, then the hub's queue
	// overflows and the hub cuts the subscriber off.
	for i := 0; w.hub.Subscribers() == 0; i++ {
		if i > 1000 {
			t.Fatal("the connection never subscribed")
		}
		time.Sleep(time.Millisecond)
	}
	for i := 0; w.hub.Subscribers() > 0; i++ {
		if i > 5_000_000 {
			t.Fatal("the hub never cut the lagging subscriber off")
		}
		_ = w.hub.Publish(ctx, presence("flood"))
	}
	c := w.client("ann", conn)
	c.wait(10*time.Second, func(f frame) bool { return f.Type == "resync" })
	// The connection lives on with a fresh subscription. (Should it have
	// lagged again meanwhile, another resync comes first.)
	for i := 0; ; i++ {
		_ = w.hub.Publish(ctx, presence("last"))
		f := c.wait(5*time.Second, func(f frame) bool {
			return f.Type == "resync" || (f.Event != nil && f.Event.AgentID == "last")
		})
		if f.Type != "resync" {
			break
		}
		if i == 3 {
			t.Fatal("resync after resync")
		}
	}
}

func TestWSClosesOnOversizedFrames(t *testing.T) {
	w := newWSHarness(t)
	ann := w.agentSession("Ann Agent", inbox.RoleAgent)
	c := w.connect("ann", ann)
	c.send(map[string]string{"type": "typing", "conversationId": strings.Repeat("x", wsMaxFrame)})
	for range c.frames {
	}
	var ce *websocket.CloseError
	if err := c.readErr(); !errors.As(err, &ce) || ce.Code != websocket.CloseMessageTooBig {
		t.Errorf("oversized frame: connection ended with %v, want close code %d", err, websocket.CloseMessageTooBig)
	}
}

func TestWSClosedOnShutdown(t *testing.T) {
	w := newWSHarness(t)
	ann := w.agentSession("Ann Agent", inbox.RoleAgent)
	c := w.connect("ann", ann)
	if err := w.app.ShutdownWithTimeout(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	timeout := time.After(5 * time.Second)
	for more := true; more; {
		select {
		case _, more = <-c.frames:
		case <-timeout:
			t.Fatal("the connection outlived the server")
		}
	}
	var ce *websocket.CloseError
	if err := c.readErr(); !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
		t.Errorf("on shutdown: connection ended with %v, want close code %d", err, websocket.CloseGoingAway)
	}
}

func TestWSOfferedThroughAGroupAndResyncWhenGroupsChange(t *testing.T) {
	w := newWSHarness(t)
	ann := w.agentSession("Ann Agent", inbox.RoleAgent)
	bob := w.agentSession("Bob Agent", inbox.RoleAgent)
	team := w.seedGroup("Team")
	w.do(http.MethodPatch, "/api/v1/agents/"+ann.agent.ID, map[string]any{"groupIds": []string{team.ID}}, w.admin).want(http.StatusOK)
	line := w.seedLine("Shop")
	conv := w.openIncoming(line.ID, "Alice", "hello")
	w.do(http.MethodPost, "/api/v1/conversations/"+conv.ID+"/assign", map[string]string{"groupId": team.ID}, w.admin).want(http.StatusOK)
	wa, wb := w.connect("ann", ann), w.connect("bob", bob)

	w.clientWrites(conv.ID, "anyone in the team?")
	wa.wait(time.Second, isEvent(inbox.EventMessageCreated, conv.ID))
	w.do(http.MethodPatch, "/api/v1/me", map[string]string{"presence": "online"}, ann).want(http.StatusOK)
	wb.wait(time.Second, func(f frame) bool { return f.Event != nil && f.Event.Type == inbox.EventPresenceChanged })
	wb.never("the team's conversation", about(conv.ID))

	// Ann leaves the team: what she may see changed, so she refetches.
	w.do(http.MethodPatch, "/api/v1/agents/"+ann.agent.ID, map[string]any{"groupIds": []string{}}, w.admin).want(http.StatusOK)
	wa.wait(time.Second, func(f frame) bool { return f.Type == "resync" })
	w.clientWrites(conv.ID, "hello?")
	w.do(http.MethodPatch, "/api/v1/me", map[string]string{"presence": "online"}, bob).want(http.StatusOK)
	wa.wait(time.Second, func(f frame) bool {
		return f.Event != nil && f.Event.Type == inbox.EventPresenceChanged && f.Event.AgentID == bob.agent.ID
	})
	wa.never("a message of the team's conversation after leaving it", func(f frame) bool {
		return isEvent(inbox.EventMessageCreated, conv.ID)(f) && f.Event.Message.Text == "hello?"
	})
}

// TestWSRescuerGetsMissedConversations: an invisible agent who opted in to
// rescue gets a conversation of their line over the websocket once it is
// missed (though another agent has it), and not before.
func TestWSRescuerGetsMissedConversations(t *testing.T) {
	w := newWSHarness(t)
	ann := w.agentSession("Ann Agent", inbox.RoleAgent)
	bob := w.agentSession("Bob Agent", inbox.RoleAgent)
	line := w.seedLine("Shop", ann.agent.ID, bob.agent.ID)
	conv := w.openIncoming(line.ID, "Alice", "hello")
	w.assign(conv.ID, ann.agent.ID)
	yes, invisible := true, inbox.PresenceInvisible
	if _, err := w.svc.UpdateAgent(context.Background(), inbox.System, bob.agent.ID,
		inbox.AgentInput{Presence: &invisible, RescueWhileInvisible: &yes}); err != nil {
		t.Fatal(err)
	}
	wb := w.connect("bob", bob)
	w.clientWrites(conv.ID, "anyone?")
	time.Sleep(200 * time.Millisecond)
	wb.never("an event of Ann's conversation before it is missed", about(conv.ID))
	w.clock.Advance(31 * time.Second)
	if ok, err := w.svc.MarkMissed(context.Background(), conv.ID); err != nil || !ok {
		t.Fatalf("mark missed: %v %v", ok, err)
	}
	got := wb.wait(2*time.Second, isEvent(inbox.EventConversationUpdated, conv.ID))
	if got.Event.Conversation == nil || got.Event.Conversation.MissedAt == nil {
		t.Fatalf("the rescuer got %v, want the conversation marked missed", got)
	}
}
