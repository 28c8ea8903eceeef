package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// nginxOrSkip returns nginx's path; without it the test is skipped, unless
// SWITCHBOARD_REQUIRE_NGINX=1 (CI), where it fails.
func nginxOrSkip(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("nginx")
	if err != nil {
		if os.Getenv("SWITCHBOARD_REQUIRE_NGINX") == "1" {
			t.Fatal("nginx is required (SWITCHBOARD_REQUIRE_NGINX=1) but not installed: apt-get install nginx")
		}
		t.Skip("nginx is not installed (apt-get install nginx); SWITCHBOARD_REQUIRE_NGINX=1 makes this a failure")
	}
	return path
}

var (
	upstreamServers = regexp.MustCompile(`(?m)^\s*server gateway-\d+:8080([^;]*);\n`)
	listen80        = regexp.MustCompile(`(?m)^(\s*)listen 80;`)
)

// startProxy runs deploy/nginx.conf — the docker-compose proxy — on addr
// in front of the gateways at backends (its "server gateway-N:8080" lines
// rewritten to them), until the test ends.
func startProxy(t *testing.T, addr string, backends ...string) string {
	t.Helper()
	nginx := nginxOrSkip(t)
	conf, err := os.ReadFile("../deploy/nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	proxyConf, err := os.ReadFile("../deploy/switchboard-proxy.conf")
	if err != nil {
		t.Fatal(err)
	}
	m := upstreamServers.FindSubmatch(conf)
	if m == nil || !listen80.Match(conf) {
		t.Fatal("deploy/nginx.conf has no \"server gateway-N:8080 …;\" or \"listen 80;\" line any more")
	}
	var servers strings.Builder
	params := strings.ReplaceAll(string(m[1]), " resolve", "") // addresses here, not names
	for _, b := range backends {
		fmt.Fprintf(&servers, "\t\tserver %s%s;\n", b, params)
	}
	first := true
	out := upstreamServers.ReplaceAllFunc(conf, func([]byte) []byte {
		if first {
			first = false
			return []byte(servers.String())
		}
		return nil
	})
	out = listen80.ReplaceAll(out, []byte("${1}listen "+addr+";"))
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "logs"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"nginx.conf": out, "switchboard-proxy.conf": proxyConf} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(nginx, "-p", dir, "-c", filepath.Join(dir, "nginx.conf"),
		"-g", "daemon off; pid "+filepath.Join(dir, "nginx.pid")+"; error_log stderr warn;")
	stderr := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = stderr, stderr
	cmd.WaitDelay = 5 * time.Second // its workers hold the pipes a moment longer
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// SIGTERM: nginx's fast shutdown, workers included.
	t.Cleanup(func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() })
	base := "http://" + addr
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx did not proxy /healthz within 10 s: %v\n%s", err, stderr)
		}
	}
}

// retryBadGateway runs dial until it succeeds, trying again after a pause
// when a proxy answered 502 (no gateway could be reached at that moment),
// as the widget and the inbox reconnect.
func retryBadGateway(t *testing.T, what string, dial func() (*http.Response, error)) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		resp, err := dial()
		if err == nil {
			return
		}
		if status, body := handshakeStatus(resp); status != http.StatusBadGateway || attempt == 3 {
			t.Fatalf("%s (attempt %d): %v, status %d; body %s", what, attempt, err, status, body)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// agentSocket is an agent websocket whose event frames are read into a
// channel; it remembers why it closed.
type agentSocket struct {
	ws     *websocket.Conn
	events chan json.RawMessage
	err    error // set before events is closed
}

func dialAgentSocket(ctx context.Context, t *testing.T, base string, c *client) *agentSocket {
	t.Helper()
	var ws *websocket.Conn
	retryBadGateway(t, "agent websocket on "+base, func() (resp *http.Response, err error) {
		ws, resp, err = dialAgentWS(ctx, base, sessionCookie(c), base)
		return resp, err
	})
	t.Cleanup(func() { _ = ws.Close() })
	a := &agentSocket{ws: ws, events: make(chan json.RawMessage, 256)}
	go func() {
		defer close(a.events)
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				a.err = err
				return
			}
			var f struct {
				Type  string          `json:"type"`
				Event json.RawMessage `json:"event"`
			}
			if json.Unmarshal(data, &f) == nil && f.Type == "event" {
				a.events <- f.Event
			}
		}
	}()
	return a
}

