package tgfake

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// maxRequestBody bounds a request body; Telegram's own upload limit is 50 MB.
const maxRequestBody = 64 << 20

// Options tunes a Server started with StartWithOptions. The zero value gives
// the defaults that Start uses.
type Options struct {
	// WebhookRetryPause is how long the webhook deliverer waits after a
	// failed delivery (a non-2xx answer or a network error) before it tries
	// the same update again. Default 1 s.
	WebhookRetryPause time.Duration
	// WebhookTimeout bounds each webhook POST. Default 10 s.
	WebhookTimeout time.Duration
	// FirstUpdateID, when positive, is the update_id of every bot's first
	// update. By default each bot starts at a random value in
	// [100000, 1000000), so that code under test cannot rely on a fixed base.
	FirstUpdateID int64
}

// Server is a running fake Bot API server. All its methods are safe for
// concurrent use.
type Server struct {
	// URL is the base URL of the server, such as http://127.0.0.1:34567,
	// without a trailing slash.
	URL string

	opts      Options
	srv       *http.Server
	transport *http.Transport // for webhook deliveries
	client    *http.Client
	ctx       context.Context // cancelled by Close
	cancel    context.CancelFunc
	closeOnce sync.Once
	wg        sync.WaitGroup // the accept loop, handlers and deliverers

	mu     sync.Mutex // guards everything below and every bot's state
	closed bool
	bots   map[string]*bot
}

// Start starts a Server with default Options on 127.0.0.1 and a free port.
func Start() (*Server, error) {
	return StartWithOptions(Options{})
}

// StartWithOptions starts a Server on 127.0.0.1 and a free port.
func StartWithOptions(o Options) (*Server, error) {
	if o.WebhookRetryPause <= 0 {
		o.WebhookRetryPause = time.Second
	}
	if o.WebhookTimeout <= 0 {
		o.WebhookTimeout = 10 * time.Second
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{
		URL:  "http://" + ln.Addr().String(),
		opts: o,
		bots: make(map[string]*bot),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.transport = http.DefaultTransport.(*http.Transport).Clone()
	s.client = &http.Client{Transport: s.transport}
	s.srv = &http.Server{
		Handler:           http.HandlerFunc(s.serveHTTP),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return s.ctx },
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

// Close stops the server: it closes the listener and all connections, ends
// pending long polls, stops the webhook deliverers and waits for all of the
// server's goroutines to finish. Close may be called more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.cancel()
		_ = s.srv.Close()
		s.wg.Wait()
		s.transport.CloseIdleConnections()
	})
}

// APIEndpoint returns the endpoint format that
// tgbotapi.NewBotAPIWithAPIEndpoint expects: URL + "/bot%s/%s".
func (s *Server) APIEndpoint() string { return s.URL + "/bot%s/%s" }

// FileURL returns the download URL of a file_path that getFile answered.
func (s *Server) FileURL(token, filePath string) string {
	return s.URL + "/file/bot" + token + "/" + filePath
}

// apiError is a Bot API error answer.
type apiError struct {
	code       int
	desc       string
	retryAfter int
}

func badRequest(desc string) *apiError { return &apiError{code: 400, desc: "Bad Request: " + desc} }

var (
	errUnauthorized = &apiError{code: 401, desc: "Unauthorized"}
	errNotFound     = &apiError{code: 404, desc: "Not Found"}
)

// described is a successful result that Telegram accompanies with a
// description, like setWebhook's "Webhook was set".
type described struct {
	result      any
	description string
}

// upload is one file part of a multipart request.
type upload struct {
	name string
	data []byte
}

// request is a parsed Bot API method call.
type request struct {
	ctx    context.Context
	method string // canonical name, e.g. "sendMessage"
	params map[string]string
	files  map[string]upload // multipart file parts by field name
	at     time.Time
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		writeError(w, &apiError{code: 503, desc: "Service Unavailable"})
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()

	switch p := r.URL.Path; {
	case strings.HasPrefix(p, "/file/bot"):
		s.serveFile(w, r, strings.TrimPrefix(p, "/file/bot"))
	case strings.HasPrefix(p, "/bot"):
		s.serveMethod(w, r, strings.TrimPrefix(p, "/bot"))
	default:
		writeError(w, errNotFound)
	}
}

