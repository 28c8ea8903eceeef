package telegram_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/switchboard-chat/switchboard/connectors/telegram"
	"github.com/switchboard-chat/switchboard/connectors/telegram/tgfake"
	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/inbox/files"
	"github.com/switchboard-chat/switchboard/inbox/inboxtest"
)

var engine *inboxtest.Engine

func TestMain(m *testing.M) { inboxtest.Main(m, &engine) }

const (
	token     = "123456:ABC-test-token"
	maxUpdate = 64 << 10
)

// rig is the connector on the real inbox and store, against the fake Bot
// API, with its webhook served on a real port.
type rig struct {
	ctx    context.Context
	fake   *tgfake.Server
	svc    *inbox.Service
	store  *inbox.Store
	files  *files.Store
	line   *inbox.Line
	agent  inbox.Actor
	public string
	mu     sync.Mutex
	counts map[string]int
}

func (r *rig) counted(what string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counts[what]
}

func quietLog() *slog.Logger {
	if os.Getenv("SWITCHBOARD_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func newRig(t testing.TB, mode string) *rig {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	fake, err := tgfake.Start()
	if err != nil {
		t.Fatal(err)
	}
	fake.AddBot(token, tgfake.User{ID: 9000, IsBot: true, FirstName: "Shop", Username: "shop_bot"})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{ctx: ctx, fake: fake, store: engine.Store(t), public: "http://" + ln.Addr().String(), counts: map[string]int{}}
	log := quietLog()
	wake := telegram.NewWaker()
	r.svc = inbox.NewService(r.store, inbox.Options{PasswordCost: 4, Logger: log, Outbound: []inbox.Channel{inbox.ChannelTelegram},
		Bots: telegram.NewSetup(fake.URL, r.public, log), OnDelivery: wake.Wake})
	r.files = files.New(r.store.Database(), 10<<20)
	c := func(what string) func(string) {
		return func(string) { r.mu.Lock(); r.counts[what]++; r.mu.Unlock() }
	}
	conn := telegram.New(telegram.Config{APIURL: fake.URL, PollTimeout: time.Second, LeaseTTL: 3 * time.Second, Node: "node-1", MaxUpdateBytes: maxUpdate},
		r.svc, r.store, r.files, wake, telegram.Counters{Updates: c("updates"), Duplicates: c("duplicates"), Sent: c("sent"),
			Retries: c("retries"), FloodWaits: c("flood"), Failures: c("failures")}, log)
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	conn.Mount(app)
	go func() { _ = app.Listener(ln) }()

	name, email, pw := "Alice", "alice@example.com", "password1"
	ag, err := r.svc.CreateAgent(ctx, inbox.System, inbox.AgentInput{Name: &name, Email: &email, Password: &pw})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.SetPresence(ctx, inbox.System, ag.ID, inbox.PresenceOnline); err != nil {
		t.Fatal(err)
	}
	r.agent = inbox.ActorFor(ag)
	lname := "Shop"
	r.line, err = r.svc.CreateLine(ctx, inbox.System, inbox.LineInput{Name: &lname, AgentIDs: &[]string{ag.ID}, Settings: &inbox.LineSettings{},
		Channels: &inbox.LineChannels{Telegram: inbox.TelegramChannel{Enabled: true, BotToken: token, Mode: mode}}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = conn.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		_ = app.Shutdown()
		fake.Close()
	})
	return r
}

// message is a private-chat message update from Anna (user 42).
func message(id int, fields map[string]any) map[string]any {
	m := map[string]any{
		"message_id": id, "date": time.Now().Unix(),
		"from": map[string]any{"id": 42, "is_bot": false, "first_name": "Anna", "username": "anna_k"},
		"chat": map[string]any{"id": 42, "type": "private", "first_name": "Anna"},
	}
	for k, v := range fields {
		m[k] = v
	}
	return map[string]any{"message": m}
}

// waitMessages waits until Anna's conversation has n messages.
func (r *rig) waitMessages(t *testing.T, n int, within time.Duration) []inbox.Message {
	t.Helper()
	deadline := time.Now().Add(within)
	var msgs []inbox.Message
	for time.Now().Before(deadline) {
		c, err := r.svc.LatestConversation(r.ctx, "tg-42", r.line.ID, inbox.ChannelTelegram)
		if err == nil {
			if msgs, err = r.svc.Messages(r.ctx, inbox.System, c.ID, 0, 500); err == nil && len(msgs) >= n {
				return msgs
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%d messages after %s, want %d: %+v", len(msgs), within, n, msgs)
	return nil
}

func TestSetupChecksTheTokenAndSetsTheWebhook(t *testing.T) {
	r := newRig(t, "webhook")
	bot := r.line.Channels.Telegram.Bot
	if bot.ID != 9000 || bot.Username != "shop_bot" || !strings.HasPrefix(bot.WebhookURL, r.public+telegram.WebhookPath) {
		t.Fatalf("bot %+v", bot)
	}
	url, secret := r.fake.Webhook(token)
	if url != bot.WebhookURL || secret == "" || secret != bot.WebhookSecret {
		t.Errorf("fake's webhook %q/%q, want %q with the stored secret", url, secret, bot.WebhookURL)
	}
	redacted := r.line.Redacted()
	if redacted.Channels.Telegram.BotToken != "" || !redacted.Channels.Telegram.HasToken {
		t.Error("the token is shown")
	}
	// A wrong token is refused with Telegram's words, and nothing changes.
	bad := inbox.LineChannels{Telegram: inbox.TelegramChannel{Enabled: true, BotToken: "999:wrong", Mode: "webhook"}}
	_, err := r.svc.UpdateLine(r.ctx, inbox.System, r.line.ID, inbox.LineInput{Channels: &bad})
	if fe, ok := err.(*inbox.FieldError); !ok || fe.Field != "channels.telegram.botToken" || !strings.Contains(fe.Message, "Unauthorized") {
		t.Errorf("wrong token: %v", err)
	}
	// Polling deletes the webhook; switching the bot off too.
	poll := inbox.LineChannels{Telegram: inbox.TelegramChannel{Enabled: true, Mode: "polling"}}
	l, err := r.svc.UpdateLine(r.ctx, inbox.System, r.line.ID, inbox.LineInput{Channels: &poll})
	if err != nil || l.Channels.Telegram.Bot.WebhookURL != "" || l.Channels.Telegram.BotToken != token {
		t.Fatalf("to polling: %v %+v", err, l.Channels.Telegram)
	}
	if url, _ := r.fake.Webhook(token); url != "" {
		t.Errorf("webhook %q left set in polling mode", url)
	}
	// Deleting a line with a webhook deletes the webhook.
	hook := inbox.LineChannels{Telegram: inbox.TelegramChannel{Enabled: true, Mode: "webhook"}}
	if _, err := r.svc.UpdateLine(r.ctx, inbox.System, r.line.ID, inbox.LineInput{Channels: &hook}); err != nil {
		t.Fatal(err)
	}
	if url, _ := r.fake.Webhook(token); url == "" {
		t.Fatal("no webhook set")
	}
	if _, err := r.svc.DeleteLine(r.ctx, inbox.System, r.line.ID); err != nil {
		t.Fatal(err)
	}
	if url, _ := r.fake.Webhook(token); url != "" {
		t.Errorf("webhook %q left set after the line was deleted", url)
	}
}

func TestEveryKindArrivesInBothModes(t *testing.T) {
	for _, mode := range []string{"webhook", "polling"} {
		t.Run(mode, func(t *testing.T) {
			r := newRig(t, mode)
			photo := []byte("\xff\xd8\xff\xe0 a jpeg")
			r.fake.AddFile(token, "ph-big", "photo.jpg", photo)
			r.fake.AddFile(token, "ph-2", "photo2.jpg", []byte("\xff\xd8\xff\xe0 second"))
			r.fake.AddFile(token, "doc", "contract.pdf", []byte("%PDF-1.4 contract"))
			r.fake.AddFile(token, "voice", "voice.ogg", []byte("OggS voice"))
			r.fake.AddBigFile(token, "huge", 25<<20)
			size := func(id string) map[string]any {
				return map[string]any{"file_id": id, "file_unique_id": "u" + id, "width": 800, "height": 600}
			}
			r.fake.PushUpdate(token, message(1, map[string]any{"text": "/start crm-4711"}))
			r.fake.PushUpdate(token, message(2, map[string]any{"text": "Hello, my order", "entities": []map[string]any{{"type": "text_link", "offset": 10, "length": 5, "url": "https://shop.example/o/1"}}}))
			r.fake.PushUpdate(token, message(3, map[string]any{"photo": []any{map[string]any{"file_id": "ph-small", "file_unique_id": "s", "width": 90, "height": 90}, size("ph-big")}, "caption": "the parcel"}))
			r.fake.PushUpdate(token, message(4, map[string]any{"media_group_id": "alb", "photo": []any{size("ph-big")}, "caption": "album"}))
			r.fake.PushUpdate(token, message(5, map[string]any{"media_group_id": "alb", "photo": []any{size("ph-2")}}))
			r.fake.PushUpdate(token, message(6, map[string]any{"document": map[string]any{"file_id": "doc", "file_unique_id": "d", "file_name": "contract.pdf", "mime_type": "application/pdf"}}))
			r.fake.PushUpdate(token, message(7, map[string]any{"voice": map[string]any{"file_id": "voice", "file_unique_id": "v", "duration": 2, "mime_type": "audio/ogg"}}))
			r.fake.PushUpdate(token, message(8, map[string]any{"location": map[string]any{"latitude": 52.2297, "longitude": 21.0122}}))
			r.fake.PushUpdate(token, message(9, map[string]any{"contact": map[string]any{"phone_number": "+48600999888", "first_name": "Anna", "user_id": 42}}))
			r.fake.PushUpdate(token, message(10, map[string]any{"document": map[string]any{"file_id": "huge", "file_unique_id": "h", "file_name": "video.mov", "file_size": 25 << 20}}))
			r.fake.PushUpdate(token, message(11, map[string]any{"sticker": map[string]any{"file_id": "st", "file_unique_id": "st", "width": 1, "height": 1, "is_animated": true, "emoji": "🎉"}}))
			r.fake.PushUpdate(token, message(12, map[string]any{"text": "it is 4711", "reply_to_message": map[string]any{"message_id": 2, "date": 1, "chat": map[string]any{"id": 42, "type": "private"}, "text": "Hello"}}))
			edit := message(2, map[string]any{"text": "Hello, my order 4711", "edit_date": time.Now().Unix()})
			r.fake.PushUpdate(token, map[string]any{"edited_message": edit["message"]})

			msgs := r.waitMessages(t, 11, 20*time.Second)
			deadline := time.Now().Add(10 * time.Second)
			for msgs[1].EditedAt == nil && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
				msgs = r.waitMessages(t, 11, time.Second)
			}
			if len(msgs) != 11 {
				t.Fatalf("%d messages, want 11 (the album is one)", len(msgs))
			}
			want := []struct {
				text  string
				files []string
			}{
				{"/start crm-4711", nil},
				{"Hello, my order 4711", nil},
				{"the parcel", []string{"photo_3.jpg"}},
				{"album", []string{"photo_4.jpg", "photo_5.jpg"}},
				{"", []string{"contract.pdf"}},
				{"", []string{"voice_7.ogg"}},
				{"52.229700, 21.012200", nil},
				{"+48600999888", nil},
				{"video.mov (25.0 MB) could not be fetched", nil},
				{"🎉", nil},
				{"it is 4711", nil},
			}
			for i, w := range want {
				m := msgs[i]
				if !strings.Contains(m.Text, w.text) {
					t.Errorf("message %d text %q, want %q in it", i, m.Text, w.text)
				}
				var names []string
				for _, a := range m.Attachments {
					names = append(names, a.Name)
				}
				if strings.Join(names, ",") != strings.Join(w.files, ",") {
					t.Errorf("message %d files %v, want %v", i, names, w.files)
				}
			}
			if msgs[1].EditedAt == nil || len(msgs[1].Edits) != 1 || msgs[1].Edits[0].Text != "Hello, my order (https://shop.example/o/1)" {
				t.Errorf("edit: %+v %+v", msgs[1].EditedAt, msgs[1].Edits)
			}
			if q := msgs[10].ReplyTo; q == nil || q.MessageID != msgs[1].ID {
				t.Errorf("reply quotes %+v, want message %s", q, msgs[1].ID)
			}
			rc, _, err := r.files.Open(r.ctx, msgs[2].Attachments[0].FileID)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(rc)
			_ = rc.Close()
			if string(got) != string(photo) {
				t.Errorf("photo bytes %q, want %q", got, photo)
			}
			conv, _ := r.svc.LatestConversation(r.ctx, "tg-42", r.line.ID, inbox.ChannelTelegram)
			ct, _ := r.svc.Contact(r.ctx, inbox.System, conv.ContactID)
			if conv.StartParam != "crm-4711" || conv.ContactHandle != "@anna_k" || ct.Phone != "+48600999888" {
				t.Errorf("conversation start %q handle %q, contact phone %q", conv.StartParam, conv.ContactHandle, ct.Phone)
			}
			if r.counted("updates") != 13 {
				t.Errorf("%d updates counted, want 13", r.counted("updates"))
			}
		})
	}
}

func TestWebhookNeedsTheSecretAndStoresAnUpdateOnce(t *testing.T) {
	r := newRig(t, "webhook")
	raw := func(id int, text string) []byte {
		return []byte(fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"from":{"id":42,"is_bot":false,"first_name":"Anna"},"chat":{"id":42,"type":"private"},"date":1,"text":%q}}`, id, id, text))
	}
	_, secret := r.fake.Webhook(token)
	if st, err := r.fake.DeliverRaw(token, raw(500, "no secret"), "", true); err != nil || st != 401 {
		t.Errorf("without the secret: %d %v, want 401", st, err)
	}
	if st, err := r.fake.DeliverRaw(token, raw(501, "wrong secret"), "wrong", false); err != nil || st != 403 {
		t.Errorf("with a wrong secret: %d %v, want 403", st, err)
	}
	if st, _ := r.fake.DeliverRaw(token, []byte(`{"update_id":"x"}`), secret, false); st != 400 {
		t.Errorf("a bad update: %d, want 400", st)
	}
	post := func(url, secret string, body []byte) int {
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if secret != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	hook := r.line.Channels.Telegram.Bot.WebhookURL
	if st := post(r.public+telegram.WebhookPath+"not-the-key", secret, raw(503, "wrong key")); st != http.StatusNotFound {
		t.Errorf("an unknown webhook key: %d, want 404", st)
	}
	if st := post(hook, secret, raw(504, strings.Repeat("x", maxUpdate))); st != http.StatusRequestEntityTooLarge {
		t.Errorf("an update over the limit: %d, want 413", st)
	}
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if st, err := r.fake.DeliverRaw(token, raw(502, "three times"), secret, false); err != nil || st != 200 {
				t.Errorf("delivery: %d %v", st, err)
			}
		}()
	}
	wg.Wait()
	msgs := r.waitMessages(t, 1, 10*time.Second)
	time.Sleep(500 * time.Millisecond)
	msgs = r.waitMessages(t, 1, time.Second)
	if len(msgs) != 1 || msgs[0].Text != "three times" {
		t.Fatalf("messages %+v, want the one delivered three times, once", msgs)
	}
	if r.counted("duplicates") != 2 {
		t.Errorf("%d duplicates counted, want 2", r.counted("duplicates"))
	}
}

// conversation opens Anna's conversation with a first message and returns it.
func (r *rig) conversation(t *testing.T) *inbox.Conversation {
	t.Helper()
	r.fake.PushUpdate(token, message(1, map[string]any{"text": "Hello"}))
	r.waitMessages(t, 1, 10*time.Second)
	c, err := r.svc.LatestConversation(r.ctx, "tg-42", r.line.ID, inbox.ChannelTelegram)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (r *rig) upload(t *testing.T, name, ct string, data []byte) inbox.Attachment {
	t.Helper()
	a, err := r.files.Put(r.ctx, "agent:"+r.agent.AgentID, name, ct, strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (r *rig) reply(t *testing.T, convID, text string, atts ...inbox.Attachment) *inbox.Message {
	t.Helper()
	m, _, err := r.svc.Append(r.ctx, r.agent, convID, inbox.MessageInput{AuthorKind: inbox.AuthorAgent, Text: text, Attachments: atts})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// waitDelivery waits until the message's delivery state is want.
func (r *rig) waitDelivery(t *testing.T, id string, want inbox.DeliveryState, within time.Duration) *inbox.Message {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		m, err := r.store.MessageByID(r.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if m.Delivery != nil && m.Delivery.State == want {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery of %s is %+v after %s, want %s", id, m.Delivery, within, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRepliesReachTelegramInOrder(t *testing.T) {
	r := newRig(t, "polling")
	c := r.conversation(t)
	png := []byte("\x89PNG\r\n\x1a\n first image")
	a1 := r.upload(t, "one.png", "image/png", png)
	a2 := r.upload(t, "two.png", "image/png", []byte("\x89PNG\r\n\x1a\n second image"))
	pdf := r.upload(t, "terms.pdf", "application/pdf", []byte("%PDF-1.4 terms"))
	first := r.reply(t, c.ID, "Here are the photos", a1, a2)
	long := r.reply(t, c.ID, strings.Repeat("Lorem ipsum dolor sit amet. ", 200)) // 5,600 characters
	doc := r.reply(t, c.ID, "and the terms", pdf)
	r.waitDelivery(t, doc.ID, inbox.DeliverySent, 15*time.Second)
	sent := r.fake.Sent(token)
	var got []string
	for _, s := range sent {
		got = append(got, s.Method)
	}
	if strings.Join(got, ",") != "sendMediaGroup,sendMediaGroup,sendMessage,sendMessage,sendDocument" {
		t.Fatalf("sent %v", got)
	}
	if sent[0].Caption != "Here are the photos" || len(sent[0].Files) != 1 || string(sent[0].Files[0].Data) != string(png) || sent[0].ChatID != 42 {
		t.Errorf("album's first item %+v", sent[0])
	}
	if !strings.HasPrefix(sent[2].Text, "Lorem ipsum") || len([]rune(sent[2].Text)) > 4096 || sent[2].Text+" "+sent[3].Text != strings.TrimSpace(strings.Repeat("Lorem ipsum dolor sit amet. ", 200)) {
		t.Errorf("long text split into %d + %d characters", len([]rune(sent[2].Text)), len([]rune(sent[3].Text)))
	}
	if sent[4].Caption != "and the terms" || sent[4].Files[0].Name != "terms.pdf" {
		t.Errorf("document %+v", sent[4])
	}
	m := r.waitDelivery(t, first.ID, inbox.DeliverySent, time.Second)
	if len(m.Refs.TelegramSent) != 2 || m.Refs.TelegramMessageID != sent[0].MessageID {
		t.Errorf("first reply's Telegram ids %v / %d", m.Refs.TelegramSent, m.Refs.TelegramMessageID)
	}
	if m := r.waitDelivery(t, long.ID, inbox.DeliverySent, time.Second); len(m.Refs.TelegramSent) != 2 {
		t.Errorf("long reply's Telegram ids %v", m.Refs.TelegramSent)
	}
	if r.counted("sent") != 3 {
		t.Errorf("%d replies counted sent, want 3", r.counted("sent"))
	}
}

func TestFloodLimitIsObeyedAndNothingIsLostOrDoubled(t *testing.T) {
	r := newRig(t, "polling")
	c := r.conversation(t)
	r.fake.FailNext(token, "*", 1, tgfake.Failure{Code: 429, RetryAfter: 3})
	start := time.Now()
	var last *inbox.Message
	for i := 1; i <= 20; i++ {
		last = r.reply(t, c.ID, fmt.Sprintf("reply %d", i))
	}
	r.waitDelivery(t, last.ID, inbox.DeliverySent, 20*time.Second)
	calls := 0
	var firstAt, secondAt time.Time
	for _, call := range r.fake.Calls(token) {
		if call.Method != "sendMessage" {
			continue
		}
		calls++
		switch calls {
		case 1:
			firstAt = call.At
		case 2:
			secondAt = call.At
		}
	}
	if calls != 21 {
		t.Errorf("%d sendMessage calls, want 21 (one refused, then twenty)", calls)
	}
	if gap := secondAt.Sub(firstAt); gap < 3*time.Second {
		t.Errorf("sent again %s after a 429 with retry_after 3", gap)
	}
	sent := r.fake.Sent(token)
	if len(sent) != 20 {
		t.Fatalf("%d sent, want 20", len(sent))
	}
	for i, s := range sent {
		if s.Text != fmt.Sprintf("reply %d", i+1) {
			t.Errorf("sent #%d is %q: out of order", i+1, s.Text)
		}
	}
	if r.counted("flood") != 1 {
		t.Errorf("%d flood waits counted, want 1", r.counted("flood"))
	}
	t.Logf("20 replies after a 3 s flood wait: %s", time.Since(start).Round(time.Millisecond))
}

func TestRefusalsFailTheReplyAndServerErrorsAreRetried(t *testing.T) {
	r := newRig(t, "polling")
	c := r.conversation(t)
	r.fake.FailNext(token, "sendMessage", 2, tgfake.Failure{Code: 502, Description: "Bad Gateway"})
	m := r.reply(t, c.ID, "after two server errors")
	r.waitDelivery(t, m.ID, inbox.DeliverySent, 15*time.Second)
	if r.counted("retries") != 2 || len(r.fake.Sent(token)) != 1 {
		t.Errorf("%d retries, %d sent; want 2 and 1", r.counted("retries"), len(r.fake.Sent(token)))
	}
	r.fake.BlockChat(token, 42)
	blocked := r.reply(t, c.ID, "you blocked me")
	got := r.waitDelivery(t, blocked.ID, inbox.DeliveryFailed, 10*time.Second)
	if got.Delivery.Error != "Forbidden: bot was blocked by the user" {
		t.Errorf("failed with %q", got.Delivery.Error)
	}
	ct, _ := r.svc.Contact(r.ctx, inbox.System, c.ContactID)
	if ct.Unreachable != "Forbidden: bot was blocked by the user" {
		t.Errorf("contact unreachable %q", ct.Unreachable)
	}
	// The agent's retry sends it again (and it fails again, still blocked).
	if _, err := r.svc.RetryDelivery(r.ctx, r.agent, c.ID, blocked.ID); err != nil {
		t.Fatal(err)
	}
	r.waitDelivery(t, blocked.ID, inbox.DeliveryFailed, 10*time.Second)
	if r.counted("failures") != 2 {
		t.Errorf("%d failures, want 2", r.counted("failures"))
	}
}
