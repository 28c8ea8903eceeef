package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/switchboard-chat/switchboard/connectors/telegram/tgfake"
)

// The Telegram connector on the real binary, against the fake Bot API
// (connectors/telegram/tgfake), in both modes and through crashes.

const tgToken = "700100:binary-test-token"

type tgRig struct {
	t      *testing.T
	fake   *tgfake.Server
	bin    string
	dir    string
	addr   string
	srv    *server
	admin  *client
	lineID string
}

func tgEnv(fake *tgfake.Server) []string {
	return []string{"SWITCHBOARD_TELEGRAM_API_URL=" + fake.URL, "SWITCHBOARD_TELEGRAM_POLL_TIMEOUT=2s", "SWITCHBOARD_LEASE_TTL=3s"}
}

// newTgRig starts the binary with a line whose bot runs in mode, its
// admin online in the line's queue.
func newTgRig(t *testing.T, mode string) *tgRig {
	t.Helper()
	fake, err := tgfake.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	fake.AddBot(tgToken, tgfake.User{ID: 700100, IsBot: true, FirstName: "Shop", Username: "shop_bot"})
	r := &tgRig{t: t, fake: fake, bin: buildBinary(t), dir: t.TempDir(), addr: freePort(t)}
	r.srv = launchGateway(t, r.bin, r.dir, r.addr, tgEnv(fake)...)
	boot := r.srv.welcome(t)
	r.admin = newClient(t, "admin", r.srv.base)
	me := r.admin.login(boot.adminEmail, boot.adminPassword)
	r.admin.expect("PATCH", "/api/v1/me", map[string]any{"presence": "online"}, http.StatusOK, nil)
	var line struct {
		ID       string `json:"id"`
		Channels struct {
			Telegram struct {
				HasToken bool   `json:"hasToken"`
				BotToken string `json:"botToken"`
				Mode     string `json:"mode"`
				Bot      struct {
					Username   string `json:"username"`
					WebhookURL string `json:"webhookUrl"`
				} `json:"bot"`
			} `json:"telegram"`
		} `json:"channels"`
	}
	r.admin.expect("POST", "/api/v1/lines", map[string]any{"name": "Shop", "agentIds": []string{me.ID},
		"channels": map[string]any{"widget": map[string]any{"enabled": false}, "telegram": map[string]any{"enabled": true, "botToken": tgToken, "mode": mode}}},
		http.StatusCreated, &line)
	tg := line.Channels.Telegram
	if !tg.HasToken || tg.BotToken != "" || tg.Mode != mode || tg.Bot.Username != "shop_bot" {
		t.Fatalf("line's telegram %+v", tg)
	}
	if url, _ := fake.Webhook(tgToken); (mode == "webhook") != (url != "" && url == tg.Bot.WebhookURL && strings.HasPrefix(url, r.srv.base)) {
		t.Fatalf("mode %s: webhook %q, line says %q", mode, url, tg.Bot.WebhookURL)
	}
	r.lineID = line.ID
	return r
}

func (r *tgRig) restart(extra ...string) {
	r.t.Helper()
	r.srv = launchGateway(r.t, r.bin, r.dir, r.addr, append(tgEnv(r.fake), extra...)...)
	r.admin.base = r.srv.base
}

type tgMessage struct {
	ID          string `json:"id"`
	Text        string `json:"text"`
	ClientID    string `json:"clientId"`
	Attachments []struct {
		FileID string `json:"fileId"`
		Name   string `json:"name"`
	} `json:"attachments"`
	EditedAt *time.Time `json:"editedAt"`
	Delivery *struct {
		State string `json:"state"`
		Error string `json:"error"`
	} `json:"delivery"`
}

// conversation is the line's one Telegram conversation, "" while none.
func (r *tgRig) conversation() string {
	var l listOf[convJSON]
	r.admin.expect("GET", "/api/v1/conversations?channel=telegram", nil, http.StatusOK, &l)
	if len(l.Items) > 1 {
		r.t.Fatalf("%d Telegram conversations, want one", len(l.Items))
	}
	if len(l.Items) == 0 {
		return ""
	}
	return l.Items[0].ID
}

