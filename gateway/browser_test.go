package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/chromedp/chromedp"
)

// brConv is a conversation as the admin reads it over REST, with the
// fields this test checks.
type brConv struct {
	ID           string `json:"id"`
	LineID       string `json:"lineId"`
	Status       string `json:"status"`
	ContactName  string `json:"contactName"`
	AgentID      string `json:"agentId"`
	ClientRating int    `json:"clientRating"`
}

// TestBrowserLiveChat drives the real binary with two real browsers: a
// visitor on a web site that embeds the widget (its own origin) and an
// agent in the inbox. It covers the live chat both ways, how fast a new
// conversation reaches the agent, attachments both ways, closing with the
// visitor's rating, and that hostile text stays text on both sides.
func TestBrowserLiveChat(t *testing.T) {
	chromium := requireChromium(t)
	start := time.Now()
	lap := func(what string) { t.Logf("%6.2fs  %s", time.Since(start).Seconds(), what) }

	// ---- 1. The gateway, started as in production. ----
	bin := buildBinary(t)
	srv := startServer(t, bin, t.TempDir())
	boot := srv.welcome(t)
	admin := newClient(t, "admin", srv.base)
	admin.login(boot.adminEmail, boot.adminPassword)
	lap("gateway up")

	// The two browsers start side by side.
	var visitor, agent *brBrowser
	{
		vc, ac := make(chan *brBrowser, 1), make(chan *brBrowser, 1)
		go func() { vc <- newBrowserNoFatal(t, chromium, "visitor") }()
		go func() { ac <- newBrowserNoFatal(t, chromium, "agent") }()
		visitor, agent = <-vc, <-ac
		if visitor == nil || agent == nil {
			t.FailNow()
		}
	}
	lap("two browsers up")

	// ---- 2. A line embedded by a site on another origin, and its agent. ----
	// The host page: 127.0.0.1 on another port is another origin than the
	// gateway (same site, so Chromium keeps the iframe in the page's process).
	var lineID string
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		brHostPage(srv.base, lineID).ServeHTTP(w, r)
	}))
	defer host.Close()
	if !strings.HasPrefix(host.URL, "http://127.0.0.1:") || !strings.HasPrefix(srv.base, "http://127.0.0.1:") || host.URL == srv.base {
		t.Fatalf("host page %s and gateway %s must be 127.0.0.1 on different ports", host.URL, srv.base)
	}
	var line lineJSON
	admin.expect("POST", "/api/v1/lines", map[string]any{
		"name":     "Browser shop",
		"channels": map[string]any{"widget": map[string]any{"enabled": true, "allowedOrigins": []string{host.URL}}},
		"settings": map[string]any{"ratingTimeoutSeconds": 300},
	}, http.StatusCreated, &line)
	lineID = line.ID
	const agentEmail, agentPassword = "dana@example.com", "dana-password-1"
	dana := admin.createAgent("Dana Agent", agentEmail, agentPassword, "agent")
	admin.expect("PATCH", "/api/v1/lines/"+line.ID, map[string]any{"agentIds": []string{dana.ID}}, http.StatusOK, &line)
	if !slices.Equal(line.AgentIDs, []string{dana.ID}) {
		t.Fatalf("line queue = %v, want [%s]", line.AgentIDs, dana.ID)
	}

	// ---- 3. The agent signs in through the form and goes online. ----
	agent.do("open the inbox", 20*time.Second,
		chromedp.Navigate(srv.base+"/"),
		chromedp.WaitVisible(chromedp.CSS(brTID("login-email"))))
	agent.do("sign in with a wrong password", 10*time.Second,
		chromedp.SendKeys(chromedp.CSS(brTID("login-email")), agentEmail),
		chromedp.SendKeys(chromedp.CSS(brTID("login-password")), "not-the-password"),
		chromedp.Click(chromedp.CSS(brTID("login-submit"))),
		chromedp.WaitVisible(chromedp.CSS(brTID("login-error"))))
	agent.do("sign in", 10*time.Second,
		chromedp.Clear(chromedp.CSS(brTID("login-password"))),
		chromedp.SendKeys(chromedp.CSS(brTID("login-password")), agentPassword),
		chromedp.Click(chromedp.CSS(brTID("login-submit"))),
		chromedp.WaitVisible(chromedp.CSS(brTID("presence"))),
		chromedp.WaitVisible(chromedp.CSS(brTID("conv-list"))))
	setPresence := func(p string) {
		t.Helper()
		// A <select> is set as a person's choice is: the value, then "change".
		brEval[bool](agent, nil, "choose presence "+p, `(() => {
			const s = document.querySelector('[data-testid="presence"]');
			s.focus();
			s.value = `+brJS(p)+`;
			s.dispatchEvent(new Event('input', {bubbles: true}));
			s.dispatchEvent(new Event('change', {bubbles: true}));
			return true;
		})()`)
		deadline := time.Now().Add(5 * time.Second)
		for {
			var me agentJSONWithPresence
			admin.expect("GET", "/api/v1/agents/"+dana.ID, nil, http.StatusOK, &me)
			if me.Presence == p {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("agent presence is %q 5 s after choosing %q in the inbox", me.Presence, p)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	setPresence("online")
	lap("agent signed in and online")

	// ---- 4. The visitor opens the host page and the chat, in live mode. ----
	visitor.do("open the host page", 20*time.Second,
		chromedp.Navigate(host.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(brTID("sb-launcher"))),
		chromedp.Click(chromedp.CSS(brTID("sb-launcher"))),
		chromedp.WaitVisible(chromedp.CSS("iframe"+brTID("sb-frame"))))
	visitor.waitFor(nil, "the widget says it is ready (Switchboard.on('ready'))", `window.__sb && window.__sb.ready`, 15*time.Second)
	frame := widgetFrame(t, visitor)
	fin := chromedp.FromNode(frame)
	visitor.waitFor(frame, "the widget is in live mode", `document.querySelector('[data-testid="sb-mode"]').dataset.mode === "live"`, 10*time.Second)
	if mode := brEval[string](visitor, nil, "host page mode", `window.__sb.mode`); mode != "live" {
		t.Fatalf("the host page's Switchboard.on('ready') said mode %q, want live", mode)
	}
	lap("widget open in live mode")

	// Nothing is waiting for the agent yet.
	if n := brEval[int](agent, nil, "count conversations", `document.querySelectorAll('[data-testid="conv-item"]').length`); n != 0 {
		t.Fatalf("the agent's list shows %d conversations before any visitor wrote", n)
	}

	// The visitor writes; the conversation reaches the agent within 1 s.
	const hello = "Hello, I need help with my order 42"
	visitor.do("type the first message", 10*time.Second, brType(brTID("sb-input"), hello, frame)...)
	sentAt := time.Now()
	visitor.do("send the first message", 5*time.Second, chromedp.Click(chromedp.CSS(brTID("sb-send")), fin))
	agent.waitFor(nil, "the new conversation appears in the agent's list", `document.querySelector('[data-testid="conv-list"] [data-testid="conv-item"]')`, 5*time.Second)
	appear := time.Since(sentAt)
	t.Logf("new conversation appeared in the agent's list %s after the visitor pressed send", appear.Round(time.Millisecond))
	if appear > time.Second {
		t.Errorf("the new conversation took %s to appear in the agent's list, want at most 1 s", appear.Round(time.Millisecond))
	}
	visitor.waitFor(frame, "the visitor's message is acknowledged", `[...document.querySelectorAll('[data-testid="sb-message"][data-author="contact"][data-seq]')].some(e => e.querySelector('.sb-bubble')?.textContent === `+brJS(hello)+`)`, 5*time.Second)
	convID := brEval[string](agent, nil, "the conversation's id", `document.querySelector('[data-testid="conv-item"]').dataset.id`)
	if unread := brEval[string](agent, nil, "unread mark", `document.querySelector('[data-testid="conv-item"]').dataset.unread`); unread != "true" {
		t.Errorf("a new conversation's item has data-unread=%q, want true", unread)
	}
	var first convViewB
	admin.expect("GET", "/api/v1/conversations/"+convID, nil, http.StatusOK, &first)
	if first.Conversation.LineID != line.ID || len(first.Messages) != 1 || first.Messages[0].Text != hello || first.Messages[0].AuthorKind != "contact" {
		t.Fatalf("the conversation in the agent's list is %+v with messages %+v", first.Conversation, first.Messages)
	}
	lap("first message delivered")

	// ---- 5. The agent opens it, presses Answer and replies. ----
	agent.do("open the conversation", 10*time.Second,
		chromedp.Click(chromedp.CSS(`[data-testid="conv-item"][data-id="`+convID+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(brTID("messages"))))
	agent.waitFor(nil, "the visitor's message in the agent's view", messageTextsJS(`[data-testid="messages"] [data-testid="message"][data-author="contact"]`, "p.text")+`.includes(`+brJS(hello)+`)`, 5*time.Second)
	agent.do("press Answer", 10*time.Second,
		chromedp.WaitVisible(chromedp.CSS(brTID("btn-accept"))),
		chromedp.Click(chromedp.CSS(brTID("btn-accept"))))
	// A live chat is routed to the online agent (waiting, 4); Answer takes it (accepted, 3).
	agent.waitFor(nil, "the status shows accepted", `document.querySelector('[data-testid="status"]').dataset.status === "accepted"`, 5*time.Second)
	if c := brConversation(admin, convID); c.AgentID != dana.ID || c.Status != "accepted" {
		t.Fatalf("after Answer the conversation is %q and belongs to %q, want accepted by the agent %q", c.Status, c.AgentID, dana.ID)
	}
	agent.waitFor(nil, "Answer is gone once taken", `document.querySelector('[data-testid="btn-accept"]').hidden`, 5*time.Second)
	const reply = "Hi! Let me look at order 42 for you."
	agentSend(t, agent, reply)
	visitor.waitFor(frame, "the visitor sees the agent's reply", messageTextsJS(`[data-testid="sb-message"][data-author="agent"]`, ".sb-bubble")+`.includes(`+brJS(reply)+`)`, 5*time.Second)
	visitor.waitFor(nil, "the host page hears of the reply (Switchboard.on('message'))", `window.__sb.messages.includes(`+brJS(reply)+`)`, 5*time.Second)
	lap("reply delivered")

	// ---- 6. Attachments both ways. ----
	files := t.TempDir()
	pngPath := brWritePNG(t, files, "pixel.png")
	visitor.do("attach a PNG in the widget", 10*time.Second,
		chromedp.SetUploadFiles(chromedp.CSS(brTID("sb-file")), []string{pngPath}, fin))
	agent.waitFor(nil, "the agent sees the visitor's image, loaded",
		`[...document.querySelectorAll('[data-testid="message"][data-author="contact"] img')].some(i => i.alt === "pixel.png" && i.complete && i.naturalWidth === 8)`, 10*time.Second)
	visitor.waitFor(frame, "the visitor sees their image, loaded",
		`[...document.querySelectorAll('[data-testid="sb-message"][data-author="contact"][data-seq] img')].some(i => i.alt === "pixel.png" && i.complete && i.naturalWidth === 8)`, 10*time.Second)

	const notes = "Order 42: shipped on Monday.\nTracking: SB-0042\n"
	txtPath := filepath.Join(files, "notes.txt")
	if err := os.WriteFile(txtPath, []byte(notes), 0o644); err != nil {
		t.Fatal(err)
	}
	agent.do("attach a text file in the inbox", 10*time.Second,
		chromedp.SetUploadFiles(chromedp.CSS(brTID("file-input")), []string{txtPath}))
	agent.waitFor(nil, "the upload is done", `(() => { const c = [...document.querySelectorAll('.composer .attachments .chip')]; return c.length === 1 && c[0].textContent.includes("notes.txt") && !document.querySelector('[data-testid="composer-send"]').disabled; })()`, 10*time.Second)
	agent.do("send the file", 5*time.Second, chromedp.Click(chromedp.CSS(brTID("composer-send"))))
	visitor.waitFor(frame, "the visitor sees a download link",
		`document.querySelector('[data-testid="sb-message"][data-author="agent"] a.sb-att[download="notes.txt"]')`, 10*time.Second)
	got := brEval[string](visitor, frame, "download the agent's file",
		`fetch(document.querySelector('[data-testid="sb-message"][data-author="agent"] a.sb-att[download="notes.txt"]').href).then(r => r.ok ? r.text() : "HTTP " + r.status)`)
	if got != notes {
		t.Fatalf("the visitor downloaded %q, want %q", got, notes)
	}
	agent.waitFor(nil, "the agent's own message shows the file", `[...document.querySelectorAll('[data-testid="message"][data-author="agent"] a[download]')].some(a => a.textContent.startsWith("notes.txt"))`, 5*time.Second)
	lap("attachments delivered both ways")

	// ---- 7. The agent closes; the visitor rates 5. ----
	agent.do("close the conversation", 5*time.Second, chromedp.Click(chromedp.CSS(brTID("btn-close"))))
	visitor.do("the rating prompt", 10*time.Second, chromedp.WaitVisible(chromedp.CSS(brTID("sb-rate-5")), fin))
	visitor.do("rate 5", 5*time.Second, chromedp.Click(chromedp.CSS(brTID("sb-rate-5")), fin))
	for deadline := time.Now().Add(5 * time.Second); ; {
		c := brConversation(admin, convID)
		if c.Status == "closed" && c.ClientRating == 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("5 s after the visitor's rating the conversation is %q with clientRating %d, want closed with 5", c.Status, c.ClientRating)
		}
		time.Sleep(50 * time.Millisecond)
	}
	agent.waitFor(nil, "the closed conversation leaves the agent's list", `!document.querySelector('[data-testid="conv-item"][data-id="`+convID+`"]')`, 5*time.Second)
	lap("closed and rated")

	// ---- 8. Hostile text stays text. ----
	// The visitor names themself through the contact form, which the widget
	// shows in messenger mode: the agent goes offline for it.
	const evilName = `<b onmouseover=alert(1)>x</b>`
	setPresence("offline")
	visitor.waitFor(frame, "messenger mode", `document.querySelector('[data-testid="sb-mode"]').dataset.mode === "messenger"`, 10*time.Second)
	visitor.do("fill in the contact form", 10*time.Second,
		chromedp.WaitVisible(chromedp.CSS(brTID("sb-name")), fin),
		chromedp.SendKeys(chromedp.CSS(brTID("sb-name")), evilName, fin),
		chromedp.SendKeys(chromedp.CSS(brTID("sb-email")), "visitor@example.com", fin),
		chromedp.Click(chromedp.CSS(brTID("sb-contact-submit")), fin),
		chromedp.WaitNotVisible(chromedp.CSS(brTID("sb-contact-submit")), fin))
	setPresence("online")
	visitor.waitFor(frame, "live mode again", `document.querySelector('[data-testid="sb-mode"]').dataset.mode === "live"`, 10*time.Second)

	long := naughtyLong()
	naughty := []string{
		`<script>window.__pwned=1</script>`,
		`<img src=x onerror="window.__pwned=1">`,
		`javascript:window.__pwned=1`,
		"invoice\u202Egnp.exe \u2066isolate\u2069 \u200Fmark",
		long,
	}
	for i, s := range naughty {
		visitor.do(fmt.Sprintf("type naughty message %d", i+1), 10*time.Second, brType(brTID("sb-input"), s, frame)...)
		visitor.do(fmt.Sprintf("send naughty message %d", i+1), 5*time.Second, chromedp.Click(chromedp.CSS(brTID("sb-send")), fin))
		visitor.waitFor(frame, fmt.Sprintf("naughty message %d acknowledged", i+1),
			`!document.querySelector('[data-testid="sb-message"][data-pending]') && document.querySelector('[data-testid="sb-input"]').value === ""`, 10*time.Second)
	}
	agent.waitFor(nil, "the second conversation reaches the agent", `[...document.querySelectorAll('[data-testid="conv-item"]')].some(e => e.dataset.id !== `+brJS(convID)+`)`, 10*time.Second)
	conv2 := brEval[string](agent, nil, "the second conversation's id", `[...document.querySelectorAll('[data-testid="conv-item"]')].find(e => e.dataset.id !== `+brJS(convID)+`).dataset.id`)
	agent.do("open the second conversation", 10*time.Second,
		chromedp.Click(chromedp.CSS(`[data-testid="conv-item"][data-id="`+conv2+`"]`)))
	contactSel := `[data-testid="messages"] [data-testid="message"][data-author="contact"]`
	agent.waitFor(nil, "all naughty messages in the agent's view", messageTextsJS(contactSel, "p.text")+`.length === `+fmt.Sprint(len(naughty)), 10*time.Second)
	for _, s := range naughty {
		agentSend(t, agent, s)
	}
	agentSel := `[data-testid="messages"] [data-testid="message"][data-author="agent"]`
	agent.waitFor(nil, "all naughty replies in the agent's view", messageTextsJS(agentSel, "p.text")+`.length === `+fmt.Sprint(len(naughty)), 10*time.Second)
	visitor.waitFor(frame, "all naughty replies in the widget",
		messageTextsJS(`[data-testid="sb-message"][data-author="agent"][data-conv="`+conv2+`"]`, ".sb-bubble")+`.length === `+fmt.Sprint(len(naughty)), 10*time.Second)

	// Verbatim, as text, on both sides.
	checkTexts := func(who string, got, want []string) {
		t.Helper()
		if slices.Equal(got, want) {
			return
		}
		for i := range max(len(got), len(want)) {
			var g, w string
			if i < len(got) {
				g = got[i]
			}
			if i < len(want) {
				w = want[i]
			}
			if g != w {
				t.Errorf("%s: text %d is %s, want %s", who, i+1, brClip(g), brClip(w))
			}
		}
		if len(got) != len(want) {
			t.Errorf("%s: %d texts, want %d", who, len(got), len(want))
		}
	}
	checkTexts("widget, visitor's messages", brEval[[]string](visitor, frame, "read the widget",
		messageTextsJS(`[data-testid="sb-message"][data-author="contact"][data-conv="`+conv2+`"]`, ".sb-bubble")), naughty)
	checkTexts("widget, agent's replies", brEval[[]string](visitor, frame, "read the widget",
		messageTextsJS(`[data-testid="sb-message"][data-author="agent"][data-conv="`+conv2+`"]`, ".sb-bubble")), naughty)
	checkTexts("inbox, visitor's messages", brEval[[]string](agent, nil, "read the inbox", messageTextsJS(contactSel, "p.text")), naughty)
	checkTexts("inbox, agent's replies", brEval[[]string](agent, nil, "read the inbox", messageTextsJS(agentSel, "p.text")), naughty)

	// The name too: in the list, the title and as the visitor's messages' author.
	agent.waitFor(nil, "the visitor's name in the agent's list", `document.querySelector('[data-testid="conv-item"][data-id="`+conv2+`"] .conv-name').textContent === `+brJS(evilName), 5*time.Second)
	for what, expr := range map[string]string{
		"conversation title": `document.querySelector('.conv-title').textContent`,
		"message author":     `document.querySelector('` + contactSel + ` .author').textContent`,
	} {
		if got := brEval[string](agent, nil, "read the "+what, expr); got != evilName {
			t.Errorf("inbox %s is %s, want the name %s as text", what, brClip(got), brClip(evilName))
		}
	}
	if c := brConversation(admin, conv2); c.ContactName != evilName {
		t.Errorf("the second conversation's contactName is %q, want %q", c.ContactName, evilName)
	}

	// No markup came alive anywhere.
	const alive = `(() => {
		const out = [];
		for (const e of document.querySelectorAll('*')) {
			for (const a of e.getAttributeNames()) if (/^on/i.test(a)) out.push(e.tagName + '[' + a + ']');
			if (e.tagName === 'IMG' && e.getAttribute('src') === 'x') out.push('img[src=x]');
			if (e.tagName === 'B') out.push('b');
			if (e.tagName === 'A' && /^\s*javascript:/i.test(e.getAttribute('href') || '')) out.push('a[href=javascript:]');
		}
		for (const s of document.querySelectorAll('script')) if (s.textContent.includes('__pwned')) out.push('script: ' + s.textContent.slice(0, 40));
		return [...new Set(out)].slice(0, 20);
	})()`
	checkInert := func(who string, b *brBrowser, fr *chromedp.Node) {
		t.Helper()
		if bad := brEval[[]string](b, fr, who+": look for live markup", alive); len(bad) > 0 {
			t.Errorf("%s: hostile text became markup: %v", who, bad)
		}
		if typ := brEval[string](b, fr, who+": window.__pwned", `typeof window.__pwned`); typ != "undefined" {
			t.Errorf("%s: window.__pwned is set (%s): a script from a message ran", who, typ)
		}
	}
	// Hovering the name would run an onmouseover handler if there were one.
	brHover(agent, `[data-testid="conv-item"][data-id="`+conv2+`"] .conv-name`)
	brHover(agent, `.conv-title`)
	checkInert("widget iframe", visitor, frame)
	checkInert("host page", visitor, nil)
	checkInert("inbox", agent, nil)
	for _, b := range []*brBrowser{visitor, agent} {
		if d := b.openedDialogs(); len(d) > 0 {
			t.Errorf("%s: the page opened dialogs: %q", b.name, d)
		}
	}
	lap("hostile text checked")

	// Invalid UTF-8 cannot be typed; over the API it must be refused.
	// docs/api.yaml: "All text must be valid UTF-8."
	status, body := brRawPost(admin, "/api/v1/conversations/"+conv2+"/messages", []byte("{\"text\":\"bad \xff\xfe byte\",\"as\":\"contact\"}"))
	if status != http.StatusBadRequest {
		t.Errorf("a message with invalid UTF-8 (raw 0xff 0xfe in a JSON string) was answered %d, want 400; body: %s", status, body)
	}

	// A graceful stop with both browsers still connected.
	srv.stop(t)
	if errs := errorLogLines(srv.stderr.String()); len(errs) > 0 {
		t.Errorf("the gateway logged errors:\n%s", strings.Join(errs, "\n"))
	}
	lap("done")
}

// agentJSONWithPresence is an agent as the admin reads it, with presence.
type agentJSONWithPresence struct {
	ID       string `json:"id"`
	Presence string `json:"presence"`
}

// convViewB is GET /conversations/{id}: the conversation and its messages.
type convViewB struct {
	Conversation brConv    `json:"conversation"`
	Messages     []msgJSON `json:"messages"`
}

func brConversation(c *client, id string) brConv {
	c.t.Helper()
	var v convViewB
	c.expect("GET", "/api/v1/conversations/"+id, nil, http.StatusOK, &v)
	return v.Conversation
}

// newBrowserNoFatal starts a browser from a goroutine: it reports a
// failure with t.Error and returns nil instead of calling t.Fatal there.
func newBrowserNoFatal(t *testing.T, chromium, name string) (b *brBrowser) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if r := recover(); r != nil {
				t.Errorf("%s browser: %v", name, r)
			}
		}()
		b = newBrowser(t, chromium, name)
	}()
	<-done
	return b
}

