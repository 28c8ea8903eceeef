package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// SocketLog shares agents' websockets among the gateways on one store
// (inbox.Store): each node writes its own every sweep and when an agent's
// first socket connects, and reads the others'.
type SocketLog interface {
	PutAgentSockets(ctx context.Context, node string, at time.Time, agents []inbox.AgentSockets) error
	AgentSocketsSince(ctx context.Context, since time.Time) ([]inbox.NodeSockets, error)
	DropAgentSockets(ctx context.Context, node string) error
}

// elsewhere is what the other nodes last said of agents' websockets.
type elsewhere struct {
	sockets  map[string]int
	sessions map[string]map[string]bool // agent → session tags
	active   map[string]time.Time
}

// sessionTag names a session in the shared document without its token.
func sessionTag(token string) string {
	sum := sha256.Sum256([]byte("agent-socket\x00" + token))
	return hex.EncodeToString(sum[:12])
}

// fresh is how old another node's document may be and still count: it
// writes one every sweep, so three missed sweeps mean it is gone.
func (p *presence) fresh() time.Duration { return 3*p.every() + 2*time.Second }

// share writes this node's agent websockets and reads the other nodes'
// (a no-op with one gateway). On an error the last view is kept.
func (p *presence) share(ctx context.Context) error {
	if p.nodes == nil {
		return nil
	}
	now := p.svc.Now()
	p.mu.Lock()
	mine := make([]inbox.AgentSockets, 0, len(p.sockets))
	for id, socks := range p.sockets {
		as := inbox.AgentSockets{AgentID: id, Sockets: len(socks), Active: p.active[id]}
		seen := map[string]bool{}
		for _, s := range socks {
			if tag := sessionTag(s.token); !seen[tag] {
				seen[tag] = true
				as.Sessions = append(as.Sessions, tag)
			}
		}
		mine = append(mine, as)
	}
	p.mu.Unlock()
	if err := p.nodes.PutAgentSockets(ctx, p.node, now, mine); err != nil {
		return err
	}
	docs, err := p.nodes.AgentSocketsSince(ctx, now.Add(-p.fresh()))
	if err != nil {
		return err
	}
	e := elsewhere{sockets: map[string]int{}, sessions: map[string]map[string]bool{}, active: map[string]time.Time{}}
	for _, d := range docs {
		if d.Node == p.node {
			continue
		}
		for _, as := range d.Agents {
			e.sockets[as.AgentID] += as.Sockets
			if e.sessions[as.AgentID] == nil {
				e.sessions[as.AgentID] = map[string]bool{}
			}
			for _, tag := range as.Sessions {
				e.sessions[as.AgentID][tag] = true
			}
			if as.Active.After(e.active[as.AgentID]) {
				e.active[as.AgentID] = as.Active
			}
		}
	}
	p.mu.Lock()
	p.remote = e
	p.mu.Unlock()
	return nil
}

// socketsOf counts the agent's websockets here and elsewhere (p.mu held).
func (p *presence) socketsOf(agentID string) int {
	return len(p.sockets[agentID]) + p.remote.sockets[agentID]
}

// activeOf is the agent's last activity here or elsewhere (p.mu held).
func (p *presence) activeOf(agentID string) time.Time {
	if t := p.remote.active[agentID]; t.After(p.active[agentID]) {
		return t
	}
	return p.active[agentID]
}

// otherSessionElsewhere says whether another node has a websocket of one
// of the agent's sessions other than token's (p.mu held).
func (p *presence) otherSessionElsewhere(agentID, token string) bool {
	tag := sessionTag(token)
	for t := range p.remote.sessions[agentID] {
		if t != tag {
			return true
		}
	}
	return false
}

// kick asks RunPresence to share this node's sockets soon (an agent's
// first socket connected), without waiting for the next sweep.
func (p *presence) kick() {
	if p.nodes == nil {
		return
	}
	select {
	case p.kicks <- struct{}{}:
	default:
	}
}

// dropShared deletes this node's document when it stops: its sockets are
// closing and other nodes need not wait for the document to go stale.
func (p *presence) dropShared(ctx context.Context) {
	if p.nodes == nil {
		return
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := p.nodes.DropAgentSockets(dctx, p.node); err != nil {
		p.log.Warn("presence: drop this node's agent sockets", "err", err)
	}
}

// announceSignOut tells every gateway (through Config.Relay: the hub, and
// the event log when the store is shared) that the session of token
// signed out, so that each closes the session's agent websockets at once
// rather than at its next session check.
func (a *API) announceSignOut(ctx context.Context, agentID, token string) {
	if a.cfg.Relay == nil {
		return
	}
	ev := inbox.Event{ID: bson.NewObjectID().Hex(), Type: inbox.EventSessionEnded, At: time.Now().UTC(), AgentID: agentID, SubjectID: sessionTag(token)}
	if err := a.cfg.Relay.Publish(ctx, ev); err != nil {
		a.log.Warn("sign-out: tell the other gateways", "agent", agentID, "err", err)
	}
}
