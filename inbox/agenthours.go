package inbox

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// PresenceMode says who sets an agent's presence.
type PresenceMode string

// Presence modes.
const (
	// PresenceManual: the agent (or an admin) sets it; the default.
	PresenceManual PresenceMode = "manual"
	// PresenceByHours: the scheduler sets it at each boundary of the
	// agent's hours (scheduler/hours.go).
	PresenceByHours PresenceMode = "hours"
)

// Valid reports whether m is a known mode ("" is manual).
func (m PresenceMode) Valid() bool { return m == "" || m == PresenceManual || m == PresenceByHours }

// Schedule is a set of business hours that is open when any of them is
// (an agent who follows the hours of several lines); an empty Schedule is
// never open.
type Schedule []BusinessHours

// OpenAt reports whether any of the hours is open at t.
func (s Schedule) OpenAt(t time.Time) (bool, error) {
	for _, b := range s {
		open, err := b.OpenAt(t)
		if err != nil || open {
			return open, err
		}
	}
	return false, nil
}

// Next is the first instant after from at which the schedule opens or
// closes, and whether it is open from then; ok false when it never changes
// (within the engine's look-ahead).
func (s Schedule) Next(from time.Time) (at time.Time, open bool, ok bool, err error) {
	var candidates []time.Time
	for _, b := range s {
		ts, err := b.Transitions(from, 1)
		if err != nil {
			return time.Time{}, false, false, err
		}
		if len(ts) > 0 {
			candidates = append(candidates, ts[0].At)
		}
	}
	slices.SortFunc(candidates, func(a, b time.Time) int { return a.Compare(b) })
	was, err := s.OpenAt(from)
	if err != nil {
		return time.Time{}, false, false, err
	}
	for _, c := range candidates {
		now, err := s.OpenAt(c)
		if err != nil {
			return time.Time{}, false, false, err
		}
		if now != was {
			return c, now, true, nil
		}
		// One schedule changed, the union did not (another stays open): look
		// past it.
		at, open, ok, err := s.Next(c)
		return at, open, ok, err
	}
	return time.Time{}, false, false, nil
}

// AgentSchedule is the schedule that sets an automatic agent's presence:
// their own hours when enabled, else the hours of the lines whose queue
// they are in (directly or through a group) that have hours enabled. ok is
// false for a manual agent or one with no hours to follow.
func (s *Service) AgentSchedule(ctx context.Context, ag *Agent) (sched Schedule, ok bool, err error) {
	if ag.PresenceMode != PresenceByHours || ag.Disabled {
		return nil, false, nil
	}
	if ag.BusinessHours.Enabled {
		return Schedule{ag.BusinessHours}, true, nil
	}
	lines, err := s.store.Lines(ctx)
	if err != nil {
		return nil, false, err
	}
	a := ActorFor(ag)
	for i := range lines {
		if lines[i].BusinessHours.Enabled && a.InQueue(&lines[i]) {
			sched = append(sched, lines[i].BusinessHours)
		}
	}
	return sched, len(sched) > 0, nil
}

// LineClosed says whether a line with business hours is closed at now, and
// when it opens again (zero when it never does).
func LineClosed(l *Line, now time.Time) (closed bool, opensAt time.Time, err error) {
	if l == nil || !l.BusinessHours.Enabled {
		return false, time.Time{}, nil
	}
	open, err := l.BusinessHours.OpenAt(now)
	if err != nil || open {
		return false, time.Time{}, err
	}
	at, ok, err := l.BusinessHours.NextOpening(now)
	if err != nil {
		return true, time.Time{}, fmt.Errorf("line %s hours: %w", l.ID, err)
	}
	if !ok {
		return true, time.Time{}, nil
	}
	return true, at, nil
}

// LineOpensAt is when a line closed by its business hours opens again;
// ok false when it is not closed by them (or never opens).
func (s *Service) LineOpensAt(ctx context.Context, lineID string) (time.Time, bool, error) {
	l, err := s.Line(ctx, lineID)
	if err != nil {
		return time.Time{}, false, err
	}
	closed, at, err := LineClosed(l, s.Now())
	if err != nil || !closed || at.IsZero() {
		return time.Time{}, false, err
	}
	return at, true, nil
}

// AnnounceLineHours tells every listener that a line opened or closed by
// its business hours (the widget's mode follows): a line.changed event.
func (s *Service) AnnounceLineHours(ctx context.Context, lineID string) {
	s.publish(ctx, Event{Type: EventLineChanged, LineID: lineID, SubjectID: lineID})
}

// HoursPreviewCount is how many coming changes HoursPreview lists.
const HoursPreviewCount = 8

// HoursPreview checks business hours as a person is setting them and says
// whether they are open now and when they next open and close, so that the
// person can see what they set. Any signed-in agent.
func (s *Service) HoursPreview(ctx context.Context, a Actor, b BusinessHours) (open bool, next []HoursTransition, err error) {
	if a.AgentID == "" && !a.IsAdmin() {
		return false, nil, ErrForbidden
	}
	if err := validHours(b); err != nil {
		return false, nil, err
	}
	if !b.Enabled {
		return true, []HoursTransition{}, nil
	}
	now := s.Now()
	if open, err = b.OpenAt(now); err != nil {
		return false, nil, err
	}
	if next, err = b.Transitions(now, HoursPreviewCount); err != nil {
		return false, nil, err
	}
	return open, next, nil
}

// PresenceReason says why an agent's presence changed.
type PresenceReason string

// Presence reasons.
const (
	ReasonManual     PresenceReason = "manual"
	ReasonHours      PresenceReason = "hours"
	ReasonInactivity PresenceReason = "inactivity"
	ReasonDisconnect PresenceReason = "disconnect"
	ReasonSignOut    PresenceReason = "signout"
)

// Inactivity: an online or invisible agent with no activity in the inbox
// for their AwayAfterMinutes is set offline (inbox/api/presence.go).
const (
	DefaultAwayAfterMinutes = 15
	MaxAwayAfterMinutes     = 24 * 60
	// AwayNever as AwayAfterMinutes: never set offline for inactivity.
	AwayNever = -1
)

// AwayAfter is how long the agent may be inactive before going offline;
// 0 for never.
func (ag *Agent) AwayAfter() time.Duration {
	switch m := ag.AwayAfterMinutes; {
	case m == AwayNever:
		return 0
	case m <= 0:
		return DefaultAwayAfterMinutes * time.Minute
	default:
		return time.Duration(m) * time.Minute
	}
}

// SetPresenceBecause sets an agent's presence for a reason the product
// decided (business hours, inactivity, a disconnect, a sign-out); the
// event says why.
func (s *Service) SetPresenceBecause(ctx context.Context, id string, p Presence, why PresenceReason) (*Agent, error) {
	return s.UpdateAgent(ctx, System, id, AgentInput{Presence: &p, Reason: why})
}
