package inbox

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// Mode is how the widget shows itself on a line.
type Mode string

// Widget modes.
const (
	// ModeLive: at least one of the line's agents is online.
	ModeLive Mode = "live"
	// ModeMessenger: nobody is online; "we'll reply later", e-mail asked for.
	ModeMessenger Mode = "messenger"
	// ModeHidden: nobody is online and the line hides the widget then.
	ModeHidden Mode = "hidden"
)

// LineMode says how the widget of a line shows itself now: live while one
// of its agents is online and the line is within its business hours (when
// it has them). Invisible agents count as offline: visitors must not see
// them.
func (s *Service) LineMode(ctx context.Context, lineID string) (Mode, error) {
	l, err := s.Line(ctx, lineID)
	if err != nil {
		return "", err
	}
	// Outside its business hours a line is closed, whoever is online.
	closed, _, err := LineClosed(l, s.Now())
	if err != nil {
		s.log.Error("line hours", "line", lineID, "err", err)
	}
	if !closed {
		agents, err := s.store.EnabledAgentsOfLine(ctx, l)
		if err != nil {
			return "", err
		}
		for _, a := range agents {
			if a.Presence == PresenceOnline {
				return ModeLive, nil
			}
		}
	}
	if l.Settings.HideWidgetWhenOffline {
		return ModeHidden, nil
	}
	return ModeMessenger, nil
}

// Route offers an unassigned active conversation to its line's online
// agents: it goes to the one with the fewest active conversations (ties by
// agent id, so the choice is stable), skipping agents at their maximum
// of concurrent chats. With nobody online (or everyone full) it
// stays unassigned in the line's queue, and Route returns it unchanged.
func (s *Service) Route(ctx context.Context, convID string) (*Conversation, error) {
	c, err := s.loadConversation(ctx, System, convID)
	if err != nil {
		return nil, err
	}
	if c.AgentID != "" || !c.Status.Active() {
		return c, nil
	}
	l, err := s.Line(ctx, c.LineID)
	if err != nil {
		return nil, err
	}
	agents, err := s.store.EnabledAgentsOfLine(ctx, l)
	if err != nil {
		return nil, err
	}
	var online []string
	caps := map[string]int{}
	for _, a := range agents {
		if a.Presence == PresenceOnline && (c.GroupID == "" || slices.Contains(a.GroupIDs, c.GroupID)) {
			online = append(online, a.ID)
			caps[a.ID] = a.MaxChats
		}
	}
	if len(online) == 0 {
		return c, nil
	}
	load, err := s.activeLoad(ctx, online)
	if err != nil {
		return nil, err
	}
	// Agents at their maximum of concurrent chats are skipped; with
	// everyone full the conversation waits in the queue.
	best := ""
	for _, id := range online {
		if caps[id] > 0 && load[id] >= caps[id] {
			continue
		}
		if best == "" || load[id] < load[best] {
			best = id
		}
	}
	if best == "" {
		return c, nil
	}
	routed, err := s.mutate(ctx, System, convID, func(c *Conversation, now time.Time) error {
		if c.AgentID != "" {
			return errAlreadyAssigned
		}
		if err := c.assign(best, c.GroupID, now); err != nil {
			return err
		}
		c.Track.OfferedAt = at(now)
		c.Track.OfferedTo = append(c.Track.OfferedTo, best)
		return nil
	})
	if errors.Is(err, errAlreadyAssigned) || errors.Is(err, ErrConflict) {
		return s.loadConversation(ctx, System, convID)
	}
	if err == nil {
		s.assigned(best)
	}
	return routed, err
}

var errAlreadyAssigned = errors.New("already assigned")

// loadTTL is how long counted agent loads are reused. Counting reads every
// active conversation, which on the embedded engine costs a full decode of
// the collection; between counts, this node adds its own assignments.
const loadTTL = 5 * time.Second

// loadCache remembers the agents' active conversation counts.
type loadCache struct {
	mu     sync.Mutex
	at     time.Time
	agents string
	counts map[string]int
}

// activeLoad returns the active conversations of each agent, counted at
// most loadTTL ago plus this node's assignments since.
func (s *Service) activeLoad(ctx context.Context, agentIDs []string) (map[string]int, error) {
	key := strings.Join(agentIDs, ",")
	s.load.mu.Lock()
	defer s.load.mu.Unlock()
	if s.load.counts != nil && s.load.agents == key && time.Since(s.load.at) < loadTTL {
		return maps.Clone(s.load.counts), nil
	}
	counts, err := s.store.ActiveLoads(ctx, agentIDs)
	if err != nil {
		return nil, err
	}
	s.load.at, s.load.agents, s.load.counts = time.Now(), key, counts
	return maps.Clone(counts), nil
}

// assigned adds an assignment made by this node to the remembered loads.
func (s *Service) assigned(agentID string) {
	s.load.mu.Lock()
	defer s.load.mu.Unlock()
	if s.load.counts != nil {
		s.load.counts[agentID]++
	}
}

// RouteWaiting routes every unassigned active conversation of the lines an
// agent belongs to; it runs when the agent comes online.
func (s *Service) RouteWaiting(ctx context.Context, agentID string) error {
	ag, err := s.Agent(ctx, agentID)
	if err != nil {
		return err
	}
	ids, err := s.store.QueueLineIDs(ctx, ActorFor(ag))
	if err != nil {
		return err
	}
	waiting, err := s.store.WaitingConversations(ctx, ids)
	if err != nil {
		return err
	}
	for _, c := range waiting {
		if _, err := s.Route(ctx, c.ID); err != nil {
			return err
		}
	}
	return nil
}
