package inbox

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// LatestConversation is the contact's newest conversation on a line and
// channel, whatever its status.
func (s *Service) LatestConversation(ctx context.Context, contactID, lineID string, ch Channel) (*Conversation, error) {
	return s.store.LatestConversation(ctx, contactID, lineID, ch)
}

// CurrentConversation is the contact's newest conversation on a line
// through a channel if it still takes messages (statuses 1–7).
func (s *Service) CurrentConversation(ctx context.Context, contactID, lineID string, ch Channel) (*Conversation, error) {
	c, err := s.LatestConversation(ctx, contactID, lineID, ch)
	if err != nil {
		return nil, err
	}
	if c.StatusCode > StatusClosing.Code() {
		return nil, fmt.Errorf("open conversation of %s: %w", contactID, ErrNotFound)
	}
	return c, nil
}

// VisibleMessages lists what the customer may see of a conversation: every
// message but agents' comments, with seq > afterSeq, oldest first.
func (s *Service) VisibleMessages(ctx context.Context, convID string, afterSeq int64, limit int) ([]Message, error) {
	return s.store.VisibleMessagesAfter(ctx, convID, afterSeq, limit)
}

// Flags are the conversation's channel-set markers; nil fields are unchanged.
type Flags struct {
	FormFilled       *bool
	HistoryRequested *bool
	SitePage         *string
}

// SetFlags records the contact form, a transcript request or the site page.
// Channels call it for their own conversations.
func (s *Service) SetFlags(ctx context.Context, convID string, f Flags) (*Conversation, error) {
	return s.mutate(ctx, System, convID, func(c *Conversation, now time.Time) error {
		if f.FormFilled != nil {
			c.FormFilled = *f.FormFilled
		}
		if f.HistoryRequested != nil {
			c.HistoryRequested = *f.HistoryRequested
		}
		if f.SitePage != nil {
			c.SitePage = *f.SitePage
		}
		c.touch(now)
		return nil
	})
}

// CloseExpired closes conversations that waited in "closing" for the
// client's rating longer than their line allows. It returns how many it closed.
func (s *Service) CloseExpired(ctx context.Context) (int, error) {
	waiting, err := s.store.ClosingConversations(ctx)
	if err != nil {
		return 0, err
	}
	timeouts := map[string]time.Duration{}
	closed := 0
	for _, c := range waiting {
		d, ok := timeouts[c.LineID]
		if !ok {
			l, err := s.Line(ctx, c.LineID)
			if err != nil && !errors.Is(err, ErrNotFound) {
				return closed, err
			}
			if l != nil {
				d = time.Duration(l.Settings.RatingTimeoutSeconds) * time.Second
			}
			timeouts[c.LineID] = d
		}
		since := c.Dates.Modified
		if c.Dates.ClosedByAgent != nil {
			since = *c.Dates.ClosedByAgent
		}
		if s.Now().Sub(since) < d {
			continue
		}
		_, err := s.mutate(ctx, System, c.ID, func(c *Conversation, now time.Time) error {
			if c.Status != StatusClosing {
				return conflict("no longer closing")
			}
			return c.close(false, false, now)
		})
		if err != nil && !errors.Is(err, ErrConflict) {
			return closed, err
		}
		if err == nil {
			closed++
		}
	}
	return closed, nil
}
