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

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/switchboard-chat/switchboard/inbox"
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
	if !websocket.IsWebSocketUpgrade(c) {
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
	return websocket.New(w.serveConn, websocket.Config{
		HandshakeTimeout: 10 * time.Second,
		RecoverHandler:   w.recoverConn,
		// Most visitor sockets sit idle: small read buffers, and write
		// buffers lent from a pool only while a frame is written.
		ReadBufferSize:  512,
		WriteBufferSize: 4096,
		WriteBufferPool: &w.writeBuffers,
	})
}

// recoverConn logs a panic in a connection without telling the client.
func (w *Widget) recoverConn(*websocket.Conn) {
	if r := recover(); r != nil {
		w.log.Error("visitor websocket panic", "panic", r, "stack", string(debug.Stack()))
	}
}

// outFrame is one thing for the writer: a text frame, or a close frame
// when closeCode is set.
type outFrame struct {
	data      []byte
	closeCode int
	closeText string
}

// conn is one visitor websocket: this goroutine reads, one writer
// goroutine writes, and after hello a stream goroutine relays events.
type conn struct {
	w      *Widget
	ws     *websocket.Conn
	v      visitor
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	out    chan outFrame
	wg     sync.WaitGroup

	// Reader-only state.
	started     bool
	typingAt    time.Time
	typingState bool

	// convs are the visitor's conversations the hub filter lets through;
	// the filter runs on publishers' goroutines.
	mu    sync.Mutex
	convs map[string]bool
}

func (w *Widget) serveConn(ws *websocket.Conn) {
	v, ok := ws.Locals(localVisitor).(visitor)
	if !ok || !w.register() {
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
	c := &conn{
		w: w, ws: ws, v: v, ctx: ctx, cancel: cancel,
		log: w.log.With("visitor", v.ID, "line", v.LineID),
		out: make(chan outFrame, sendBuffer), convs: map[string]bool{},
	}
	c.run()
}

func (c *conn) run() {
	defer c.cancel()
	// The frame limit is enforced while reading (so the client can be told
	// before the 1009 close); this hard limit only stops absurd frames.
	c.ws.SetReadLimit(2*c.w.cfg.MaxFrameBytes + 4096)
	_ = c.ws.SetReadDeadline(time.Now().Add(readTimeout))
	c.ws.SetPongHandler(func(string) error { return c.extendRead() })
	c.wg.Go(c.writeLoop)
	c.readLoop()
	c.cancel()
	c.wg.Wait()
}

func (c *conn) readLoop() {
	limit := c.w.cfg.MaxFrameBytes
	for c.ctx.Err() == nil {
		kind, r, err := c.ws.NextReader()
		if err != nil {
			if !websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway) && c.ctx.Err() == nil {
				c.log.Debug("visitor websocket read", "err", err)
			}
			return
		}
		_ = c.extendRead()
		data, err := io.ReadAll(io.LimitReader(r, limit+1))
		if err != nil {
			c.log.Debug("visitor websocket read", "err", err)
			return
		}
		if int64(len(data)) > limit {
			c.tooLarge()
			return
		}
		if kind != websocket.TextMessage {
			c.sendFrame(errorFrame{Type: "error", Code: "bad_frame", Message: "frames are JSON text frames, not binary"})
			continue
		}
		c.handle(data)
	}
}

// extendRead moves the read deadline on, unless the connection is ending
// (the writer then has set it to now, to wake the reader).
func (c *conn) extendRead() error {
	if c.ctx.Err() != nil {
		return nil
	}
	return c.ws.SetReadDeadline(time.Now().Add(readTimeout))
}

// tooLarge tells the client, closes with 1009, and reads on until the
// client answers the close, so that it gets the close before the
// connection goes.
func (c *conn) tooLarge() {
	c.sendFrame(errorFrame{Type: "error", Code: "frame_too_large",
		Message: fmt.Sprintf("frames are limited to %d bytes", c.w.cfg.MaxFrameBytes)})
	c.enqueue(outFrame{closeCode: websocket.CloseMessageTooBig, closeText: "frame too large"})
	_ = c.ws.SetReadDeadline(time.Now().Add(2 * time.Second))
	for {
		if _, _, err := c.ws.NextReader(); err != nil {
			return
		}
	}
}

// writeLoop is the connection's only writer: frames, pings, the close.
// When it ends, it ends the reader too: a read deadline in the past wakes
// it (closing a hijacked fasthttp connection is a no-op until the handler
// returns).
func (c *conn) writeLoop() {
	ping := time.NewTicker(pingInterval)
	defer ping.Stop()
	defer func() { _ = c.ws.SetReadDeadline(time.Now()) }()
	closed := false
	for {
		select {
		case <-c.ctx.Done():
			if !closed {
				code, text := websocket.CloseNormalClosure, ""
				if c.w.base.Err() != nil {
					code, text = websocket.CloseGoingAway, "server shutting down"
				}
				_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(time.Second))
			}
			return
		case f := <-c.out:
			if closed {
				continue
			}
			if f.closeCode != 0 {
				closed = true
				_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(f.closeCode, f.closeText), time.Now().Add(writeTimeout))
				continue
			}
			_ = c.ws.SetWriteDeadline(time.Now().Add(writeTimeout))
			if err := c.ws.WriteMessage(websocket.TextMessage, f.data); err != nil {
				c.log.Debug("visitor websocket write", "err", err)
				c.cancel()
				return
			}
		case <-ping.C:
			if closed {
				continue
			}
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeTimeout)); err != nil {
				c.cancel()
				return
			}
		}
	}
}

// enqueue hands a frame to the writer, waiting while its queue is full;
// false once the connection is ending.
func (c *conn) enqueue(f outFrame) bool {
	select {
	case c.out <- f:
		return true
	case <-c.ctx.Done():
		return false
	}
}

// sendFrame encodes v as JSON and queues it.
func (c *conn) sendFrame(v any) bool {
	b, err := json.Marshal(v)
	if err != nil {
		c.log.Error("encode visitor frame", "err", err)
		return false
	}
	return c.enqueue(outFrame{data: b})
}

// closeWith queues a close frame; the reader ends when the client answers.
func (c *conn) closeWith(code int, text string) {
	c.enqueue(outFrame{closeCode: code, closeText: text})
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
	c.convs[id] = true
	c.mu.Unlock()
}

func (c *conn) tracks(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.convs[id]
}