func (s *Server) serveMethod(w http.ResponseWriter, r *http.Request, rest string) {
	token, name, ok := strings.Cut(rest, "/")
	if !ok || token == "" || name == "" || strings.Contains(name, "/") {
		writeError(w, errNotFound)
		return
	}
	s.mu.Lock()
	b := s.bots[token]
	s.mu.Unlock()
	if b == nil {
		writeError(w, errUnauthorized)
		return
	}
	params, files, aerr := parseParams(w, r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	spec, known := methods[strings.ToLower(name)]
	req := &request{ctx: r.Context(), method: name, params: params, files: files, at: time.Now()}
	if known {
		req.method = spec.name
	}

	s.mu.Lock()
	stall := b.stall
	if known && spec.send && stall > 0 {
		b.stalled++
		s.mu.Unlock()
		t := time.NewTimer(stall)
		select {
		case <-t.C:
		case <-r.Context().Done():
		}
		t.Stop()
		s.mu.Lock()
		b.stalled--
		if r.Context().Err() != nil {
			s.mu.Unlock()
			return // the client went away: the call never reached Telegram
		}
		req.at = time.Now()
	}
	b.recordCall(req)
	if !known {
		s.mu.Unlock()
		writeError(w, errNotFound)
		return
	}
	if spec.send {
		aerr = b.floodCheck(req.at)
	}
	if aerr == nil {
		aerr = b.takeFault(spec)
	}
	s.mu.Unlock()
	if aerr != nil {
		writeError(w, aerr)
		return
	}

	result, aerr := spec.fn(s, b, req)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	writeResult(w, result)
}

// parseParams merges the query string and the body parameters (the body
// wins) and collects multipart file parts.
func parseParams(w http.ResponseWriter, r *http.Request) (map[string]string, map[string]upload, *apiError) {
	params := make(map[string]string)
	files := make(map[string]upload)
	for k, v := range r.URL.Query() {
		if len(v) > 0 {
			params[k] = v[0]
		}
	}
	ct, ctParams, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	body := http.MaxBytesReader(w, r.Body, maxRequestBody)
	var err error
	switch ct {
	case "application/x-www-form-urlencoded":
		err = parseForm(body, params)
	case "application/json":
		err = parseJSON(body, params)
	case "multipart/form-data":
		err = parseMultipart(multipart.NewReader(body, ctParams["boundary"]), params, files)
	}
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, nil, &apiError{code: 413, desc: "Request Entity Too Large"}
		}
		return nil, nil, badRequest("can't parse request body: " + err.Error())
	}
	return params, files, nil
}

func parseForm(body io.Reader, params map[string]string) error {
	data, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	vals, err := url.ParseQuery(string(data))
	if err != nil {
		return err
	}
	for k, v := range vals {
		params[k] = v[0]
	}
	return nil
}

// parseJSON flattens a JSON object body into string parameters the way
// Telegram does: strings as they are, other scalars as their JSON text, and
// objects and arrays as JSON (to be parsed again by the method).
func parseJSON(body io.Reader, params map[string]string) error {
	data, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return errors.New("a JSON object expected")
	}
	for k, raw := range obj {
		switch raw[0] {
		case 'n':
			continue
		case '"':
			var str string
			if err := json.Unmarshal(raw, &str); err != nil {
				return err
			}
			params[k] = str
		default:
			params[k] = string(raw)
		}
	}
	return nil
}

func parseMultipart(mr *multipart.Reader, params map[string]string, files map[string]upload) error {
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return err
		}
		if part.FileName() != "" {
			files[part.FormName()] = upload{name: part.FileName(), data: data}
		} else {
			params[part.FormName()] = string(data)
		}
	}
}

type okResponse struct {
	OK          bool   `json:"ok"`
	Result      any    `json:"result"`
	Description string `json:"description,omitempty"`
}

type errResponse struct {
	OK          bool            `json:"ok"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  *responseParams `json:"parameters,omitempty"`
}

type responseParams struct {
	RetryAfter int `json:"retry_after,omitempty"`
}

func writeResult(w http.ResponseWriter, result any) {
	resp := okResponse{OK: true, Result: result}
	if d, ok := result.(described); ok {
		resp.Result, resp.Description = d.result, d.description
	}
	writeJSON(w, http.StatusOK, resp)
}

func writeError(w http.ResponseWriter, e *apiError) {
	resp := errResponse{ErrorCode: e.code, Description: e.desc}
	if e.retryAfter > 0 {
		resp.Parameters = &responseParams{RetryAfter: e.retryAfter}
	}
	writeJSON(w, e.code, resp)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		data = []byte(`{"ok":false,"error_code":500,"description":"Internal Server Error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

// randomUpdateBase returns a default first update_id.
func randomUpdateBase() int64 { return 100000 + rand.Int64N(900000) }
