package api

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/inbox/realtime"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// The agent websocket, GET /api/v1/ws. Frames are JSON objects with a type.
//
// Server → client:
//   - {"type":"ready"}: subscribed; (re)fetch what the screen shows now.
//   - {"type":"event","event":Event}: a change the agent may see.
//   - {"type":"hidden","conversationId":…}: a conversation the agent could
//     see is no longer theirs (forwarded, reassigned): drop it.
//   - {"type":"resync"}: events were lost (the client lagged, or the agent's
//     access changed); refetch the list and the open conversation.
//   - {"type":"error","error":{code,message,field}}: a refused client frame.
//
// Client → server, relayed through the hub as inbox.EventTyping and
// inbox.EventRead events (only for a conversation the agent may see):
//   - {"type":"typing","conversationId":…,"typing":bool}
//   - {"type":"read","conversationId":…,"seq":n}
//
// and {"type":"active"}: the person is using the inbox (presence.go's
// inactivity counts from the last one); nothing is relayed.
//
// Who gets what: supervisors and admins every event; agents the events of
// conversations they may see (inbox's rules, see wsAccess), agent and
// presence events, and "resync" when their lines or groups change. Nobody
// gets their own typing back; their own reads reach their other tabs.
// Hygiene: ping every 25 s, read deadline 60 s, frame limit maxFrame, one
// writer, the session checked again every minute.
const (
	wsPingEvery   = 25 * time.Second
	wsReadWait    = 60 * time.Second
	wsWriteWait   = 10 * time.Second
	wsReauthEvery = time.Minute
	// wsBuffer is how many events may wait for a slow client before the
	// hub cuts it off (then it gets "resync").
	wsBuffer = 256
	// wsMaxLags closes a connection that lags this often within a minute.
	wsMaxLags = 5
	// wsFramesPerSecond limits what a client may send.
	wsFramesPerSecond = 20
	// wsCacheMax bounds the conversations one connection remembers.
	wsCacheMax = 20_000
	wsLocal    = "ws.principal"
)

type wsOut struct {
	Type           string       `json:"type"`
	Event          *inbox.Event `json:"event,omitempty"`
	ConversationID string       `json:"conversationId,omitempty"`
	Error          *ErrorDetail `json:"error,omitempty"`
}

type wsIn struct {
	Type           string `json:"type"`
	ConversationID string `json:"conversationId"`
	Typing         bool   `json:"typing"`
	Seq            int64  `json:"seq"`
}

// MountWS adds GET /api/v1/ws, fed by hub. Call it before Mount: Mount ends
// /api/v1 with a catch-all 404. maxFrame limits a client frame's size.
func (a *API) MountWS(r fiber.Router, hub *realtime.Hub, maxFrame int64) {
	if maxFrame <= 0 {
		maxFrame = 64 << 10
	}
	base, stop := context.WithCancel(context.Background())
	var relay inbox.EventSink = hub
	if a.cfg.Relay != nil {
		relay = a.cfg.Relay
	}
	w := &wsServer{api: a, hub: hub, relay: relay, maxFrame: maxFrame, base: base, stop: stop}
	if app, ok := r.(*fiber.App); ok {
		// Hijacked connections outlive the server's Shutdown: close them.
		// (Mounted on a group, connections end with their clients.)
		app.Hooks().OnShutdown(func() error { w.stop(); return nil })
	}
	r.Get("/api/v1/ws", w.preflight, websocket.New(w.serve, websocket.Config{
		HandshakeTimeout: 10 * time.Second,
		RecoverHandler:   w.recover,
	}))
}

type wsServer struct {
	api      *API
	hub      *realtime.Hub
	relay    inbox.EventSink // where typing and read go (Config.Relay)
	maxFrame int64
	// base is every connection's context; stop ends them all.
	base context.Context
	stop context.CancelFunc
}

