package widget

import (
	"encoding/json"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/gobwas/ws"
	"github.com/switchboard-chat/switchboard/inbox"
)

// A socket's writing: whatever is to be written or done in order (frames
// of the reader, hub events to relay, the replay after hello, pings, the
// close) goes into the connection's queue, and a pump goroutine, started
// when the queue gets its first item, works through it and exits when it
// is empty. The pump is the connection's only writer (besides the
// websocket library's own control-frame replies), so frames of one socket
// never interleave and keep their order. An idle socket has no pump.

type itemKind uint8

const (
	itemFrame  itemKind = iota + 1 // data: an encoded text frame
	itemPing                       // a ping control frame
	itemClose                      // a close frame: code, text; wake the reader after it when wake
	itemEvent                      // ev: a hub event to relay
	itemReplay                     // the replay after hello: seq, text (conversation)
	itemFill                       // messages missing before held ones: text (conversation)
)

type outItem struct {
	kind itemKind
	wake bool
	code int
	seq  int64
	text string
	data []byte
	ev   inbox.Event
}

// maxQueue is the most items a socket may have waiting. Hub events beyond
// it cut the socket off (close 1013: the client resumes by seq); the
// reader waits instead, while sendBuffer items are waiting.
const maxQueue = sendBuffer + subBuffer

// kick starts the pump unless it runs or the connection is done. c.mu is
// held.
func (c *conn) kick() {
	if c.pumping || c.stopped || len(c.queue) == 0 {
		return
	}
	c.pumping = true
	c.pumps.Add(1)
	go c.pump()
}

// waitSpaceLocked waits (reader only, c.mu held) while sendBuffer items
// wait already, until the pump catches up or the connection closes.
func (c *conn) waitSpaceLocked() {
	for len(c.queue) >= sendBuffer && !c.closing && !c.stopped {
		c.waiting = true
		c.space.Wait()
	}
}

// enqueue queues an item of the reader, waiting while the queue is full;
// false once the connection is closing.
func (c *conn) enqueue(it outItem) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waitSpaceLocked()
	if c.closing || c.stopped {
		return false
	}
	c.queue = append(c.queue, it)
	c.kick()
	return true
}

// sendFrame encodes v as JSON and writes it (reader only): at once when
// nothing else is being written or waits, else after what waits.
func (c *conn) sendFrame(v any) bool {
	b, err := json.Marshal(v)
	if err != nil {
		c.logError("encode visitor frame", err)
		return false
	}
	c.mu.Lock()
	if c.pumping || len(c.queue) > 0 || c.closing || c.stopped {
		c.mu.Unlock()
		return c.enqueue(outItem{kind: itemFrame, data: b})
	}
	// The reader is the writer for this frame; whatever is queued
	// meanwhile is left to a pump.
	c.pumping = true
	c.mu.Unlock()
	ok := c.writeText(b)
	c.mu.Lock()
	c.pumping = false
	if !c.stopped && len(c.queue) == 0 {
		_ = c.nc.SetWriteDeadline(time.Time{})
	}
	c.kick()
	c.mu.Unlock()
	return ok
}

// closeWith queues a close frame after what is queued (reader only); the
// reader goes on until the client answers it.
func (c *conn) closeWith(code int, text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waitSpaceLocked()
	c.queueCloseLocked(code, text, false, false)
}

// queueCloseLocked queues a close frame, first of all when urgent (what
// was waiting is dropped), and refuses every item after it. c.mu is held.
func (c *conn) queueCloseLocked(code int, text string, urgent, wake bool) {
	if c.closing || c.stopped {
		return
	}
	c.closing = true
	if urgent {
		clear(c.queue)
		c.queue = c.queue[:0]
	}
	c.queue = append(c.queue, outItem{kind: itemClose, code: code, text: text, wake: wake})
	c.kick()
	c.space.Broadcast()
}

// ping queues a ping (the ping wheel's tick).
func (c *conn) ping() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing || c.stopped || c.pingQueued {
		return
	}
	c.pingQueued = true
	c.queue = append(c.queue, outItem{kind: itemPing})
	c.kick()
}

// offer is the socket's part of the hub filter (Widget.dispatch): on the
// publisher's goroutine, in publishing order, it queues the events the
// socket wants, never blocking. A socket whose queue is full is cut off.
func (c *conn) offer(ev inbox.Event) (taken bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.streaming || c.closing || c.stopped || !c.accept(ev) {
		return false
	}
	if len(c.queue) >= maxQueue {
		// Events were lost; the client resumes by cursor.
		c.logWarn("visitor websocket lagged; closing")
		c.queueCloseLocked(websocket.CloseTryAgainLater, "lagging; reconnect", true, false)
		return false
	}
	c.queue = append(c.queue, outItem{kind: itemEvent, ev: ev})
	c.kick()
	return true
}

// shutdown closes the socket with 1001 for Widget.shutdown and wakes the
// reader once the close is written.
func (c *conn) shutdown() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing || c.stopped {
		// A close is written or on its way, or writing failed: the reader
		// need not wait for the client's answer.
		if c.closeSent || c.stopped {
			c.wakeLocked()
		} else {
			c.wakeAfterClose = true
		}
		return
	}
	c.queueCloseLocked(websocket.CloseGoingAway, "server shutting down", true, true)
}

