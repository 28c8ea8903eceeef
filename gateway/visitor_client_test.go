package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// This file holds what the crash, reconnect and security tests share: a
// gateway started on a fixed address with extra settings (so it can be
// restarted on the same port), and a visitor client speaking the widget
// protocol (docs/widget-protocol.md) over HTTP and the websocket.

// launchGateway starts the binary on addr ("127.0.0.1:PORT") with the data
// dir and the extra KEY=VALUE settings, and waits until /readyz answers.
// Unlike startServer it keeps the address, so a test can kill the process
// and start it again where its clients expect it.
func launchGateway(t *testing.T, bin, dataDir, addr string, extra ...string) *server {
	t.Helper()
	s, busy := spawnGateway(t, bin, dataDir, addr, true, extra...)
	if busy {
		t.Fatalf("%s is taken:\n%s", addr, s.stderr)
	}
	return s
}

// spawnGateway starts the binary on addr and waits until /readyz answers;
// busy says it exited because the address was taken. publicURL sets
// SWITCHBOARD_PUBLIC_URL to the address.
func spawnGateway(t *testing.T, bin, dataDir, addr string, publicURL bool, extra ...string) (_ *server, busy bool) {
	t.Helper()
	env := []string{}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "SWITCHBOARD_") || strings.HasPrefix(kv, "MONGODB_") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"SWITCHBOARD_ADDR="+addr,
		"SWITCHBOARD_DATA_DIR="+dataDir,
		"SWITCHBOARD_PASSWORD_COST=4",
		"SWITCHBOARD_LOG_LEVEL=warn",
	)
	if publicURL {
		env = append(env, "SWITCHBOARD_PUBLIC_URL=http://"+addr)
	}
	env = append(env, extra...)
	s := &server{base: "http://" + addr, stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, done: make(chan struct{})}
	s.cmd = exec.Command(bin)
	s.cmd.Env = env
	s.cmd.Stdout, s.cmd.Stderr = s.stdout, s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	})
	probe := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-s.done:
			if strings.Contains(s.stderr.String(), "address already in use") {
				return s, true
			}
			t.Fatalf("gateway exited before it was ready: %v\nstdout:\n%s\nstderr:\n%s", s.waitErr, s.stdout, s.stderr)
		default:
		}
		if resp, err := probe.Get(s.base + "/readyz"); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, false
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway not ready on %s within 60s\nstdout:\n%s\nstderr:\n%s", addr, s.stdout, s.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// sigkillGateway kills the process without warning (no graceful shutdown,
// no flushing) and waits until it is gone.
func sigkillGateway(t *testing.T, s *server) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("SIGKILL: %v", err)
	}
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("gateway still running 10s after SIGKILL")
	}
}

// originOfBase is the browser origin of a gateway base URL.
func originOfBase(base string) string { return strings.TrimRight(base, "/") }

// wsURL turns the gateway base URL into a websocket URL for path and query.
func wsURL(base, path string, query url.Values) string {
	u := "ws" + strings.TrimPrefix(base, "http") + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	return u
}

// ---- Visitor HTTP. ----

// visitorHTTP is the visitor side's plain HTTP client: no cookies.
var visitorHTTP = &http.Client{Timeout: 30 * time.Second}

// widgetSession is the answer to POST /widget/v1/session.
type widgetSession struct {
	Token        string `json:"token"`
	VisitorID    string `json:"visitorId"`
	Mode         string `json:"mode"`
	Conversation *struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Seq    int64  `json:"seq"`
	} `json:"conversation"`
	Messages []msgJSON `json:"messages"`
}

