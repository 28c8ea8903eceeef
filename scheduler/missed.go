package scheduler

import (
	"container/heap"
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/inbox/realtime"
)

// MissedInbox is what the missed watcher needs of the inbox.
type MissedInbox interface {
	ActiveConversations(ctx context.Context) ([]inbox.Conversation, error)
	ActiveConversationsOfAgent(ctx context.Context, agentID string) ([]inbox.Conversation, error)
	Line(ctx context.Context, id string) (*inbox.Line, error)
	Agent(ctx context.Context, id string) (*inbox.Agent, error)
	MarkMissed(ctx context.Context, id string) (bool, error)
}

// Missed marks conversations missed at their own deadline (a timer per
// process, not a sweep): when a client has waited the line's "missed
// after" for an agent's answer, or at once when the assigned agent is
// offline (inbox/missed.go has the rule). It keeps each active
// conversation's deadline from the hub's events, and reads them all again
// at start and whenever it fell behind the hub.
type Missed struct {
	inbox MissedInbox
	hub   *realtime.Hub
	log   *slog.Logger
	// OnMarked is called for every conversation marked missed (metrics).
	onMarked func()

	deadlines map[string]time.Time
	queue     deadlineHeap
	after     map[string]time.Duration // line id → missed after
	presence  map[string]inbox.Presence
}

// NewMissed builds the watcher; onMarked may be nil.
func NewMissed(in MissedInbox, hub *realtime.Hub, onMarked func(), log *slog.Logger) *Missed {
	if onMarked == nil {
		onMarked = func() {}
	}
	return &Missed{inbox: in, hub: hub, log: log, onMarked: onMarked}
}

// missedEvents are the events that move a deadline.
func missedEvents(ev inbox.Event) bool {
	switch ev.Type {
	case inbox.EventConversationOpened, inbox.EventConversationUpdated, inbox.EventConversationDeleted,
		inbox.EventPresenceChanged, inbox.EventAgentDeleted, inbox.EventLineChanged, inbox.EventLineDeleted:
		return true
	}
	return false
}

// Run watches until ctx ends.
func (m *Missed) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		sub := m.hub.Subscribe(missedEvents, 4096)
		if err := m.rescan(ctx); err != nil {
			sub.Close()
			if ctx.Err() != nil {
				break
			}
			logError(ctx, m.log, "missed watcher: read active conversations", "err", err)
			select {
			case <-time.After(time.Second):
			case <-ctx.Done():
			}
			continue
		}
		m.watch(ctx, sub)
		sub.Close()
	}
	return nil
}

// rescan reads every active conversation's deadline anew.
func (m *Missed) rescan(ctx context.Context) error {
	m.deadlines, m.queue = map[string]time.Time{}, nil
	m.after, m.presence = map[string]time.Duration{}, map[string]inbox.Presence{}
	convs, err := m.inbox.ActiveConversations(ctx)
	if err != nil {
		return err
	}
	for i := range convs {
		m.track(ctx, &convs[i])
	}
	return nil
}

// watch follows the hub and fires deadlines until ctx ends or the hub cut
// the subscription off (then Run reads everything again).
func (m *Missed) watch(ctx context.Context, sub *realtime.Sub) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		m.fireDue(ctx, time.Now())
		wait := time.Hour
		if len(m.queue) > 0 {
			wait = max(time.Until(m.queue[0].at), 0)
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-sub.Events():
			if !ok {
				m.log.Warn("missed watcher fell behind the events; reading every conversation again")
				return
			}
			m.handle(ctx, ev)
		case <-timer.C:
		}
	}
}

