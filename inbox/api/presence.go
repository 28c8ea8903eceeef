package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
)

// DefaultPresenceGrace is how long an online or invisible agent may be
// without a connected agent websocket before they are set offline.
const DefaultPresenceGrace = 2 * time.Minute

// presence keeps agents' presence truthful on this node: it knows each
// agent's connected agent websockets and the sessions they belong to.
//   - Signing out sets the agent offline unless another session of
//     theirs has a connected agent websocket.
//   - An online or invisible agent with no connected agent websocket for
//     longer than the grace period is set offline (sweep), so visitors
//     never see live chat with nobody there. The time counts from the
//     last socket's end, or from when the tracker first noticed the agent
//     without one (after a restart, or presence set through the API).
//
// With several gateways on one store, each node shares its sockets and
// agents' activity through the store (presence_nodes.go): an agent
// connected to any node counts as connected on all of them.
type presence struct {
	svc   *inbox.Service
	grace time.Duration
	log   *slog.Logger

	mu   sync.Mutex
	next int64
	// sockets: agent id → socket id → the socket's session and stop.
	sockets map[string]map[int64]socketRef
	// alone: agent id → since when they have had no socket.
	alone map[string]time.Time
	// active: agent id → their last activity in the inbox (an "active"
	// frame, a socket connecting, coming back from offline); seen: their
	// presence at the last sweep.
	active map[string]time.Time
	seen   map[string]inbox.Presence

	// nodes shares sockets with the other gateways on the store (nil: none);
	// node is this one's name, remote the others' view at the last sweep,
	// kicks asks for a share before the next sweep.
	nodes  SocketLog
	node   string
	remote elsewhere
	kicks  chan struct{}
}

type socketRef struct {
	token string
	stop  context.CancelFunc
}

func newPresence(svc *inbox.Service, grace time.Duration, log *slog.Logger) *presence {
	if grace <= 0 {
		grace = DefaultPresenceGrace
	}
	return &presence{svc: svc, grace: grace, log: log,
		sockets: map[string]map[int64]socketRef{}, alone: map[string]time.Time{},
		active: map[string]time.Time{}, seen: map[string]inbox.Presence{}, kicks: make(chan struct{}, 1)}
}

// connected records an agent websocket of the session token; stop ends
// it (when the session signs out). The returned func records its end.
func (p *presence) connected(agentID, token string, stop context.CancelFunc) (gone func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.next++
	id := p.next
	if p.sockets[agentID] == nil {
		p.sockets[agentID] = map[int64]socketRef{}
	}
	newSession := true
	for _, s := range p.sockets[agentID] {
		newSession = newSession && s.token != token
	}
	p.sockets[agentID][id] = socketRef{token: token, stop: stop}
	if newSession {
		p.kick() // the other nodes learn of the session before their next sweep
	}
	delete(p.alone, agentID)
	p.active[agentID] = p.svc.Now()
	return func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		delete(p.sockets[agentID], id)
		if len(p.sockets[agentID]) == 0 {
			delete(p.sockets, agentID)
			p.alone[agentID] = p.svc.Now()
		}
	}
}

// activity records that the agent is using the inbox now.
func (p *presence) activity(agentID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.active[agentID] = p.svc.Now()
}

// endSession stops the sockets of a signed-out session and reports
// whether the agent still has a socket of another session.
func (p *presence) endSession(agentID, token string) (others bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.sockets[agentID] {
		if s.token == token {
			s.stop()
		} else {
			others = true
		}
	}
	return others
}

// signedOut sets the agent offline when no other session of theirs has a
// connected agent websocket.
func (p *presence) signedOut(ctx context.Context, ag *inbox.Agent, token string) error {
	if p.endSession(ag.ID, token) || ag.Presence == inbox.PresenceOffline {
		return nil
	}
	// Another session may be connected to another node: ask the store
	// now rather than trust the last sweep's view.
	if err := p.share(ctx); err != nil {
		p.log.Warn("sign-out: read the other nodes' agent sockets; using the last view", "err", err)
	}
	p.mu.Lock()
	elsewhere := p.otherSessionElsewhere(ag.ID, token)
	p.mu.Unlock()
	if elsewhere {
		return nil
	}
	return p.setOffline(ctx, ag.ID, inbox.ReasonSignOut, "signed out")
}

