package widget

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/switchboard-chat/switchboard/inbox"
)

type welcomeFrame struct {
	Type      string     `json:"type"`
	VisitorID string     `json:"visitorId"`
	Mode      inbox.Mode `json:"mode"`
	// OpensAt is when a line closed by its business hours opens again.
	OpensAt        *time.Time `json:"opensAt,omitempty"`
	ConversationID string     `json:"conversationId"`
	Seq            int64      `json:"seq"`
	// Status is null when the visitor has no open conversation.
	Status *inbox.Status `json:"status"`
}

type messageFrame struct {
	Type    string         `json:"type"`
	Message *inbox.Message `json:"message"`
}

type statusFrame struct {
	Type           string       `json:"type"`
	Status         inbox.Status `json:"status"`
	ConversationID string       `json:"conversationId"`
}

type modeFrame struct {
	Type    string     `json:"type"`
	Mode    inbox.Mode `json:"mode"`
	OpensAt *time.Time `json:"opensAt,omitempty"`
}

type typingFrame struct {
	Type           string `json:"type"`
	Typing         bool   `json:"typing"`
	Name           string `json:"name"`
	ConversationID string `json:"conversationId"`
}

type readFrame struct {
	Type           string `json:"type"`
	Seq            int64  `json:"seq"`
	ConversationID string `json:"conversationId"`
}

type resyncFrame struct {
	Type           string `json:"type"`
	ConversationID string `json:"conversationId,omitempty"`
}

// streamState is what the socket has sent since hello: per conversation
// the highest message seq and the last status, and the mode.
type streamState struct {
	lastSeq map[string]int64
	status  map[string]inbox.Status
	mode    inbox.Mode
	names   map[string]string // agent names for typing frames
	// held are messages that came after a gap, by conversation and seq
	// (stream_order.go).
	held map[string]map[int64]*inbox.Message
}

// hello starts the event stream: from now on the hub's events for this
// visitor are queued (Widget.dispatch, conn.offer), after the replay
// queued here first, which replays what the client missed. Whatever is
// stored before the replay reads the store is in the replay; whatever
// after, in the events; the overlap is dropped by seq.
func (c *conn) hello(f inFrame) error {
	if c.started {
		return errBadFrame("hello was already sent")
	}
	if f.LastSeq < 0 {
		return &inbox.FieldError{Field: "lastSeq", Message: "must be a whole number ≥ 0"}
	}
	c.started = true
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waitSpaceLocked()
	if c.closing || c.stopped {
		return nil
	}
	// Queued and streaming in one step: no event can come before the
	// replay, and the replay reads the store only after this.
	c.streaming = true
	c.queue = append(c.queue, outItem{kind: itemReplay, seq: f.LastSeq, text: f.ConversationID})
	c.kick()
	return nil
}

// startStream runs the replay (pump only); events queued meanwhile are
// relayed after it.
func (c *conn) startStream(lastSeq int64, convID string) {
	s := &streamState{lastSeq: map[string]int64{}, status: map[string]inbox.Status{}}
	c.stream = s
	if err := c.replay(c.ctx, s, inFrame{LastSeq: lastSeq, ConversationID: convID}); err != nil {
		if c.ctx.Err() == nil {
			c.logError("visitor websocket replay", err)
			c.closeFromPump(websocket.CloseInternalServerErr, "replay failed")
		}
	}
}

// replay sends welcome and every visible message after the client's cursor.
// A cursor in an older conversation (closed since) finishes that one first,
// then the current conversation is sent from its start.
func (c *conn) replay(ctx context.Context, s *streamState, h inFrame) error {
	cur, err := c.w.currentConversation(ctx, c.v)
	if err != nil {
		return err
	}
	if s.mode, err = c.w.svc.LineMode(ctx, c.v.LineID); err != nil {
		return err
	}
	var old *inbox.Conversation
	after := h.LastSeq
	if h.ConversationID != "" && (cur == nil || h.ConversationID != cur.ID) {
		old, err = c.w.ownConversation(ctx, c.v, h.ConversationID)
		if errors.Is(err, inbox.ErrNotFound) {
			old, err = nil, nil
		}
		if err != nil {
			return err
		}
		after = 0
	}
	welcome := welcomeFrame{Type: "welcome", VisitorID: c.v.ID, Mode: s.mode, OpensAt: c.w.opensAt(ctx, c.v.LineID, s.mode)}
	if cur != nil {
		c.track(cur.ID)
		if after > cur.Seq {
			after = 0 // a cursor past the end belongs to another conversation
		}
		welcome.ConversationID, welcome.Seq, welcome.Status = cur.ID, cur.Seq, &cur.Status
		s.status[cur.ID] = cur.Status
	}
	if !c.emit(welcome) {
		return ctx.Err()
	}
	if old != nil {
		c.track(old.ID)
		if err := c.replayConversation(ctx, s, old, h.LastSeq); err != nil {
			return err
		}
		s.status[old.ID] = old.Status
		c.emit(statusFrame{Type: "status", Status: old.Status, ConversationID: old.ID})
	}
	if cur != nil {
		return c.replayConversation(ctx, s, cur, after)
	}
	return nil
}

