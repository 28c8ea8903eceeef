package tgfake

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// newBotAPI connects the real client library to the fake.
func newBotAPI(t *testing.T, s *Server) *tgbotapi.BotAPI {
	t.Helper()
	bot, err := tgbotapi.NewBotAPIWithAPIEndpoint(testToken, s.URL+"/bot%s/%s")
	if err != nil {
		t.Fatal(err)
	}
	return bot
}

func libError(t *testing.T, err error) *tgbotapi.Error {
	t.Helper()
	var e *tgbotapi.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want a *tgbotapi.Error", err, err)
	}
	return e
}

func TestLibraryGetMeAndUpdates(t *testing.T) {
	s := startServer(t)
	if _, err := tgbotapi.NewBotAPIWithAPIEndpoint("1:unknown", s.APIEndpoint()); err == nil {
		t.Fatal("unknown token accepted")
	}
	bot := newBotAPI(t, s)
	if bot.Self.ID != 123456 || !bot.Self.IsBot || bot.Self.UserName != "support_bot" || bot.Self.FirstName != "Support" {
		t.Fatalf("Self = %+v", bot.Self)
	}

	first := s.PushUpdate(testToken, textUpdate(10, "hello"))
	ups, err := bot.GetUpdates(tgbotapi.UpdateConfig{})
	if err != nil || len(ups) != 1 || int64(ups[0].UpdateID) != first || ups[0].Message.Text != "hello" ||
		ups[0].Message.Chat.ID != testChat || ups[0].Message.From.FirstName != "Ann" {
		t.Fatalf("GetUpdates = %+v, %v", ups, err)
	}
	// Confirming with offset = last update_id + 1.
	ups, err = bot.GetUpdates(tgbotapi.UpdateConfig{Offset: int(first) + 1})
	if err != nil || len(ups) != 0 {
		t.Fatalf("GetUpdates after confirming = %+v, %v", ups, err)
	}
	if info, err := bot.GetWebhookInfo(); err != nil || info.PendingUpdateCount != 0 || info.URL != "" {
		t.Fatalf("GetWebhookInfo = %+v, %v", info, err)
	}

	// Long polling returns as soon as an update is pushed.
	start := time.Now()
	go func() {
		time.Sleep(100 * time.Millisecond)
		s.PushUpdate(testToken, textUpdate(11, "later"))
	}()
	ups, err = bot.GetUpdates(tgbotapi.UpdateConfig{Offset: int(first) + 1, Timeout: 5})
	if err != nil || len(ups) != 1 || ups[0].Message.Text != "later" || time.Since(start) > time.Second {
		t.Fatalf("long poll = %+v, %v after %v", ups, err, time.Since(start))
	}
}

func TestLibraryWebhook(t *testing.T) {
	s := startServer(t)
	bot := newBotAPI(t, s)
	got := make(chan tgbotapi.Update, 10)
	var failed atomic.Bool
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(SecretTokenHeader) != "hook-secret" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		if failed.CompareAndSwap(false, true) { // the first delivery fails and must be retried
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		u, err := bot.HandleUpdate(r)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		got <- *u
	}))
	defer rc.Close()

	// v5.5.1's WebhookConfig predates secret_token, so it goes as a raw parameter.
	params := tgbotapi.Params{"url": rc.URL, "secret_token": "hook-secret"}
	if _, err := bot.MakeRequest("setWebhook", params); err != nil {
		t.Fatal(err)
	}
	_, err := bot.GetUpdates(tgbotapi.UpdateConfig{})
	if e := libError(t, err); e.Code != 409 || !strings.HasPrefix(e.Message, "Conflict: can't use getUpdates") {
		t.Fatalf("GetUpdates with a webhook: %+v", e)
	}
	id := s.PushUpdate(testToken, textUpdate(1, "via webhook"))
	select {
	case u := <-got:
		if int64(u.UpdateID) != id || u.Message.Text != "via webhook" {
			t.Fatalf("webhook update = %+v", u)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("update not delivered")
	}
	if !failed.Load() {
		t.Fatal("no failed delivery")
	}
}

func TestLibrarySends(t *testing.T) {
	s := startServer(t)
	bot := newBotAPI(t, s)

	msg := tgbotapi.NewMessage(testChat, "Hi <b>there</b>")
	msg.ParseMode = tgbotapi.ModeHTML
	m, err := bot.Send(msg)
	if err != nil || m.Text != "Hi there" || m.MessageID != 1 || m.Chat.ID != testChat || m.From.ID != 123456 {
		t.Fatalf("Send = %+v, %v", m, err)
	}

	_, err = bot.Send(tgbotapi.NewMessage(testChat, strings.Repeat("x", 4097)))
	if e := libError(t, err); e.Code != 400 || e.Message != "Bad Request: message is too long" {
		t.Fatalf("too long: %+v", e)
	}

	img := pngBytes(t, 200, 100)
	photo := tgbotapi.NewPhoto(testChat, tgbotapi.FileBytes{Name: "chart.png", Bytes: img})
	photo.Caption = "the chart"
	photo.ReplyToMessageID = m.MessageID
	m, err = bot.Send(photo)
	if err != nil || m.Caption != "the chart" || len(m.Photo) != 2 || m.ReplyToMessage == nil {
		t.Fatalf("Send photo = %+v, %v", m, err)
	}
	if big := m.Photo[1]; big.Width != 200 || big.Height != 100 || big.FileSize != len(img) {
		t.Fatalf("photo sizes %+v", m.Photo)
	}
	// The sent photo can be fetched back like any file.
	f, err := bot.GetFile(tgbotapi.FileConfig{FileID: m.Photo[1].FileID})
	if err != nil || !strings.HasPrefix(f.FilePath, "photos/file_") || !strings.HasSuffix(f.FilePath, ".jpg") {
		t.Fatalf("GetFile = %+v, %v", f, err)
	}
	if data := download(t, s.FileURL(testToken, f.FilePath)); string(data) != string(img) {
		t.Fatal("downloaded photo differs")
	}

	doc := tgbotapi.NewDocument(testChat, tgbotapi.FileID("BQAC-known"))
	if m, err = bot.Send(doc); err != nil || m.Document == nil || m.Document.FileID != "BQAC-known" {
		t.Fatalf("Send document = %+v, %v", m, err)
	}

	sent := s.Sent(testToken)
	if len(sent) != 3 {
		t.Fatalf("%d sent, want 3: %+v", len(sent), sent)
	}
	if p := sent[1]; p.Method != "sendPhoto" || p.Caption != "the chart" || p.ReplyTo != 1 ||
		len(p.Files) != 1 || p.Files[0].Field != "photo" || p.Files[0].Name != "chart.png" || string(p.Files[0].Data) != string(img) {
		t.Fatalf("sent photo = %+v", p)
	}
	if d := sent[2]; d.Method != "sendDocument" || d.Files[0].Ref != "BQAC-known" || d.Files[0].Data != nil {
		t.Fatalf("sent document = %+v", d)
	}
}

