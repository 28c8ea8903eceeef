package tgfake

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestRoutingAndAuth(t *testing.T) {
	s := startServer(t)
	wantError(t, call(t, s, "999:nope", "getMe", nil), 401, "Unauthorized")
	wantError(t, call(t, s, testToken, "getMee", nil), 404, "Not Found")
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/nothing", nil)
	wantError(t, do(t, req), 404, "Not Found")

	var me map[string]any
	// Method names are case-insensitive; GET with no parameters works.
	req, _ = http.NewRequest(http.MethodGet, s.URL+"/bot"+testToken+"/GETME", nil)
	wantOK(t, do(t, req), &me)
	if me["id"] != float64(123456) || me["is_bot"] != true || me["username"] != "support_bot" {
		t.Fatalf("getMe = %v", me)
	}
	calls := s.Calls(testToken)
	if len(calls) != 2 || calls[0].Method != "getMee" || calls[1].Method != "getMe" {
		t.Fatalf("calls = %+v", calls)
	}
}

func TestParameterEncodings(t *testing.T) {
	s := startServer(t)
	var m message
	// Query string.
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/bot"+testToken+"/sendMessage?chat_id=777&text=q", nil)
	wantOK(t, do(t, req), &m)
	// Form.
	wantOK(t, call(t, s, testToken, "sendMessage", chatParams("text", "f")), &m)
	// JSON, with a numeric chat_id and an object parameter.
	wantOK(t, callJSON(t, s, testToken, "sendMessage", map[string]any{
		"chat_id": testChat, "text": "j", "reply_parameters": map[string]any{"message_id": 1},
		"reply_markup": map[string]any{"inline_keyboard": [][]map[string]string{{{"text": "ok", "callback_data": "1"}}}},
	}), &m)
	if m.ReplyToMessage == nil || m.ReplyToMessage.MessageID != 1 {
		t.Fatalf("reply_to_message = %+v", m.ReplyToMessage)
	}
	// Multipart.
	wantOK(t, callMultipart(t, s, "sendMessage", map[string]string{"chat_id": "777", "text": "m"}, nil), &m)

	sent := s.Sent(testToken)
	var texts []string
	for i, x := range sent {
		texts = append(texts, x.Text)
		if x.ChatID != testChat || x.MessageID != i+1 || x.Method != "sendMessage" {
			t.Fatalf("sent[%d] = %+v", i, x)
		}
	}
	if strings.Join(texts, ",") != "q,f,j,m" || sent[2].ReplyTo != 1 {
		t.Fatalf("sent = %+v", sent)
	}
	if m.From.ID != 123456 || m.Chat.ID != testChat || m.Chat.Type != "private" || m.Date == 0 {
		t.Fatalf("message = %+v", m)
	}
}