func (c *conn) replayConversation(ctx context.Context, s *streamState, conv *inbox.Conversation, after int64) error {
	s.lastSeq[conv.ID] = after
	msgs, err := c.w.svc.VisitorMessages(ctx, c.v.in(), conv.ID, after, maxReplay+1)
	if err != nil {
		return err
	}
	if len(msgs) > maxReplay {
		// Too much to replay: the client refetches through history, and
		// live messages continue after what is stored now.
		s.lastSeq[conv.ID] = max(conv.Seq, msgs[len(msgs)-1].Seq)
		c.emit(resyncFrame{Type: "resync", ConversationID: conv.ID})
		return nil
	}
	for i := range msgs {
		if !c.emit(messageFrame{Type: "message", Message: &msgs[i]}) {
			return ctx.Err()
		}
		s.lastSeq[conv.ID] = msgs[i].Seq
	}
	return nil
}

// accept is the socket's hub filter: cheap, no store access, c.mu held.
// It runs on the publisher's goroutine, in publishing order, so a
// conversation opened for this visitor is tracked before its first
// message's event is filtered.
func (c *conn) accept(ev inbox.Event) bool {
	switch ev.Type {
	case inbox.EventMessageCreated:
		// Comments too: their seqs are gaps the stream must know of
		// (stream_order.go); they are never sent.
		return ev.Message != nil && c.convs[ev.ConversationID]
	case inbox.EventConversationOpened, inbox.EventConversationUpdated:
		cv := ev.Conversation
		if cv == nil || cv.ContactID != c.v.ID || cv.Channel != inbox.ChannelLiveChat {
			return false
		}
		if cv.LineID != c.v.LineID && !c.convs[cv.ID] {
			return false
		}
		c.trackLocked(cv.ID)
		return true
	case inbox.EventPresenceChanged, inbox.EventAgentChanged, inbox.EventAgentDeleted:
		return true
	case inbox.EventLineChanged, inbox.EventLineDeleted:
		return ev.LineID == c.v.LineID
	case inbox.EventTyping, inbox.EventRead:
		// Only agents' typing and reading; the visitor's own is no news.
		return ev.AgentID != "" && c.convs[ev.ConversationID]
	}
	return false
}

// relay turns one hub event into frames for the visitor (pump only).
func (c *conn) relay(ctx context.Context, s *streamState, ev inbox.Event) {
	switch ev.Type {
	case inbox.EventMessageCreated:
		if ev.Message != nil {
			c.relayMessage(ctx, s, ev.Message)
		}
	case inbox.EventConversationOpened, inbox.EventConversationUpdated:
		cv := ev.Conversation
		if s.status[cv.ID] == cv.Status {
			return
		}
		s.status[cv.ID] = cv.Status
		c.emit(statusFrame{Type: "status", Status: cv.Status, ConversationID: cv.ID})
	case inbox.EventPresenceChanged, inbox.EventAgentChanged, inbox.EventAgentDeleted, inbox.EventLineChanged:
		mode, err := c.w.modes.get(ctx, c.v.LineID, ev.ID)
		if err != nil {
			if ctx.Err() == nil {
				c.logWarn("visitor websocket: line mode", "err", err)
			}
			return
		}
		if mode != s.mode {
			s.mode = mode
			c.emit(modeFrame{Type: "mode", Mode: mode, OpensAt: c.w.opensAt(ctx, c.v.LineID, mode)})
		}
	case inbox.EventLineDeleted:
		// The widget is gone with its line: hide it and hang up.
		c.emit(modeFrame{Type: "mode", Mode: inbox.ModeHidden})
		c.closeFromPump(websocket.CloseNormalClosure, "line deleted")
	case inbox.EventTyping:
		c.emit(typingFrame{Type: "typing", Typing: ev.Typing || ev.SubjectID == "true",
			Name: s.agentName(ctx, c.w.svc, ev.AgentID), ConversationID: ev.ConversationID})
	case inbox.EventRead:
		seq := ev.Seq
		if seq == 0 {
			seq, _ = strconv.ParseInt(ev.SubjectID, 10, 64)
		}
		c.emit(readFrame{Type: "read", Seq: seq, ConversationID: ev.ConversationID})
	}
}

// agentName is the name shown with an agent's typing, looked up once.
func (s *streamState) agentName(ctx context.Context, svc Inbox, id string) string {
	if n, ok := s.names[id]; ok {
		return n
	}
	n, _ := svc.AgentDisplayName(ctx, id)
	if s.names == nil {
		s.names = map[string]string{}
	}
	if len(s.names) < 100 {
		s.names[id] = n
	}
	return n
}
