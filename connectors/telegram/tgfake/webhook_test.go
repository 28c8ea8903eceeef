package tgfake

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// receiver is a webhook endpoint that answers with the queued statuses
// (200 once they run out) and records what it got.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	statuses []int
	bodies   []string
	secrets  []string
	got      chan struct{}
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	rc := &receiver{statuses: statuses, got: make(chan struct{}, 100)}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.bodies = append(rc.bodies, string(body))
		rc.secrets = append(rc.secrets, strings.Join(r.Header.Values(SecretTokenHeader), ","))
		status := http.StatusOK
		if len(rc.statuses) > 0 {
			status, rc.statuses = rc.statuses[0], rc.statuses[1:]
		}
		rc.mu.Unlock()
		w.WriteHeader(status)
		rc.got <- struct{}{}
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) wait(t *testing.T, n int) {
	t.Helper()
	for range n {
		select {
		case <-rc.got:
		case <-time.After(2 * time.Second):
			t.Fatal("webhook not called")
		}
	}
}

func (rc *receiver) seen() (bodies, secrets []string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.bodies...), append([]string(nil), rc.secrets...)
}

type webhookInfo struct {
	URL                  string   `json:"url"`
	HasCustomCertificate bool     `json:"has_custom_certificate"`
	PendingUpdateCount   int      `json:"pending_update_count"`
	LastErrorDate        int64    `json:"last_error_date"`
	LastErrorMessage     string   `json:"last_error_message"`
	MaxConnections       int      `json:"max_connections"`
	AllowedUpdates       []string `json:"allowed_updates"`
}

func getWebhookInfo(t *testing.T, s *Server) webhookInfo {
	t.Helper()
	var info webhookInfo
	wantOK(t, call(t, s, testToken, "getWebhookInfo", nil), &info)
	return info
}

func TestWebhookDeliveryAndRetry(t *testing.T) {
	s := startServer(t)
	rc := newReceiver(t, http.StatusInternalServerError)
	first := s.PushUpdate(testToken, textUpdate(1, "queued before setWebhook"))

	wantError(t, call(t, s, testToken, "setWebhook", url.Values{"url": {rc.URL}, "secret_token": {"bad secret!"}}),
		400, "Bad Request: secret token contains unallowed characters")
	r := call(t, s, testToken, "setWebhook", url.Values{
		"url": {rc.URL}, "secret_token": {"s3cr-et_"}, "max_connections": {"5"}, "allowed_updates": {`["message"]`}})
	wantOK(t, r, nil)
	if r.Description != "Webhook was set" {
		t.Fatalf("description %q", r.Description)
	}
	if u, sec := s.Webhook(testToken); u != rc.URL || sec != "s3cr-et_" {
		t.Fatalf("Webhook = %q, %q", u, sec)
	}
	wantError(t, call(t, s, testToken, "getUpdates", nil), 409, conflictWebhook)

	rc.wait(t, 1) // the 500
	// The deliverer records the failure once the answer is back.
	info := getWebhookInfo(t, s)
	for deadline := time.Now().Add(2 * time.Second); info.LastErrorDate == 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
		info = getWebhookInfo(t, s)
	}
	if info.URL != rc.URL || info.PendingUpdateCount != 1 || info.LastErrorDate == 0 ||
		info.LastErrorMessage != "Wrong response from the webhook: 500 Internal Server Error" ||
		info.MaxConnections != 5 || len(info.AllowedUpdates) != 1 {
		t.Fatalf("webhook info after a failure: %+v", info)
	}
	rc.wait(t, 1) // the retry, answered 200
	second := s.PushUpdate(testToken, textUpdate(2, "pushed with webhook set"))
	rc.wait(t, 1)

	bodies, secrets := rc.seen()
	if len(bodies) != 3 || bodies[0] != bodies[1] {
		t.Fatalf("bodies = %q", bodies)
	}
	for i, want := range []int64{first, first, second} {
		var u struct {
			UpdateID int64 `json:"update_id"`
			Message  struct{ Text string }
		}
		if err := json.Unmarshal([]byte(bodies[i]), &u); err != nil || u.UpdateID != want || u.Message.Text == "" {
			t.Fatalf("delivery %d = %s (%v), want update %d", i, bodies[i], err, want)
		}
		if secrets[i] != "s3cr-et_" {
			t.Fatalf("delivery %d secret %q", i, secrets[i])
		}
	}
	deadline := time.Now().Add(time.Second)
	for getWebhookInfo(t, s).PendingUpdateCount != 0 {
		if time.Now().After(deadline) {
			t.Fatal("confirmed updates still pending")
		}
		time.Sleep(10 * time.Millisecond)
	}

	r = call(t, s, testToken, "deleteWebhook", url.Values{"drop_pending_updates": {"true"}})
	wantOK(t, r, nil)
	if r.Description != "Webhook was deleted" {
		t.Fatalf("description %q", r.Description)
	}
	if u, _ := s.Webhook(testToken); u != "" {
		t.Fatalf("webhook %q still set", u)
	}
	s.PushUpdate(testToken, textUpdate(3, "polled"))
	if ids := updateIDs(t, call(t, s, testToken, "getUpdates", nil)); len(ids) != 1 {
		t.Fatalf("ids = %v", ids)
	}
}