// preflight authenticates and checks the origin before the upgrade.
func (w *wsServer) preflight(c *fiber.Ctx) error {
	token := c.Cookies(SessionCookie)
	sess, ag, err := w.api.svc.Authenticate(c.UserContext(), token)
	if err != nil {
		return w.api.fail(c, err)
	}
	if !sameOrigin(c.Get(fiber.HeaderOrigin), c.Protocol(), c.Hostname()) {
		return writeError(c, fiber.StatusForbidden, "origin", "the Origin header must be this server's own origin", "")
	}
	if !websocket.IsWebSocketUpgrade(c) {
		return writeError(c, fiber.StatusUpgradeRequired, "upgrade_required", "this endpoint speaks websocket only", "")
	}
	c.Locals(wsLocal, &principal{agent: ag, session: sess, token: strings.Clone(token)})
	return c.Next()
}

// sameOrigin reports whether origin is scheme://host, default ports aside.
func sameOrigin(origin, scheme, host string) bool {
	u, err := url.Parse(origin)
	if origin == "" || err != nil || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") {
		return false
	}
	norm := func(scheme, host string) string {
		scheme, host = strings.ToLower(scheme), strings.ToLower(host)
		if h, p, err := net.SplitHostPort(host); err == nil && (scheme == "http" && p == "80" || scheme == "https" && p == "443") {
			host = h
			if strings.Contains(h, ":") {
				host = "[" + h + "]"
			}
		}
		return scheme + "://" + host
	}
	return norm(u.Scheme, u.Host) == norm(scheme, host)
}

func (w *wsServer) recover(c *websocket.Conn) {
	if r := recover(); r != nil {
		w.api.log.Error("websocket panic", "panic", r)
		_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseInternalServerErr, ""), time.Now().Add(time.Second))
	}
}

// wsConn is one agent's connection. The handler's goroutine reads; write
// runs the one writer goroutine.
type wsConn struct {
	srv     *wsServer
	conn    *websocket.Conn
	token   string
	access  *wsAccess
	replies chan []byte
	staff   atomic.Bool
}

func (w *wsServer) serve(conn *websocket.Conn) {
	// The server keeps hijacked connections open (the gateway sets
	// KeepHijackedConns): the socket closes itself, on every way out.
	defer conn.Close()
	p, _ := conn.Locals(wsLocal).(*principal)
	if p == nil {
		return
	}
	ctx, cancel := context.WithCancel(w.base)
	defer cancel()
	defer w.api.presence.connected(p.agent.ID, p.token, cancel)()
	c := &wsConn{srv: w, conn: conn, token: p.token, replies: make(chan []byte, 16),
		access: newWSAccess(w.api.svc, inbox.ActorFor(p.agent))}
	c.staff.Store(c.access.actor().SeesAll())
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.write(ctx)
		cancel()
		// Give the client a moment to answer the close, then stop reading.
		_ = conn.SetReadDeadline(time.Now().Add(time.Second))
	}()
	c.read(ctx)
	cancel()
	<-done
	_ = conn.Close()
}

// read handles the client's frames until the connection fails or ctx ends.
func (c *wsConn) read(ctx context.Context) {
	conn := c.conn
	conn.SetReadLimit(c.srv.maxFrame)
	_ = conn.SetReadDeadline(time.Now().Add(wsReadWait))
	extend := func() error {
		if ctx.Err() != nil {
			return nil // the writer has ended: keep its short deadline
		}
		return conn.SetReadDeadline(time.Now().Add(wsReadWait))
	}
	conn.SetPongHandler(func(string) error { return extend() })
	window, frames := time.Now(), 0
	for ctx.Err() == nil {
		_, data, err := conn.ReadMessage()
		if err != nil {
			return
		}
		_ = extend()
		if now := time.Now(); now.Sub(window) >= time.Second {
			window, frames = now, 0
		}
		if frames++; frames > wsFramesPerSecond {
			c.reply(wsOut{Type: "error", Error: &ErrorDetail{Code: "throttled", Message: "too many frames; slow down"}})
			continue
		}
		if err := c.handle(ctx, data); err != nil {
			var fe *inbox.FieldError
			detail := ErrorDetail{Code: "invalid", Message: err.Error()}
			switch {
			case errors.As(err, &fe):
				detail.Field, detail.Message = fe.Field, fe.Message
			case errors.Is(err, inbox.ErrForbidden):
				detail = ErrorDetail{Code: "forbidden", Message: "you may not see this conversation"}
			default:
				c.srv.api.log.Error("websocket frame", "err", err)
				detail = ErrorDetail{Code: "internal", Message: "internal error"}
			}
			c.reply(wsOut{Type: "error", Error: &detail})
		}
	}
}

