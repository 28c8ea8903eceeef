package widget

import (
	"context"
	"errors"
	"strconv"

	"github.com/gofiber/contrib/websocket"
	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/inbox/realtime"
)

type welcomeFrame struct {
	Type           string     `json:"type"`
	VisitorID      string     `json:"visitorId"`
	Mode           inbox.Mode `json:"mode"`
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
	Type string     `json:"type"`
	Mode inbox.Mode `json:"mode"`
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

// streamState is what the stream goroutine has sent: per conversation the
// highest message seq and the last status, and the mode.
type streamState struct {
	lastSeq map[string]int64
	status  map[string]inbox.Status
	mode    inbox.Mode
	names   map[string]string // agent names for typing frames
}

// hello subscribes to the hub first, then starts the stream, which replays
// what the client missed and relays live events after it. Whatever is
// stored before the subscription is in the replay; whatever after, in the
// subscription; the overlap is dropped by seq.
func (c *conn) hello(f inFrame) error {
	if c.started {
		return errBadFrame("hello was already sent")
	}
	if f.LastSeq < 0 {
		return &inbox.FieldError{Field: "lastSeq", Message: "must be a whole number ≥ 0"}
	}
	c.started = true
	sub := c.w.hub.Subscribe(c.accept, subBuffer)
	c.wg.Go(func() {
		defer sub.Close()
		c.stream(sub, f)
	})
	return nil
}

func (c *conn) stream(sub *realtime.Sub, hello inFrame) {
	s := &streamState{lastSeq: map[string]int64{}, status: map[string]inbox.Status{}, names: map[string]string{}}
	if err := c.replay(c.ctx, s, hello); err != nil {
		if c.ctx.Err() == nil {
			c.log.Error("visitor websocket replay", "err", err)
			c.closeWith(websocket.CloseInternalServerErr, "replay failed")
		}
		return
	}
	for {
		select {
		case <-c.ctx.Done():
			return
		case ev, ok := <-sub.Events():
			if !ok {
				if sub.Lagged() {
					// Events were lost; the client resumes by cursor.
					c.log.Warn("visitor websocket lagged; closing")
					c.closeWith(websocket.CloseTryAgainLater, "lagging; reconnect")
				}
				return
			}
			c.relay(c.ctx, s, ev)
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
	welcome := welcomeFrame{Type: "welcome", VisitorID: c.v.ID, Mode: s.mode}
	if cur != nil {
		c.track(cur.ID)
		if after > cur.Seq {
			after = 0 // a cursor past the end belongs to another conversation
		}
		welcome.ConversationID, welcome.Seq, welcome.Status = cur.ID, cur.Seq, &cur.Status
		s.status[cur.ID] = cur.Status
	}
	if !c.sendFrame(welcome) {
		return ctx.Err()
	}
	if old != nil {
		c.track(old.ID)
		if err := c.replayConversation(ctx, s, old, h.LastSeq); err != nil {
			return err
		}
		s.status[old.ID] = old.Status
		c.sendFrame(statusFrame{Type: "status", Status: old.Status, ConversationID: old.ID})
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
		c.sendFrame(resyncFrame{Type: "resync", ConversationID: conv.ID})
		return nil
	}
	for i := range msgs {
		if !c.sendFrame(messageFrame{Type: "message", Message: &msgs[i]}) {
			return ctx.Err()
		}
		s.lastSeq[conv.ID] = msgs[i].Seq
	}
	return nil
}

// accept is the hub filter: cheap, no store access. It runs on the
// publisher's goroutine, in publishing order, so a conversation opened for
// this visitor is tracked before its first message's event is filtered.
func (c *conn) accept(ev inbox.Event) bool {
	switch ev.Type {
	case inbox.EventMessageCreated:
		return ev.Message != nil && !ev.Message.Comment && c.tracks(ev.ConversationID)
	case inbox.EventConversationOpened, inbox.EventConversationUpdated:
		cv := ev.Conversation
		if cv == nil || cv.ContactID != c.v.ID || cv.Channel != inbox.ChannelLiveChat {
			return false
		}
		if cv.LineID != c.v.LineID && !c.tracks(cv.ID) {
			return false
		}
		c.track(cv.ID)
		return true
	case inbox.EventPresenceChanged, inbox.EventAgentChanged, inbox.EventAgentDeleted:
		return true
	case inbox.EventLineChanged, inbox.EventLineDeleted:
		return ev.LineID == c.v.LineID
	case inbox.EventTyping, inbox.EventRead:
		// Only agents' typing and reading; the visitor's own is no news.
		return ev.AgentID != "" && c.tracks(ev.ConversationID)
	}
	return false
}

// relay turns one hub event into frames for the visitor.
func (c *conn) relay(ctx context.Context, s *streamState, ev inbox.Event) {
	switch ev.Type {
	case inbox.EventMessageCreated:
		m := ev.Message
		if m == nil || m.Comment || m.Seq <= s.lastSeq[m.ConversationID] {
			return
		}
		s.lastSeq[m.ConversationID] = m.Seq
		c.sendFrame(messageFrame{Type: "message", Message: m})
	case inbox.EventConversationOpened, inbox.EventConversationUpdated:
		cv := ev.Conversation
		if s.status[cv.ID] == cv.Status {
			return
		}
		s.status[cv.ID] = cv.Status
		c.sendFrame(statusFrame{Type: "status", Status: cv.Status, ConversationID: cv.ID})
	case inbox.EventPresenceChanged, inbox.EventAgentChanged, inbox.EventAgentDeleted, inbox.EventLineChanged:
		mode, err := c.w.modes.get(ctx, c.v.LineID, ev.ID)
		if err != nil {
			if ctx.Err() == nil {
				c.log.Warn("visitor websocket: line mode", "err", err)
			}
			return
		}
		if mode != s.mode {
			s.mode = mode
			c.sendFrame(modeFrame{Type: "mode", Mode: mode})
		}
	case inbox.EventLineDeleted:
		// The widget is gone with its line: hide it and hang up.
		c.sendFrame(modeFrame{Type: "mode", Mode: inbox.ModeHidden})
		c.closeWith(websocket.CloseNormalClosure, "line deleted")
	case inbox.EventTyping:
		c.sendFrame(typingFrame{Type: "typing", Typing: ev.Typing || ev.SubjectID == "true",
			Name: s.agentName(ctx, c.w.svc, ev.AgentID), ConversationID: ev.ConversationID})
	case inbox.EventRead:
		seq := ev.Seq
		if seq == 0 {
			seq, _ = strconv.ParseInt(ev.SubjectID, 10, 64)
		}
		c.sendFrame(readFrame{Type: "read", Seq: seq, ConversationID: ev.ConversationID})
	}
}

// agentName is the name shown with an agent's typing, looked up once.
func (s *streamState) agentName(ctx context.Context, svc Inbox, id string) string {
	if n, ok := s.names[id]; ok {
		return n
	}
	n, _ := svc.AgentDisplayName(ctx, id)
	if len(s.names) < 100 {
		s.names[id] = n
	}
	return n
}