func TestSetWebhookEndsLongPoll(t *testing.T) {
	s := startServer(t)
	rc := newReceiver(t)
	polled := make(chan apiResp, 1)
	go func() { polled <- call(t, s, testToken, "getUpdates", url.Values{"timeout": {"5"}}) }()
	waitCalls(t, s, 1)
	wantOK(t, call(t, s, testToken, "setWebhook", url.Values{"url": {rc.URL}}), nil)
	wantError(t, <-polled, 409, conflictSetWebhook)
	wantError(t, call(t, s, testToken, "setWebhook", url.Values{"url": {"ftp://example.com/hook"}}),
		400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
}

func TestDeliverRaw(t *testing.T) {
	s := startServer(t)
	if _, err := s.DeliverRaw(testToken, []byte(`{}`), "", true); err == nil {
		t.Fatal("DeliverRaw without a webhook succeeded")
	}
	rc := newReceiver(t, http.StatusUnauthorized)
	wantOK(t, call(t, s, testToken, "setWebhook", url.Values{"url": {rc.URL}, "secret_token": {"right"}}), nil)
	raw := []byte(`{"update_id":5,"message":{"message_id":9,"chat":{"id":777,"type":"private"},"date":1,"text":"dup"}}`)
	status, err := s.DeliverRaw(testToken, raw, "wrong", false)
	if err != nil || status != http.StatusUnauthorized {
		t.Fatalf("DeliverRaw = %d, %v", status, err)
	}
	if status, err = s.DeliverRaw(testToken, raw, "", true); err != nil || status != http.StatusOK {
		t.Fatalf("DeliverRaw = %d, %v", status, err)
	}
	rc.wait(t, 2)
	bodies, secrets := rc.seen()
	if bodies[0] != string(raw) || bodies[1] != string(raw) || secrets[0] != "wrong" || secrets[1] != "" {
		t.Fatalf("bodies %q secrets %q", bodies, secrets)
	}
}

func TestCloseStopsEverything(t *testing.T) {
	before := runtime.NumGoroutine()
	s, err := StartWithOptions(Options{WebhookRetryPause: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	s.AddBot(testToken, User{IsBot: true, FirstName: "B"})
	s.AddBot("2:other", User{IsBot: true, FirstName: "C"})
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()

	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	post := func(token, method string, v url.Values) (*http.Response, error) {
		return client.PostForm(s.URL+"/bot"+token+"/"+method, v)
	}
	resp, err := post(testToken, "setWebhook", url.Values{"url": {dead.URL}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	s.PushUpdate(testToken, textUpdate(1, "undeliverable"))
	polled := make(chan error, 1)
	go func() {
		resp, err := post("2:other", "getUpdates", url.Values{"timeout": {"30"}})
		if err == nil {
			resp.Body.Close()
		}
		polled <- err
	}()
	time.Sleep(100 * time.Millisecond)

	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(2 * time.Second):
		t.Fatal("Close hangs")
	}
	<-polled
	s.Close() // idempotent
	deadline := time.Now().Add(time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines before, %d after Close:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}