// visitorRequest sends one visitor API request. originHeader "" sends no
// Origin header; token "" no Authorization. body is JSON (any) or a
// *multipartBody.
func visitorRequest(ctx context.Context, method, url, originHeader, token string, body any) (int, []byte, error) {
	var r io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case *multipartBody:
		r, ctype = bytes.NewReader(b.data), b.contentType
	case []byte:
		r, ctype = bytes.NewReader(b), "application/json"
	default:
		data, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		r, ctype = bytes.NewReader(data), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		return 0, nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if originHeader != "" {
		req.Header.Set("Origin", originHeader)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := visitorHTTP.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

// newWidgetSession opens a visitor session through the chat iframe: the
// request comes from the gateway's own origin and names the host page's
// origin in the body, as docs/widget-protocol.md section 2 says.
func newWidgetSession(ctx context.Context, base, lineID, hostOrigin string) (widgetSession, error) {
	var s widgetSession
	status, body, err := visitorRequest(ctx, "POST", base+"/widget/v1/session", originOfBase(base), "",
		map[string]any{"lineId": lineID, "origin": hostOrigin, "page": hostOrigin + "/pricing"})
	if err != nil {
		return s, err
	}
	if status != http.StatusOK {
		return s, fmt.Errorf("POST /widget/v1/session: status %d: %s", status, body)
	}
	if err := json.Unmarshal(body, &s); err != nil {
		return s, fmt.Errorf("POST /widget/v1/session: %v: %s", err, body)
	}
	if s.Token == "" || s.VisitorID == "" {
		return s, fmt.Errorf("POST /widget/v1/session answered %s", body)
	}
	return s, nil
}

// multipartBody is a ready multipart/form-data request body.
type multipartBody struct {
	data        []byte
	contentType string
}

// fileUpload builds a multipart body with one part "file" of size bytes.
func fileUpload(name string, size int) *multipartBody {
	return multipartFiles([]string{name}, []int{size})
}

// filesUpload builds a multipart body with one "file" part per size.
func filesUpload(sizes ...int) *multipartBody {
	names := make([]string, len(sizes))
	for i := range sizes {
		names[i] = fmt.Sprintf("file-%d.bin", i+1)
	}
	return multipartFiles(names, sizes)
}

func multipartFiles(names []string, sizes []int) *multipartBody {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	chunk := []byte("switchboard test file contents\n")
	for i, name := range names {
		part, err := w.CreateFormFile("file", name)
		if err != nil {
			panic(err)
		}
		for written := 0; written < sizes[i]; {
			n := min(len(chunk), sizes[i]-written)
			_, _ = part.Write(chunk[:n])
			written += n
		}
	}
	_ = w.Close()
	return &multipartBody{data: buf.Bytes(), contentType: w.FormDataContentType()}
}

// uploadedFiles is the answer to an upload, visitor's or agent's.
type uploadedFiles struct {
	Files []struct {
		FileID      string `json:"fileId"`
		Name        string `json:"name"`
		ContentType string `json:"contentType"`
		Size        int64  `json:"size"`
	} `json:"files"`
}

// errorCode is the error.code (and error.field) of a JSON error body, or
// "" when the body is not the JSON error shape.
func errorCode(body []byte) (code, field string) {
	var e struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Field   string `json:"field"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error == nil || e.Error.Message == "" {
		return "", ""
	}
	return e.Error.Code, e.Error.Field
}

// ---- The visitor websocket. ----

// visitorFrame is any server → client frame; message is the raw "message"
// field (an object in message frames, a string in error frames).
type visitorFrame struct {
	Type           string          `json:"type"`
	ClientID       string          `json:"clientId"`
	ID             string          `json:"id"`
	Seq            int64           `json:"seq"`
	ConversationID string          `json:"conversationId"`
	Status         string          `json:"status"`
	Mode           string          `json:"mode"`
	Code           string          `json:"code"`
	CreatedAt      time.Time       `json:"createdAt"`
	Message        json.RawMessage `json:"message"`
}

// visitorMessage is the message of a message frame.
type visitorMessage struct {
	ID             string `json:"id"`
	ConversationID string `json:"conversationId"`
	Seq            int64  `json:"seq"`
	AuthorKind     string `json:"authorKind"`
	Text           string `json:"text"`
	ClientID       string `json:"clientId"`
	Comment        bool   `json:"comment"`
}

func (f visitorFrame) message() (visitorMessage, error) {
	var m visitorMessage
	err := json.Unmarshal(f.Message, &m)
	return m, err
}

// visitorWS is one visitor websocket. A reader goroutine decodes frames
// into a channel; writes come from one goroutine (the caller's).
type visitorWS struct {
	ws     *websocket.Conn
	frames chan visitorFrame
	// err is why reading stopped (a *websocket.CloseError for a close
	// frame); it is set before frames is closed.
	err  error
	once sync.Once
}

// dialVisitor opens GET /widget/v1/ws?token=… with the Origin header
// originHeader ("" for none) and, when hostOrigin is set, the iframe's
// origin query parameter.
func dialVisitor(ctx context.Context, base, token, originHeader, hostOrigin string) (*visitorWS, *http.Response, error) {
	q := url.Values{"token": {token}}
	if hostOrigin != "" {
		q.Set("origin", hostOrigin)
	}
	hdr := http.Header{}
	if originHeader != "" {
		hdr.Set("Origin", originHeader)
	}
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	ws, resp, err := d.DialContext(ctx, wsURL(base, "/widget/v1/ws", q), hdr)
	if err != nil {
		return nil, resp, err
	}
	v := &visitorWS{ws: ws, frames: make(chan visitorFrame, 1024)}
	go v.readLoop()
	return v, resp, nil
}

func (v *visitorWS) readLoop() {
	defer close(v.frames)
	for {
		_, data, err := v.ws.ReadMessage()
		if err != nil {
			v.err = err
			return
		}
		var f visitorFrame
		if err := json.Unmarshal(data, &f); err != nil {
			v.err = fmt.Errorf("undecodable frame %q: %w", data, err)
			return
		}
		v.frames <- f
	}
}

// send writes one JSON frame.
func (v *visitorWS) send(frame any) error {
	data, err := json.Marshal(frame)
	if err != nil {
		return err
	}
	_ = v.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return v.ws.WriteMessage(websocket.TextMessage, data)
}

// hello starts the event stream after lastSeq of conversationID ("" for
// the current conversation).
func (v *visitorWS) hello(lastSeq int64, conversationID string) error {
	f := map[string]any{"type": "hello", "lastSeq": lastSeq}
	if conversationID != "" {
		f["conversationId"] = conversationID
	}
	return v.send(f)
}

// sendMessage sends a visitor message with its client id.
func (v *visitorWS) sendMessage(clientID, text string, attachments ...map[string]any) error {
	f := map[string]any{"type": "send", "clientId": clientID, "text": text}
	if len(attachments) > 0 {
		f["attachments"] = attachments
	}
	return v.send(f)
}

// next returns the next frame; an error once the connection is closed
// (v.err) or ctx ends.
func (v *visitorWS) next(ctx context.Context) (visitorFrame, error) {
	select {
	case f, ok := <-v.frames:
		if !ok {
			if v.err == nil {
				return f, errors.New("websocket closed")
			}
			return f, v.err
		}
		return f, nil
	case <-ctx.Done():
		return visitorFrame{}, ctx.Err()
	}
}

// nextOf skips frames until one of type typ (or an error frame) arrives.
func (v *visitorWS) nextOf(ctx context.Context, typ string) (visitorFrame, error) {
	for {
		f, err := v.next(ctx)
		if err != nil {
			return f, err
		}
		if f.Type == typ {
			return f, nil
		}
		if f.Type == "error" {
			return f, fmt.Errorf("error frame %s: %s (clientId %q)", f.Code, f.Message, f.ClientID)
		}
	}
}

// close ends the connection from the client side: a normal close frame,
// then the TCP connection.
func (v *visitorWS) close() {
	v.once.Do(func() {
		_ = v.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		_ = v.ws.Close()
	})
}

// drop ends the connection abruptly, without a close frame.
func (v *visitorWS) drop() {
	v.once.Do(func() { _ = v.ws.Close() })
}

// handshakeStatus is the HTTP status of a refused websocket handshake (0
// without an answer) and the first part of its body.
func handshakeStatus(resp *http.Response) (int, []byte) {
	if resp == nil {
		return 0, nil
	}
	var body []byte
	if resp.Body != nil {
		body, _ = io.ReadAll(resp.Body)
	}
	return resp.StatusCode, body
}