// closeCode is the close code a socket ended with, 0 while it is open or
// when it ended without a close frame.
func closeCode(err error) int {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return 0
}

// TestBehindTheProxy walks a rolling deployment through deploy/nginx.conf,
// the proxy of docker-compose.yml: two gateways on one store behind
// nginx, an agent and four visitors connected through it. Gateway A is
// stopped (SIGTERM) and started again, then gateway B: each stop closes
// its websockets with 1001, the clients reconnect through the proxy to
// the gateway still running, and go on — every message acknowledged,
// stored once and seen live by the agent. No sticky sessions: the
// sign-in and the visitors' tokens work on whichever gateway nginx picks.
func TestBehindTheProxy(t *testing.T) {
	nginxOrSkip(t)
	bin := buildBinary(t)
	uri := startStoreServer(t)
	proxyAddr := freePort(t)
	env := []string{"MONGODB_URI=" + uri, "SWITCHBOARD_PUBLIC_URL=http://" + proxyAddr,
		"SWITCHBOARD_PROXY_HEADER=X-Forwarded-For", "SWITCHBOARD_TRUSTED_PROXIES=127.0.0.1"}
	addrA, addrB := freePort(t), freePort(t)
	a := launchGateway(t, bin, t.TempDir(), addrA, env...)
	boot := a.welcome(t)
	b := launchGateway(t, bin, t.TempDir(), addrB, env...)
	base := startProxy(t, proxyAddr, addrA, addrB)

	admin := newClient(t, "admin", base)
	admin.login(boot.adminEmail, boot.adminPassword)
	admin.expect("PATCH", "/api/v1/me", map[string]any{"presence": "online"}, http.StatusOK, nil)
	line := createWidgetLine(admin, "Proxied line")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	agent := dialAgentSocket(ctx, t, base, admin)

	type visitor struct {
		token string
		ws    *visitorWS
		conv  string
		seq   int64
	}
	// dial connects through the proxy as the widget does.
	dial := func(v *visitor) {
		t.Helper()
		var ws *visitorWS
		retryBadGateway(t, "visitor websocket through the proxy", func() (resp *http.Response, err error) {
			ws, resp, err = dialVisitor(ctx, base, v.token, originOfBase(base), shopOrigin)
			return resp, err
		})
		t.Cleanup(ws.close)
		if err := ws.hello(v.seq, ""); err != nil {
			t.Fatal(err)
		}
		v.ws = ws
	}
	visitors := make([]*visitor, 4)
	for i := range visitors {
		sess, err := newWidgetSession(ctx, base, line.ID, shopOrigin)
		if err != nil {
			t.Fatal(err)
		}
		visitors[i] = &visitor{token: sess.Token}
		dial(visitors[i])
	}
	seen := map[string]bool{} // message ids the agent saw live
	// round sends one message from every visitor and waits until the
	// agent saw them all.
	round := func(n int) {
		t.Helper()
		want := map[string]bool{}
		for i, v := range visitors {
			if err := v.ws.sendMessage(fmt.Sprintf("proxy-v%d-m%d", i, n), fmt.Sprintf("round %d from visitor %d", n, i)); err != nil {
				t.Fatal(err)
			}
			ack, err := v.ws.nextOf(ctx, "ack")
			if err != nil {
				t.Fatalf("round %d, visitor %d: %v", n, i, err)
			}
			v.conv, v.seq = ack.ConversationID, max(v.seq, ack.Seq)
			want[ack.ID] = true
		}
		for deadline := time.After(10 * time.Second); len(want) > 0; {
			select {
			case raw, ok := <-agent.events:
				if !ok {
					t.Fatalf("round %d: the agent's websocket closed: %v", n, agent.err)
				}
				var ev struct {
					Type    string `json:"type"`
					Message *struct {
						ID string `json:"id"`
					} `json:"message"`
				}
				if json.Unmarshal(raw, &ev) == nil && ev.Type == "message.created" && ev.Message != nil {
					if seen[ev.Message.ID] {
						t.Errorf("round %d: the agent got message %s twice", n, ev.Message.ID)
					}
					seen[ev.Message.ID] = true
					delete(want, ev.Message.ID)
				}
			case <-deadline:
				t.Fatalf("round %d: the agent did not see %d messages", n, len(want))
			}
		}
	}
	// reconnect moves the clients whose gateway stopped to another one,
	// through the proxy, and says how many there were; each must have
	// been closed with 1001.
	reconnect := func(all bool) int {
		t.Helper()
		moved := 0
		for i, v := range visitors {
			if !closes(v.ws.frames, 300*time.Millisecond, time.Minute) {
				if all {
					t.Errorf("visitor %d's websocket stayed open although its gateway stopped", i)
				}
				continue
			}
			if code := closeCode(v.ws.err); code != websocket.CloseGoingAway {
				t.Errorf("visitor %d's websocket ended with %v (code %d), want 1001", i, v.ws.err, code)
			}
			dial(v)
			moved++
		}
		if !closes(agent.events, 300*time.Millisecond, time.Minute) {
			if all {
				t.Error("the agent's websocket stayed open although its gateway stopped")
			}
			return moved
		}
		{
			if code := closeCode(agent.err); code != websocket.CloseGoingAway {
				t.Errorf("the agent's websocket ended with %v (code %d), want 1001", agent.err, code)
			}
			agent = dialAgentSocket(ctx, t, base, admin)
			moved++
		}
		return moved
	}

	round(1)
	// New visitor sessions per address are limited at the proxy, over
	// both gateways (each alone allows 30 a minute, and would see about
	// half of these).
	limited := false
	for i := 0; i < 45 && !limited; i++ {
		status, body, err := visitorRequest(ctx, "POST", base+"/widget/v1/session", originOfBase(base), "",
			map[string]any{"lineId": line.ID, "origin": shopOrigin, "page": shopOrigin + "/pricing"})
		if err != nil {
			t.Fatal(err)
		}
		switch code, _ := errorCode(body); {
		case status == http.StatusTooManyRequests && code == "rate_limited":
			limited = true
			t.Logf("the proxy refused visitor session %d from one address", i+5)
		case status != http.StatusOK:
			t.Fatalf("visitor session %d: %d %s", i+5, status, body)
		}
	}
	if !limited {
		t.Error("49 visitor sessions from one address within seconds passed the proxy (2 gateways × 30 a minute each)")
	}

	a.stop(t)
	movedA := reconnect(false)
	round(2)
	a = launchGateway(t, bin, t.TempDir(), addrA, env...)
	b.stop(t)
	movedB := reconnect(true) // after A's stop every client was on B
	round(3)
	t.Logf("clients moved: %d when A stopped, %d when B stopped", movedA, movedB)

	// Stored once each, in order, read through the proxy.
	for i, v := range visitors {
		msgs := allMessages(admin, v.conv, 10)
		var ids []string
		for _, m := range msgs {
			ids = append(ids, m.ClientID)
		}
		want := []string{fmt.Sprintf("proxy-v%d-m1", i), fmt.Sprintf("proxy-v%d-m2", i), fmt.Sprintf("proxy-v%d-m3", i)}
		if strings.Join(ids, ",") != strings.Join(want, ",") {
			t.Errorf("visitor %d's conversation holds %v, want %v", i, ids, want)
		}
	}
	// Sign-ins per address are limited at the proxy too, over all
	// gateways, refused in the gateway's own error shape.
	throttled := false
	for i := 0; i < 60 && !throttled; i++ {
		resp, err := http.Post(base+"/api/v1/auth/login", "text/plain", strings.NewReader("guess"))
		if err != nil {
			t.Fatal(err)
		}
		var e struct {
			Error struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		decodeErr := json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusTooManyRequests:
			throttled = true
			if decodeErr != nil || e.Error.Code != "throttled" || resp.Header.Get("Retry-After") == "" ||
				!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				t.Errorf("the proxy's 429: code %q (%v), Retry-After %q, Content-Type %q", e.Error.Code, decodeErr, resp.Header.Get("Retry-After"), resp.Header.Get("Content-Type"))
			}
			t.Logf("the proxy refused sign-in request %d from one address", i+1)
		case resp.StatusCode != http.StatusUnsupportedMediaType:
			t.Fatalf("sign-in request %d as text: %d, want 415 from the gateway", i+1, resp.StatusCode)
		}
	}
	if !throttled {
		t.Error("60 sign-in requests from one address within seconds passed the proxy")
	}
	a.stop(t)
	noErrorLogs(t, a, b)
}
