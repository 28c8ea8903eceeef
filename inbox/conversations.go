package inbox

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// maxUpdateAttempts bounds optimistic-update retries on one conversation.
const maxUpdateAttempts = 50

// sees reports whether the actor may see the conversation.
func (s *Service) sees(ctx context.Context, a Actor, c *Conversation) (bool, error) {
	if a.SeesAll() || (c.AgentID != "" && !(a.Rescue && c.MissedAt != nil)) {
		return a.CanSee(c, nil), nil // no line needed
	}
	l, err := s.Line(ctx, c.LineID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return false, err
	}
	return a.CanSee(c, l), nil
}

// loadConversation loads a conversation and checks the actor may see it.
func (s *Service) loadConversation(ctx context.Context, a Actor, id string) (*Conversation, error) {
	c, err := s.store.ConversationByID(ctx, id)
	if err != nil {
		return nil, err
	}
	ok, err := s.sees(ctx, a, c)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("conversation %s: %w", id, ErrForbidden)
	}
	return c, nil
}

// Conversation loads one conversation the actor may see.
func (s *Service) Conversation(ctx context.Context, a Actor, id string) (*Conversation, error) {
	return s.loadConversation(ctx, a, id)
}

// mutate applies fn to the stored conversation and saves it, retrying when
// another writer got there first. It publishes conversation.updated.
//
// A change that ends an agent's active conversation frees a place in their
// maximum of chats: the line queues are routed again once the conversation
// is unlocked (slotFreed).
func (s *Service) mutate(ctx context.Context, a Actor, id string, fn func(c *Conversation, now time.Time) error) (*Conversation, error) {
	freed := ""
	var ended *Conversation
	c, err := func() (*Conversation, error) {
		defer s.convLocks.Lock(id)()
		return s.mutateLocked(ctx, a, id, func(c *Conversation, now time.Time) error {
			was, agent := c.Status.Active(), c.AgentID
			if err := fn(c, now); err != nil {
				return err
			}
			freed, ended = "", nil
			if was && !c.Status.Active() {
				ended = c
				if agent != "" {
					freed = agent
				}
			}
			return nil
		})
	}()
	if err == nil && freed != "" {
		s.slotFreed(ctx, freed)
	}
	if err == nil && ended != nil {
		if err := s.queueTranscripts(ctx, ended); err != nil {
			s.log.Error("queue transcripts", "conversation", ended.ID, "err", err)
		}
	}
	return c, err
}

// slotFreed offers the waiting conversations of an agent's lines again
// when one of the agent's active conversations ended: with agents at their
// maximum of chats, the oldest waiting one goes to the least busy online
// agent.
func (s *Service) slotFreed(ctx context.Context, agentID string) {
	s.load.mu.Lock()
	s.load.counts = nil // counted again: the freed place shows at once
	s.load.mu.Unlock()
	if err := s.RouteWaiting(ctx, agentID); err != nil && !errors.Is(err, ErrNotFound) {
		s.log.Error("route waiting conversations", "agent", agentID, "err", err)
	}
}

// mutateLocked is mutate for a caller that holds the conversation's lock.
func (s *Service) mutateLocked(ctx context.Context, a Actor, id string, fn func(c *Conversation, now time.Time) error) (*Conversation, error) {
	return s.mutateFrom(ctx, a, id, nil, fn)
}

// mutateFrom is mutateLocked starting from an already loaded copy, which
// saves a read when nobody else changed it meanwhile.
func (s *Service) mutateFrom(ctx context.Context, a Actor, id string, c *Conversation, fn func(c *Conversation, now time.Time) error) (*Conversation, error) {
	return s.mutateWith(ctx, a, id, c, s.store.ReplaceConversation, fn)
}

