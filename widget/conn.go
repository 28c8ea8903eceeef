package widget

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/fasthttp/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/valyala/fasthttp"
)

// closeTooManySockets is the reason of the close frame (1008) a visitor's
// socket gets past Config.MaxSocketsPerVisitor.
const closeTooManySockets = "too many connections for this visitor"

// localVisitor carries the checked visitor from the upgrade check to the
// websocket handler.
const localVisitor = "widget.visitor"

// upgradeCheck runs before the upgrade: a valid token and an allowed
// Origin, or a JSON 401/403 instead of a websocket.
func (w *Widget) upgradeCheck(c *fiber.Ctx) error {
	if !websocket.FastHTTPIsWebSocketUpgrade(c.Context()) {
		return writeError(c, fiber.StatusUpgradeRequired, "upgrade_required", "this endpoint speaks websocket only", "")
	}
	v, _, err := w.authenticate(c, needOrigin)
	if err != nil {
		return w.fail(c, err)
	}
	c.Locals(localVisitor, v)
	return c.Next()
}

func (w *Widget) websocketHandler() fiber.Handler {
	// fasthttp/websocket directly, not gofiber/contrib/websocket: that one
	// copies every request header, query argument and cookie into maps
	// that live as long as the socket. The Origin is checked by
	// upgradeCheck already.
	up := websocket.FastHTTPUpgrader{
		HandshakeTimeout: 10 * time.Second,
		CheckOrigin:      func(*fasthttp.RequestCtx) bool { return true },
		// Most visitor sockets sit idle. Reads go through fasthttp's own
		// buffered reader, so the websocket's read buffer can be the least
		// that holds a control frame; write buffers are lent from a pool
		// only while a frame is written.
		ReadBufferSize:  readBufferSize,
		WriteBufferSize: 4096,
		WriteBufferPool: &w.writeBuffers,
	}
	return func(c *fiber.Ctx) error {
		v, ok := c.Locals(localVisitor).(visitor)
		if !ok {
			return fiber.ErrUpgradeRequired
		}
		rc := c.Context()
		err := up.Upgrade(rc, func(ws *websocket.Conn) {
			defer w.recoverConn()
			// fasthttp holds the upgrade request's context until this
			// handler returns, for the socket's whole life; nothing reads
			// the request or the response again, so their buffers (the
			// parsed headers, a few KiB) go now rather than then.
			rc.Request = fasthttp.Request{}
			rc.Response = fasthttp.Response{}
			w.serveConn(ws, v)
		})
		if err != nil {
			return fiber.ErrUpgradeRequired
		}
		return nil
	}
}

// readBufferSize is the websocket's read buffer: the least the library
// takes (a control frame's 125 bytes of payload).
const readBufferSize = 128

// recoverConn logs a panic in a connection without telling the client.
func (w *Widget) recoverConn() {
	if r := recover(); r != nil {
		w.log.Error("visitor websocket panic", "panic", r, "stack", string(debug.Stack()))
	}
}

// conn is one visitor websocket. Its one goroutine is the reader (the
// websocket handler); what is written goes through the queue in outq.go,
// worked through by a pump goroutine that lives only while there is
// something to write. Pings come from the Widget's ping wheel and hub
// events from the Widget's one subscription (registry.go).
type conn struct {
	w      *Widget
	ws     *websocket.Conn
	v      visitor
	ctx    context.Context
	cancel context.CancelFunc
	pumps  sync.WaitGroup
	// stream is what the socket has sent since hello (pump only).
	stream *streamState

	// Reader-only state.
	started     bool
	typingState bool
	typingAt    time.Time

	mu sync.Mutex
	// space is signalled when the queue shrinks or the socket closes.
	space sync.Cond
	queue []outItem
	// convs are the visitor's conversations the hub filter lets through.
	convs map[string]bool
	slot  uint8 // in the ping wheel
	// pumping: a pump runs; waiting: the reader waits for space;
	// streaming: hello came, events are queued; closing: a close frame is
	// queued, nothing else is; closeSent: the close frame is (being)
	// written; stopped: nothing more is written; woken: the reader was
	// woken and its deadline stays.
	pumping, waiting, pingQueued, streaming bool
	closing, closeSent, stopped, woken      bool
	wakeAfterClose                          bool
}

