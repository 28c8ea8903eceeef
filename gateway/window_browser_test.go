package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestConversationWindow drives the conversation window on the real
// binary with three browsers: a visitor on /demo, Dana (the agent who gets
// the chat) and Eve (the agent it is handed to). Dana reads a message with
// links, edits the contact in the panel, blocks it, hands the chat to Eve,
// and signs out: the visitor's widget switches to messenger mode at once.
func TestConversationWindow(t *testing.T) {
	chromium := requireChromium(t)
	start := time.Now()
	lap := func(what string) { t.Logf("%6.2fs  %s", time.Since(start).Seconds(), what) }

	bin := buildBinary(t)
	dataDir, addr := t.TempDir(), freePort(t)
	srv := launchGateway(t, bin, dataDir, addr)
	boot := srv.welcome(t)
	admin := newClient(t, "admin", srv.base)
	admin.login(boot.adminEmail, boot.adminPassword)
	const danaEmail, danaPassword = "dana@example.com", "dana-password-1"
	const eveEmail, evePassword = "eve@example.com", "eve-password-1"
	dana := admin.createAgent("Dana Agent", danaEmail, danaPassword, "agent")
	eve := admin.createAgent("Eve Agent", eveEmail, evePassword, "agent")
	var line lineJSON
	admin.expect("PATCH", "/api/v1/lines/"+boot.demoLineID, map[string]any{"agentIds": []string{dana.ID, eve.ID}}, http.StatusOK, &line)
	lap("gateway up")

	browsers := make([]chan *brBrowser, 3)
	for i, name := range []string{"visitor", "dana", "eve"} {
		browsers[i] = make(chan *brBrowser, 1)
		go func() { browsers[i] <- newBrowserNoFatal(t, chromium, name) }()
	}
	visitor, da, ev := <-browsers[0], <-browsers[1], <-browsers[2]
	if visitor == nil || da == nil || ev == nil {
		t.FailNow()
	}
	lap("three browsers up")

	winSignIn(t, da, srv.base, danaEmail, danaPassword)
	winSignIn(t, ev, srv.base, eveEmail, evePassword) // Eve stays offline: routing picks Dana
	winSetPresence(t, da, admin, dana.ID, "online")
	lap("agents signed in, Dana online")

	// ---- The visitor writes from /demo, with links. ----
	visitor.do("open the demo page and the chat", 20*time.Second,
		chromedp.Navigate(srv.base+"/demo"),
		chromedp.WaitVisible(chromedp.CSS(brTID("sb-launcher"))),
		chromedp.Click(chromedp.CSS(brTID("sb-launcher"))),
		chromedp.WaitVisible(chromedp.CSS("iframe"+brTID("sb-frame"))))
	frame := widgetFrame(t, visitor)
	visitor.waitFor(frame, "the widget is in live mode", `document.querySelector('[data-testid="sb-mode"]').dataset.mode === "live"`, 10*time.Second)
	if brEval[bool](visitor, frame, "the header's connection state", `!document.querySelector('[data-testid="sb-conn"]').hidden`) {
		t.Error("the widget's header says it is reconnecting while connected")
	}
	const hello = "Docs: https://example.com/docs?a=1&b=2. Not a link: javascript:alert(document.domain) <b>bold</b>"
	winVisitorSend(t, visitor, frame, hello)
	visitor.waitFor(frame, "the message is acknowledged",
		`[...document.querySelectorAll('[data-testid="sb-message"][data-author="contact"][data-seq]')].length === 1`, 10*time.Second)
	lap("visitor wrote")

	// ---- Dana's workspace: the row names the visitor, previews the text. ----
	const mineRow = `.mine [data-testid="conv-item"]`
	da.waitFor(nil, "the chat reaches Dana's conversations", `document.querySelectorAll('`+mineRow+`').length === 1`, 10*time.Second)
	convID := brEval[string](da, nil, "the row's id", `document.querySelector('`+mineRow+`').dataset.id`)
	if name := brEval[string](da, nil, "the row's name", `document.querySelector('`+mineRow+` .conv-name').textContent`); !regexp.MustCompile(`^Visitor \d{4}$`).MatchString(name) {
		t.Errorf("the row names the visitor %q, want Visitor NNNN", name)
	}
	if p := brEval[string](da, nil, "the row's preview", `document.querySelector('`+mineRow+` [data-testid="conv-preview"]').textContent`); !strings.HasPrefix(p, "Docs: https://example.com") {
		t.Errorf("the row's preview is %q", p)
	}
	if title := brEval[string](da, nil, "the tab's title", `document.title`); title != "(1) Switchboard" {
		t.Errorf("Dana's tab title is %q, want (1) Switchboard", title)
	}
	da.do("open the chat", 10*time.Second, chromedp.Click(chromedp.CSS(mineRow+" button")),
		chromedp.WaitVisible(chromedp.CSS(brTID("contact-panel"))))
	da.waitFor(nil, "the message is shown", `document.querySelectorAll('[data-testid="message"]').length === 1`, 10*time.Second)

	// Links: the https address is one, the javascript: text is not; markup stays text.
	type linkInfo struct{ Href, Rel, Target, Text string }
	links := brEval[[]linkInfo](da, nil, "the message's links",
		`[...document.querySelectorAll('[data-testid="message"] .text a')].map(a => ({Href: a.getAttribute('href'), Rel: a.rel, Target: a.target, Text: a.textContent}))`)
	if len(links) != 1 || links[0].Href != "https://example.com/docs?a=1&b=2" || links[0].Rel != "noopener noreferrer" || links[0].Target != "_blank" || links[0].Text != "https://example.com/docs?a=1&b=2" {
		t.Errorf("links in the message: %+v; want exactly the https one, rel=noopener noreferrer, target=_blank", links)
	}
	if text := brEval[string](da, nil, "the message text", `document.querySelector('[data-testid="message"] .text').textContent`); text != hello {
		t.Errorf("message text %q, want %q", text, hello)
	}
	if n := brEval[int](da, nil, "elements in the text", `document.querySelectorAll('[data-testid="message"] .text b, [data-testid="message"] .text a[href^="javascript"]').length`); n != 0 {
		t.Errorf("the message text made %d elements from markup or javascript:", n)
	}
	if title := brEval[string](da, nil, "the tab's title after reading", `document.title`); title != "Switchboard" {
		t.Errorf("after opening the chat the title is %q, want Switchboard", title)
	}

	// ---- An image at the bottom keeps the view at the bottom once it loads. ----
	for i := range 25 {
		admin.expect("POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"text": fmt.Sprintf("line %d", i+1), "as": "contact"}, http.StatusCreated, nil)
	}
	da.waitFor(nil, "the client's lines are shown", `document.querySelectorAll('[data-testid="message"]').length === 26`, 10*time.Second)
	da.do("attach a tall image and send it", 15*time.Second,
		chromedp.SetUploadFiles(chromedp.CSS(brTID("file-input")), []string{winWritePNG(t, t.TempDir(), "tall.png", 300, 600)}),
		chromedp.WaitVisible(chromedp.CSS(".attachments .chip:not(.busy)")),
		chromedp.Click(chromedp.CSS(brTID("composer-send"))))
	da.waitFor(nil, "the image has loaded at the bottom, and the view is still at the bottom",
		`(() => { const img = document.querySelector('[data-testid="message"]:last-child img'); const m = document.querySelector('[data-testid="messages"]');
		  return img && img.complete && img.naturalHeight > 0 && img.getBoundingClientRect().height > 100 && m.scrollHeight - m.scrollTop - m.clientHeight < 4; })()`, 10*time.Second)

	// ---- The panel: where the visitor came from. ----
	da.waitFor(nil, "the panel shows the visitor's browser", `document.querySelector('[data-testid="visit-browser"]').textContent.includes("Chrome")`, 10*time.Second)
	if page := brEval[string](da, nil, "the site page", `document.querySelector('[data-testid="visit-page"] a')?.getAttribute('href') || ''`); !strings.HasPrefix(page, srv.base+"/demo") {
		t.Errorf("site page %q, want the demo page", page)
	}
	var cv struct {
		Conversation struct {
			ContactID string `json:"contactId"`
		} `json:"conversation"`
	}
	admin.expect("GET", "/api/v1/conversations/"+convID, nil, http.StatusOK, &cv)
	contactID := cv.Conversation.ContactID

	// ---- Editing the contact in the panel. ----
	da.do("edit the contact", 15*time.Second,
		chromedp.SendKeys(chromedp.CSS(brTID("contact-name")), "Vera Visitor"),
		chromedp.SendKeys(chromedp.CSS(brTID("contact-email")), "vera@example.com"),
		chromedp.SendKeys(chromedp.CSS(brTID("contact-phone")), "+49 30 1234567"),
		chromedp.Click(chromedp.CSS(brTID("contact-add-field"))),
		chromedp.SendKeys(chromedp.CSS(brTID("field-key")), "plan"),
		chromedp.SendKeys(chromedp.CSS(brTID("field-value")), "gold"),
		chromedp.Click(chromedp.CSS(brTID("contact-save"))))
	da.waitFor(nil, "the contact is saved", `document.querySelector('.cp-note').textContent !== ''`, 10*time.Second)
	var ct struct {
		Name, Email, Phone string
		CustomFields       map[string]string `json:"customFields"`
		Blocked            bool
	}
	admin.expect("GET", "/api/v1/contacts/"+contactID, nil, http.StatusOK, &ct)
	if ct.Name != "Vera Visitor" || ct.Email != "vera@example.com" || ct.Phone != "+49 30 1234567" || ct.CustomFields["plan"] != "gold" {
		t.Fatalf("contact after editing in the panel: %+v", ct)
	}
	da.waitFor(nil, "the title, the message and the row show the new name",
		`document.querySelector('.conv-title').textContent === "Vera Visitor" && document.querySelector('[data-testid="message"] .author').textContent === "Vera Visitor" && document.querySelector('`+mineRow+` .conv-name').textContent === "Vera Visitor"`, 5*time.Second)
	lap("contact edited")

	// ---- Blocking: the visitor's next message reaches nobody. ----
	da.do("block the contact", 10*time.Second, chromedp.Click(chromedp.CSS(brTID("contact-block"))))
	da.waitFor(nil, "the panel says blocked", `!document.querySelector('.cp-blocked').hidden && document.querySelector('[data-testid="contact-block"]').getAttribute('aria-pressed') === 'true'`, 10*time.Second)
	admin.expect("GET", "/api/v1/contacts/"+contactID, nil, http.StatusOK, &ct)
	if !ct.Blocked {
		t.Fatal("the contact is not blocked after Block contact")
	}
	const blockedText = "Am I blocked?"
	stored := len(brConversationMessages(admin, convID))
	winVisitorSend(t, visitor, frame, blockedText)
	visitor.waitFor(frame, "the widget marks the message not sent", `document.querySelector('[data-failed="true"]')`, 10*time.Second)
	if n := len(brConversationMessages(admin, convID)); n != stored {
		t.Errorf("the conversation holds %d messages after a blocked visitor wrote, want still %d", n, stored)
	}
	lap("contact blocked")

	// ---- Handing the chat to Eve: it moves to her workspace live. ----
	winChoose(t, da, "assign-target", "agent:"+eve.ID)
	da.do("assign to Eve", 10*time.Second, chromedp.Click(chromedp.CSS(brTID("assign-apply"))))
	ev.waitFor(nil, "the chat appears in Eve's conversations", `document.querySelector('.mine [data-testid="conv-item"][data-id="`+convID+`"]')`, 10*time.Second)
	da.waitFor(nil, "the chat leaves Dana's list", `!document.querySelector('[data-testid="conv-item"][data-id="`+convID+`"]')`, 10*time.Second)
	if got := brConversation(admin, convID); got.AgentID != eve.ID {
		t.Errorf("the conversation's agent is %q, want Eve %q", got.AgentID, eve.ID)
	}
	ev.waitFor(nil, "Eve's title counts it unread", `document.title === "(1) Switchboard"`, 5*time.Second)
	lap("assigned to Eve")

	// ---- Dana signs out: the widget switches to messenger mode within 2 s. ----
	signedOut := time.Now()
	da.do("sign out", 5*time.Second, chromedp.Click(chromedp.CSS(".topbar button.link")))
	visitor.waitFor(frame, "the widget is in messenger mode", `document.querySelector('[data-testid="sb-mode"]').dataset.mode === "messenger"`, 2*time.Second)
	if d := time.Since(signedOut); d > 2*time.Second {
		t.Errorf("messenger mode came %v after signing out, want at most 2 s", d)
	}
	var me agentJSONWithPresence
	admin.expect("GET", "/api/v1/agents/"+dana.ID, nil, http.StatusOK, &me)
	if me.Presence != "offline" {
		t.Errorf("Dana's presence after signing out: %q, want offline", me.Presence)
	}
	lap("signed out: messenger mode")

	// ---- A blocked visitor's message opens no new conversation. ----
	admin.expect("POST", "/api/v1/conversations/"+convID+"/spam", nil, http.StatusOK, nil)
	winVisitorSend(t, visitor, frame, "Anybody?")
	visitor.waitFor(frame, "the new message is refused too", `document.querySelectorAll('[data-failed="true"]').length === 2`, 10*time.Second)
	if ids := admin.conversationIDs("contact=" + contactID); len(ids) != 1 {
		t.Errorf("the blocked contact has %d conversations, want still 1", len(ids))
	}
	if n := brEval[int](ev, nil, "Eve's list", `document.querySelectorAll('[data-testid="conv-item"]').length`); n != 0 {
		t.Errorf("Eve's list shows %d conversations after the blocked visitor wrote, want none", n)
	}

	// ---- A supervisor's window: rating, pin, and delete after confirming. ----
	winSignIn(t, da, srv.base, boot.adminEmail, boot.adminPassword)
	da.do("open the chat by its address", 10*time.Second,
		chromedp.Navigate(srv.base+"/#/c/"+convID),
		chromedp.WaitVisible(chromedp.CSS(brTID("rating-select"))))
	da.waitFor(nil, "the panel shows the chat's contact", `document.querySelector('[data-testid="contact-name"]').value === "Vera Visitor"`, 10*time.Second)
	if r := brEval[string](da, nil, "the client's rating", `document.querySelector('[data-testid="client-rating"]').textContent`); r != "none" {
		t.Errorf("client rating shows %q, want none", r)
	}
	winChoose(t, da, "rating-select", "4")
	da.do("rate the chat", 10*time.Second,
		chromedp.SendKeys(chromedp.CSS(brTID("rating-comment")), "Polite, but block sooner"),
		chromedp.Click(chromedp.CSS(brTID("rating-save"))),
		chromedp.Click(chromedp.CSS(brTID("pin"))))
	var rated struct {
		Conversation struct {
			SupervisorRating  int    `json:"supervisorRating"`
			SupervisorComment string `json:"supervisorComment"`
			Pinned            bool   `json:"pinned"`
		} `json:"conversation"`
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		admin.expect("GET", "/api/v1/conversations/"+convID, nil, http.StatusOK, &rated)
		c := rated.Conversation
		if c.SupervisorRating == 4 && c.SupervisorComment == "Polite, but block sooner" && c.Pinned {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after rating and pinning in the panel: %+v", c)
		}
	}
	da.do("ask to delete", 5*time.Second, chromedp.Click(chromedp.CSS(brTID("conv-delete"))),
		chromedp.WaitVisible(chromedp.CSS(brTID("confirm-dialog"))))
	da.do("cancel", 5*time.Second, chromedp.Click(chromedp.CSS(brTID("confirm-cancel"))),
		chromedp.WaitNotVisible(chromedp.CSS(brTID("confirm-dialog"))))
	admin.expect("GET", "/api/v1/conversations/"+convID, nil, http.StatusOK, nil)
	da.do("delete after confirming", 5*time.Second, chromedp.Click(chromedp.CSS(brTID("conv-delete"))),
		chromedp.WaitVisible(chromedp.CSS(brTID("confirm-dialog"))),
		chromedp.Click(chromedp.CSS(brTID("confirm-ok"))))
	da.waitFor(nil, "the window says deleted", `document.querySelector('.notice').textContent.includes("deleted")`, 10*time.Second)
	admin.expectError("GET", "/api/v1/conversations/"+convID, nil, http.StatusNotFound, "not_found")
	if dl := da.openedDialogs(); len(dl) != 0 {
		t.Errorf("the inbox opened browser dialogs: %q", dl)
	}
	lap("rated, pinned, deleted")

	// ---- The connection drops: the widget's header and the inbox say so,
	// and both clear once the gateway is back. ----
	srv.stop(t)
	if errs := errorLogLines(srv.stderr.String()); len(errs) > 0 {
		t.Errorf("the gateway logged errors:\n%s", strings.Join(errs, "\n"))
	}
	visitor.waitFor(frame, "the widget's header says it is reconnecting", `!document.querySelector('[data-testid="sb-conn"]').hidden && document.querySelector('[data-testid="sb-conn"]').textContent.includes("Reconnecting")`, 10*time.Second)
	ev.waitFor(nil, "Eve's inbox shows the lost connection", `!document.querySelector('[data-testid="conn-banner"]').hidden`, 10*time.Second)
	srv = launchGateway(t, bin, dataDir, addr)
	visitor.waitFor(frame, "the widget's header is clear again", `document.querySelector('[data-testid="sb-conn"]').hidden && !document.querySelector('.sb-st').hidden`, 40*time.Second)
	ev.waitFor(nil, "Eve's banner clears", `document.querySelector('[data-testid="conn-banner"]').hidden`, 40*time.Second)
	lap("reconnected")
	srv.stop(t)
	if errs := errorLogLines(srv.stderr.String()); len(errs) > 0 {
		t.Errorf("the restarted gateway logged errors:\n%s", strings.Join(errs, "\n"))
	}
}

// winSignIn signs in through the inbox's form and waits for the live
// connection.
func winSignIn(t *testing.T, b *brBrowser, base, email, password string) {
	t.Helper()
	signIn(t, b, base, email, password)
	b.do("the workspace", 10*time.Second, chromedp.WaitVisible(chromedp.CSS(brTID("conv-list"))))
	b.waitFor(nil, "the live connection is up", `document.querySelector('[data-testid="conn-banner"]').hidden`, 10*time.Second)
}

// winChoose picks value in the <select> testid as a person does.
func winChoose(t *testing.T, b *brBrowser, testid, value string) {
	t.Helper()
	brEval[bool](b, nil, "choose "+value, `(() => {
		const s = document.querySelector('[data-testid="`+testid+`"]');
		s.focus();
		s.value = `+brJS(value)+`;
		if (s.value !== `+brJS(value)+`) return false;
		s.dispatchEvent(new Event('input', {bubbles: true}));
		s.dispatchEvent(new Event('change', {bubbles: true}));
		return true;
	})()`)
}

// winSetPresence chooses the presence in the inbox and waits for the server.
func winSetPresence(t *testing.T, b *brBrowser, admin *client, agentID, p string) {
	t.Helper()
	winChoose(t, b, "presence", p)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var me agentJSONWithPresence
		admin.expect("GET", "/api/v1/agents/"+agentID, nil, http.StatusOK, &me)
		if me.Presence == p {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("presence is %q 5 s after choosing %q", me.Presence, p)
		}
	}
}

// winVisitorSend types text into the widget and sends it.
func winVisitorSend(t *testing.T, b *brBrowser, frame *chromedp.Node, text string) {
	t.Helper()
	b.do("type in the widget", 10*time.Second, brType(brTID("sb-input"), text, frame)...)
	b.do("send from the widget", 5*time.Second, chromedp.Click(chromedp.CSS(brTID("sb-send")), chromedp.FromNode(frame)))
}

// brConversationMessages lists a conversation's messages through the API.
func brConversationMessages(c *client, id string) []msgJSON {
	c.t.Helper()
	var v convViewB
	c.expect("GET", "/api/v1/conversations/"+id, nil, http.StatusOK, &v)
	return v.Messages
}

// winWritePNG writes a w×h PNG image to dir/name.
func winWritePNG(t *testing.T, dir, name string, w, h int) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		for y := range h {
			img.Set(x, y, color.RGBA{R: uint8(x), G: uint8(y), B: 160, A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