func download(t *testing.T, u string) []byte {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", u, resp.StatusCode, err)
	}
	return data
}

func TestLibraryMediaGroup(t *testing.T) {
	s := startServer(t)
	bot := newBotAPI(t, s)
	first := tgbotapi.NewInputMediaPhoto(tgbotapi.FileBytes{Name: "one.png", Bytes: pngBytes(t, 10, 10)})
	first.Caption = "album"
	second := tgbotapi.NewInputMediaPhoto(tgbotapi.FileBytes{Name: "two.png", Bytes: pngBytes(t, 20, 20)})
	msgs, err := bot.SendMediaGroup(tgbotapi.NewMediaGroup(testChat, []any{first, second}))
	if err != nil || len(msgs) != 2 {
		t.Fatalf("SendMediaGroup = %+v, %v", msgs, err)
	}
	if msgs[0].MediaGroupID == "" || msgs[0].MediaGroupID != msgs[1].MediaGroupID ||
		msgs[0].Caption != "album" || msgs[1].MessageID != msgs[0].MessageID+1 || len(msgs[1].Photo) != 1 {
		t.Fatalf("album messages = %+v", msgs)
	}
	sent := s.Sent(testToken)
	if len(sent) != 2 {
		t.Fatalf("%d sent, want 2", len(sent))
	}
	for i, name := range []string{"one.png", "two.png"} {
		x := sent[i]
		if x.Method != "sendMediaGroup" || x.MessageID != msgs[i].MessageID || len(x.Files) != 1 ||
			x.Files[0].Field != "photo" || x.Files[0].Name != name || len(x.Files[0].Data) == 0 {
			t.Fatalf("sent[%d] = %+v", i, x)
		}
	}
	if sent[0].Caption != "album" || sent[1].Caption != "" {
		t.Fatalf("captions %q %q", sent[0].Caption, sent[1].Caption)
	}

	// Documents cannot be mixed with photos.
	mixed := []any{tgbotapi.NewInputMediaPhoto(tgbotapi.FileID("a")), tgbotapi.NewInputMediaDocument(tgbotapi.FileID("b"))}
	r := callJSON(t, s, testToken, "sendMediaGroup", map[string]any{"chat_id": testChat, "media": mixed})
	wantError(t, r, 400, "Bad Request: document can't be mixed with other media types")
	r = callMultipart(t, s, "sendMediaGroup", map[string]string{"chat_id": "777",
		"media": `[{"type":"photo","media":"attach://p1"},{"type":"photo","media":"attach://missing"}]`},
		map[string][2]string{"p1": {"p.jpg", "jpeg"}})
	wantError(t, r, 400, "Bad Request: can't parse InputMedia: media not found")
}

func TestLibraryFaults(t *testing.T) {
	s := startServer(t)
	bot := newBotAPI(t, s)
	s.FailNext(testToken, "sendMessage", 1, Failure{Code: 429, RetryAfter: 3})
	_, err := bot.Send(tgbotapi.NewMessage(testChat, "x"))
	if e := libError(t, err); e.Code != 429 || e.RetryAfter != 3 || e.Message != "Too Many Requests: retry after 3" {
		t.Fatalf("429: %+v", e)
	}
	s.FloodWait(testToken, time.Second)
	_, err = bot.Send(tgbotapi.NewMessage(testChat, "x"))
	if e := libError(t, err); e.Code != 429 || e.RetryAfter != 1 {
		t.Fatalf("flood wait: %+v", e)
	}
	if v := s.Violations(testToken); v != 1 {
		t.Fatalf("violations = %d", v)
	}
	s.FloodWait(testToken, 0)
	s.BlockChat(testToken, testChat)
	_, err = bot.Send(tgbotapi.NewMessage(testChat, "x"))
	if e := libError(t, err); e.Code != 403 || e.Message != "Forbidden: bot was blocked by the user" {
		t.Fatalf("blocked: %+v", e)
	}
	if n := len(s.Sent(testToken)); n != 0 {
		t.Fatalf("%d sent", n)
	}
	calls := s.Calls(testToken)
	if last := calls[len(calls)-1]; last.Method != "sendMessage" || last.Params["chat_id"] != "777" || last.Params["text"] != "x" {
		t.Fatalf("last call = %+v", last)
	}
}