func (w *Widget) serveConn(ws *websocket.Conn, v visitor) {
	if !w.register() {
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down"), time.Now().Add(time.Second))
		return
	}
	defer w.live.Done()
	if !w.sockets.add(v.ID, w.cfg.MaxSocketsPerVisitor) {
		// Close code 1008 (policy violation): clients do not reconnect.
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.ClosePolicyViolation, closeTooManySockets),
			time.Now().Add(time.Second))
		return
	}
	defer w.sockets.done(v.ID)
	ctx, cancel := context.WithCancel(w.base)
	c := &conn{w: w, ws: ws, v: v, ctx: ctx, cancel: cancel}
	c.space.L = &c.mu
	if !w.addConn(c) {
		cancel()
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down"), time.Now().Add(time.Second))
		return
	}
	c.run()
}

func (c *conn) run() {
	defer c.finish()
	// The frame limit is enforced while reading (so the client can be told
	// before the 1009 close); this hard limit only stops absurd frames.
	c.ws.SetReadLimit(2*c.w.cfg.MaxFrameBytes + 4096)
	_ = c.extendRead()
	c.ws.SetPongHandler(func(string) error { return c.extendRead() })
	c.readLoop()
}

func (c *conn) readLoop() {
	limit := c.w.cfg.MaxFrameBytes
	for c.ctx.Err() == nil {
		kind, r, err := c.ws.NextReader()
		if err != nil {
			if !websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway) && c.ctx.Err() == nil {
				c.logDebug("visitor websocket read", err)
			}
			return
		}
		_ = c.extendRead()
		data, err := io.ReadAll(io.LimitReader(r, limit+1))
		if err != nil {
			c.logDebug("visitor websocket read", err)
			return
		}
		if int64(len(data)) > limit {
			c.tooLarge()
			return
		}
		if !c.handleAside(kind, data) {
			return
		}
	}
}

// handleAside acts on one client frame on a goroutine of its own and waits
// for it, so frames are still handled one after the other. The reader's
// stack stays as small as reading needs: decoding JSON, encoding the
// answer and the store calls would grow it, and an idle socket keeps its
// reader's stack at the largest it ever was. False after a panic.
func (c *conn) handleAside(kind int, data []byte) bool {
	done := make(chan bool, 1)
	go func() {
		ok := false
		defer func() {
			if r := recover(); r != nil {
				c.w.log.Error("visitor websocket panic", "panic", r, "stack", string(debug.Stack()))
			}
			done <- ok
		}()
		if kind != websocket.TextMessage {
			c.sendFrame(errorFrame{Type: "error", Code: "bad_frame", Message: "frames are JSON text frames, not binary"})
		} else {
			c.handle(data)
		}
		ok = true
	}()
	return <-done
}

// tooLarge tells the client, closes with 1009, and reads on until the
// client answers the close, so that it gets the close before the
// connection goes.
func (c *conn) tooLarge() {
	c.sendFrame(errorFrame{Type: "error", Code: "frame_too_large",
		Message: fmt.Sprintf("frames are limited to %d bytes", c.w.cfg.MaxFrameBytes)})
	c.closeWith(websocket.CloseMessageTooBig, "frame too large")
	_ = c.readDeadline(2 * time.Second)
	for {
		if _, _, err := c.ws.NextReader(); err != nil {
			return
		}
	}
}

// The socket's log lines carry the visitor and the line; the logger is
// not kept per socket.
func (c *conn) logDebug(msg string, err error) {
	if c.w.log.Enabled(context.Background(), slog.LevelDebug) {
		c.w.log.Debug(msg, "visitor", c.v.ID, "line", c.v.LineID, "err", err)
	}
}

func (c *conn) logWarn(msg string, args ...any) {
	c.w.log.Warn(msg, append([]any{"visitor", c.v.ID, "line", c.v.LineID}, args...)...)
}

func (c *conn) logError(msg string, err error) {
	c.w.log.Error(msg, "visitor", c.v.ID, "line", c.v.LineID, "err", err)
}

// inFrame is every client frame's fields (protocol section 4).
type inFrame struct {
	Type           string             `json:"type"`
	LastSeq        int64              `json:"lastSeq"`
	ConversationID string             `json:"conversationId"`
	ClientID       string             `json:"clientId"`
	Text           string             `json:"text"`
	Attachments    []inbox.Attachment `json:"attachments"`
	Page           string             `json:"page"`
	Typing         bool               `json:"typing"`
	Seq            int64              `json:"seq"`
	Rating         int                `json:"rating"`
	Email          string             `json:"email"`
}

