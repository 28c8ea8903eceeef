package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/switchboard-chat/switchboard/connectors/telegram/tgfake"
)

// TestTelegramInTheBrowser: an admin connects a line's Telegram bot from
// Settings — a wrong token is refused next to its field in Telegram's
// words, the right one shows the bot — then a customer's Telegram message
// arrives in the inbox with the Telegram badge and their @username; the
// agent's reply shows "sent"; one to a customer who blocked the bot shows
// why it was not delivered, with a retry; the customer's edit shows live.
func TestTelegramInTheBrowser(t *testing.T) {
	chromium := requireChromium(t)
	fake, err := tgfake.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	fake.AddBot(tgToken, tgfake.User{ID: 700100, IsBot: true, FirstName: "Shop", Username: "shop_bot"})
	bin := buildBinary(t)
	srv := launchGateway(t, bin, t.TempDir(), freePort(t), tgEnv(fake)...)
	boot := srv.welcome(t)
	api := newClient(t, "admin", srv.base)
	api.login(boot.adminEmail, boot.adminPassword)
	api.expect("PATCH", "/api/v1/me", map[string]any{"presence": "online"}, http.StatusOK, nil)

	b := newBrowser(t, chromium, "admin")
	signIn(t, b, srv.base, boot.adminEmail, boot.adminPassword)
	adminID := brEval[string](b, nil, "the admin's id", `fetch('/api/v1/me').then(r => r.json()).then(j => j.agent.id)`)
	b.do("open a new line", 15*time.Second,
		chromedp.Click(chromedp.CSS(brTID("tab-settings"))),
		chromedp.WaitVisible(chromedp.CSS(brTID("line-new"))),
		chromedp.Click(chromedp.CSS(brTID("line-new"))),
		chromedp.WaitVisible(chromedp.CSS(brTID("line-telegram"))))
	b.do("name the line, join its queue, connect a bot with a wrong token", 15*time.Second,
		chromedp.SendKeys(chromedp.CSS(brTID("line-name")), "Telegram line"),
		chromedp.Click(chromedp.CSS(brTID("line-agent-"+adminID))),
		chromedp.Click(chromedp.CSS(brTID("tg-enabled"))),
		chromedp.SendKeys(chromedp.CSS(brTID("tg-token")), "999:wrong"),
		chromedp.Click(chromedp.CSS(brTID("tg-mode-polling"))),
		chromedp.Click(chromedp.CSS(brTID("line-save"))))
	b.waitFor(nil, "the wrong token refused next to its field, in Telegram's words",
		`(() => { const i = document.querySelector('[data-testid="tg-token"]');
			const said = (i.getAttribute('aria-describedby') || '').split(' ').map(id => (document.getElementById(id) || {}).textContent || '').join(' ');
			return i.getAttribute('aria-invalid') === 'true' && said.includes('Telegram says: Unauthorized') && !said.includes('channels.telegram'); })()`, 10*time.Second)
	clearInput(b, "tg-token")
	b.do("the right token", 10*time.Second,
		chromedp.SendKeys(chromedp.CSS(brTID("tg-token")), tgToken),
		chromedp.Click(chromedp.CSS(brTID("line-save"))))
	// The editor may draw itself again after the save: the state and the
	// link are read from one drawing.
	b.waitFor(nil, "the bot shown as connected, with its link",
		`(() => { const s = document.querySelector('[data-testid="tg-bot"]'); const a = document.querySelector('[data-testid="tg-bot-link"]');
			return s && s.dataset.state === 'connected' && s.textContent.includes('@shop_bot') && a && a.href === 'https://t.me/shop_bot'; })()`, 10*time.Second)

	// A customer writes to the bot.
	fake.PushUpdate(tgToken, tgMsg(1, map[string]any{"text": "Hello from Telegram"}))
	b.do("back to the inbox", 10*time.Second, chromedp.Click(chromedp.CSS(brTID("tab-workspace"))))
	b.waitFor(nil, "the conversation with the Telegram badge and the @username",
		`(() => { const li = document.querySelector('[data-testid="conv-item"]');
			return li && li.querySelector('[data-testid="channel-badge"][data-channel="telegram"]') &&
				(li.querySelector('[data-testid="contact-handle"]') || {}).textContent === '@olga_i'; })()`, 20*time.Second)
	b.do("open it and answer", 15*time.Second,
		chromedp.Click(chromedp.CSS(brTID("conv-item"))),
		chromedp.WaitVisible(chromedp.CSS(brTID("composer-input"))),
		chromedp.SendKeys(chromedp.CSS(brTID("composer-input")), "Hello Olga, how can we help?"),
		chromedp.Click(chromedp.CSS(brTID("composer-send"))))
	b.waitFor(nil, "the reply marked sent",
		`[...document.querySelectorAll('[data-testid="message"]')].some(m => m.textContent.includes('how can we help') &&
			m.querySelector('[data-testid="delivery-state"][data-state="sent"]'))`, 15*time.Second)
	if sent := fake.Sent(tgToken); len(sent) != 1 || sent[0].Text != "Hello Olga, how can we help?" || sent[0].ChatID != 4242 {
		t.Fatalf("Telegram got %+v", sent)
	}

	// The customer blocked the bot: the reply fails with the reason.
	fake.BlockChat(tgToken, 4242)
	b.do("answer again", 10*time.Second,
		chromedp.SendKeys(chromedp.CSS(brTID("composer-input")), "Are you still there?"),
		chromedp.Click(chromedp.CSS(brTID("composer-send"))))
	b.waitFor(nil, "the reply marked not delivered, with the reason and a retry button",
		`[...document.querySelectorAll('[data-testid="message"]')].some(m => m.textContent.includes('still there') &&
			m.querySelector('[data-testid="delivery-state"][data-state="failed"]') && m.textContent.includes('blocked by the user') &&
			m.querySelector('[data-testid="delivery-retry"]'))`, 15*time.Second)
	fake.UnblockChat(tgToken, 4242)
	b.do("retry", 10*time.Second, chromedp.Click(chromedp.CSS(brTID("delivery-retry"))))
	b.waitFor(nil, "the retried reply marked sent",
		`[...document.querySelectorAll('[data-testid="message"]')].some(m => m.textContent.includes('still there') &&
			m.querySelector('[data-testid="delivery-state"][data-state="sent"]'))`, 15*time.Second)

	// The customer edits their first message: it changes live.
	edit := tgMsg(1, map[string]any{"text": "Hello from Telegram (edited)", "edit_date": time.Now().Unix()})
	fake.PushUpdate(tgToken, map[string]any{"edited_message": edit["message"]})
	b.waitFor(nil, "the edited text, marked edited",
		`[...document.querySelectorAll('[data-testid="message"]')].some(m => m.textContent.includes('(edited)') && m.querySelector('[data-testid="msg-edited"]'))`, 15*time.Second)
}
