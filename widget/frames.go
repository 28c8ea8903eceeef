package widget

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"slices"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/gobwas/ws"
)

// Reading a socket. A visitor socket is read in turns: a turn reads what
// the client sent and acts on it. With the poller (poll_linux.go) an idle
// socket has no goroutine at all: the poller reports it readable, a turn
// reads one message (with the control frames before it) and hands the
// socket back. Without it, one turn runs for the socket's whole life on
// the upgrade handler's goroutine.
//
// Frames are read straight from the TCP connection, a header and then its
// payload, never ahead: what the client sent next stays in the kernel's
// buffer, where the poller sees it.

// frameReadTimeout is how long a frame that has begun to arrive may take
// to arrive whole, when the poller reads the socket.
const frameReadTimeout = 10 * time.Second

// readable is the poller's report that the socket has something to read
// (or has failed): a turn starts unless one runs.
func (c *conn) readable() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.startTurnLocked()
}

// startTurnLocked starts a turn on a goroutine of its own unless one runs
// or the connection is finished. c.mu is held.
func (c *conn) startTurnLocked() {
	if c.turning || c.finished {
		return
	}
	c.turning = true
	go c.turn()
}

// turn reads and handles what the client sent: with the poller, one
// message, and the socket goes back to the poller; without, message after
// message until the connection ends. Turns of one socket never overlap
// (turnMu orders them, and the poller reports a socket once per arming).
func (c *conn) turn() {
	defer func() {
		if r := recover(); r != nil {
			c.w.recoverConn(r)
			c.finish()
		}
	}()
	c.turnMu.Lock()
	defer c.turnMu.Unlock()
	c.mu.Lock()
	over := c.finished
	c.mu.Unlock()
	if over {
		return // a turn before this one finished the connection
	}
	for {
		if !c.readMessage() {
			c.finish()
			return
		}
		if c.rc == nil {
			continue
		}
		c.mu.Lock()
		if c.woken {
			c.mu.Unlock()
			c.finish()
			return
		}
		// No read deadline (and no timer) stays armed on an idle socket.
		_ = c.nc.SetReadDeadline(time.Time{})
		c.turning = false
		c.mu.Unlock()
		if err := c.w.poll.rearm(c.rc, c.pollID); err != nil {
			c.logDebug("visitor websocket rearm", err)
			c.mu.Lock()
			c.wakeLocked() // the next turn finds the socket over and finishes
			c.mu.Unlock()
		}
		return
	}
}

// readMessage reads the client's next message, answering the control
// frames on the way, and acts on it. With the poller a control frame
// alone ends the turn too. False when the connection is over.
func (c *conn) readMessage() bool {
	limit := c.w.cfg.MaxFrameBytes
	var msg []byte
	var op ws.OpCode
	state := ws.StateServerSide
	wait := readTimeout
	if c.rc != nil {
		wait = frameReadTimeout
	}
	for {
		// Without the poller this is also the idle timeout: every frame,
		// a pong too, moves it on.
		_ = c.readDeadline(wait)
		h, err := ws.ReadHeader(c.nc)
		if err != nil {
			c.readFailed(err)
			return false
		}
		c.heard.Store(time.Now().UnixNano())
		if err := ws.CheckHeader(h, state); err != nil {
			c.protocolError(err)
			return false
		}
		if h.OpCode.IsControl() {
			if !c.control(h) {
				return false
			}
			if c.rc != nil && !state.Fragmented() {
				return true
			}
			continue
		}
		if int64(len(msg))+h.Length > limit {
			if int64(len(msg))+h.Length > 2*limit+4096 {
				// Absurd: not read at all.
				c.closeNow(websocket.CloseMessageTooBig, "frame too large")
				return false
			}
			c.tooLarge()
			return false
		}
		if h.OpCode != ws.OpContinuation {
			op = h.OpCode
		}
		start := len(msg)
		msg = slices.Grow(msg, int(h.Length))[:start+int(h.Length)]
		if _, err := io.ReadFull(c.nc, msg[start:]); err != nil {
			c.readFailed(err)
			return false
		}
		ws.Cipher(msg[start:], h.Mask, 0)
		if h.Fin {
			break
		}
		state = state.Set(ws.StateFragmented)
	}
	if op != ws.OpText {
		c.sendFrame(errorFrame{Type: "error", Code: "bad_frame", Message: "frames are JSON text frames, not binary"})
		return true
	}
	c.handle(msg)
	return true
}

