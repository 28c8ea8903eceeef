package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/inbox/api"
	"github.com/switchboard-chat/switchboard/inbox/httperr"
	"github.com/switchboard-chat/switchboard/inbox/inboxtest"
	"github.com/valyala/fasthttp/fasthttputil"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// These tests drive the REST API end to end: a Fiber app configured like the
// gateway's (body limit, api.ErrorHandler), the inbox service over a fresh
// database of the embedded engine per test, and requests run in memory with
// app.Test. Every refused request is checked three ways: the status code,
// the JSON error shape {"error":{"code","message","field"}}, and a snapshot
// of every collection taken before and compared after, so a refusal that
// still wrote something fails.

var engine *inboxtest.Engine

func TestMain(m *testing.M) { inboxtest.Main(m, &engine) }

// bodyLimit is the app's BodyLimit in these tests.
const bodyLimit = 64 << 10

// maxFailures is the API's LoginMaxFailures in these tests.
const maxFailures = 3

// t0 is the injected clock's start.
var t0 = time.Date(2025, time.May, 5, 9, 0, 0, 0, time.UTC)

const (
	adminEmail    = "admin@example.com"
	adminPassword = "admin-password-1"
	password      = "agent-password-1"
)

// harness is one test's app, service and store.
type harness struct {
	t     *testing.T
	app   *fiber.App
	svc   *inbox.Service
	store *inbox.Store
	clock *inboxtest.Clock
	admin *session
	// client, when set, sends requests through a real server on an
	// in-memory listener instead of app.Test.
	client *http.Client
}

// session is a signed-in agent: the sb_session cookie and the CSRF token.
type session struct {
	agent  inbox.Agent
	cookie string
	csrf   string
}

// testWriter sends log lines to the test's log, so a 500 shows its cause.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// newHarness builds the app; cfgs adjust the Fiber config first.
func newHarness(t *testing.T, cfgs ...func(*fiber.Config)) *harness {
	t.Helper()
	return newHarnessAPI(t, nil, cfgs...)
}

// newHarnessAPI is newHarness with the API's config adjusted by apiCfg.
func newHarnessAPI(t *testing.T, apiCfg func(*api.Config), cfgs ...func(*fiber.Config)) *harness {
	t.Helper()
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	store := engine.Store(t)
	clock := inboxtest.NewClock(t0)
	svc := inbox.NewService(store, inbox.Options{PasswordCost: 4, Clock: clock.Now, Logger: log, Outbound: []inbox.Channel{inbox.ChannelTelegram}})
	// As the gateway: copied request values, streamed bodies, no
	// multipart forms parsed ahead, bodies held to the limit before they
	// are read (and drained, so a client still sending gets its 413).
	cfg := fiber.Config{
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
		Immutable:                    true, // as the gateway
		BodyLimit:                    bodyLimit,
		DisableStartupMessage:        true,
		ErrorHandler:                 api.ErrorHandler(log),
	}
	for _, f := range cfgs {
		f(&cfg)
	}
	app := fiber.New(cfg)
	app.Use(httperr.LimitBodies(int64(cfg.BodyLimit), 1<<20, nil))
	ac := api.Config{LoginMaxFailures: maxFailures, LoginWindow: time.Minute, PublicURL: "https://switchboard.test"}
	if apiCfg != nil {
		apiCfg(&ac)
	}
	api.New(svc, ac, log).Mount(app)
	h := &harness{t: t, app: app, svc: svc, store: store, clock: clock}
	h.seedAgent("Admin", adminEmail, adminPassword, inbox.RoleAdmin)
	h.admin = h.login(adminEmail, adminPassword)
	return h
}

func ptr[T any](v T) *T { return &v }

// seedAgent creates an agent through the service as the system actor.
func (h *harness) seedAgent(name, email, pw string, role inbox.Role) *inbox.Agent {
	h.t.Helper()
	ag, err := h.svc.CreateAgent(context.Background(), inbox.System, inbox.AgentInput{
		Name: &name, Email: &email, Password: &pw, Role: &role,
	})
	if err != nil {
		h.t.Fatalf("seed agent %s: %v", email, err)
	}
	return ag
}

// agentSession seeds an agent of the role and signs them in.
func (h *harness) agentSession(name string, role inbox.Role) *session {
	h.t.Helper()
	email := strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@example.com"
	h.seedAgent(name, email, password, role)
	return h.login(email, password)
}

// seedLine creates a line whose queue is the given agents. It asks for no
// client rating, so closing a conversation closes it at once.
func (h *harness) seedLine(name string, agentIDs ...string) *inbox.Line {
	h.t.Helper()
	if agentIDs == nil {
		agentIDs = []string{}
	}
	l, err := h.svc.CreateLine(context.Background(), inbox.System, inbox.LineInput{Name: &name, AgentIDs: &agentIDs, Settings: &inbox.LineSettings{}})
	if err != nil {
		h.t.Fatalf("seed line %s: %v", name, err)
	}
	return l
}

