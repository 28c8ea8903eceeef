package tgfake

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// User is a Telegram user or bot, marshalled as a Bot API User.
type User struct {
	ID        int64  `json:"id"`
	IsBot     bool   `json:"is_bot"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name,omitempty"`
	Username  string `json:"username,omitempty"`
}

// Call is one Bot API method call the server received.
type Call struct {
	// Method is the canonical method name ("sendMessage"), or the name as
	// requested when the method is unknown.
	Method string
	At     time.Time
	// Params holds the call's string parameters, whichever way they came
	// (query string, form, JSON or multipart); file parts are not included.
	Params map[string]string
}

// Sent is one message the bot sent through a send method.
type Sent struct {
	Method    string // "sendMessage", "sendPhoto", ..., "sendMediaGroup"
	ChatID    int64
	MessageID int
	Text      string // sendMessage's text parameter, as sent
	Caption   string // the caption parameter (the item's caption in an album), as sent
	ReplyTo   int    // reply_to_message_id or reply_parameters.message_id; 0 if none
	Files     []SentFile
	At        time.Time
	// ParseMode is the parse_mode the text or caption was sent with.
	ParseMode string
	// Params holds all string parameters of the call (for an album, of the
	// whole sendMediaGroup call).
	Params map[string]string
}

// SentFile is a file attached to a Sent message.
type SentFile struct {
	// Field is "photo", "document", "audio", "video", "voice" or
	// "animation": the method's file parameter, or the InputMedia type of an
	// album item.
	Field string
	// Name and Data are the file name and content of a multipart upload;
	// both are empty when the file was given as a file_id or URL.
	Name string
	Data []byte
	// Ref is the file_id or URL the file was given as, "" for an upload.
	Ref string
	// FileID is the file_id of the file in the answered Message.
	FileID string
}

// Failure is an error answer injected with FailNext.
type Failure struct {
	// Code is the error_code and HTTP status, such as 429 or 502; 0 means 500.
	Code int
	// Description is the error description; when empty it is derived from
	// Code the way Telegram words it ("Too Many Requests: retry after 3",
	// "Bad Gateway").
	Description string
	// RetryAfter, when positive, is sent as parameters.retry_after.
	RetryAfter int
}

func (f Failure) apiError() *apiError {
	e := &apiError{code: f.Code, desc: f.Description, retryAfter: f.RetryAfter}
	if e.code == 0 {
		e.code = http.StatusInternalServerError
	}
	if e.desc == "" {
		switch {
		case e.code == http.StatusTooManyRequests && e.retryAfter > 0:
			e.desc = "Too Many Requests: retry after " + strconv.Itoa(e.retryAfter)
		case http.StatusText(e.code) != "":
			e.desc = http.StatusText(e.code)
		default:
			e.desc = "Error " + strconv.Itoa(e.code)
		}
	}
	return e
}

type fault struct {
	method    string // canonical method name, or "*" for any send method
	remaining int
	failure   Failure
}

// methodSpec describes one implemented Bot API method.
type methodSpec struct {
	name string
	send bool // a send method: subject to FloodWait and to FailNext("*")
	fn   func(*Server, *bot, *request) (any, *apiError)
}

// methods maps lower-case method names (Telegram's method names are
// case-insensitive) to their implementations.
var methods = map[string]methodSpec{}

func init() {
	for _, m := range []methodSpec{
		{name: "getMe", fn: (*Server).getMe},
		{name: "getUpdates", fn: (*Server).getUpdates},
		{name: "setWebhook", fn: (*Server).setWebhook},
		{name: "deleteWebhook", fn: (*Server).deleteWebhook},
		{name: "getWebhookInfo", fn: (*Server).getWebhookInfo},
		{name: "getFile", fn: (*Server).getFile},
		{name: "sendChatAction", fn: (*Server).sendChatAction},
		{name: "sendMessage", send: true, fn: (*Server).sendMessage},
		{name: "sendMediaGroup", send: true, fn: (*Server).sendMediaGroup},
	} {
		methods[strings.ToLower(m.name)] = m
	}
	for name := range mediaMethods {
		methods[strings.ToLower(name)] = methodSpec{name: name, send: true, fn: (*Server).sendMedia}
	}
}

