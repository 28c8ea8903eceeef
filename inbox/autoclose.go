package inbox

import (
	"context"
	"errors"
	"time"
)

// Auto-close: a line's autoCloseMinutes closes its conversations that have
// had no client message for that long — the client has gone. Only
// conversations nobody waits in are closed: a client waiting for an answer
// (statuses new, waiting, waiting again) is never closed behind the
// agents' backs. Closed this way, a conversation has a closed date and no
// "closed by agent" date, which tells it from one an agent closed.

// clientSilentSince is when the client last wrote (or, before any client
// message, when the conversation began).
func (c *Conversation) clientSilentSince() time.Time {
	switch {
	case c.Track.LastClientMessage != nil:
		return *c.Track.LastClientMessage
	case c.Track.FirstClientMessage != nil:
		return *c.Track.FirstClientMessage
	}
	return c.Dates.Created
}

// autoClosable reports whether c is due to close by a silence of after.
func (c *Conversation) autoClosable(after time.Duration, now time.Time) bool {
	return after > 0 && c.Status.Active() && !waitingForAnswer(c.Status) && now.Sub(c.clientSilentSince()) >= after
}

// CloseInactive closes the conversations whose line's autoCloseMinutes
// have passed without a client message, and says how many it closed. The
// scheduler runs it.
func (s *Service) CloseInactive(ctx context.Context) (int, error) {
	lines, err := s.store.Lines(ctx)
	if err != nil {
		return 0, err
	}
	after := map[string]time.Duration{}
	for _, l := range lines {
		if l.Settings.AutoCloseMinutes > 0 {
			after[l.ID] = time.Duration(l.Settings.AutoCloseMinutes) * time.Minute
		}
	}
	if len(after) == 0 {
		return 0, nil
	}
	active, err := s.ActiveConversations(ctx)
	if err != nil {
		return 0, err
	}
	closed := 0
	for i := range active {
		d := after[active[i].LineID]
		if !active[i].autoClosable(d, s.Now()) {
			continue
		}
		_, err := s.mutate(ctx, System, active[i].ID, func(c *Conversation, now time.Time) error {
			if !c.autoClosable(d, now) {
				return errNoChange // changed meanwhile: not due any more
			}
			return c.close(false, false, now)
		})
		switch {
		case err == nil:
			closed++
		case errors.Is(err, errNoChange), errors.Is(err, ErrNotFound), errors.Is(err, ErrConflict):
		default:
			return closed, err
		}
	}
	return closed, nil
}