// widgetFrame finds the widget's iframe element, with its loaded document.
func widgetFrame(t *testing.T, b *brBrowser) *chromedp.Node {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		nodes := brRun(b, "find the widget iframe", 10*time.Second, chromedp.Nodes(chromedp.CSS("iframe"+brTID("sb-frame"))))
		fr := nodes[0]
		if fr.ContentDocument != nil {
			if href, err := brTryEval[string](b, fr, `document.querySelector('[data-testid="sb-input"]') ? location.href : ""`, 2*time.Second); err == nil && strings.Contains(href, "/widget/frame") {
				return fr
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the widget iframe's document did not load (content document %v)", fr.ContentDocument != nil)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// agentSend types text into the inbox composer and sends it as a reply.
func agentSend(t *testing.T, agent *brBrowser, text string) {
	t.Helper()
	agent.do("type a reply", 10*time.Second, brType(brTID("composer-input"), text, nil)...)
	agent.do("send the reply", 5*time.Second, chromedp.Click(chromedp.CSS(brTID("composer-send"))))
	agent.waitFor(nil, "the reply is sent", `document.querySelector('[data-testid="composer-input"]').value === "" && !document.querySelector('.composer .error:not([hidden])')`, 10*time.Second)
}

// messageTextsJS is a JavaScript expression: the textContent of part
// inside each element that matches sel, in document order.
func messageTextsJS(sel, part string) string {
	return `[...document.querySelectorAll(` + brJS(sel) + `)].map(e => e.querySelector(` + brJS(part) + `)).filter(Boolean).map(e => e.textContent)`
}

// naughtyLong is a 5,000-character message of markup-like text.
func naughtyLong() string {
	unit := `<svg/onload=window.__pwned=1> "quotes" & 'apostrophes' ` + "\u00e9\u4e2d\U0001F600 "
	var b strings.Builder
	for utf8.RuneCountInString(b.String()) < 5000 {
		b.WriteString(unit)
	}
	r := []rune(b.String())[:5000]
	r[len(r)-1] = '!' // no trailing space: senders trim
	return string(r)
}

// clip shortens a long text for a failure message.
func brClip(s string) string {
	if r := []rune(s); len(r) > 80 {
		return fmt.Sprintf("%q… (%d characters)", string(r[:80]), len(r))
	}
	return fmt.Sprintf("%q", s)
}

// brHover moves the mouse over the middle of the element sel.
func brHover(b *brBrowser, sel string) {
	b.t.Helper()
	box := brRun(b, "measure "+sel, 5*time.Second, chromedp.Dimensions(chromedp.CSS(sel)))
	q := box.Content
	if len(q) < 8 {
		b.t.Fatalf("%s: %s has no box", b.name, sel)
	}
	x, y := (q[0]+q[2]+q[4]+q[6])/4, (q[1]+q[3]+q[5]+q[7])/4
	b.do("hover "+sel, 5*time.Second, chromedp.MouseEvent(chromedp.MouseMoved, x, y))
}
