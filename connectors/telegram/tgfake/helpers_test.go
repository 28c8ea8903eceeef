package tgfake

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

const (
	testToken = "123456:test-token"
	testChat  = int64(777)
)

// startServer starts a fake with one bot and a short webhook retry pause.
func startServer(t *testing.T) *Server {
	t.Helper()
	s, err := StartWithOptions(Options{WebhookRetryPause: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	s.AddBot(testToken, User{IsBot: true, FirstName: "Support", Username: "support_bot"})
	return s
}

// apiResp is the Bot API response envelope.
type apiResp struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  *struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
	status int
}

var httpClient = &http.Client{Timeout: 10 * time.Second}

func do(t *testing.T, req *http.Request) apiResp {
	t.Helper()
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r apiResp
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("%s %s: decoding the answer: %v", req.Method, req.URL.Path, err)
	}
	r.status = resp.StatusCode
	if r.OK == (r.status != 200) || (!r.OK && r.ErrorCode != r.status) {
		t.Fatalf("%s: inconsistent answer: HTTP %d, %+v", req.URL.Path, r.status, r)
	}
	return r
}

// call makes a form-encoded POST.
func call(t *testing.T, s *Server, token, method string, params url.Values) apiResp {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+"/bot"+token+"/"+method, strings.NewReader(params.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(t, req)
}

// callJSON makes an application/json POST.
func callJSON(t *testing.T, s *Server, token, method string, params map[string]any) apiResp {
	t.Helper()
	body, err := json.Marshal(params)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, s.URL+"/bot"+token+"/"+method, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	return do(t, req)
}

// callMultipart makes a multipart/form-data POST; files maps field names
// to file names and contents.
func callMultipart(t *testing.T, s *Server, method string, params map[string]string, files map[string][2]string) apiResp {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range params {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	for field, f := range files {
		w, err := mw.CreateFormFile(field, f[0])
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(w, f[1])
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, s.URL+"/bot"+testToken+"/"+method, &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return do(t, req)
}

func wantError(t *testing.T, r apiResp, code int, desc string) {
	t.Helper()
	if r.OK || r.status != code || r.ErrorCode != code || r.Description != desc {
		t.Fatalf("got HTTP %d %+v, want %d %q", r.status, r, code, desc)
	}
}

func wantOK(t *testing.T, r apiResp, result any) {
	t.Helper()
	if !r.OK || r.status != http.StatusOK {
		t.Fatalf("got HTTP %d %q, want ok", r.status, r.Description)
	}
	if result != nil {
		if err := json.Unmarshal(r.Result, result); err != nil {
			t.Fatalf("decoding result %s: %v", r.Result, err)
		}
	}
}

// message is the part of a Bot API Message the tests look at.
type message struct {
	MessageID int    `json:"message_id"`
	Date      int64  `json:"date"`
	Text      string `json:"text"`
	Caption   string `json:"caption"`
	Chat      struct {
		ID   int64  `json:"id"`
		Type string `json:"type"`
	} `json:"chat"`
	From           User   `json:"from"`
	MediaGroupID   string `json:"media_group_id"`
	ReplyToMessage *struct {
		MessageID int    `json:"message_id"`
		Text      string `json:"text"`
	} `json:"reply_to_message"`
	Photo []struct {
		FileID string `json:"file_id"`
		Width  int    `json:"width"`
		Height int    `json:"height"`
	} `json:"photo"`
}

// textUpdate is an incoming private message from the test chat.
func textUpdate(messageID int, text string) map[string]any {
	return map[string]any{"message": map[string]any{
		"message_id": messageID,
		"date":       time.Now().Unix(),
		"from":       map[string]any{"id": testChat, "is_bot": false, "first_name": "Ann"},
		"chat":       map[string]any{"id": testChat, "type": "private", "first_name": "Ann"},
		"text":       text,
	}}
}

// pngBytes returns a w×h PNG image.
func pngBytes(t *testing.T, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func chatParams(extra ...string) url.Values {
	v := url.Values{"chat_id": {"777"}}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return v
}