// seedGroup creates a group.
func (h *harness) seedGroup(name string) *inbox.Group {
	h.t.Helper()
	g, err := h.svc.CreateGroup(context.Background(), inbox.System, inbox.GroupInput{Name: &name})
	if err != nil {
		h.t.Fatalf("seed group %s: %v", name, err)
	}
	return g
}

// login signs in through the API and keeps the cookie and CSRF token.
func (h *harness) login(email, pw string) *session {
	h.t.Helper()
	r := h.do(http.MethodPost, "/api/v1/auth/login", map[string]string{"email": email, "password": pw}, nil)
	r.want(http.StatusOK)
	var me api.Me
	r.decode(&me)
	s := &session{agent: *me.Agent, csrf: me.CSRFToken}
	for _, c := range r.resp.Cookies() {
		if c.Name == api.SessionCookie {
			s.cookie = c.Value
		}
	}
	if s.cookie == "" || s.csrf == "" || me.Agent == nil {
		h.t.Fatalf("login %s: no %s cookie or CSRF token in %s", email, api.SessionCookie, r.body)
	}
	return s
}

// serve makes later requests go through the app's fasthttp server on an
// in-memory listener, as in production. app.Test cannot show what the
// server answers when it refuses a request before routing (body too large):
// it returns the server's error instead of the response.
func (h *harness) serve() {
	h.t.Helper()
	ln := fasthttputil.NewInmemoryListener()
	done := make(chan error, 1)
	go func() { done <- h.app.Listener(ln) }()
	h.client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) { return ln.Dial() },
	}}
	h.t.Cleanup(func() {
		h.client.CloseIdleConnections()
		_ = h.app.ShutdownWithTimeout(5 * time.Second)
		_ = ln.Close()
		if err := <-done; err != nil {
			h.t.Logf("server: %v", err)
		}
	})
}

// reqOpt adjusts a request before it is sent.
type reqOpt func(*http.Request)

// noCSRF drops the X-CSRF-Token header.
func noCSRF(r *http.Request) { r.Header.Del(api.CSRFHeader) }

// csrf sends the given X-CSRF-Token instead of the session's.
func csrf(tok string) reqOpt { return func(r *http.Request) { r.Header.Set(api.CSRFHeader, tok) } }

// response is an answer of the app.
type response struct {
	t      *testing.T
	method string
	path   string
	resp   *http.Response
	status int
	body   []byte
}

// do sends a request as s (nil: anonymous). body is nil (none), a string or
// []byte (sent as is), or any other value (sent as JSON).
func (h *harness) do(method, path string, body any, s *session, opts ...reqOpt) *response {
	h.t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			h.t.Fatal(err)
		}
	}
	var rd io.Reader
	if raw != nil {
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, rd)
	if raw != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if s != nil {
		req.AddCookie(&http.Cookie{Name: api.SessionCookie, Value: s.cookie})
		req.Header.Set(api.CSRFHeader, s.csrf)
	}
	for _, o := range opts {
		o(req)
	}
	var resp *http.Response
	var err error
	if h.client == nil {
		resp, err = h.app.Test(req, -1)
	} else {
		req.URL.Scheme, req.URL.Host, req.RequestURI = "http", "switchboard.test", ""
		resp, err = h.client.Do(req)
	}
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return &response{t: h.t, method: method, path: path, resp: resp, status: resp.StatusCode, body: out}
}

func (r *response) String() string {
	return fmt.Sprintf("%s %s → %d %s", r.method, r.path, r.status, r.body)
}

// want fails the test unless the status is status.
func (r *response) want(status int) *response {
	r.t.Helper()
	if r.status != status {
		r.t.Fatalf("%v; want status %d", r, status)
	}
	return r
}

// decode reads the JSON body into out.
func (r *response) decode(out any) {
	r.t.Helper()
	if err := json.Unmarshal(r.body, out); err != nil {
		r.t.Fatalf("%v: decode: %v", r, err)
	}
}

