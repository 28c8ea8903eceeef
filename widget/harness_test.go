package widget_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/inbox/files"
	"github.com/switchboard-chat/switchboard/inbox/httperr"
	"github.com/switchboard-chat/switchboard/inbox/inboxtest"
	"github.com/switchboard-chat/switchboard/inbox/realtime"
	"github.com/switchboard-chat/switchboard/widget"
)

// These tests run the widget in a Fiber app configured like the gateway's
// (httperr.Handler, a global X-Frame-Options: DENY) on a real listener,
// over the inbox service on a fresh database of the embedded engine, and
// talk to it as the browser would: HTTP and a real websocket client.

var engine *inboxtest.Engine

func TestMain(m *testing.M) { inboxtest.Main(m, &engine) }

const (
	gatewayOrigin = "http://gateway.test"
	shopOrigin    = "https://shop.example.com"
	evilOrigin    = "https://evil.example.net"
	wait          = 10 * time.Second
)

type harness struct {
	t     *testing.T
	ctx   context.Context
	svc   *inbox.Service
	hub   *realtime.Hub
	store *inbox.Store
	clock *inboxtest.Clock
	addr  string
	line  *inbox.Line
	agent inbox.Actor
	files *files.Store
	// stop ends the widget's Run: every websocket is closed with 1001.
	stop context.CancelFunc
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// newHarness starts the app: agent Alice (offline) in the queue of line
// "Website", whose widget allows shopOrigin.
func newHarness(t *testing.T, mods ...func(*widget.Config)) *harness {
	t.Helper()
	return newHarnessMode(t, true, mods...)
}

// newHarnessMode is newHarness with the server's KeepHijackedConns set
// as given: true as in the gateway (idle sockets go to the poller), false
// (every socket keeps its upgrade handler's goroutine, which reads it).
func newHarnessMode(t *testing.T, detached bool, mods ...func(*widget.Config)) *harness {
	t.Helper()
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	store := engine.Store(t)
	hub := realtime.NewHub()
	clock := inboxtest.NewClock(time.Now())
	svc := inbox.NewService(store, inbox.Options{Events: hub, Logger: log, PasswordCost: 4, Clock: clock.Now})
	h := &harness{t: t, ctx: context.Background(), svc: svc, hub: hub, store: store, clock: clock}
	name, email, pw := "Alice", "alice@example.com", "password-1"
	ag, err := svc.CreateAgent(h.ctx, inbox.System, inbox.AgentInput{Name: &name, Email: &email, Password: &pw})
	if err != nil {
		t.Fatal(err)
	}
	h.agent = inbox.ActorFor(ag)
	h.line = h.createLine("Website", shopOrigin)

	cfg := widget.Config{Secret: []byte("0123456789abcdef0123456789abcdef"), PublicURL: gatewayOrigin + "/"}
	for _, m := range mods {
		m(&cfg)
	}
	h.files = files.New(store.Database(), 4<<20)
	w := widget.New(svc, hub, h.files, cfg, log)
	// Configured like the gateway's: bodies stream, multipart is not parsed ahead.
	app := fiber.New(fiber.Config{Immutable: true, DisableStartupMessage: true, ErrorHandler: httperr.Handler(log), BodyLimit: 1 << 20,
		StreamRequestBody: true, DisablePreParseMultipartForm: true})
	// As the gateway's (detached): websockets outlive their handlers, so
	// idle ones go to the poller.
	app.Server().KeepHijackedConns = detached
	app.Use(func(c *fiber.Ctx) error {
		c.Set("X-Frame-Options", "DENY")
		return c.Next()
	})
	w.Mount(app)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.addr = ln.Addr().String()
	served := make(chan struct{})
	go func() { defer close(served); _ = app.Listener(ln) }()
	ctx, cancel := context.WithCancel(context.Background())
	h.stop = cancel
	ran := make(chan struct{})
	go func() { defer close(ran); _ = w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-ran
		_ = app.ShutdownWithTimeout(5 * time.Second)
		<-served
	})
	return h
}

func (h *harness) createLine(name string, origins ...string) *inbox.Line {
	h.t.Helper()
	ids := []string{h.agent.AgentID}
	l, err := h.svc.CreateLine(h.ctx, inbox.System, inbox.LineInput{Name: &name, AgentIDs: &ids,
		Channels: &inbox.LineChannels{Widget: inbox.WidgetChannel{Enabled: true, AllowedOrigins: origins}}})
	if err != nil {
		h.t.Fatal(err)
	}
	return l
}

// call sends an HTTP request; body is JSON unless it is an io.Reader.
// The answer's JSON is decoded into out when given.
func (h *harness) call(method, path string, hdr map[string]string, body, out any) *http.Response {
	h.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case io.Reader:
		r = b
	default:
		j, _ := json.Marshal(b)
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, "http://"+h.addr+path, r)
	if err != nil {
		h.t.Fatal(err)
	}
	if _, ok := body.(io.Reader); !ok && body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(raw))
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			h.t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, raw, err)
		}
	}
	return resp
}