func (m *Missed) handle(ctx context.Context, ev inbox.Event) {
	switch ev.Type {
	case inbox.EventConversationOpened, inbox.EventConversationUpdated:
		if ev.Conversation != nil {
			m.track(ctx, ev.Conversation)
		}
	case inbox.EventConversationDeleted:
		delete(m.deadlines, ev.ConversationID)
	case inbox.EventPresenceChanged, inbox.EventAgentDeleted:
		delete(m.presence, ev.AgentID)
		if ev.Type == inbox.EventPresenceChanged && ev.Presence != "" {
			m.presence[ev.AgentID] = ev.Presence
		}
		convs, err := m.inbox.ActiveConversationsOfAgent(ctx, ev.AgentID)
		if err != nil {
			logError(ctx, m.log, "missed watcher: conversations of agent", "agent", ev.AgentID, "err", err)
			return
		}
		for i := range convs {
			m.track(ctx, &convs[i])
		}
	case inbox.EventLineChanged, inbox.EventLineDeleted:
		// Its "missed after" may have changed: every deadline of it moves.
		delete(m.after, ev.LineID)
		if err := m.rescan(ctx); err != nil {
			logError(ctx, m.log, "missed watcher: read active conversations", "err", err)
		}
	}
}

// track sets or drops c's deadline.
func (m *Missed) track(ctx context.Context, c *inbox.Conversation) {
	offline := false
	if c.AgentID != "" {
		offline = m.agentPresence(ctx, c.AgentID) == inbox.PresenceOffline
	}
	at, ok := c.MissedDue(m.lineAfter(ctx, c.LineID), offline)
	if !ok {
		delete(m.deadlines, c.ID)
		return
	}
	if old, had := m.deadlines[c.ID]; had && old.Equal(at) {
		return
	}
	m.deadlines[c.ID] = at
	heap.Push(&m.queue, deadline{at: at, id: c.ID})
}

func (m *Missed) lineAfter(ctx context.Context, id string) time.Duration {
	if d, ok := m.after[id]; ok {
		return d
	}
	l, err := m.inbox.Line(ctx, id)
	if err != nil && !errors.Is(err, inbox.ErrNotFound) {
		logError(ctx, m.log, "missed watcher: line", "line", id, "err", err)
		return inbox.MissedAfter(nil) // not remembered: asked again next time
	}
	d := inbox.MissedAfter(l)
	m.after[id] = d
	return d
}

func (m *Missed) agentPresence(ctx context.Context, id string) inbox.Presence {
	if p, ok := m.presence[id]; ok {
		return p
	}
	ag, err := m.inbox.Agent(ctx, id)
	switch {
	case errors.Is(err, inbox.ErrNotFound):
		m.presence[id] = inbox.PresenceOffline
	case err != nil:
		logError(ctx, m.log, "missed watcher: agent", "agent", id, "err", err)
		return inbox.PresenceOnline // not remembered: asked again next time
	default:
		m.presence[id] = ag.Presence
	}
	return m.presence[id]
}

// fireDue marks every conversation whose deadline is not after now.
func (m *Missed) fireDue(ctx context.Context, now time.Time) {
	for len(m.queue) > 0 && !m.queue[0].at.After(now) {
		d := heap.Pop(&m.queue).(deadline)
		if cur, ok := m.deadlines[d.id]; !ok || !cur.Equal(d.at) {
			continue // moved or dropped since it was queued
		}
		delete(m.deadlines, d.id)
		marked, err := m.inbox.MarkMissed(ctx, d.id)
		switch {
		case err != nil:
			logError(ctx, m.log, "missed watcher: mark missed", "conversation", d.id, "err", err)
		case marked:
			m.onMarked()
		}
	}
}

type deadline struct {
	at time.Time
	id string
}

// deadlineHeap orders deadlines, earliest first.
type deadlineHeap []deadline

func (h deadlineHeap) Len() int           { return len(h) }
func (h deadlineHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h deadlineHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *deadlineHeap) Push(x any)        { *h = append(*h, x.(deadline)) }
func (h *deadlineHeap) Pop() any {
	old := *h
	d := old[len(old)-1]
	*h = old[:len(old)-1]
	return d
}

// logError logs a failure, unless it came from the work being stopped
// (ctx ended: the lease was lost or the process is stopping).
func logError(ctx context.Context, log *slog.Logger, msg string, args ...any) {
	if ctx.Err() != nil {
		log.Debug(msg, args...)
		return
	}
	log.Error(msg, args...)
}
