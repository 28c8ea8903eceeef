package widget

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/fasthttp/websocket"
	"github.com/gobwas/ws"
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
	// fasthttp/websocket answers the handshake; the socket is then read
	// and written by this package (frames.go) straight on the TCP
	// connection, so that an idle socket keeps no buffer, no goroutine and
	// nothing of fasthttp's. The Origin is checked by upgradeCheck
	// already.
	up := websocket.FastHTTPUpgrader{
		HandshakeTimeout: 10 * time.Second,
		CheckOrigin:      func(*fasthttp.RequestCtx) bool { return true },
		ReadBufferSize:   readBufferSize,
		WriteBufferSize:  readBufferSize,
	}
	return func(c *fiber.Ctx) error {
		v, ok := c.Locals(localVisitor).(visitor)
		if !ok {
			return fiber.ErrUpgradeRequired
		}
		err := up.Upgrade(c.Context(), func(hs *websocket.Conn) {
			defer func() {
				if r := recover(); r != nil {
					w.recoverConn(r)
				}
			}()
			hijacked := hs.NetConn()
			nc := hijacked
			if u, ok := hijacked.(interface{ UnsafeConn() net.Conn }); ok {
				nc = u.UnsafeConn()
			}
			if sentEarly(hijacked) {
				closeRaw(nc, websocket.CloseProtocolError, "data before the handshake's answer")
				return
			}
			w.serveConn(nc, v)
		})
		if err != nil {
			return fiber.ErrUpgradeRequired
		}
		return nil
	}
}

// readBufferSize is the handshake library's buffer size: the least it
// takes. Nothing is read or written through its buffers.
const readBufferSize = 128

// recoverConn logs a recovered panic of a connection without telling the
// client.
func (w *Widget) recoverConn(r any) {
	w.log.Error("visitor websocket panic", "panic", r, "stack", string(debug.Stack()))
}

// conn is one visitor websocket. It is read in turns (frames.go): with
// the poller an idle socket has no goroutine; without, the upgrade
// handler's goroutine reads it. What is written goes through the queue in
// outq.go, worked through by a pump goroutine that lives only while there
// is something to write. Pings come from the Widget's ping wheel and hub
// events from the Widget's one subscription (registry.go).
type conn struct {
	w *Widget
	// nc is the TCP connection; rc its descriptor for the poller and
	// pollID its name there (rc nil: no poller, a goroutine reads).
	nc     net.Conn
	rc     syscall.RawConn
	pollID uint64
	v      visitor
	ctx    context.Context
	cancel context.CancelFunc
	pumps  sync.WaitGroup
	// stream is what the socket has sent since hello (pump only).
	stream *streamState
	// heard is when the client was last heard from (Unix nanoseconds):
	// with the poller the ping wheel ends a socket silent for readTimeout.
	heard atomic.Int64

	// Reader-only state: the turn's (turnMu orders the turns).
	turnMu      sync.Mutex
	started     bool
	typingState bool
	typingAt    time.Time

	// wmu orders whole frames on the connection; wclosed: a close frame
	// is written and nothing may follow it.
	wmu     sync.Mutex
	wclosed bool

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
	// woken and its deadline stays; turning: a turn runs; finished: the
	// connection is over and closed.
	pumping, waiting, pingQueued, streaming bool
	closing, closeSent, stopped, woken      bool
	wakeAfterClose, turning, finished       bool
}

func (w *Widget) serveConn(nc net.Conn, v visitor) {
	if !w.register() {
		closeRaw(nc, websocket.CloseGoingAway, "server shutting down")
		return
	}
	if !w.sockets.add(v.ID, w.cfg.MaxSocketsPerVisitor) {
		w.live.Done()
		// Close code 1008 (policy violation): clients do not reconnect.
		closeRaw(nc, websocket.ClosePolicyViolation, closeTooManySockets)
		return
	}
	ctx, cancel := context.WithCancel(w.base)
	c := &conn{w: w, nc: nc, v: v, ctx: ctx, cancel: cancel}
	c.space.L = &c.mu
	c.heard.Store(time.Now().UnixNano())
	// The mode is settled before the socket is registered: from then on
	// the ping wheel, the hub and a shutdown may reach it.
	p := w.pollerFor()
	if p != nil {
		c.rc, _ = rawConn(nc)
	}
	if !w.addConn(c) {
		cancel()
		w.sockets.done(v.ID)
		w.live.Done()
		closeRaw(nc, websocket.CloseGoingAway, "server shutting down")
		return
	}
	if c.rc == nil {
		c.mu.Lock()
		c.turning = true
		c.mu.Unlock()
		c.turn()
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.finished {
		return // ended already (a shutdown)
	}
	id, err := p.add(c.rc, c)
	if err != nil {
		c.logWarn("visitor websocket not polled; closing it", "err", err)
		c.queueCloseLocked(websocket.CloseTryAgainLater, "server busy; reconnect", true, true)
		return
	}
	// The poller reports the socket from now on; its first report waits
	// for c.mu.
	c.pollID = id
}

// rawConn is the connection's descriptor, for the poller.
func rawConn(nc net.Conn) (syscall.RawConn, bool) {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil, false
	}
	rc, err := sc.SyscallConn()
	return rc, err == nil
}

// closeRaw writes a close frame on a connection that never became a conn,
// and closes it.
func closeRaw(nc net.Conn, code int, text string) {
	var b bytes.Buffer
	encodeFrame(&b, ws.OpClose, websocket.FormatCloseMessage(code, text))
	_ = nc.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = nc.Write(b.Bytes())
	_ = nc.Close()
}

// tooLarge tells the client, closes with 1009, and reads on (discarding)
// until the client has answered the close and gone, for at most two
// seconds, so that it gets the close before the connection goes.
func (c *conn) tooLarge() {
	c.sendFrame(errorFrame{Type: "error", Code: "frame_too_large",
		Message: fmt.Sprintf("frames are limited to %d bytes", c.w.cfg.MaxFrameBytes)})
	c.closeWith(websocket.CloseMessageTooBig, "frame too large")
	_ = c.readDeadline(2 * time.Second)
	_, _ = io.Copy(io.Discard, c.nc)
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
	// The frame's work ends with the gateway (base) or after frameTimeout.
	// It is not derived from the socket's context, which would keep a map
	// of children (0.4 KiB) for as long as the socket is open: the socket
	// finishes only after this turn anyway, and if its writing fails
	// meanwhile the work still ends (a message is stored, and its sender's
	// retry with the same client id finds it).
	ctx, cancel := context.WithTimeout(c.w.base, frameTimeout)
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