// control acts on a control frame: a ping is answered, a close is
// answered (with the client's code) and ends the connection. A pong only
// tells that the client is there: reading its header moved heard and the
// read deadline on.
func (c *conn) control(h ws.Header) bool {
	payload := make([]byte, h.Length)
	if _, err := io.ReadFull(c.nc, payload); err != nil {
		c.readFailed(err)
		return false
	}
	ws.Cipher(payload, h.Mask, 0)
	switch h.OpCode {
	case ws.OpPing:
		if err := c.writeFrame(ws.OpPong, payload, writeTimeout); err != nil && !errors.Is(err, errCloseSent) {
			c.logDebug("visitor websocket pong", err)
		}
	case ws.OpClose:
		var body []byte
		if len(payload) >= 2 {
			code, reason := ws.ParseCloseFrameData(payload)
			if err := ws.CheckCloseFrameData(code, reason); err != nil {
				c.protocolError(err)
				return false
			}
			body = ws.NewCloseFrameBody(code, "")
		} else if len(payload) == 1 {
			c.protocolError(errors.New("close frame with a 1-byte payload"))
			return false
		}
		c.closeWithBody(body)
		return false
	}
	return true
}

// readFailed logs why reading ended, unless the client just went or the
// server ended the connection.
func (c *conn) readFailed(err error) {
	if c.ctx.Err() != nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) {
		return
	}
	c.mu.Lock()
	woken := c.woken
	c.mu.Unlock()
	if woken && errors.Is(err, os.ErrDeadlineExceeded) {
		return
	}
	c.logDebug("visitor websocket read", err)
}

// protocolError closes with 1002 a connection whose client broke the
// websocket protocol.
func (c *conn) protocolError(err error) {
	c.logDebug("visitor websocket protocol", err)
	c.closeNow(websocket.CloseProtocolError, "")
}

// closeNow writes a close frame at once, whatever is queued (reader
// only); the connection ends after it.
func (c *conn) closeNow(code int, text string) {
	c.closeWithBody(websocket.FormatCloseMessage(code, text))
}

// closeWithBody is closeNow with the close frame's payload as given.
func (c *conn) closeWithBody(body []byte) {
	c.markCloseSent()
	_ = c.writeFrame(ws.OpClose, body, time.Second)
}

// markCloseSent stops the queue: the reader writes the close frame
// itself.
func (c *conn) markCloseSent() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closing, c.closeSent, c.stopped = true, true, true
	c.queue = nil
	c.space.Broadcast()
}

// errCloseSent: the socket has written its close frame; nothing follows
// it.
var errCloseSent = errors.New("close frame sent")

// maxPooledFrame is the largest frame buffer kept for the next frame.
const maxPooledFrame = 64 << 10

// writeFrame writes one whole frame (one write to the connection, so
// frames of several writers never interleave), unless a close frame was
// written already.
func (c *conn) writeFrame(op ws.OpCode, payload []byte, timeout time.Duration) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.wclosed {
		return errCloseSent
	}
	if op == ws.OpClose {
		c.wclosed = true
	}
	buf, _ := c.w.frameBuffers.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	defer func() {
		if buf.Cap() <= maxPooledFrame {
			buf.Reset()
			c.w.frameBuffers.Put(buf)
		}
	}()
	encodeFrame(buf, op, payload)
	if err := c.nc.SetWriteDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	_, err := c.nc.Write(buf.Bytes())
	return err
}

// encodeFrame appends one whole, unfragmented server frame to b.
func encodeFrame(b *bytes.Buffer, op ws.OpCode, payload []byte) {
	// Writing a header to a bytes.Buffer fails only for a length over
	// 2^63, which no []byte has.
	_ = ws.WriteHeader(b, ws.Header{Fin: true, OpCode: op, Length: int64(len(payload))})
	b.Write(payload)
}

// sentEarly tells whether the client sent something before it had the
// handshake's answer (RFC 6455 forbids it): those bytes would sit in the
// HTTP server's read buffer, which the socket does not read from. The
// check consumes nothing from the connection itself: its read deadline
// is in the past.
func sentEarly(hijacked net.Conn) bool {
	_ = hijacked.SetReadDeadline(time.Now().Add(-time.Second))
	var b [1]byte
	n, _ := hijacked.Read(b[:])
	_ = hijacked.SetReadDeadline(time.Time{})
	return n > 0
}
