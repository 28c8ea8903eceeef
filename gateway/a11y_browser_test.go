package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestAccessibility checks every screen of the inbox and the widget with
// axe-core's WCAG 2.1 A and AA rules: the sign-in page, the workspace with
// and without an open conversation, the conversation table, every settings
// page, and the widget closed, open in live-chat mode and open in
// messenger mode.
func TestAccessibility(t *testing.T) {
	chromium := requireChromium(t)
	bin := buildBinary(t)
	srv := startServer(t, bin, t.TempDir())
	boot := srv.welcome(t)
	admin := newClient(t, "admin", srv.base)
	me := admin.login(boot.adminEmail, boot.adminPassword)

	var lineID string
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		brHostPage(srv.base, lineID).ServeHTTP(w, r)
	}))
	defer host.Close()
	var line lineJSON
	admin.expect("POST", "/api/v1/lines", map[string]any{
		"name":     "Accessible shop",
		"agentIds": []string{me.ID},
		"channels": map[string]any{"widget": map[string]any{"enabled": true, "allowedOrigins": []string{host.URL}}},
	}, http.StatusCreated, &line)
	lineID = line.ID

	visitor := newBrowser(t, chromium, "visitor")
	agent := newBrowser(t, chromium, "agent")

	// ---- The widget in messenger mode (nobody online), closed and open. ----
	visitor.do("open the host page", 20*time.Second,
		chromedp.Navigate(host.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(brTID("sb-launcher"))))
	checkA11y(t, visitor, nil, "host page with the widget closed")
	visitor.do("open the chat", 10*time.Second,
		chromedp.Click(chromedp.CSS(brTID("sb-launcher"))),
		chromedp.WaitVisible(chromedp.CSS("iframe"+brTID("sb-frame"))))
	frame := widgetFrame(t, visitor)
	visitor.waitFor(frame, "messenger mode", `document.querySelector('[data-testid="sb-mode"]').dataset.mode === "messenger"`, 10*time.Second)
	checkA11y(t, visitor, frame, "widget open in messenger mode")
	checkA11y(t, visitor, nil, "host page with the widget open")

	// ---- The inbox: sign-in page, then the workspace. ----
	agent.do("open the inbox", 20*time.Second,
		chromedp.Navigate(srv.base+"/"),
		chromedp.WaitVisible(chromedp.CSS(brTID("login-email"))))
	checkA11y(t, agent, nil, "sign-in page")
	agent.do("sign in", 10*time.Second,
		chromedp.SendKeys(chromedp.CSS(brTID("login-email")), boot.adminEmail),
		chromedp.SendKeys(chromedp.CSS(brTID("login-password")), boot.adminPassword),
		chromedp.Click(chromedp.CSS(brTID("login-submit"))),
		chromedp.WaitVisible(chromedp.CSS(brTID("conv-list"))))
	checkA11y(t, agent, nil, "empty workspace")
	brEval[bool](agent, nil, "go online", `(() => {
		const s = document.querySelector('[data-testid="presence"]');
		s.value = "online";
		s.dispatchEvent(new Event('change', {bubbles: true}));
		return true;
	})()`)

	// ---- The widget in live-chat mode, and a conversation. ----
	visitor.waitFor(frame, "live mode", `document.querySelector('[data-testid="sb-mode"]').dataset.mode === "live"`, 10*time.Second)
	visitor.do("type", 10*time.Second, brType(brTID("sb-input"), "Hello, can you help me?", frame)...)
	visitor.do("send", 5*time.Second, chromedp.Click(chromedp.CSS(brTID("sb-send")), chromedp.FromNode(frame)))
	visitor.waitFor(frame, "the message is acknowledged", `document.querySelector('[data-testid="sb-message"][data-author="contact"][data-seq]')`, 10*time.Second)
	checkA11y(t, visitor, frame, "widget open in live-chat mode with a message")

	agent.waitFor(nil, "the conversation arrives", `document.querySelector('[data-testid="conv-list"] [data-testid="conv-item"]')`, 10*time.Second)
	checkA11y(t, agent, nil, "workspace with a new request")
	agent.do("open the conversation", 10*time.Second,
		chromedp.Click(chromedp.CSS(`[data-testid="conv-list"] [data-testid="conv-item"]`)),
		chromedp.WaitVisible(chromedp.CSS(brTID("messages"))))
	agent.do("answer", 10*time.Second,
		chromedp.WaitVisible(chromedp.CSS(brTID("btn-accept"))),
		chromedp.Click(chromedp.CSS(brTID("btn-accept"))))
	agentSend(t, agent, "Of course — what do you need?")
	checkA11y(t, agent, nil, "open conversation")

	// ---- The conversation table and every settings page. ----
	for _, screen := range []struct{ name, hash, ready string }{
		{"conversation table", "#/conversations", `document.querySelector('table')`},
		{"settings: lines", "#/settings/lines", `document.querySelector('[data-testid="settings-nav-lines"]') && document.querySelector('main table, main [data-testid="line-new"]')`},
		{"settings: line editor", "#/settings/lines/" + line.ID, `document.querySelector('main form input')`},
		{"settings: new line", "#/settings/lines/new", `document.querySelector('main form input')`},
		{"settings: agents", "#/settings/agents", `document.querySelector('main table')`},
		{"settings: agent editor", "#/settings/agents/" + me.ID, `document.querySelector('main form input')`},
		{"settings: groups", "#/settings/groups", `document.querySelector('[data-testid="settings-nav-groups"]')`},
		{"settings: my profile", "#/settings/profile", `document.querySelector('main form input')`},
	} {
		agent.do("open "+screen.name, 10*time.Second, chromedp.Navigate(srv.base+"/"+screen.hash))
		agent.waitFor(nil, screen.name+" is shown", screen.ready, 10*time.Second)
		time.Sleep(300 * time.Millisecond) // let the page's data arrive
		checkA11y(t, agent, nil, screen.name)
	}
}