// errorCode reads the {"error":{"code"}} of an answer.
func errorCode(resp *http.Response) string {
	var e httperr.Body
	_ = json.NewDecoder(resp.Body).Decode(&e)
	return e.Error.Code
}

type sessionAnswer struct {
	Token        string `json:"token"`
	VisitorID    string `json:"visitorId"`
	Mode         string `json:"mode"`
	Conversation *struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Seq    int64  `json:"seq"`
	} `json:"conversation"`
	Messages []inbox.Message `json:"messages"`
}

// session opens a visitor session through the iframe (the gateway's own
// origin, the shop as host page); fields add to or replace the body's.
func (h *harness) session(fields map[string]any) sessionAnswer {
	h.t.Helper()
	var out sessionAnswer
	resp := h.postSession(fields, &out)
	if resp.StatusCode != http.StatusOK || out.Token == "" {
		h.t.Fatalf("session: %d", resp.StatusCode)
	}
	return out
}

func (h *harness) postSession(fields map[string]any, out any) *http.Response {
	body := map[string]any{"lineId": h.line.ID, "origin": shopOrigin, "page": shopOrigin + "/pricing", "language": "de"}
	for k, v := range fields {
		body[k] = v
	}
	return h.call("POST", "/widget/v1/session", map[string]string{"Origin": gatewayOrigin}, body, out)
}

func bearer(tok string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + tok, "Origin": gatewayOrigin}
}

// frame is any server frame; Raw holds "message", an object in message
// frames and a string in error frames.
type frame struct {
	Type           string          `json:"type"`
	Code           string          `json:"code"`
	Raw            json.RawMessage `json:"message"`
	ClientID       string          `json:"clientId"`
	ID             string          `json:"id"`
	Seq            int64           `json:"seq"`
	ConversationID string          `json:"conversationId"`
	VisitorID      string          `json:"visitorId"`
	Mode           string          `json:"mode"`
	Status         string          `json:"status"`
	Typing         bool            `json:"typing"`
	Name           string          `json:"name"`
}

func (f frame) msg() *inbox.Message {
	var m inbox.Message
	if f.Type != "message" || json.Unmarshal(f.Raw, &m) != nil {
		return nil
	}
	return &m
}

type client struct {
	t  *testing.T
	ws *websocket.Conn
}

// dial opens the visitor websocket with the given Origin header.
func (h *harness) dial(token, origin string) (*websocket.Conn, *http.Response, error) {
	hdr := http.Header{}
	if origin != "" {
		hdr.Set("Origin", origin)
	}
	return websocket.DefaultDialer.Dial("ws://"+h.addr+"/widget/v1/ws?token="+url.QueryEscape(token), hdr)
}

// connect dials from the iframe and says hello; it returns the welcome.
func (h *harness) connect(token string, hello map[string]any) (*client, frame) {
	h.t.Helper()
	ws, resp, err := h.dial(token, gatewayOrigin)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		h.t.Fatalf("dial: %v (%d)", err, status)
	}
	c := &client{t: h.t, ws: ws}
	h.t.Cleanup(func() { _ = ws.Close() })
	if hello == nil {
		hello = map[string]any{"lastSeq": 0}
	}
	hello["type"] = "hello"
	c.write(hello)
	return c, c.waitFor("welcome")
}

func (c *client) write(v any) {
	c.t.Helper()
	if err := c.ws.WriteJSON(v); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// next reads one frame; ok is false when nothing came within d.
func (c *client) next(d time.Duration) (frame, bool) {
	c.t.Helper()
	_ = c.ws.SetReadDeadline(time.Now().Add(d))
	_, b, err := c.ws.ReadMessage()
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return frame{}, false
	}
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	var f frame
	if err := json.Unmarshal(b, &f); err != nil {
		c.t.Fatalf("frame %s: %v", b, err)
	}
	return f, true
}

// waitFor skips frames until one of the type (and, given, status) comes.
func (c *client) waitFor(typ string, status ...string) frame {
	c.t.Helper()
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		f, ok := c.next(time.Until(deadline))
		if ok && f.Type == typ && (len(status) == 0 || f.Status == status[0] || f.Mode == status[0]) {
			return f
		}
	}
	c.t.Fatalf("no %s %v frame within %s", typ, status, wait)
	return frame{}
}

// sendMessage sends a message and returns its ack.
func (c *client) sendMessage(clientID, text string) frame {
	c.t.Helper()
	c.write(map[string]any{"type": "send", "clientId": clientID, "text": text, "page": shopOrigin + "/pricing"})
	for {
		f := c.waitFor2("ack", "error")
		if f.ClientID != clientID {
			continue
		}
		if f.Type == "error" {
			c.t.Fatalf("send %s: error %s %s", clientID, f.Code, f.Raw)
		}
		return f
	}
}

// waitFor2 waits for a frame of either type.
func (c *client) waitFor2(a, b string) frame {
	c.t.Helper()
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		if f, ok := c.next(time.Until(deadline)); ok && (f.Type == a || f.Type == b) {
			return f
		}
	}
	c.t.Fatalf("no %s or %s frame within %s", a, b, wait)
	return frame{}
}