type errorFrame struct {
	Type     string `json:"type"`
	Code     string `json:"code"`
	Message  string `json:"message"`
	ClientID string `json:"clientId,omitempty"`
}

type ackFrame struct {
	Type           string    `json:"type"`
	ClientID       string    `json:"clientId"`
	ID             string    `json:"id"`
	Seq            int64     `json:"seq"`
	ConversationID string    `json:"conversationId"`
	CreatedAt      time.Time `json:"createdAt"`
}

// errBadFrame is a frame the protocol does not know.
func errBadFrame(format string, args ...any) error { return refuse(0, "bad_frame", format, args...) }

// decodeFrame reads one client frame: a JSON object in valid UTF-8 with
// a type. Anything else is a bad_frame refusal.
func decodeFrame(data []byte) (inFrame, error) {
	var f inFrame
	if !utf8.Valid(data) {
		// encoding/json would quietly turn bad bytes into U+FFFD.
		return f, errBadFrame("a frame must be valid UTF-8")
	}
	if err := json.Unmarshal(data, &f); err != nil || f.Type == "" {
		return inFrame{}, errBadFrame("a frame must be a JSON object with a type")
	}
	return f, nil
}

// handle acts on one client frame; a refused frame gets an error frame
// and the connection stays open.
func (c *conn) handle(data []byte) {
	f, err := decodeFrame(data)
	if err != nil {
		code, msg := c.w.frameError(err)
		c.sendFrame(errorFrame{Type: "error", Code: code, Message: msg})
		return
	}
	if f.Type != "send" && !c.w.frames.allow(c.v.ID) {
		// Every frame but send (which has its own limit) draws on one
		// budget per visitor, over all their sockets.
		c.sendFrame(errorFrame{Type: "error", Code: errRateLimited.code, Message: errRateLimited.msg})
		return
	}
	ctx, cancel := context.WithTimeout(c.ctx, frameTimeout)
	defer cancel()
	switch f.Type {
	case "hello":
		err = c.hello(f)
	case "send":
		c.send(ctx, f)
		return
	case "typing":
		err = c.typing(ctx, f.Typing)
	case "read":
		err = c.w.read(ctx, c.v, f.Seq)
	case "rate":
		err = c.w.rate(ctx, c.v, f.Rating)
	case "transcript":
		err = c.w.transcript(ctx, c.v, f.Email)
	default:
		err = errBadFrame("unknown frame type %q", f.Type)
	}
	if err != nil && c.ctx.Err() == nil {
		code, msg := c.w.frameError(err)
		c.sendFrame(errorFrame{Type: "error", Code: code, Message: msg})
	}
}

// send stores a visitor message and acknowledges it, or says why not.
func (c *conn) send(ctx context.Context, f inFrame) {
	var err error
	var m *inbox.Message
	switch {
	case f.ClientID == "":
		err = &inbox.FieldError{Field: "clientId", Message: "is required"}
	case !c.w.messages.allow(c.v.ID):
		err = errRateLimited
	default:
		m, err = c.w.deliver(ctx, c.v, f)
	}
	if err != nil {
		if c.ctx.Err() != nil || errors.Is(err, context.Canceled) {
			return
		}
		code, msg := c.w.frameError(err)
		c.sendFrame(errorFrame{Type: "error", Code: code, Message: msg, ClientID: f.ClientID})
		return
	}
	c.sendFrame(ackFrame{Type: "ack", ClientID: m.ClientID, ID: m.ID, Seq: m.Seq, ConversationID: m.ConversationID, CreatedAt: m.CreatedAt})
}

// typingEvery is how often an unchanged "typing" is passed on.
const typingEvery = 2 * time.Second

func (c *conn) typing(ctx context.Context, typing bool) error {
	now := time.Now()
	if typing == c.typingState && now.Sub(c.typingAt) < typingEvery {
		return nil
	}
	c.typingState, c.typingAt = typing, now
	return c.w.typing(ctx, c.v, typing)
}

// track lets the hub filter pass events of a conversation.
func (c *conn) track(id string) {
	c.mu.Lock()
	c.trackLocked(id)
	c.mu.Unlock()
}

// trackLocked is track with c.mu held.
func (c *conn) trackLocked(id string) {
	if c.convs == nil {
		c.convs = map[string]bool{}
	}
	c.convs[id] = true
}