// wantError checks the status and that the body is exactly the API's error
// shape with the code and field given ("" field: no field).
func (r *response) wantError(status int, code, field string) api.ErrorDetail {
	r.t.Helper()
	if r.status != status {
		r.t.Fatalf("%v; want status %d", r, status)
	}
	if ct := r.resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		r.t.Errorf("%v: Content-Type %q, want application/json", r, ct)
	}
	var shape map[string]map[string]any
	if err := json.Unmarshal(r.body, &shape); err != nil {
		r.t.Fatalf("%v: error body is not {\"error\":{...}}: %v", r, err)
	}
	if len(shape) != 1 || shape["error"] == nil {
		r.t.Fatalf("%v: error body must hold exactly the key \"error\"", r)
	}
	for k, v := range shape["error"] {
		if _, ok := v.(string); !ok || (k != "code" && k != "message" && k != "field") {
			r.t.Errorf("%v: unexpected error member %q: %v", r, k, v)
		}
	}
	var eb api.ErrorBody
	r.decode(&eb)
	e := eb.Error
	if e.Code != code {
		r.t.Errorf("%v: error code %q, want %q", r, e.Code, code)
	}
	if e.Message == "" {
		r.t.Errorf("%v: error message is empty", r)
	}
	if e.Field != field {
		r.t.Errorf("%v: error field %q, want %q", r, e.Field, field)
	}
	return e
}

// snapshot is every document of every collection of the test's database,
// as canonical extended JSON, by collection.
type snapshot map[string][]string

// snap takes a snapshot of the database.
func (h *harness) snap() snapshot {
	h.t.Helper()
	ctx := context.Background()
	// What the store still writes behind (embedded mode) is part of the
	// state before; nothing the requests under test did is.
	if err := h.store.Flush(ctx); err != nil {
		h.t.Fatal(err)
	}
	db := h.store.Database()
	names, err := db.ListCollectionNames(ctx, bson.M{})
	if err != nil {
		h.t.Fatal(err)
	}
	s := snapshot{}
	for _, name := range names {
		cur, err := db.Collection(name).Find(ctx, bson.M{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
		if err != nil {
			h.t.Fatalf("snapshot %s: %v", name, err)
		}
		docs := []string{}
		for cur.Next(ctx) {
			b, err := bson.MarshalExtJSON(cur.Current, true, false)
			if err != nil {
				h.t.Fatal(err)
			}
			docs = append(docs, string(b))
		}
		if err := cur.Err(); err != nil {
			h.t.Fatal(err)
		}
		_ = cur.Close(ctx)
		s[name] = docs
	}
	return s
}

// unchanged fails the test when the database differs from before.
func (h *harness) unchanged(before snapshot, what string) {
	h.t.Helper()
	after := h.snap()
	for name := range merge(before, after) {
		b, a := before[name], after[name]
		if slices.Equal(b, a) {
			continue
		}
		h.t.Errorf("%s changed collection %q: %d documents before, %d after", what, name, len(b), len(a))
		for _, d := range a {
			if !slices.Contains(b, d) {
				h.t.Logf("  new or changed: %s", d)
			}
		}
		for _, d := range b {
			if !slices.Contains(a, d) {
				h.t.Logf("  gone or changed: %s", d)
			}
		}
	}
}

func merge(a, b snapshot) map[string]bool {
	m := map[string]bool{}
	for k := range a {
		m[k] = true
	}
	for k := range b {
		m[k] = true
	}
	return m
}

// count counts a collection's documents matching filter.
func (h *harness) count(coll string, filter bson.M) int64 {
	h.t.Helper()
	n, err := h.store.Database().Collection(coll).CountDocuments(context.Background(), filter)
	if err != nil {
		h.t.Fatal(err)
	}
	return n
}

// openIncoming opens an incoming conversation as the admin (an integration)
// with a new contact and the client's first message.
func (h *harness) openIncoming(lineID, contactName, text string) *inbox.Conversation {
	h.t.Helper()
	r := h.do(http.MethodPost, "/api/v1/conversations", map[string]any{
		"lineId": lineID, "type": "incoming",
		"contact": map[string]any{"name": contactName},
		"message": map[string]any{"text": text},
	}, h.admin).want(http.StatusCreated)
	var v api.ConversationView
	r.decode(&v)
	if v.Conversation == nil || len(v.Messages) != 1 {
		h.t.Fatalf("%v: want a conversation with its first message", r)
	}
	return v.Conversation
}

// conversations lists conversations as s with the query string q.
func (h *harness) conversations(s *session, q string) api.List[inbox.Conversation] {
	h.t.Helper()
	var l api.List[inbox.Conversation]
	h.do(http.MethodGet, "/api/v1/conversations?"+q, nil, s).want(http.StatusOK).decode(&l)
	return l
}

// get reads a JSON resource as s, wanting 200.
func (h *harness) get(path string, s *session, out any) {
	h.t.Helper()
	h.do(http.MethodGet, path, nil, s).want(http.StatusOK).decode(out)
}

// q builds a query string from pairs.
func q(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v.Encode()
}

// missingID is a well-formed id that names nothing.
const missingID = "0123456789abcdef01234567"