// bot is the state of one bot token. It is guarded by Server.mu.
type bot struct {
	token string
	user  User

	changed chan struct{} // closed and replaced on every state change

	// Updates.
	nextUpdateID int64
	queue        []queuedUpdate // ascending update_id
	allowed      map[string]bool
	poll         *poller
	webhook      webhookState
	delivering   bool

	// Files by file_id and by file_path.
	files   map[string]*storedFile
	paths   map[string]*storedFile
	fileSeq int

	// Chats and messages, learnt from updates and sends.
	chats     map[int64]map[string]any
	lastMsgID map[int64]int
	messages  map[msgKey]map[string]any
	albumSeq  int64

	// Record and faults.
	calls      []Call
	sent       []Sent
	faults     []fault
	floodUntil time.Time
	violations int
	blocked    map[int64]bool
	// ignoreOffsets and stall are the crash tests' controls
	// (IgnoreOffsets, Stall).
	ignoreOffsets bool
	stall         time.Duration
	stalled       int
}

type msgKey struct {
	chat int64
	id   int
}

// notify wakes everything waiting for a change of the bot's state.
func (b *bot) notify() {
	close(b.changed)
	b.changed = make(chan struct{})
}

// AddBot registers a bot token; getMe answers bot for it. When bot.ID is 0
// it is taken from the token's numeric prefix ("123:abc" gives 123). Adding
// a token again replaces its User and keeps the rest of its state.
func (s *Server) AddBot(token string, bot User) {
	if bot.ID == 0 {
		prefix, _, _ := strings.Cut(token, ":")
		bot.ID, _ = strconv.ParseInt(prefix, 10, 64)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.bots[token]; b != nil {
		b.user = bot
		return
	}
	first := s.opts.FirstUpdateID
	if first <= 0 {
		first = randomUpdateBase()
	}
	s.bots[token] = newBot(token, bot, first)
}

func newBot(token string, u User, firstUpdateID int64) *bot {
	return &bot{
		token:        token,
		user:         u,
		changed:      make(chan struct{}),
		nextUpdateID: firstUpdateID,
		files:        make(map[string]*storedFile),
		paths:        make(map[string]*storedFile),
		chats:        make(map[int64]map[string]any),
		lastMsgID:    make(map[int64]int),
		messages:     make(map[msgKey]map[string]any),
		blocked:      make(map[int64]bool),
	}
}

// bot returns the bot of token, or nil; the caller holds s.mu.
func (s *Server) bot(token string) *bot { return s.bots[token] }

// mustBot returns the bot of token for a test helper, and panics when the
// token was never added: that is a mistake in the test. The caller holds s.mu.
func (s *Server) mustBot(token string) *bot {
	b := s.bots[token]
	if b == nil {
		panic(fmt.Sprintf("tgfake: unknown bot token %q (call AddBot first)", token))
	}
	return b
}

func (b *bot) recordCall(r *request) {
	b.calls = append(b.calls, Call{Method: r.method, At: r.at, Params: maps.Clone(r.params)})
}

// floodCheck answers 429 while a flood wait is in force, counting a violation.
func (b *bot) floodCheck(now time.Time) *apiError {
	if !now.Before(b.floodUntil) {
		return nil
	}
	b.violations++
	secs := max(1, int(math.Ceil(b.floodUntil.Sub(now).Seconds())))
	return &apiError{code: 429, desc: "Too Many Requests: retry after " + strconv.Itoa(secs), retryAfter: secs}
}

// takeFault consumes the first injected failure that matches the method.
func (b *bot) takeFault(spec methodSpec) *apiError {
	for i := range b.faults {
		f := &b.faults[i]
		if f.method == spec.name || (f.method == "*" && spec.send) {
			f.remaining--
			e := f.failure.apiError()
			if f.remaining <= 0 {
				b.faults = append(b.faults[:i], b.faults[i+1:]...)
			}
			return e
		}
	}
	return nil
}

func (s *Server) getMe(b *bot, _ *request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	me := map[string]any{"id": b.user.ID, "is_bot": b.user.IsBot, "first_name": b.user.FirstName}
	if b.user.LastName != "" {
		me["last_name"] = b.user.LastName
	}
	if b.user.Username != "" {
		me["username"] = b.user.Username
	}
	if b.user.IsBot {
		me["can_join_groups"] = true
		me["can_read_all_group_messages"] = false
		me["supports_inline_queries"] = false
		me["can_connect_to_business"] = false
		me["has_main_web_app"] = false
	}
	return me, nil
}

// Calls returns every method call the bot made, in the order received.
func (s *Server) Calls(token string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.bot(token); b != nil {
		return append([]Call(nil), b.calls...)
	}
	return nil
}

// Sent returns everything the bot sent, in the order accepted. An album
// gives one Sent per item, in album order.
func (s *Server) Sent(token string) []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.bot(token); b != nil {
		return append([]Sent(nil), b.sent...)
	}
	return nil
}