func updateIDs(t *testing.T, r apiResp) []int64 {
	t.Helper()
	var ups []map[string]json.RawMessage
	wantOK(t, r, &ups)
	var ids []int64
	for _, u := range ups {
		var id int64
		if err := json.Unmarshal(u["update_id"], &id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func TestGetUpdatesOffsets(t *testing.T) {
	s := startServer(t)
	a := s.PushUpdate(testToken, textUpdate(1, "a"))
	b := s.PushUpdate(testToken, textUpdate(2, "b"))
	c := s.PushUpdate(testToken, textUpdate(3, "c"))
	if a < 100000 || b != a+1 || c != b+1 {
		t.Fatalf("update ids %d %d %d", a, b, c)
	}
	if ids := updateIDs(t, call(t, s, testToken, "getUpdates", nil)); len(ids) != 3 || ids[0] != a {
		t.Fatalf("ids = %v", ids)
	}
	// limit, and the same updates again while unconfirmed.
	if ids := updateIDs(t, call(t, s, testToken, "getUpdates", url.Values{"limit": {"2"}})); len(ids) != 2 || ids[1] != b {
		t.Fatalf("ids = %v", ids)
	}
	// offset = b confirms a.
	off := url.Values{"offset": {strconv.FormatInt(b, 10)}}
	if ids := updateIDs(t, call(t, s, testToken, "getUpdates", off)); len(ids) != 2 || ids[0] != b {
		t.Fatalf("ids = %v", ids)
	}
	if ids := updateIDs(t, call(t, s, testToken, "getUpdates", nil)); len(ids) != 2 {
		t.Fatalf("a was not forgotten: %v", ids)
	}
	// A negative offset keeps the last -offset updates only.
	if ids := updateIDs(t, call(t, s, testToken, "getUpdates", url.Values{"offset": {"-1"}})); len(ids) != 1 || ids[0] != c {
		t.Fatalf("ids = %v", ids)
	}
	off = url.Values{"offset": {strconv.FormatInt(c+1, 10)}}
	if ids := updateIDs(t, call(t, s, testToken, "getUpdates", off)); len(ids) != 0 {
		t.Fatalf("ids = %v", ids)
	}
	// Opt-in update types are dropped unless allowed.
	if id := s.PushUpdate(testToken, map[string]any{"chat_member": map[string]any{}}); id != 0 {
		t.Fatalf("chat_member update queued as %d", id)
	}
	call(t, s, testToken, "getUpdates", url.Values{"allowed_updates": {`["chat_member"]`}})
	if id := s.PushUpdate(testToken, map[string]any{"chat_member": map[string]any{}}); id != c+1 {
		t.Fatalf("chat_member update id %d, want %d", id, c+1)
	}
}

func TestLongPoll(t *testing.T) {
	s := startServer(t)
	start := time.Now()
	go func() {
		time.Sleep(100 * time.Millisecond)
		s.PushUpdate(testToken, textUpdate(1, "hi"))
	}()
	ids := updateIDs(t, call(t, s, testToken, "getUpdates", url.Values{"timeout": {"5"}}))
	if len(ids) != 1 || time.Since(start) > time.Second {
		t.Fatalf("got %v after %v", ids, time.Since(start))
	}

	// With nothing to deliver, the poll ends after timeout seconds.
	start = time.Now()
	off := url.Values{"timeout": {"1"}, "offset": {strconv.FormatInt(ids[0]+1, 10)}}
	if ids := updateIDs(t, call(t, s, testToken, "getUpdates", off)); len(ids) != 0 {
		t.Fatalf("ids = %v", ids)
	}
	if d := time.Since(start); d < 900*time.Millisecond || d > 1500*time.Millisecond {
		t.Fatalf("timeout=1 poll took %v", d)
	}
}

func TestLongPollConflictAndCancel(t *testing.T) {
	s := startServer(t)
	older := make(chan apiResp, 1)
	go func() { older <- call(t, s, testToken, "getUpdates", url.Values{"timeout": {"5"}}) }()
	waitCalls(t, s, 1)
	if ids := updateIDs(t, call(t, s, testToken, "getUpdates", nil)); len(ids) != 0 {
		t.Fatalf("ids = %v", ids)
	}
	wantError(t, <-older, 409, conflictGetUpdates)

	// A client that gives up ends its long poll.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/bot"+testToken+"/getUpdates?timeout=5", nil)
	if _, err := httpClient.Do(req); err == nil {
		t.Fatal("canceled poll answered")
	}
	deadline := time.Now().Add(time.Second)
	for {
		s.mu.Lock()
		polling := s.bots[testToken].poll != nil
		s.mu.Unlock()
		if !polling {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("long poll still pending after its client left")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func waitCalls(t *testing.T, s *Server, n int) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for len(s.Calls(testToken)) < n {
		if time.Now().After(deadline) {
			t.Fatalf("fewer than %d calls", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // let the handler start waiting
}

func TestFiles(t *testing.T) {
	s := startServer(t)
	uid, size := s.AddFile(testToken, "doc-1", "invoice.pdf", []byte("%PDF-1.4 hello"))
	if uid == "" || size != 14 {
		t.Fatalf("AddFile = %q, %d", uid, size)
	}
	var f struct {
		FileID       string `json:"file_id"`
		FileUniqueID string `json:"file_unique_id"`
		FileSize     int    `json:"file_size"`
		FilePath     string `json:"file_path"`
	}
	wantOK(t, call(t, s, testToken, "getFile", url.Values{"file_id": {"doc-1"}}), &f)
	if f.FileID != "doc-1" || f.FileUniqueID != uid || f.FileSize != 14 || !strings.HasPrefix(f.FilePath, "documents/file_") || !strings.HasSuffix(f.FilePath, ".pdf") {
		t.Fatalf("getFile = %+v", f)
	}
	resp, err := httpClient.Get(s.FileURL(testToken, f.FilePath))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(data) != "%PDF-1.4 hello" {
		t.Fatalf("download: %d %q", resp.StatusCode, data)
	}
	req, _ := http.NewRequest(http.MethodGet, s.FileURL("1:wrong", f.FilePath), nil)
	wantError(t, do(t, req), 401, "Unauthorized")
	req, _ = http.NewRequest(http.MethodGet, s.FileURL(testToken, "documents/file_99.pdf"), nil)
	wantError(t, do(t, req), 404, "Not Found")

	wantError(t, call(t, s, testToken, "getFile", url.Values{"file_id": {"nope"}}), 400, "Bad Request: invalid file_id")
	s.AddBigFile(testToken, "big-1", 21<<20)
	wantError(t, call(t, s, testToken, "getFile", url.Values{"file_id": {"big-1"}}), 400, "Bad Request: file is too big")
	s.AddBigFile(testToken, "big-2", 20<<20)
	wantOK(t, call(t, s, testToken, "getFile", url.Values{"file_id": {"big-2"}}), nil)
}

func TestSendMessageChecks(t *testing.T) {
	s := startServer(t)
	wantError(t, call(t, s, testToken, "sendMessage", chatParams("text", " \n ")), 400, "Bad Request: message text is empty")
	long := strings.Repeat("я", 4097)
	wantError(t, call(t, s, testToken, "sendMessage", chatParams("text", long)), 400, "Bad Request: message is too long")
	// 4096 characters are fine, however many bytes; so is markup around them.
	wantOK(t, call(t, s, testToken, "sendMessage", chatParams("text", "<b>"+long[2:]+"</b>", "parse_mode", "HTML")), nil)
	wantError(t, call(t, s, testToken, "sendMessage", url.Values{"text": {"x"}}), 400, "Bad Request: chat_id is empty")
	// Replies to a pushed message carry it.
	s.PushUpdate(testToken, textUpdate(41, "question"))
	var m message
	wantOK(t, call(t, s, testToken, "sendMessage", chatParams("text", "answer", "reply_to_message_id", "41")), &m)
	if m.MessageID != 42 || m.ReplyToMessage == nil || m.ReplyToMessage.Text != "question" {
		t.Fatalf("reply = %+v", m)
	}
	if got := len(s.Sent(testToken)); got != 2 {
		t.Fatalf("%d sent, want 2", got)
	}
}

func TestFaults(t *testing.T) {
	s := startServer(t)
	s.FailNext(testToken, "sendmessage", 1, Failure{Code: 429, RetryAfter: 3})
	r := call(t, s, testToken, "sendMessage", chatParams("text", "x"))
	wantError(t, r, 429, "Too Many Requests: retry after 3")
	if r.Parameters == nil || r.Parameters.RetryAfter != 3 {
		t.Fatalf("parameters = %+v", r.Parameters)
	}
	wantOK(t, call(t, s, testToken, "sendMessage", chatParams("text", "x")), nil)

	s.FailNext(testToken, "*", 2, Failure{Code: 502})
	wantOK(t, call(t, s, testToken, "getMe", nil), nil) // not a send method
	wantError(t, call(t, s, testToken, "sendPhoto", chatParams("photo", "id")), 502, "Bad Gateway")
	r = call(t, s, testToken, "sendMessage", chatParams("text", "x"))
	wantError(t, r, 502, "Bad Gateway")
	if r.Parameters != nil {
		t.Fatalf("parameters on a 502: %+v", r.Parameters)
	}

	s.FloodWait(testToken, 1500*time.Millisecond)
	r = call(t, s, testToken, "sendMessage", chatParams("text", "x"))
	wantError(t, r, 429, "Too Many Requests: retry after 2")
	if r.Parameters == nil || r.Parameters.RetryAfter != 2 {
		t.Fatalf("parameters = %+v", r.Parameters)
	}
	wantError(t, call(t, s, testToken, "sendDocument", chatParams("document", "id")), 429, "Too Many Requests: retry after 2")
	wantOK(t, call(t, s, testToken, "getUpdates", nil), nil)
	if v := s.Violations(testToken); v != 2 {
		t.Fatalf("violations = %d, want 2", v)
	}
	s.FloodWait(testToken, 0)
	wantOK(t, call(t, s, testToken, "sendMessage", chatParams("text", "x")), nil)

	s.BlockChat(testToken, testChat)
	wantError(t, call(t, s, testToken, "sendMessage", chatParams("text", "x")), 403, "Forbidden: bot was blocked by the user")
	wantOK(t, call(t, s, testToken, "sendMessage", url.Values{"chat_id": {"778"}, "text": {"x"}}), nil)
	if n := len(s.Sent(testToken)); n != 3 {
		t.Fatalf("%d sent, want 3", n)
	}
}

func TestWaitSent(t *testing.T) {
	s := startServer(t)
	go func() {
		time.Sleep(50 * time.Millisecond)
		call(t, s, testToken, "sendMessage", chatParams("text", "late"))
	}()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	sent, err := s.WaitSent(ctx, testToken, 1)
	if err != nil || len(sent) != 1 || sent[0].Text != "late" {
		t.Fatalf("WaitSent = %+v, %v", sent, err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if sent, err := s.WaitSent(ctx, testToken, 2); err == nil || len(sent) != 1 {
		t.Fatalf("WaitSent = %+v, %v", sent, err)
	}
}
