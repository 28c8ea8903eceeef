package main

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestSettingsBrowser runs Switchboard from the browser, on the real
// binary, as the Settings section promises: an admin creates a line for a
// site on another origin with a brand colour and a greeting, and pastes
// the snippet they copy into that site — whose widget shows the colour and
// the greeting, asks for name and e-mail before the first message (the
// line's contact form, in live chat too) and brings a visitor's message to
// the inbox; the admin
// creates an agent, who signs in, sees only their own conversations, and
// changes their password, which ends their other session; and deleting the
// line, which has conversations, takes the line's typed name, after which
// its conversations are gone.
func TestSettingsBrowser(t *testing.T) {
	chromium := requireChromium(t)
	bin := buildBinary(t)
	srv := startServer(t, bin, t.TempDir())
	boot := srv.welcome(t)

	// The customer's site, on an origin of its own; its page holds
	// whatever snippet the admin copies.
	var mu sync.Mutex
	snippet := ""
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		mu.Lock()
		s := snippet
		mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title></head>
<body><h1>The shop</h1>` + s + `</body></html>`))
	}))
	defer site.Close()
	if site.URL == srv.base {
		t.Fatal("the shop must be on another origin than the gateway")
	}

	// ---- The admin signs in and creates the line in Settings. ----
	admin := newBrowser(t, chromium, "admin")
	signIn(t, admin, srv.base, boot.adminEmail, boot.adminPassword)
	adminID := brEval[string](admin, nil, "the admin's id", `fetch('/api/v1/me').then(r => r.json()).then(j => j.agent.id)`)
	const (
		color    = "#0a7d33"
		rgb      = "rgb(10, 125, 51)"
		greeting = "Welcome to the shop! Ask us anything."
	)
	admin.do("open a new line", 15*time.Second,
		chromedp.Click(chromedp.CSS(brTID("tab-settings"))),
		chromedp.WaitVisible(chromedp.CSS(brTID("line-new"))),
		chromedp.Click(chromedp.CSS(brTID("line-new"))),
		chromedp.WaitVisible(chromedp.CSS(brTID("line-editor"))))
	admin.do("fill in the line", 15*time.Second,
		chromedp.SendKeys(chromedp.CSS(brTID("line-name")), "Shop line"),
		chromedp.Click(chromedp.CSS(brTID("line-agent-"+adminID))),
		chromedp.SendKeys(chromedp.CSS(brTID("origin-input")), "not an origin"),
		chromedp.Click(chromedp.CSS(brTID("origin-add"))))
	admin.waitFor(nil, "a bad origin is refused next to its field",
		`document.querySelector('[data-testid="origin-input"]').getAttribute('aria-invalid') === 'true' && document.getElementById('set-origin-input-err').textContent.includes('not an origin')`, 5*time.Second)
	clearInput(admin, "origin-input")
	admin.do("add the shop's origin", 10*time.Second,
		chromedp.SendKeys(chromedp.CSS(brTID("origin-input")), site.URL),
		chromedp.Click(chromedp.CSS(brTID("origin-add"))))
	clearInput(admin, "widget-color")
	admin.do("type the brand colour", 10*time.Second, chromedp.SendKeys(chromedp.CSS(brTID("widget-color")), color))
	admin.do("type the greeting", 10*time.Second, brType(brTID("widget-greeting"), greeting, nil)...)
	// The contact form is asked for before the first message, in live chat too.
	admin.do("ask for name and e-mail", 5*time.Second, chromedp.Click(chromedp.CSS(brTID("widget-contact-form"))))
	admin.waitFor(nil, "the origin is listed", `document.querySelector('[data-testid="origin-list"]').textContent.includes(`+brJS(site.URL)+`)`, 5*time.Second)
	admin.waitFor(nil, "the preview shows the colour and the greeting",
		`getComputedStyle(document.querySelector('[data-testid="preview-header"]')).backgroundColor === `+brJS(rgb)+` &&
		 document.querySelector('[data-testid="preview-greeting"]').textContent === `+brJS(greeting), 5*time.Second)
	admin.do("save the line", 15*time.Second,
		chromedp.Click(chromedp.CSS(brTID("line-save"))),
		chromedp.WaitVisible(chromedp.CSS(brTID("line-snippet"))))
	admin.waitFor(nil, "the saved line's snippet", `/data-line="[0-9a-f]{24}"/.test(document.querySelector('[data-testid="line-snippet"]').textContent)`, 10*time.Second)
	admin.do("copy the snippet", 5*time.Second, chromedp.Click(chromedp.CSS(brTID("snippet-copy"))))
	copied := brEval[string](admin, nil, "read the snippet", `document.querySelector('[data-testid="line-snippet"]').textContent`)
	lineID := brEval[string](admin, nil, "the line's id", `location.hash.split('/').pop()`)
	if !strings.Contains(copied, `data-line="`+lineID+`"`) || !strings.Contains(copied, srv.base+"/widget.js") || !strings.Contains(copied, "background:"+color) {
		t.Fatalf("the snippet %q lacks the gateway, line %s or colour", copied, lineID)
	}
	mu.Lock()
	snippet = copied
	mu.Unlock()

	// The admin is online: the widget is in live-chat mode, with its greeting.
	adminAPI := newClient(t, "admin API", srv.base)
	adminAPI.login(boot.adminEmail, boot.adminPassword)
	adminAPI.expect("PATCH", "/api/v1/me", map[string]any{"presence": "online"}, http.StatusOK, nil)

	// ---- A visitor on the shop's page. ----
	visitor := newBrowser(t, chromium, "visitor")
	visitor.do("open the shop", 20*time.Second,
		chromedp.Navigate(site.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(brTID("sb-launcher"))))
	if bg := brEval[string](visitor, nil, "the launcher's colour", `getComputedStyle(document.querySelector('[data-testid="sb-launcher"]')).backgroundColor`); bg != rgb {
		t.Errorf("the launcher is %s, want the line's colour %s", bg, rgb)
	}
	visitor.do("open the chat", 10*time.Second,
		chromedp.Click(chromedp.CSS(brTID("sb-launcher"))),
		chromedp.WaitVisible(chromedp.CSS("iframe"+brTID("sb-frame"))))
	frame := widgetFrame(t, visitor)
	visitor.waitFor(frame, "the window in the line's colour, with its greeting, in live chat",
		`getComputedStyle(document.querySelector('.sb-head')).backgroundColor === `+brJS(rgb)+` &&
		 document.querySelector('[data-testid="sb-mode"]').dataset.mode === 'live' &&
		 !document.querySelector('.sb-greet').hidden && document.querySelector('.sb-greet').textContent === `+brJS(greeting), 15*time.Second)
	visitor.waitFor(frame, "the contact form comes first, the composer waits",
		`!document.querySelector('.sb-form').hidden && document.querySelector('.sb-comp').hidden`, 5*time.Second)
	visitor.do("fill in the contact form", 10*time.Second,
		chromedp.SendKeys(chromedp.CSS(brTID("sb-name")), "Vera Visitor", chromedp.FromNode(frame)),
		chromedp.SendKeys(chromedp.CSS(brTID("sb-email")), "vera@example.com", chromedp.FromNode(frame)),
		chromedp.Click(chromedp.CSS(brTID("sb-contact-submit")), chromedp.FromNode(frame)))
	visitor.waitFor(frame, "the composer after the form", `document.querySelector('.sb-form').hidden && !document.querySelector('.sb-comp').hidden`, 10*time.Second)
	const hello = "Hello, I would like to order."
	visitor.do("type a message", 10*time.Second, brType(brTID("sb-input"), hello, frame)...)
	visitor.do("send it", 5*time.Second, chromedp.Click(chromedp.CSS(brTID("sb-send")), chromedp.FromNode(frame)))
	visitor.waitFor(frame, "the message is acknowledged",
		`[...document.querySelectorAll('[data-testid="sb-message"][data-author="contact"][data-seq]')].some(e => e.textContent.includes(`+brJS(hello)+`))`, 10*time.Second)
	var shopConvs listOf[convJSON]
	adminAPI.expect("GET", "/api/v1/conversations?line="+lineID, nil, http.StatusOK, &shopConvs)
	if len(shopConvs.Items) != 1 {
		t.Fatalf("the shop line has %d conversations, want the visitor's one", len(shopConvs.Items))
	}
	visitorConv := shopConvs.Items[0].ID
	if v := adminAPI.conversation(visitorConv); len(v.Messages) == 0 || v.Messages[len(v.Messages)-1].Text != hello {
		t.Fatalf("the visitor's message did not reach the inbox: %+v", v.Messages)
	}
	if name := shopConvs.Items[0].ContactName; name != "Vera Visitor" {
		t.Errorf("the conversation's client is %q, want the name from the contact form", name)
	}
	admin.do("back to the workspace", 10*time.Second, chromedp.Navigate(srv.base+"/#/"))
	admin.waitFor(nil, "the visitor's conversation in the admin's workspace",
		`document.querySelector('[data-testid="conv-item"][data-id="`+visitorConv+`"]')`, 15*time.Second)

	// ---- The admin creates an agent. ----
	const agentEmail, agentPassword, newPassword = "nora@example.com", "first-password-1", "second-password-2"
	admin.do("open a new agent", 15*time.Second,
		chromedp.Navigate(srv.base+"/#/settings/agents/new"),
		chromedp.WaitVisible(chromedp.CSS(brTID("agent-editor"))),
		chromedp.SendKeys(chromedp.CSS(brTID("agent-name")), "Nora Agent"),
		chromedp.SendKeys(chromedp.CSS(brTID("agent-email")), agentEmail),
		chromedp.SendKeys(chromedp.CSS(brTID("agent-password")), "short"),
		chromedp.Click(chromedp.CSS(brTID("agent-save"))))
	admin.waitFor(nil, "a short password is refused next to its field",
		`document.querySelector('[data-testid="agent-password"]').getAttribute('aria-invalid') === 'true'`, 5*time.Second)
	clearInput(admin, "agent-password")
	admin.do("give a good password and save", 15*time.Second,
		chromedp.SendKeys(chromedp.CSS(brTID("agent-password")), agentPassword),
		chromedp.Click(chromedp.CSS(brTID("agent-save"))))
	admin.waitFor(nil, "the agent is created", `/^#\/settings\/agents\/[0-9a-f]{24}$/.test(location.hash)`, 10*time.Second)
	noraID := brEval[string](admin, nil, "the agent's id", `location.hash.split('/').pop()`)

	// One conversation is Nora's; another one, on the demo line, is not.
	adminAPI.expect("POST", "/api/v1/conversations/"+visitorConv+"/assign", map[string]any{"agentId": noraID}, http.StatusOK, nil)
	var other convView
	adminAPI.expect("POST", "/api/v1/conversations", map[string]any{"lineId": boot.demoLineID, "type": "incoming",
		"contact": map[string]any{"name": "Someone Else"}, "message": map[string]any{"text": "not for Nora"}}, http.StatusCreated, &other)

	// ---- Nora signs in (her own browser) and sees only her conversation. ----
	nora := newBrowser(t, chromium, "nora")
	signIn(t, nora, srv.base, agentEmail, agentPassword)
	nora.waitFor(nil, "Nora's conversation in her workspace",
		`document.querySelector('[data-testid="conv-item"][data-id="`+visitorConv+`"]')`, 15*time.Second)
	seen := brEval[[]string](nora, nil, "the conversations Nora sees", `fetch('/api/v1/conversations').then(r => r.json()).then(j => j.items.map(c => c.id))`)
	if len(seen) != 1 || seen[0] != visitorConv {
		t.Fatalf("Nora sees conversations %v, want only %s", seen, visitorConv)
	}
	if n := brEval[int](nora, nil, "Nora's workspace", `document.querySelectorAll('[data-testid="conv-item"]').length`); n != 1 {
		t.Errorf("Nora's workspace lists %d conversations, want 1", n)
	}
	nora.do("open Settings", 10*time.Second,
		chromedp.Click(chromedp.CSS(brTID("tab-settings"))),
		chromedp.WaitVisible(chromedp.CSS(brTID("password-form"))))
	if links := brEval[[]string](nora, nil, "Nora's settings pages", `[...document.querySelectorAll('.set-nav a')].map(a => a.dataset.testid)`); len(links) != 1 || links[0] != "settings-nav-profile" {
		t.Errorf("an agent's Settings offer %v, want only My profile", links)
	}

	// Nora also has another session; changing the password ends it.
	noraAPI := newClient(t, "nora API", srv.base)
	noraAPI.login(agentEmail, agentPassword)
	nora.do("type a wrong current password", 10*time.Second,
		chromedp.SendKeys(chromedp.CSS(brTID("pw-current")), "not-my-password"),
		chromedp.SendKeys(chromedp.CSS(brTID("pw-new")), newPassword),
		chromedp.SendKeys(chromedp.CSS(brTID("pw-again")), newPassword),
		chromedp.Click(chromedp.CSS(brTID("pw-submit"))))
	nora.waitFor(nil, "the wrong current password is named next to its field",
		`document.querySelector('[data-testid="pw-current"]').getAttribute('aria-invalid') === 'true'`, 10*time.Second)
	clearInput(nora, "pw-current")
	nora.do("change the password", 10*time.Second,
		chromedp.SendKeys(chromedp.CSS(brTID("pw-current")), agentPassword),
		chromedp.Click(chromedp.CSS(brTID("pw-submit"))))
	nora.waitFor(nil, "the password is changed", `document.querySelector('[data-testid="pw-done"]').textContent !== ''`, 10*time.Second)
	noraAPI.expectError("GET", "/api/v1/me", nil, http.StatusUnauthorized, "unauthorized")
	if st := brEval[int](nora, nil, "Nora's own session", `fetch('/api/v1/me').then(r => r.status)`); st != http.StatusOK {
		t.Fatalf("the session that changed the password answers %d, want 200", st)
	}
	noraAPI.login(agentEmail, newPassword)

	// ---- Deleting the line takes its typed name; its conversations go with it. ----
	admin.do("open the line", 15*time.Second,
		chromedp.Navigate(srv.base+"/#/settings/lines/"+lineID),
		chromedp.WaitVisible(chromedp.CSS(brTID("line-delete"))),
		chromedp.Click(chromedp.CSS(brTID("line-delete"))),
		chromedp.WaitVisible(chromedp.CSS(brTID("line-delete-panel"))))
	if txt := brEval[string](admin, nil, "what deleting deletes", `document.querySelector('[data-testid="line-delete-count"]').textContent`); !strings.Contains(txt, strconv.Itoa(len(shopConvs.Items))+" conversations") {
		t.Errorf("the warning says %q, want it to count %d conversations", txt, len(shopConvs.Items))
	}
	if !brEval[bool](admin, nil, "the delete button", `document.querySelector('[data-testid="line-delete-confirm"]').disabled`) {
		t.Fatal("deleting a line with conversations is possible before its name is typed")
	}
	admin.do("type a wrong name", 5*time.Second, chromedp.SendKeys(chromedp.CSS(brTID("line-delete-name")), "Shop"))
	if !brEval[bool](admin, nil, "the delete button", `document.querySelector('[data-testid="line-delete-confirm"]').disabled`) {
		t.Fatal("a wrong name enables deleting")
	}
	adminAPI.expect("GET", "/api/v1/lines/"+lineID, nil, http.StatusOK, nil)
	admin.do("type the name and delete", 10*time.Second,
		chromedp.SendKeys(chromedp.CSS(brTID("line-delete-name")), " line"),
		chromedp.Click(chromedp.CSS(brTID("line-delete-confirm"))))
	admin.waitFor(nil, "back on the list of lines", `location.hash === '#/settings/lines' && document.querySelector('[data-testid="settings-lines"] table, [data-testid="settings-lines"] .hint')`, 10*time.Second)
	adminAPI.expectError("GET", "/api/v1/lines/"+lineID, nil, http.StatusNotFound, "not_found")
	adminAPI.expectError("GET", "/api/v1/conversations/"+visitorConv, nil, http.StatusNotFound, "not_found")
	var left listOf[convJSON]
	adminAPI.expect("GET", "/api/v1/conversations?line="+lineID, nil, http.StatusOK, &left)
	if len(left.Items) != 0 {
		t.Fatalf("%d conversations of the deleted line are left", len(left.Items))
	}
	adminAPI.conversation(other.Conversation.ID) // another line's conversation stays

	if d := admin.openedDialogs(); len(d) > 0 {
		t.Errorf("the admin's page opened dialogs: %q", d)
	}
	srv.stop(t)
	if errs := errorLogLines(srv.stderr.String()); len(errs) > 0 {
		t.Errorf("the gateway logged errors:\n%s", strings.Join(errs, "\n"))
	}
}

// clearInput empties the input of a data-testid as typing would (with an
// input event).
func clearInput(b *brBrowser, testid string) {
	b.t.Helper()
	brEval[bool](b, nil, "clear "+testid, `(e => { e.value = ''; e.dispatchEvent(new Event('input', {bubbles: true})); return true })(document.querySelector(`+brJS(brTID(testid))+`))`)
}