// mutateWith is mutateFrom saving with save: ReplaceConversation, or
// ReplaceConversationBehind for a change a stored message carries.
func (s *Service) mutateWith(ctx context.Context, a Actor, id string, c *Conversation,
	save func(context.Context, *Conversation, int64) (bool, error), fn func(c *Conversation, now time.Time) error) (*Conversation, error) {
	for attempt := 0; attempt < maxUpdateAttempts; attempt++ {
		if c == nil || attempt > 0 {
			var err error
			if c, err = s.loadConversation(ctx, a, id); err != nil {
				return nil, err
			}
		}
		read := c.Version
		if err := fn(c, s.Now()); err != nil {
			return nil, err
		}
		c.Version++
		ok, err := save(ctx, c, read)
		if err != nil {
			return nil, err
		}
		if ok {
			s.publish(ctx, Event{Type: EventConversationUpdated, ConversationID: c.ID, LineID: c.LineID, AgentID: c.AgentID, Conversation: c})
			return c, nil
		}
	}
	return nil, fmt.Errorf("conversation %s changed %d times while updating: %w", id, maxUpdateAttempts, ErrConflict)
}

// Accept records that the actor pressed Answer: they take the conversation.
func (s *Service) Accept(ctx context.Context, a Actor, id string) (*Conversation, error) {
	if a.AgentID == "" {
		return nil, fmt.Errorf("only an agent can accept: %w", ErrForbidden)
	}
	return s.mutate(ctx, a, id, func(c *Conversation, now time.Time) error {
		if c.AgentID != "" && c.AgentID != a.AgentID && !a.SeesAll() {
			return ErrForbidden
		}
		return c.accept(a.AgentID, now)
	})
}

// Close closes the conversation on behalf of an agent. A visitor's live
// chat first waits in "closing" for the visitor's rating when its line
// asks for one (ratingTimeoutSeconds > 0); CloseExpired ends the wait.
func (s *Service) Close(ctx context.Context, a Actor, id string) (*Conversation, error) {
	return s.mutate(ctx, a, id, func(c *Conversation, now time.Time) error {
		await := false
		if c.Channel == ChannelLiveChat && c.Type == Incoming && c.Status != StatusClosing {
			l, err := s.Line(ctx, c.LineID)
			if err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
			await = l != nil && l.Settings.RatingTimeoutSeconds > 0
		}
		return c.close(!a.System, await, now)
	})
}

// MarkSpam force-closes the conversation as spam.
func (s *Service) MarkSpam(ctx context.Context, a Actor, id string) (*Conversation, error) {
	return s.mutate(ctx, a, id, func(c *Conversation, now time.Time) error { return c.markSpam(now) })
}

// Forward puts the conversation into another agent's, group's or line's
// queue. Exactly one target is named.
func (s *Service) Forward(ctx context.Context, a Actor, id string, t ForwardTarget) (*Conversation, error) {
	if err := s.checkTarget(ctx, t); err != nil {
		return nil, err
	}
	return s.mutate(ctx, a, id, func(c *Conversation, now time.Time) error { return c.forward(t, now) })
}

func (s *Service) checkTarget(ctx context.Context, t ForwardTarget) error {
	n := 0
	for _, v := range []string{t.AgentID, t.GroupID, t.LineID} {
		if v != "" {
			n++
		}
	}
	if n != 1 {
		return invalid("target", "name exactly one of agentId, groupId, lineId")
	}
	var err error
	switch {
	case t.AgentID != "":
		var ag *Agent
		if ag, err = s.Agent(ctx, t.AgentID); err == nil && ag.Disabled {
			return invalid("agentId", "agent is disabled")
		}
	case t.GroupID != "":
		_, err = s.Group(ctx, t.GroupID)
	default:
		_, err = s.Line(ctx, t.LineID)
	}
	if errors.Is(err, ErrNotFound) {
		return invalid("target", "%v", err)
	}
	return err
}

// Assign gives the conversation to an agent and/or a group. Supervisors and
// admins assign anyone; an agent may only take an offered conversation.
func (s *Service) Assign(ctx context.Context, a Actor, id, agentID, groupID string) (*Conversation, error) {
	if !a.SeesAll() && (agentID != a.AgentID || groupID != "") {
		return nil, fmt.Errorf("agents can only assign conversations to themselves: %w", ErrForbidden)
	}
	if agentID != "" {
		if err := s.checkTarget(ctx, ForwardTarget{AgentID: agentID}); err != nil {
			return nil, err
		}
	}
	if groupID != "" {
		if err := s.checkTarget(ctx, ForwardTarget{GroupID: groupID}); err != nil {
			return nil, err
		}
	}
	return s.mutate(ctx, a, id, func(c *Conversation, now time.Time) error { return c.assign(agentID, groupID, now) })
}