// pump works through the queue and exits when it is empty or the
// connection has stopped.
func (c *conn) pump() {
	defer c.pumps.Done()
	defer func() {
		if r := recover(); r != nil {
			c.w.log.Error("visitor websocket panic", "panic", r, "stack", string(debug.Stack()))
			c.broken(fmt.Errorf("panic: %v", r))
			c.mu.Lock()
			c.pumping = false
			c.mu.Unlock()
		}
	}()
	wrote := false
	for {
		c.mu.Lock()
		if c.stopped || len(c.queue) == 0 {
			c.queue = nil // an idle socket keeps no queue
			c.pumping = false
			if wrote && !c.stopped {
				// No write deadline (and no timer) stays armed.
				_ = c.nc.SetWriteDeadline(time.Time{})
			}
			c.mu.Unlock()
			return
		}
		it := c.queue[0]
		c.queue[0] = outItem{}
		c.queue = c.queue[1:]
		switch it.kind {
		case itemPing:
			c.pingQueued = false
		case itemClose:
			c.closeSent = true
			it.wake = it.wake || c.wakeAfterClose
		}
		if c.waiting {
			c.waiting = false
			c.space.Broadcast()
		}
		c.mu.Unlock()
		wrote = true
		switch it.kind {
		case itemFrame:
			c.writeText(it.data)
		case itemPing:
			if err := c.writeFrame(ws.OpPing, nil, writeTimeout); err != nil {
				c.broken(err)
			}
		case itemClose:
			c.writeClose(it.code, it.text, it.wake)
		case itemEvent:
			c.relay(c.ctx, c.stream, it.ev)
		case itemReplay:
			c.startStream(it.seq, it.text)
		case itemFill:
			c.fill(c.ctx, c.stream, it.text)
		}
	}
}

// emit encodes v and writes it now (pump only); false when it was not
// written.
func (c *conn) emit(v any) bool {
	b, err := json.Marshal(v)
	if err != nil {
		c.logError("encode visitor frame", err)
		return false
	}
	return c.writeText(b)
}

// writeText writes one text frame (the writer of the moment: the pump, or
// the reader in sendFrame).
func (c *conn) writeText(b []byte) bool {
	c.mu.Lock()
	stopped := c.stopped
	c.mu.Unlock()
	if stopped {
		return false
	}
	if err := c.writeFrame(ws.OpText, b, writeTimeout); err != nil {
		c.broken(err)
		return false
	}
	return true
}

// closeFromPump writes a close frame at once (pump only): nothing queued
// after it is written.
func (c *conn) closeFromPump(code int, text string) {
	c.mu.Lock()
	if c.closeSent || c.stopped {
		c.mu.Unlock()
		return
	}
	c.closing, c.closeSent = true, true
	wake := c.wakeAfterClose
	c.space.Broadcast()
	c.mu.Unlock()
	c.writeClose(code, text, wake)
}

// writeClose writes the close frame; the socket writes nothing after it.
// When wake is set the reader is woken too, else it reads on until the
// client answers the close.
func (c *conn) writeClose(code int, text string, wake bool) {
	timeout := writeTimeout
	if code == websocket.CloseGoingAway {
		timeout = time.Second
	}
	_ = c.writeFrame(ws.OpClose, websocket.FormatCloseMessage(code, text), timeout)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped = true
	c.queue = nil
	c.space.Broadcast()
	if wake || c.wakeAfterClose {
		c.wakeLocked()
	}
}

// broken ends a connection whose writing failed: nothing more is
// written and the reader is woken.
func (c *conn) broken(err error) {
	c.logDebug("visitor websocket write", err)
	c.cancel()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped, c.closeSent = true, true
	c.queue = nil
	c.space.Broadcast()
	c.wakeLocked()
}

// wakeLocked ends the connection's reading: a read deadline in the past
// ends a turn that is reading, and with the poller, where no turn may be
// running, a turn starts and finds the connection over. c.mu is held;
// readDeadline never moves the deadline on after this, and after finish it
// does nothing.
func (c *conn) wakeLocked() {
	if c.woken {
		return
	}
	c.woken = true
	_ = c.nc.SetReadDeadline(time.Now())
	c.startTurnLocked()
}

// expire ends a polled connection whose client has gone silent.
func (c *conn) expire() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.wakeLocked()
}

// readDeadline moves the read deadline to d from now, unless the reader
// was woken.
func (c *conn) readDeadline(d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.woken {
		return nil
	}
	return c.nc.SetReadDeadline(time.Now().Add(d))
}

// finish ends the connection when its reading is done: nothing is
// queued or written any more, the pump (if any) is waited for, the client
// gets a close frame if it had none (1001 when the server is shutting
// down, else 1000), and the connection is closed. It runs once, on a
// turn's goroutine.
func (c *conn) finish() {
	c.mu.Lock()
	if c.finished {
		c.mu.Unlock()
		return
	}
	c.finished = true
	c.stopped = true
	c.queue = nil
	sent := c.closeSent
	c.closeSent = true
	c.woken = true
	c.space.Broadcast()
	c.mu.Unlock()
	c.cancel()
	c.w.removeConn(c)
	c.pumps.Wait()
	if !sent {
		code, text := websocket.CloseNormalClosure, ""
		if c.w.base.Err() != nil {
			code, text = websocket.CloseGoingAway, "server shutting down"
		}
		_ = c.writeFrame(ws.OpClose, websocket.FormatCloseMessage(code, text), time.Second)
	}
	if c.rc != nil && c.pollID != 0 {
		c.w.poll.remove(c.rc, c.pollID)
	}
	_ = c.nc.Close()
	c.w.sockets.done(c.v.ID)
	c.w.live.Done()
}
