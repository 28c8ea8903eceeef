package inbox

import (
	"context"
	"errors"
	"slices"
	"time"
)

// Re-offer: a line's reofferAfterSeconds gives a routed conversation that
// its agent has not taken (accepted or answered) within that time to the
// next online agent of the line who has not had it yet — the least busy
// under their maximum of chats. Nothing else changes: the client's wait,
// and with it the first reaction time and the missed deadline, keep
// counting from the client's message. A pinned conversation stays.

// reofferDue reports whether c, routed and not taken, is due to move on.
func (c *Conversation) reofferDue(after time.Duration, now time.Time) bool {
	return after > 0 && c.Status.Active() && c.AgentID != "" && !c.Pinned && c.Dates.Accepted == nil &&
		c.Track.OfferedAt != nil && now.Sub(*c.Track.OfferedAt) >= after
}

// ReofferStale moves every due conversation to the next agent and says how
// many it moved. The scheduler runs it every few seconds.
func (s *Service) ReofferStale(ctx context.Context) (int, error) {
	lines, err := s.store.Lines(ctx)
	if err != nil {
		return 0, err
	}
	after, byID := map[string]time.Duration{}, map[string]*Line{}
	for i := range lines {
		if d := lines[i].Settings.ReofferAfterSeconds; d > 0 {
			after[lines[i].ID] = time.Duration(d) * time.Second
			byID[lines[i].ID] = &lines[i]
		}
	}
	if len(after) == 0 {
		return 0, nil
	}
	active, err := s.ActiveConversations(ctx)
	if err != nil {
		return 0, err
	}
	moved := 0
	for i := range active {
		c := &active[i]
		d := after[c.LineID]
		if !c.reofferDue(d, s.Now()) {
			continue
		}
		next, err := s.nextAgent(ctx, byID[c.LineID], c)
		if err != nil {
			return moved, err
		}
		if next == "" {
			continue // nobody else: it stays offered where it is
		}
		_, err = s.mutate(ctx, System, c.ID, func(c *Conversation, now time.Time) error {
			if !c.reofferDue(d, now) || slices.Contains(c.Track.OfferedTo, next) {
				return errNoChange
			}
			if err := c.assign(next, c.GroupID, now); err != nil {
				return err
			}
			c.Track.OfferedAt = at(now)
			c.Track.OfferedTo = append(c.Track.OfferedTo, next)
			return nil
		})
		switch {
		case err == nil:
			moved++
			s.assigned(next)
		case errors.Is(err, errNoChange), errors.Is(err, ErrNotFound), errors.Is(err, ErrConflict):
		default:
			return moved, err
		}
	}
	return moved, nil
}

// nextAgent is the least busy online agent of the line, under their
// maximum, who may take c and has not been offered it; "" when there is
// none.
func (s *Service) nextAgent(ctx context.Context, l *Line, c *Conversation) (string, error) {
	agents, err := s.store.EnabledAgentsOfLine(ctx, l)
	if err != nil {
		return "", err
	}
	var ids []string
	caps := map[string]int{}
	for _, a := range agents {
		if a.Presence == PresenceOnline && !slices.Contains(c.Track.OfferedTo, a.ID) && a.ID != c.AgentID &&
			(c.GroupID == "" || slices.Contains(a.GroupIDs, c.GroupID)) {
			ids = append(ids, a.ID)
			caps[a.ID] = a.MaxChats
		}
	}
	if len(ids) == 0 {
		return "", nil
	}
	load, err := s.activeLoad(ctx, ids)
	if err != nil {
		return "", err
	}
	best := ""
	for _, id := range ids {
		if caps[id] > 0 && load[id] >= caps[id] {
			continue
		}
		if best == "" || load[id] < load[best] {
			best = id
		}
	}
	return best, nil
}