// WaitSent waits until the bot has sent at least n messages and returns
// them all. It returns what was sent so far and an error when ctx ends or
// the server is closed first. It panics when the token was not added.
func (s *Server) WaitSent(ctx context.Context, token string, n int) ([]Sent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.mustBot(token)
	for len(b.sent) < n {
		ch := b.changed
		s.mu.Unlock()
		var err error
		select {
		case <-ch:
		case <-ctx.Done():
			err = ctx.Err()
		case <-s.ctx.Done():
			err = errors.New("tgfake: server closed")
		}
		s.mu.Lock()
		if err != nil && len(b.sent) < n {
			return append([]Sent(nil), b.sent...), fmt.Errorf("tgfake: %d of %d messages sent: %w", len(b.sent), n, err)
		}
	}
	return append([]Sent(nil), b.sent...), nil
}

// FailNext makes the next n calls of method fail with f. The method name is
// case-insensitive; "*" stands for any send method. Failures are injected
// before the call is otherwise looked at, and several FailNext rules are
// used up in the order they were added. n <= 0 removes the pending
// failures of method.
func (s *Server) FailNext(token, method string, n int, f Failure) {
	if spec, ok := methods[strings.ToLower(method)]; ok {
		method = spec.name
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.mustBot(token)
	if n <= 0 {
		b.faults = slices.DeleteFunc(b.faults, func(f fault) bool { return f.method == method })
		return
	}
	b.faults = append(b.faults, fault{method: method, remaining: n, failure: f})
}

// FloodWait puts the bot under a flood wait for d from now: every send
// method call answers 429 "Too Many Requests: retry after N", N being the
// remaining seconds rounded up (also in parameters.retry_after), and
// counts as a violation. d <= 0 lifts the flood wait.
func (s *Server) FloodWait(token string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustBot(token).floodUntil = time.Now().Add(d)
}

// Violations returns how many send method calls the bot made while a flood
// wait was in force.
func (s *Server) Violations(token string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.bot(token); b != nil {
		return b.violations
	}
	return 0
}

// BlockChat makes the user of chatID block the bot: sends to that chat
// answer 403 "Forbidden: bot was blocked by the user".
func (s *Server) BlockChat(token string, chatID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustBot(token).blocked[chatID] = true
}

// UnblockChat undoes BlockChat.
func (s *Server) UnblockChat(token string, chatID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.mustBot(token).blocked, chatID)
}

// IgnoreOffsets makes getUpdates ignore the offsets that confirm updates,
// as if every confirming call was lost on its way (its caller died
// first): the updates are delivered again and again until it is turned
// off. For tests of what a crash between storing an update and
// confirming it does.
func (s *Server) IgnoreOffsets(token string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustBot(token).ignoreOffsets = on
}

// Stall makes every send method call of the bot wait d before Telegram
// looks at it (0 turns it off). A call whose client goes away while it
// waits never reached Telegram: nothing is sent. For tests of a process
// killed with replies in flight.
func (s *Server) Stall(token string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustBot(token).stall = d
}

// Stalled counts the send calls waiting in a stall now.
func (s *Server) Stalled(token string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mustBot(token).stalled
}