// Pin fixes the conversation to its agent, or releases it. Supervisors and admins.
func (s *Service) Pin(ctx context.Context, a Actor, id string, pinned bool) (*Conversation, error) {
	if err := requireStaff(a); err != nil {
		return nil, err
	}
	return s.mutate(ctx, a, id, func(c *Conversation, now time.Time) error {
		if pinned && c.AgentID == "" {
			return conflict("only a conversation with an agent can be pinned")
		}
		c.Pinned = pinned
		c.touch(now)
		return nil
	})
}

// RateByClient stores the client's rating, 1 to 5. The widget and
// integrations call it; supervisors may record one given elsewhere.
func (s *Service) RateByClient(ctx context.Context, a Actor, id string, rating int) (*Conversation, error) {
	if err := requireStaff(a); err != nil {
		return nil, err
	}
	return s.mutate(ctx, a, id, func(c *Conversation, now time.Time) error { return c.rateByClient(rating, now) })
}

// RateBySupervisor stores the supervisor's rating (1–5, or 0 to clear) and comment.
func (s *Service) RateBySupervisor(ctx context.Context, a Actor, id string, rating int, comment string) (*Conversation, error) {
	if err := requireStaff(a); err != nil {
		return nil, err
	}
	if rating < 0 || rating > 5 {
		return nil, invalid("rating", "must be 1 to 5, or 0 for none")
	}
	if err := s.checkText("comment", comment, s.limits.MessageChars); err != nil {
		return nil, err
	}
	return s.mutate(ctx, a, id, func(c *Conversation, now time.Time) error {
		c.SupervisorRating, c.SupervisorComment = rating, comment
		c.touch(now)
		return nil
	})
}

// DeleteConversation deletes a conversation and its messages. Supervisors and admins.
func (s *Service) DeleteConversation(ctx context.Context, a Actor, id string) error {
	if err := requireStaff(a); err != nil {
		return err
	}
	c, err := s.loadConversation(ctx, a, id)
	if err != nil {
		return err
	}
	if err := s.store.DeleteMessagesOfConversation(ctx, id); err != nil {
		return err
	}
	if err := s.store.DeleteConversation(ctx, id); err != nil {
		return err
	}
	s.publish(ctx, Event{Type: EventConversationDeleted, ConversationID: id, LineID: c.LineID, AgentID: c.AgentID})
	return nil
}

// BulkAction is an action on many selected conversations.
type BulkAction string

// Bulk actions.
const (
	BulkClose   BulkAction = "close"
	BulkSpam    BulkAction = "spam"
	BulkForward BulkAction = "forward"
)

// BulkResult reports one conversation of a bulk action.
type BulkResult struct {
	ID    string `json:"id"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// MaxBulk caps the conversations of one bulk action.
const MaxBulk = 500

// Bulk applies an action to selected active conversations, one by one; a
// conversation that is not active or not visible is reported, not changed.
func (s *Service) Bulk(ctx context.Context, a Actor, ids []string, act BulkAction, t ForwardTarget) ([]BulkResult, error) {
	if len(ids) == 0 || len(ids) > MaxBulk {
		return nil, invalid("ids", "select 1 to %d conversations", MaxBulk)
	}
	switch act {
	case BulkClose, BulkSpam:
	case BulkForward:
		if err := s.checkTarget(ctx, t); err != nil {
			return nil, err
		}
	default:
		return nil, invalid("action", "must be close, spam or forward")
	}
	out := make([]BulkResult, 0, len(ids))
	for _, id := range ids {
		_, err := s.mutate(ctx, a, id, func(c *Conversation, now time.Time) error {
			if !c.Status.Active() {
				return conflict("conversation is not active (%s)", c.Status)
			}
			switch act {
			case BulkClose:
				return c.close(true, false, now)
			case BulkSpam:
				return c.markSpam(now)
			default:
				return c.forward(t, now)
			}
		})
		r := BulkResult{ID: id, OK: err == nil}
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			r.Error = err.Error()
		}
		out = append(out, r)
	}
	return out, nil
}