func (p *presence) setOffline(ctx context.Context, agentID string, reason inbox.PresenceReason, why string) error {
	_, err := p.svc.SetPresenceBecause(ctx, agentID, inbox.PresenceOffline, reason)
	if errors.Is(err, inbox.ErrNotFound) {
		return nil // deleted meanwhile
	}
	if err != nil {
		return fmt.Errorf("set agent %s offline (%s): %w", agentID, why, err)
	}
	p.mu.Lock()
	p.seen[agentID] = inbox.PresenceOffline // going online again starts a new period
	p.mu.Unlock()
	p.log.Info("agent set offline", "agent", agentID, "reason", why)
	return nil
}

// sweep sets offline every online or invisible agent who has had no
// agent websocket for longer than the grace period, and every one whose
// inbox has seen no activity for their AwayAfter.
func (p *presence) sweep(ctx context.Context) error {
	if err := p.share(ctx); err != nil && ctx.Err() == nil {
		p.log.Warn("presence: share agent sockets with the other nodes; using the last view", "err", err)
	}
	agents, err := p.svc.Agents(ctx)
	if err != nil {
		return err
	}
	now := p.svc.Now()
	var due, away []string
	awayFor := map[string]time.Duration{}
	p.mu.Lock()
	known := make(map[string]bool, len(agents))
	for _, ag := range agents {
		known[ag.ID] = true
		prev, had := p.seen[ag.ID]
		p.seen[ag.ID] = ag.Presence
		if ag.Presence != inbox.PresenceOffline && (!had || prev == inbox.PresenceOffline) {
			p.active[ag.ID] = now // back from offline (or first seen): the wait starts now
		}
		if ag.Presence != inbox.PresenceOffline && !ag.Disabled && len(p.sockets[ag.ID]) > 0 {
			if d := ag.AwayAfter(); d > 0 && now.Sub(p.activeOf(ag.ID)) >= d {
				away = append(away, ag.ID)
				awayFor[ag.ID] = d
			}
		}
		if ag.Presence == inbox.PresenceOffline || ag.Disabled || p.socketsOf(ag.ID) > 0 {
			delete(p.alone, ag.ID)
			continue
		}
		since, ok := p.alone[ag.ID]
		if !ok {
			p.alone[ag.ID] = now
			continue
		}
		if now.Sub(since) >= p.grace {
			due = append(due, ag.ID)
		}
	}
	for id := range p.alone {
		if !known[id] {
			delete(p.alone, id)
		}
	}
	for id := range p.seen {
		if !known[id] {
			delete(p.seen, id)
			delete(p.active, id)
		}
	}
	p.mu.Unlock()
	var errs []error
	for _, id := range away {
		if err := p.setOffline(ctx, id, inbox.ReasonInactivity, "no activity for "+awayFor[id].String()); err != nil {
			errs = append(errs, err)
		}
	}
	for _, id := range due {
		if err := p.setOffline(ctx, id, inbox.ReasonDisconnect, "no agent websocket for "+p.grace.String()); err != nil {
			errs = append(errs, err)
			continue
		}
		p.mu.Lock()
		delete(p.alone, id)
		p.mu.Unlock()
	}
	return errors.Join(errs...)
}

// every is how often Run sweeps: a quarter of the grace, 1 to 15 seconds.
func (p *presence) every() time.Duration { return min(max(p.grace/4, time.Second), 15*time.Second) }

// RunPresence sweeps until ctx ends: agents whose last agent websocket has
// been gone longer than the grace period (Config.PresenceGrace) go offline.
func (a *API) RunPresence(ctx context.Context) error {
	t := time.NewTicker(a.presence.every())
	defer t.Stop()
	defer a.presence.dropShared(ctx)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-a.presence.kicks:
			if err := a.presence.share(ctx); err != nil && ctx.Err() == nil {
				a.log.Warn("presence: share agent sockets with the other nodes", "err", err)
			}
		case <-t.C:
			if err := a.presence.sweep(ctx); err != nil && ctx.Err() == nil {
				a.log.Warn("presence sweep", "err", err)
			}
		}
	}
}

// SweepPresence runs one sweep now; RunPresence does it periodically.
func (a *API) SweepPresence(ctx context.Context) error { return a.presence.sweep(ctx) }
