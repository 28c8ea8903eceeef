package widget

import (
	"context"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
)

// Message frames go to the visitor in seq order, each once. With several
// gateways on one store a message can come out of order: an agent's
// answer stored on another gateway arrives through the event log tens of
// milliseconds after the visitor's own next message, stored here, arrives
// from memory. The socket then holds the later message until the earlier
// one comes — its event is on its way — and, if it has not come within
// gapWait, reads what is missing from the store. Comments are never
// sent, but their seqs count: their events pass the filter so that the
// stream knows the gap they leave is no message on its way.

// gapWait is how long a message after a gap waits for the missing ones
// before they are read from the store.
const gapWait = time.Second

// relayMessage sends m in order (pump only).
func (c *conn) relayMessage(ctx context.Context, s *streamState, m *inbox.Message) {
	cid := m.ConversationID
	last := s.lastSeq[cid]
	switch {
	case m.Seq <= last:
		return // sent already (replay, or announced again)
	case m.Seq == last+1:
		c.sendNext(s, m)
		c.release(s, cid)
		return
	}
	if s.held == nil {
		s.held = map[string]map[int64]*inbox.Message{}
	}
	if s.held[cid] == nil {
		s.held[cid] = map[int64]*inbox.Message{}
		c.fillLater(cid)
	}
	s.held[cid][m.Seq] = m
}

// sendNext sends m, the next of its conversation (a comment only moves the
// stream on).
func (c *conn) sendNext(s *streamState, m *inbox.Message) {
	s.lastSeq[m.ConversationID] = m.Seq
	if !m.Comment {
		c.emit(messageFrame{Type: "message", Message: m})
	}
}

// release sends the held messages of cid that are next now.
func (c *conn) release(s *streamState, cid string) {
	h := s.held[cid]
	for len(h) > 0 {
		m, ok := h[s.lastSeq[cid]+1]
		if !ok {
			return
		}
		delete(h, m.Seq)
		c.sendNext(s, m)
	}
	delete(s.held, cid)
}

// fillLater queues, after gapWait, a look at cid's held messages.
func (c *conn) fillLater(cid string) {
	time.AfterFunc(gapWait, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.closing || c.stopped {
			return
		}
		c.queue = append(c.queue, outItem{kind: itemFill, text: cid})
		c.kick()
	})
}

// fill sends what is still missing before cid's held messages from the
// store, then the held ones (pump only).
func (c *conn) fill(ctx context.Context, s *streamState, cid string) {
	h := s.held[cid]
	if len(h) == 0 {
		return
	}
	var upTo int64
	for seq := range h {
		upTo = max(upTo, seq)
	}
	msgs, err := c.w.svc.VisitorMessages(ctx, c.v.in(), cid, s.lastSeq[cid], maxReplay+1)
	if err != nil {
		if ctx.Err() == nil {
			c.logWarn("visitor websocket: read messages after a gap", "err", err)
			c.fillLater(cid) // tried again
		}
		return
	}
	delete(s.held, cid)
	if len(msgs) > maxReplay {
		s.lastSeq[cid] = max(upTo, msgs[len(msgs)-1].Seq)
		c.emit(resyncFrame{Type: "resync", ConversationID: cid})
		return
	}
	for i := range msgs {
		if msgs[i].Seq > s.lastSeq[cid] {
			s.lastSeq[cid] = msgs[i].Seq
			c.emit(messageFrame{Type: "message", Message: &msgs[i]})
		}
	}
	// Everything up to the last held message is stored (a message is
	// announced only once stored): what the store did not return was a
	// comment.
	s.lastSeq[cid] = max(s.lastSeq[cid], upTo)
}