// handle acts on one client frame.
func (c *wsConn) handle(ctx context.Context, data []byte) error {
	var in wsIn
	if err := json.Unmarshal(data, &in); err != nil {
		return &inbox.FieldError{Field: "body", Message: "a frame must be a JSON object"}
	}
	var ev inbox.Event
	switch in.Type {
	case "active":
		// The person is using the inbox: inactivity counts from now.
		c.srv.api.presence.activity(c.access.actor().AgentID)
		return nil
	// The state travels in Typing and Seq, and, as the agent websocket first
	// did, as text in SubjectID too.
	case string(inbox.EventTyping):
		ev = inbox.Event{Type: inbox.EventTyping, Typing: in.Typing, SubjectID: strconv.FormatBool(in.Typing)}
	case string(inbox.EventRead):
		if in.Seq < 0 {
			return &inbox.FieldError{Field: "seq", Message: "must be a whole number ≥ 0"}
		}
		ev = inbox.Event{Type: inbox.EventRead, Seq: in.Seq, SubjectID: strconv.FormatInt(in.Seq, 10)}
	default:
		return &inbox.FieldError{Field: "type", Message: "must be typing, read or active"}
	}
	if in.ConversationID == "" {
		return &inbox.FieldError{Field: "conversationId", Message: "is required"}
	}
	ok, err := c.access.visible(ctx, in.ConversationID)
	if err != nil {
		return err
	}
	if !ok {
		return inbox.ErrForbidden
	}
	me := c.access.actor()
	ev.ID, ev.At = bson.NewObjectID().Hex(), time.Now().UTC()
	ev.ConversationID, ev.AgentID = in.ConversationID, me.AgentID
	return c.srv.relay.Publish(ctx, ev)
}

func (c *wsConn) reply(f wsOut) {
	b, _ := json.Marshal(f)
	select {
	case c.replies <- b:
	default: // a client that floods us loses error replies, nothing else
	}
}

func (c *wsConn) subscribe() *realtime.Sub {
	return c.srv.hub.Subscribe(func(ev inbox.Event) bool {
		if c.staff.Load() {
			return true
		}
		switch ev.Type {
		case inbox.EventAgentChanged, inbox.EventAgentDeleted, inbox.EventPresenceChanged,
			inbox.EventLineChanged, inbox.EventLineDeleted, inbox.EventSessionEnded:
			return true
		}
		return ev.ConversationID != ""
	}, wsBuffer)
}

// write is the connection's one writer: events, pings, replies.
func (c *wsConn) write(ctx context.Context) {
	sub := c.subscribe()
	defer func() { sub.Close() }()
	if err := c.access.load(ctx); err != nil {
		c.srv.api.log.Error("websocket: load access", "err", err)
		c.close(websocket.CloseInternalServerErr)
		return
	}
	ping, reauth := time.NewTicker(wsPingEvery), time.NewTicker(wsReauthEvery)
	defer ping.Stop()
	defer reauth.Stop()
	var lags []time.Time
	if !c.send(wsOut{Type: "ready"}) {
		return
	}
	for {
		select {
		case <-ctx.Done():
			if c.srv.base.Err() != nil {
				c.close(websocket.CloseGoingAway)
			}
			return
		case b := <-c.replies:
			if !c.sendRaw(b) {
				return
			}
		case <-ping.C:
			if c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(wsWriteWait)) != nil {
				return
			}
		case <-reauth.C:
			if _, _, err := c.srv.api.svc.Authenticate(ctx, c.token); err != nil {
				if errors.Is(err, inbox.ErrUnauthorized) {
					c.close(websocket.ClosePolicyViolation)
					return
				}
				c.srv.api.log.Warn("websocket: re-authenticate", "err", err)
			}
		case ev, ok := <-sub.Events():
			if !ok {
				if !sub.Lagged() {
					return
				}
				now := time.Now()
				lags = append(slices.DeleteFunc(lags, func(t time.Time) bool { return now.Sub(t) > time.Minute }), now)
				if len(lags) > wsMaxLags {
					c.close(websocket.CloseTryAgainLater)
					return
				}
				// Subscribe again before telling the client to refetch, so
				// nothing falls between its refetch and the new stream.
				sub = c.subscribe()
				if err := c.access.load(ctx); err != nil {
					c.srv.api.log.Error("websocket: reload access", "err", err)
					c.close(websocket.CloseInternalServerErr)
					return
				}
				if !c.send(wsOut{Type: "resync"}) {
					return
				}
				continue
			}
			frames, closeCode := c.decide(ctx, ev)
			for _, f := range frames {
				if !c.send(f) {
					return
				}
			}
			if closeCode != 0 {
				c.close(closeCode)
				return
			}
		}
	}
}

