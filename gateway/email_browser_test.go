package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/switchboard-chat/switchboard/connectors/email/dovecottest"
	"github.com/switchboard-chat/switchboard/connectors/email/smtptest"
)

// TestEmailInTheBrowser: an admin sets up a line's mailbox from Settings
// — a wrong password refused next to the IMAP settings in the server's
// words, then saved — a customer's HTML mail arrives with its subject,
// sender and text, its formatted version in a sandboxed frame with the
// tracking image not loaded; the agent answers with the composer's
// subject, and the reply reaches the SMTP server, marked sent.
func TestEmailInTheBrowser(t *testing.T) {
	chromium := requireChromium(t)
	dv := dovecottest.Start(t, map[string]string{mbAddr: mbPass})
	sm, err := smtptest.Start("mailer", "smtp-secret")
	if err != nil {
		t.Fatal(err)
	}
	defer sm.Close()
	bin := buildBinary(t)
	srv := launchGateway(t, bin, t.TempDir(), freePort(t), "SWITCHBOARD_LEASE_TTL=3s")
	boot := srv.welcome(t)
	b := newBrowser(t, chromium, "admin")
	signIn(t, b, srv.base, boot.adminEmail, boot.adminPassword)
	adminID := brEval[string](b, nil, "the admin's id", `fetch('/api/v1/me').then(r => r.json()).then(j => j.agent.id)`)
	ih, ip := hostPort(t, dv.Addr())
	sh, sp := hostPort(t, sm.Addr)

	b.do("open a new line", 15*time.Second,
		chromedp.Click(chromedp.CSS(brTID("tab-settings"))),
		chromedp.WaitVisible(chromedp.CSS(brTID("line-new"))),
		chromedp.Click(chromedp.CSS(brTID("line-new"))),
		chromedp.WaitVisible(chromedp.CSS(brTID("line-email"))))
	b.do("name the line, join its queue, switch the mailbox on", 15*time.Second,
		chromedp.SendKeys(chromedp.CSS(brTID("line-name")), "Mail line"),
		chromedp.Click(chromedp.CSS(brTID("line-agent-"+adminID))),
		chromedp.Click(chromedp.CSS(brTID("em-enabled"))),
		chromedp.WaitVisible(chromedp.CSS(brTID("em-imap-host"))))
	set := func(id, v string) {
		clearInput(b, id)
		b.do("type "+id, 5*time.Second, chromedp.SendKeys(chromedp.CSS(brTID(id)), v))
	}
	pick := func(id, v string) {
		b.do("choose "+id, 5*time.Second, chromedp.SetValue(chromedp.CSS(brTID(id)), v),
			chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="`+id+`"]').dispatchEvent(new Event('change', {bubbles: true}))`))
	}
	set("em-address", mbAddr)
	set("em-from-name", "Shop support")
	pick("em-imap-security", "none")
	pick("em-smtp-security", "none")
	set("em-imap-host", ih)
	set("em-imap-port", strconv.Itoa(ip))
	set("em-imap-user", mbAddr)
	set("em-imap-password", "wrong password")
	set("em-smtp-host", sh)
	set("em-smtp-port", strconv.Itoa(sp))
	set("em-smtp-user", "mailer")
	set("em-smtp-password", "smtp-secret")
	b.do("save", 10*time.Second, chromedp.Click(chromedp.CSS(brTID("line-save"))))
	b.waitFor(nil, "the IMAP refusal next to the IMAP settings",
		`(() => { const g = document.querySelector('[data-field="channels.email.imap"]'); const e = g && document.getElementById(g.id + '-err');
			return e && !e.hidden && /server says|credentials|Authentication/i.test(e.textContent); })()`, 15*time.Second)
	set("em-imap-password", mbPass)
	b.do("save again", 10*time.Second, chromedp.Click(chromedp.CSS(brTID("line-save"))))
	b.waitFor(nil, "the mailbox connected", `(() => { const s = document.querySelector('[data-testid="em-status"]'); return s && s.dataset.state === 'connected'; })()`, 20*time.Second)

	// A customer's HTML mail with a tracking image.
	html := "From: \"Olga Ivanova\" <olga@customer.example>\r\nTo: " + mbAddr + "\r\nSubject: Broken zipper\r\nMessage-ID: <zip1@customer.example>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"a\"\r\n\r\n" +
		"--a\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe zipper of my jacket broke.\r\n" +
		"--a\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>The <b>zipper</b> of my jacket broke.</p><img src=\"https://tracker.example/open.gif\"><script>alert(1)</script>\r\n--a--\r\n"
	dv.Append(mbAddr, mbPass, "INBOX", []byte(html))
	b.do("back to the workspace", 10*time.Second, chromedp.Click(chromedp.CSS(brTID("tab-workspace"))))
	b.waitFor(nil, "the e-mail conversation with its badge", `!!document.querySelector('[data-testid="conv-item"] [data-testid="channel-badge"][data-channel="email"]')`, 30*time.Second)
	b.do("open it", 10*time.Second, chromedp.Click(chromedp.CSS(brTID("conv-item"))))
	b.waitFor(nil, "the subject, the sender and the text",
		`(document.querySelector('[data-testid="conv-subject"]') || {}).textContent === 'Broken zipper' &&
			(document.querySelector('[data-testid="mail-head"]') || {}).textContent.includes('olga@customer.example') &&
			[...document.querySelectorAll('[data-testid="message"]')].some(m => m.textContent.includes('The zipper of my jacket broke.'))`, 15*time.Second)
	b.do("show the formatted version", 10*time.Second, chromedp.Click(chromedp.CSS(brTID("mail-html-toggle"))))
	b.waitFor(nil, "the sandboxed frame (no scripts; links open in a new tab) without the tracking image",
		`(() => { const f = document.querySelector('[data-testid="mail-html"]'); return f && f.getAttribute('sandbox') === 'allow-popups allow-popups-to-escape-sandbox' && f.src.endsWith('/html') &&
			!!document.querySelector('[data-testid="mail-images"]'); })()`, 10*time.Second)

	// The agent answers with their own subject.
	b.waitFor(nil, "the composer's subject", `(document.querySelector('[data-testid="composer-subject"]') || {}).value === 'Re: Broken zipper'`, 10*time.Second)
	set("composer-subject", "Your zipper repair")
	b.do("answer", 10*time.Second,
		chromedp.SendKeys(chromedp.CSS(brTID("composer-input")), "Send the jacket to us, we repair it for free."),
		chromedp.Click(chromedp.CSS(brTID("composer-send"))))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got, err := sm.Wait(ctx, 1)
	if err != nil {
		t.Fatalf("no reply reached the SMTP server: %v\n%s\n%s", err, srv.stderr, b.pageText(nil))
	}
	if h := got[0].Header(); h.Get("Subject") != "Your zipper repair" || h.Get("In-Reply-To") != "<zip1@customer.example>" ||
		!strings.Contains(string(got[0].Raw), "we repair it for free") {
		t.Errorf("the reply: %s", got[0].Raw)
	}
	b.waitFor(nil, "the reply marked sent",
		`[...document.querySelectorAll('[data-testid="message"]')].some(m => m.textContent.includes('repair it for free') &&
			m.querySelector('[data-testid="delivery-state"][data-state="sent"]'))`, 15*time.Second)
}
