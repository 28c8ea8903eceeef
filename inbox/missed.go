package inbox

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Missed conversations (the red dot of the Brevo seed). A conversation is
// missed when its client has waited longer than its line's "missed after"
// (30 s unless the line says otherwise) for an agent's answer — detailed
// statuses 1, 4 and 5 — or when the agent assigned to it is offline while
// the client waits. An agent's answer ends it (applyMessage), and so does
// the assigned agent coming back online, which also restarts the wait.
//
// The inbox decides; the scheduler's missed watcher (scheduler/missed.go)
// keeps one deadline per conversation and asks MarkMissed when it passes.

// waitingForAnswer reports whether the status is one where the client
// waits for an agent's answer: new, waiting, waiting again.
func waitingForAnswer(st Status) bool {
	return st == StatusNew || st == StatusWaiting || st == StatusWaitingAgain
}

// MissedAfter is the line's wait before a conversation is missed.
func MissedAfter(l *Line) time.Duration {
	if l == nil || l.Settings.MissedAfterSeconds <= 0 {
		return DefaultMissedAfterSeconds * time.Second
	}
	return time.Duration(l.Settings.MissedAfterSeconds) * time.Second
}

// MissedDue says when c is missed: at deadline, and whether it will be at
// all (false when it is already missed, or nobody waits). assignedOffline
// says the agent assigned to c is offline: then the deadline is the start
// of the client's wait, which has passed.
func (c *Conversation) MissedDue(after time.Duration, assignedOffline bool) (deadline time.Time, ok bool) {
	if c.MissedAt != nil || !c.Status.Active() || c.Track.MissedFrom == nil {
		return time.Time{}, false
	}
	if c.AgentID != "" && assignedOffline {
		return *c.Track.MissedFrom, true
	}
	if !waitingForAnswer(c.Status) {
		return time.Time{}, false
	}
	return c.Track.MissedFrom.Add(after), true
}

// MissedDeadline says when the conversation is missed, from its line's
// setting and its assigned agent's presence; ok false when it will not be
// (as it stands).
func (s *Service) MissedDeadline(ctx context.Context, c *Conversation) (deadline time.Time, ok bool, err error) {
	after, offline, err := s.missedInputs(ctx, c)
	if err != nil {
		return time.Time{}, false, err
	}
	deadline, ok = c.MissedDue(after, offline)
	return deadline, ok, nil
}

func (s *Service) missedInputs(ctx context.Context, c *Conversation) (after time.Duration, assignedOffline bool, err error) {
	l, err := s.store.LineByID(ctx, c.LineID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return 0, false, err
	}
	if c.AgentID != "" {
		ag, err := s.store.AgentByID(ctx, c.AgentID)
		switch {
		case errors.Is(err, ErrNotFound):
			assignedOffline = true
		case err != nil:
			return 0, false, err
		default:
			assignedOffline = ag.Presence == PresenceOffline
		}
	}
	return MissedAfter(l), assignedOffline, nil
}

// errNoChange stops a scheduled change of a conversation (a missed mark,
// an auto-close) that is not, or no longer, due.
var errNoChange = errors.New("not due")

// MarkMissed marks the conversation missed if it is due by now, with the
// time it became due, and says whether it did. The scheduler calls it when
// a deadline passes; the conversation is checked again here, so a late or
// repeated call changes nothing.
//
// The mark is written behind (ReplaceConversationBehind): a mark a crash
// lost is made again at the next start, when the deadline has passed.
func (s *Service) MarkMissed(ctx context.Context, id string) (bool, error) {
	defer s.convLocks.Lock(id)()
	_, err := s.mutateWith(ctx, System, id, nil, s.store.ReplaceConversationBehind, func(c *Conversation, now time.Time) error {
		after, offline, err := s.missedInputs(ctx, c)
		if err != nil {
			return err
		}
		deadline, ok := c.MissedDue(after, offline)
		if !ok || deadline.After(now) {
			return errNoChange
		}
		if offline && c.AgentID != "" {
			deadline = now // missed from the moment it was noticed
		}
		c.MissedAt = &deadline
		return nil
	})
	switch {
	case errors.Is(err, errNoChange), errors.Is(err, ErrNotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("mark %s missed: %w", id, err)
	}
	return true, nil
}

// clearMissedOf takes the missed mark off the active conversations of an
// agent who came back online, and restarts their clients' wait from now.
func (s *Service) clearMissedOf(ctx context.Context, agentID string) error {
	convs, err := s.store.ActiveConversationsOfAgent(ctx, agentID)
	if err != nil {
		return err
	}
	for i := range convs {
		if convs[i].MissedAt == nil && convs[i].Track.MissedFrom == nil {
			continue
		}
		_, err := s.mutate(ctx, System, convs[i].ID, func(c *Conversation, now time.Time) error {
			if c.AgentID != agentID {
				return errNoChange
			}
			c.MissedAt = nil
			if c.Track.MissedFrom != nil {
				c.Track.MissedFrom = at(now)
			}
			return nil
		})
		if err != nil && !errors.Is(err, errNoChange) && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("clear missed %s: %w", convs[i].ID, err)
		}
	}
	return nil
}

// MissedConversations counts the active conversations marked missed.
func (s *Service) MissedConversations(ctx context.Context) (int64, error) {
	yes := true
	_, n, err := s.store.ListConversations(ctx, System, ConversationFilter{Active: true, Missed: &yes}, 1)
	return n, err
}

// ActiveConversations lists every active conversation (for the scheduler's
// missed watcher at start).
func (s *Service) ActiveConversations(ctx context.Context) ([]Conversation, error) {
	items, _, err := s.store.ListConversations(ctx, System, ConversationFilter{Active: true}, 0)
	return items, err
}

// ActiveConversationsOfAgent lists an agent's active conversations.
func (s *Service) ActiveConversationsOfAgent(ctx context.Context, agentID string) ([]Conversation, error) {
	return s.store.ActiveConversationsOfAgent(ctx, agentID)
}