func (c *wsConn) send(f wsOut) bool {
	b, err := json.Marshal(f)
	if err != nil {
		c.srv.api.log.Error("websocket: encode frame", "type", f.Type, "err", err)
		return true
	}
	return c.sendRaw(b)
}

func (c *wsConn) sendRaw(b []byte) bool {
	_ = c.conn.SetWriteDeadline(time.Now().Add(wsWriteWait))
	return c.conn.WriteMessage(websocket.TextMessage, b) == nil
}

func (c *wsConn) close(code int) {
	_ = c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""), time.Now().Add(wsWriteWait))
}

// decide turns an event into the frames this agent gets; a non-zero close
// code ends the connection after them.
func (c *wsConn) decide(ctx context.Context, ev inbox.Event) (frames []wsOut, closeCode int) {
	ac := c.access
	me := ac.actor()
	deliver := func() []wsOut { return []wsOut{{Type: "event", Event: &ev}} }
	switch ev.Type {
	case inbox.EventSessionEnded: // signed out, perhaps on another gateway
		if ev.SubjectID == sessionTag(c.token) {
			return nil, websocket.ClosePolicyViolation
		}
		return nil, 0
	case inbox.EventAgentChanged, inbox.EventAgentDeleted, inbox.EventPresenceChanged:
		frames = deliver()
		if ev.AgentID != me.AgentID || ev.Type == inbox.EventPresenceChanged {
			return frames, 0
		}
		changed, err := ac.reloadMe(ctx)
		if errors.Is(err, inbox.ErrNotFound) || errors.Is(err, inbox.ErrUnauthorized) {
			return frames, websocket.ClosePolicyViolation
		}
		if err != nil {
			c.srv.api.log.Warn("websocket: reload agent", "err", err)
		}
		if changed {
			c.staff.Store(ac.actor().SeesAll())
			if err := ac.load(ctx); err != nil {
				c.srv.api.log.Warn("websocket: reload access", "err", err)
			}
			frames = append(frames, wsOut{Type: "resync"})
		}
		return frames, 0
	case inbox.EventLineChanged, inbox.EventLineDeleted:
		if me.SeesAll() {
			return deliver(), 0 // staff see every line's conversations anyway
		}
		if ac.lineChanged(ctx, ev.LineID, ev.Type == inbox.EventLineDeleted) {
			return []wsOut{{Type: "resync"}}, 0
		}
		return nil, 0
	case inbox.EventTyping:
		if ev.AgentID == me.AgentID {
			return nil, 0 // your own typing is no news to you
		}
	}
	if me.SeesAll() {
		return deliver(), 0
	}
	if ev.Conversation != nil {
		was, now := ac.update(ev.Conversation)
		switch {
		case now:
			return deliver(), 0
		case was:
			return []wsOut{{Type: "hidden", ConversationID: ev.ConversationID}}, 0
		}
		return nil, 0
	}
	if ev.ConversationID == "" {
		return nil, 0
	}
	if ev.Type == inbox.EventConversationDeleted {
		if ac.forget(ev.ConversationID) || ev.AgentID == me.AgentID {
			return deliver(), 0
		}
		return nil, 0
	}
	if ev.Type == inbox.EventMessageCreated || ev.Type == inbox.EventMessageUpdated {
		// The event names the conversation's agent at the time of writing.
		if ev.AgentID == me.AgentID {
			return deliver(), 0
		}
		if ev.AgentID != "" {
			return nil, 0
		}
	}
	ok, err := ac.visible(ctx, ev.ConversationID)
	if err != nil {
		c.srv.api.log.Warn("websocket: check conversation", "id", ev.ConversationID, "err", err)
	}
	if ok {
		return deliver(), 0
	}
	return nil, 0
}
