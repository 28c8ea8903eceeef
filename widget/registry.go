package widget

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
)

// pingSlots is how many slots the ping wheel has: every tick
// (pingInterval/pingSlots) the sockets of one slot are pinged, so each
// socket is pinged every pingInterval and the pings of many sockets are
// spread over the interval instead of all coming at once.
const pingSlots = 25

// registry knows every open visitor websocket of a Widget. It replaces
// per-socket goroutines and timers: one hub subscription hands each event
// to the sockets that want it (Widget.dispatch), and one ticker pings the
// sockets of one slot per tick (Widget.pingLoop). Between them an idle
// socket costs no goroutine but its reader.
type registry struct {
	mu    sync.RWMutex
	slots [pingSlots]map[*conn]struct{}
	n     int
	// cursor is the slot the ticker pings next; a new socket joins the
	// slot just pinged, so its first ping comes a whole interval later.
	cursor atomic.Int32
	start  sync.Once
}

// addConn registers a new socket for pings, events and the shutdown;
// false once the Widget is shutting down (the socket must then close with
// 1001 itself: shutdown has taken its list already).
func (w *Widget) addConn(c *conn) bool {
	r := &w.conns
	r.start.Do(func() { go w.pingLoop() })
	r.mu.Lock()
	defer r.mu.Unlock()
	// shutdown cancels base before it takes its list under r.mu, so a
	// socket added after that list sees base ended.
	if w.base.Err() != nil {
		return false
	}
	slot := (int(r.cursor.Load()) + pingSlots - 1) % pingSlots
	if r.slots[slot] == nil {
		r.slots[slot] = map[*conn]struct{}{}
	}
	r.slots[slot][c] = struct{}{}
	c.slot = uint8(slot)
	r.n++
	return true
}

// removeConn unregisters a socket: once it returns, neither the ticker nor
// the hub reaches the socket any more.
func (w *Widget) removeConn(c *conn) {
	r := &w.conns
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.slots[c.slot][c]; ok {
		delete(r.slots[c.slot], c)
		r.n--
	}
}

// OpenSockets counts the open visitor websockets.
func (w *Widget) OpenSockets() int {
	w.conns.mu.RLock()
	defer w.conns.mu.RUnlock()
	return w.conns.n
}

// pingLoop pings one slot of sockets per tick until the Widget stops.
func (w *Widget) pingLoop() {
	t := time.NewTicker(pingInterval / pingSlots)
	defer t.Stop()
	r := &w.conns
	for {
		select {
		case <-w.base.Done():
			return
		case <-t.C:
		}
		slot := int(r.cursor.Load())
		w.pingSlot(slot, time.Now())
		r.cursor.Store(int32((slot + 1) % pingSlots))
	}
}

// pingSlot pings the sockets of one slot and ends the polled ones whose
// clients have been silent (no frame, no pong) for readTimeout: no read
// deadline watches them.
func (w *Widget) pingSlot(slot int, now time.Time) {
	r := &w.conns
	silent := now.Add(-readTimeout).UnixNano()
	r.mu.RLock()
	defer r.mu.RUnlock()
	for c := range r.slots[slot] {
		if c.rc != nil && c.heard.Load() < silent {
			c.expire()
			continue
		}
		c.ping()
	}
}

// dispatch is the filter of the Widget's one hub subscription. It runs on
// the publisher's goroutine, in publishing order, and hands the event to
// every socket whose own filter (conn.offer) wants it, without blocking:
// a socket that has fallen too far behind is cut off instead. It always
// answers false, so the subscription's channel stays empty and can never
// lag.
func (w *Widget) dispatch(ev inbox.Event) bool {
	r := &w.conns
	r.mu.RLock()
	taken := false
	for i := range r.slots {
		for c := range r.slots[i] {
			taken = c.offer(ev) || taken
		}
	}
	r.mu.RUnlock()
	// An agent's answer no open widget took: its visitor has left, and
	// gets it by e-mail where the line can send it.
	if !taken && ev.Type == inbox.EventMessageCreated && ev.Message != nil && ev.Message.AuthorKind == inbox.AuthorAgent && !ev.Message.Comment {
		go w.mailAbsent(ev.ConversationID, ev.Message.ID)
	}
	return false
}

// mailAbsent hands an answer its visitor did not see to the inbox, which
// e-mails it if it can.
func (w *Widget) mailAbsent(convID, messageID string) {
	ctx, cancel := context.WithTimeout(w.base, 30*time.Second)
	defer cancel()
	if err := w.svc.MailAbsentVisitor(ctx, convID, messageID); err != nil && ctx.Err() == nil {
		w.log.Error("e-mail an answer to an absent visitor", "conversation", convID, "err", err)
	}
}

// closeConns sends every open socket the shutdown close (1001) and wakes
// its reader; base is cancelled already.
func (w *Widget) closeConns() {
	r := &w.conns
	r.mu.RLock()
	all := make([]*conn, 0, r.n)
	for i := range r.slots {
		for c := range r.slots[i] {
			all = append(all, c)
		}
	}
	r.mu.RUnlock()
	for _, c := range all {
		c.shutdown()
	}
}