// messages waits until the conversation has n messages, and returns them.
func (r *tgRig) messages(n int, within time.Duration) (string, []tgMessage) {
	r.t.Helper()
	deadline := time.Now().Add(within)
	var msgs []tgMessage
	for {
		if id := r.conversation(); id != "" {
			var l struct {
				Items []tgMessage `json:"items"`
			}
			r.admin.expect("GET", "/api/v1/conversations/"+id+"/messages", nil, http.StatusOK, &l)
			msgs = l.Items
			if len(msgs) >= n {
				return id, msgs
			}
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("%d messages after %s, want %d: %+v", len(msgs), within, n, msgs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func tgMsg(id int, fields map[string]any) map[string]any {
	m := map[string]any{
		"message_id": id, "date": time.Now().Unix(),
		"from": map[string]any{"id": 4242, "is_bot": false, "first_name": "Olga", "last_name": "Ivanova", "username": "olga_i"},
		"chat": map[string]any{"id": 4242, "type": "private", "first_name": "Olga"},
	}
	for k, v := range fields {
		m[k] = v
	}
	return map[string]any{"message": m}
}

// TestTelegramOnTheRealBinary: in both modes, every inbound kind arrives in
// the agent's inbox with its media, an album as one message, an edit
// changes the message live on the agent's websocket, and an agent's reply
// with text and two images reaches Telegram in order.
func TestTelegramOnTheRealBinary(t *testing.T) {
	for _, mode := range []string{"webhook", "polling"} {
		t.Run(mode, func(t *testing.T) {
			r := newTgRig(t, mode)
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			ws, resp, err := dialAgentWS(ctx, r.srv.base, sessionCookie(r.admin), r.srv.base)
			if err != nil {
				status, body := handshakeStatus(resp)
				t.Fatalf("agent websocket: %v, status %d; body %s", err, status, body)
			}
			defer ws.Close()
			updated := watchUpdated(ws)

			jpeg := []byte("\xff\xd8\xff\xe0 olga's photo")
			r.fake.AddFile(tgToken, "p1", "p1.jpg", jpeg)
			r.fake.AddFile(tgToken, "p2", "p2.jpg", []byte("\xff\xd8\xff\xe0 second"))
			r.fake.AddFile(tgToken, "doc", "invoice.pdf", []byte("%PDF-1.4 invoice"))
			r.fake.AddFile(tgToken, "vn", "note.mp4", []byte("video note bytes"))
			photo := func(id string) []any {
				return []any{map[string]any{"file_id": id, "file_unique_id": "u" + id, "width": 640, "height": 480}}
			}
			r.fake.PushUpdate(tgToken, tgMsg(1, map[string]any{"text": "/start ref-77"}))
			r.fake.PushUpdate(tgToken, tgMsg(2, map[string]any{"text": "Where is my parcel?"}))
			r.fake.PushUpdate(tgToken, tgMsg(3, map[string]any{"photo": photo("p1"), "caption": "this box"}))
			r.fake.PushUpdate(tgToken, tgMsg(4, map[string]any{"media_group_id": "g", "photo": photo("p1"), "caption": "both sides"}))
			r.fake.PushUpdate(tgToken, tgMsg(5, map[string]any{"media_group_id": "g", "photo": photo("p2")}))
			r.fake.PushUpdate(tgToken, tgMsg(6, map[string]any{"document": map[string]any{"file_id": "doc", "file_unique_id": "d", "file_name": "invoice.pdf", "mime_type": "application/pdf"}}))
			r.fake.PushUpdate(tgToken, tgMsg(7, map[string]any{"video_note": map[string]any{"file_id": "vn", "file_unique_id": "v", "length": 240, "duration": 3}}))
			r.fake.PushUpdate(tgToken, tgMsg(8, map[string]any{"venue": map[string]any{"location": map[string]any{"latitude": 55.75, "longitude": 37.61}, "title": "Pickup point", "address": "Tverskaya 1"},
				"location": map[string]any{"latitude": 55.75, "longitude": 37.61}}))
			r.fake.PushUpdate(tgToken, tgMsg(9, map[string]any{"sticker": map[string]any{"file_id": "st", "file_unique_id": "s", "width": 1, "height": 1, "is_animated": true, "emoji": "🙏"}}))
			convID, msgs := r.messages(8, 30*time.Second)
			edit := tgMsg(2, map[string]any{"text": "Where is my parcel #77?", "edit_date": time.Now().Unix()})
			r.fake.PushUpdate(tgToken, map[string]any{"edited_message": edit["message"]})
			timeout := time.After(15 * time.Second)
			for edited := false; !edited; {
				select {
				case m := <-updated:
					if m.ID != msgs[1].ID {
						continue // an album part added
					}
					if m.Text != "Where is my parcel #77?" || m.EditedAt == nil {
						t.Errorf("message.updated carries %+v, want the edit", m)
					}
					edited = true
				case <-timeout:
					t.Fatal("no message.updated for the edit on the agent's websocket")
				}
			}
			want := []struct{ text, files string }{
				{"/start ref-77", ""}, {"Where is my parcel", ""}, {"this box", "photo_3.jpg"}, {"both sides", "photo_4.jpg,photo_5.jpg"},
				{"", "invoice.pdf"}, {"", "video_note_7.mp4"}, {"Pickup point\nTverskaya 1\n55.750000, 37.610000", ""}, {"🙏", ""},
			}
			for i, w := range want {
				var names []string
				for _, a := range msgs[i].Attachments {
					names = append(names, a.Name)
				}
				if !strings.Contains(msgs[i].Text, w.text) || strings.Join(names, ",") != w.files {
					t.Errorf("message %d: %q %v, want %q with %q", i, msgs[i].Text, names, w.text, w.files)
				}
			}
			if st, body := agentDownload(r.admin, msgs[2].Attachments[0].FileID); st != http.StatusOK || string(body) != string(jpeg) {
				t.Errorf("photo download: %d %q", st, body)
			}
			st, body := r.admin.do("GET", "/api/v1/conversations/"+convID, nil, "")
			if st != http.StatusOK || !strings.Contains(string(body), `"contactHandle":"@olga_i"`) || !strings.Contains(string(body), `"startParam":"ref-77"`) ||
				!strings.Contains(string(body), `"channel":"telegram"`) {
				t.Errorf("conversation: %d %s", st, body)
			}

			// The agent answers with text and two images.
			var up struct {
				Files []map[string]any `json:"files"`
			}
			png := func(tag string) []byte { return append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), tag...) }
			st, body = agentUpload(r.admin, namedFiles(map[string][]byte{"a.png": png("first"), "b.png": png("second")}, "a.png", "b.png"))
			if st != http.StatusCreated || json.Unmarshal(body, &up) != nil || len(up.Files) != 2 {
				t.Fatalf("upload: %d %s", st, body)
			}
			var reply struct {
				Message tgMessage `json:"message"`
			}
			r.admin.expect("POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"text": "Both received, thank you",
				"attachments": up.Files, "clientId": "reply-1"}, http.StatusCreated, &reply)
			if d := reply.Message.Delivery; d == nil || d.State != "pending" {
				t.Errorf("reply's delivery %+v, want pending", d)
			}
			sent, err := r.fake.WaitSent(ctx, tgToken, 2)
			if err != nil {
				t.Fatal(err)
			}
			if sent[0].Method != "sendMediaGroup" || sent[0].Caption != "Both received, thank you" || sent[0].ChatID != 4242 ||
				sent[0].Files[0].Name != "a.png" || string(sent[0].Files[0].Data) != string(png("first")) ||
				sent[1].Method != "sendMediaGroup" || sent[1].Files[0].Name != "b.png" || string(sent[1].Files[0].Data) != string(png("second")) {
				t.Errorf("sent %d: %s %q %s / %s %s", len(sent), sent[0].Method, sent[0].Caption, sent[0].Files[0].Name, sent[1].Method, sent[1].Files[0].Name)
			}
			deadline := time.Now().Add(10 * time.Second)
			for {
				_, msgs = r.messages(9, time.Second)
				if d := msgs[len(msgs)-1].Delivery; d != nil && d.State == "sent" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("reply's delivery %+v, want sent", msgs[len(msgs)-1].Delivery)
				}
				time.Sleep(50 * time.Millisecond)
			}
			_, metrics := r.admin.do("GET", "/metrics", nil, "")
			for _, want := range []string{
				`switchboard_telegram_total{line="` + r.lineID + `",what="updates"} 10`,
				`switchboard_telegram_total{line="` + r.lineID + `",what="sent"} 1`,
				`switchboard_lease_held{lease="telegram:` + r.lineID + `"} 1`,
			} {
				if !strings.Contains(string(metrics), want) {
					t.Errorf("/metrics lacks %s", want)
				}
			}
		})
	}
}

