package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/inbox"
)

// GET /api/v1/conversations/{id}/messages/{messageId}/html serves an
// e-mail's sanitised HTML for the inbox's sandboxed frame: no scripts by
// policy, remote images only when asked; only to who sees the
// conversation.
func TestMailHTML(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ann := h.agentSession("Ann Agent", inbox.RoleAgent)
	line := h.seedLine("Mail")
	html := `<p>Hello <img data-remote-src="https://tracker.example/p.gif"></p>`
	m, _, err := h.svc.MailReceive(ctx, inbox.MailMessage{LineID: line.ID, From: inbox.MailAddress{Email: "olga@customer.example"}, MailID: "a@x",
		Text: "Hello", Meta: inbox.MailMeta{Subject: "Hi", HTML: html, HasHTML: true, HasRemoteImages: true}})
	if err != nil {
		t.Fatal(err)
	}
	plain, _, err := h.svc.MailReceive(ctx, inbox.MailMessage{LineID: line.ID, From: inbox.MailAddress{Email: "olga@customer.example"}, MailID: "b@x",
		Thread: []string{"a@x"}, Text: "no html"})
	if err != nil {
		t.Fatal(err)
	}
	path := "/api/v1/conversations/" + m.ConversationID + "/messages/" + m.ID + "/html"
	r := h.do(http.MethodGet, path, nil, h.admin).want(http.StatusOK)
	csp := r.resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "sandbox") || strings.Contains(csp, "script-src") || strings.Contains(csp, "https:") {
		t.Errorf("policy %q", csp)
	}
	if r.resp.Header.Get("X-Frame-Options") != "SAMEORIGIN" || !strings.Contains(string(r.body), `data-remote-src="https://tracker.example/p.gif"`) || strings.Contains(string(r.body), ` src="https:`) {
		t.Errorf("without images: %s %s", r.resp.Header, r.body)
	}
	r = h.do(http.MethodGet, path+"?images=1", nil, h.admin).want(http.StatusOK)
	if !strings.Contains(string(r.body), ` src="https://tracker.example/p.gif"`) || !strings.Contains(r.resp.Header.Get("Content-Security-Policy"), "https:") {
		t.Errorf("with images: %s %s", r.resp.Header.Get("Content-Security-Policy"), r.body)
	}
	h.do(http.MethodGet, path, nil, nil).wantError(http.StatusUnauthorized, "unauthorized", "")
	h.do(http.MethodGet, path, nil, ann).wantError(http.StatusForbidden, "forbidden", "")
	h.do(http.MethodGet, "/api/v1/conversations/"+m.ConversationID+"/messages/"+plain.ID+"/html", nil, h.admin).wantError(http.StatusNotFound, "not_found", "")
	h.do(http.MethodGet, "/api/v1/conversations/"+m.ConversationID+"/messages/nope/html", nil, h.admin).wantError(http.StatusNotFound, "not_found", "")
}