// watchUpdated reads the agent websocket and passes on message.updated.
func watchUpdated(ws *websocket.Conn) <-chan tgMessage {
	out := make(chan tgMessage, 16)
	go func() {
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				return
			}
			var f struct {
				Event struct {
					Type    string    `json:"type"`
					Message tgMessage `json:"message"`
				} `json:"event"`
			}
			if json.Unmarshal(data, &f) == nil && f.Event.Type == "message.updated" {
				out <- f.Event.Message
			}
		}
	}()
	return out
}

// TestTelegramSurvivesSIGKILL: killed after storing updates whose offset
// Telegram never got, the gateway comes back with no duplicate and nothing
// lost; killed with a reply claimed and in flight, every reply reaches
// Telegram exactly once, in order, after the restart.
func TestTelegramSurvivesSIGKILL(t *testing.T) {
	r := newTgRig(t, "polling")
	// Every confirming getUpdates is lost: Telegram delivers the updates
	// again and again, and the gateway is killed in the middle of that.
	r.fake.IgnoreOffsets(tgToken, true)
	for i := 1; i <= 5; i++ {
		r.fake.PushUpdate(tgToken, tgMsg(i, map[string]any{"text": fmt.Sprintf("question %d", i)}))
	}
	convID, _ := r.messages(5, 30*time.Second)
	time.Sleep(2500 * time.Millisecond) // at least one more poll delivers them all again
	sigkillGateway(t, r.srv)
	r.fake.IgnoreOffsets(tgToken, false)
	r.restart()
	r.fake.PushUpdate(tgToken, tgMsg(6, map[string]any{"text": "question 6"}))
	_, msgs := r.messages(6, 30*time.Second)
	time.Sleep(2500 * time.Millisecond)
	_, msgs = r.messages(6, time.Second)
	if len(msgs) != 6 {
		t.Fatalf("%d messages after the restart, want 6: %+v", len(msgs), msgs)
	}
	for i, m := range msgs {
		if m.Text != fmt.Sprintf("question %d", i+1) {
			t.Errorf("message %d is %q", i, m.Text)
		}
	}
	polls := 0
	for _, c := range r.fake.Calls(tgToken) {
		if c.Method == "getUpdates" {
			polls++
		}
	}
	if polls < 3 {
		t.Errorf("only %d getUpdates calls: the updates were not delivered again", polls)
	}

	// Replies stall in flight; the gateway dies with the first claimed.
	r.fake.Stall(tgToken, time.Minute)
	for i := 1; i <= 3; i++ {
		r.admin.expect("POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"text": fmt.Sprintf("answer %d", i)}, http.StatusCreated, nil)
	}
	deadline := time.Now().Add(15 * time.Second)
	for r.fake.Stalled(tgToken) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no reply in flight")
		}
		time.Sleep(20 * time.Millisecond)
	}
	sigkillGateway(t, r.srv)
	r.fake.Stall(tgToken, 0)
	r.restart()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sent, err := r.fake.WaitSent(ctx, tgToken, 3)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second) // nothing more comes
	sent = r.fake.Sent(tgToken)
	if len(sent) != 3 {
		t.Fatalf("%d sent after the restart, want 3: %+v", len(sent), sent)
	}
	for i, s := range sent {
		if s.Text != fmt.Sprintf("answer %d", i+1) {
			t.Errorf("sent #%d is %q", i+1, s.Text)
		}
	}
}

// namedFiles is a multipart body with one "file" part per name, in order.
func namedFiles(data map[string][]byte, order ...string) *multipartBody {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, name := range order {
		part, err := w.CreateFormFile("file", name)
		if err != nil {
			panic(err)
		}
		_, _ = part.Write(data[name])
	}
	_ = w.Close()
	return &multipartBody{data: buf.Bytes(), contentType: w.FormDataContentType()}
}
