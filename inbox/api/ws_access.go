package api

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
)

// wsAccess is what one connection knows of who may see what: the agent,
// every line's queue, and the assignment of conversations seen lately.
// It applies inbox's rule (Actor.CanSee) to its cached lines.
type wsAccess struct {
	svc   *inbox.Service
	mu    sync.Mutex
	me    inbox.Actor
	lines map[string]*inbox.Line
	convs map[string]wsRef
}

type wsRef struct {
	agent, group, line string
	missed             bool // marked missed and active: what a rescuer is offered
}

func newWSAccess(svc *inbox.Service, me inbox.Actor) *wsAccess {
	return &wsAccess{svc: svc, me: me, lines: map[string]*inbox.Line{}, convs: map[string]wsRef{}}
}

func (ac *wsAccess) actor() inbox.Actor {
	ac.mu.Lock()
	defer ac.mu.Unlock()
	return ac.me
}

// load reads every line's queue and the agent's active conversations.
func (ac *wsAccess) load(ctx context.Context) error {
	lines, err := ac.svc.Lines(ctx)
	if err != nil {
		return err
	}
	me := ac.actor()
	var convs []inbox.Conversation
	if !me.SeesAll() {
		if convs, _, err = ac.svc.Conversations(ctx, me, inbox.ConversationFilter{Active: true, Limit: 1 << 30}); err != nil {
			return err
		}
	}
	ac.mu.Lock()
	defer ac.mu.Unlock()
	ac.lines = make(map[string]*inbox.Line, len(lines))
	for i := range lines {
		ac.lines[lines[i].ID] = &lines[i]
	}
	ac.convs = make(map[string]wsRef, len(convs))
	for i := range convs {
		ac.remember(&convs[i])
	}
	return nil
}

func (ac *wsAccess) sees(r wsRef) bool {
	c := &inbox.Conversation{AgentID: r.agent, GroupID: r.group, LineID: r.line}
	if r.missed {
		missed := time.Time{}
		c.MissedAt, c.Status = &missed, inbox.StatusWaiting
	}
	return ac.me.CanSee(c, ac.lines[r.line])
}

func (ac *wsAccess) remember(c *inbox.Conversation) wsRef {
	if len(ac.convs) >= wsCacheMax {
		clear(ac.convs) // forgotten ones are looked up again
	}
	r := wsRef{agent: c.AgentID, group: c.GroupID, line: c.LineID, missed: c.MissedAt != nil && c.Status.Active()}
	ac.convs[c.ID] = r
	return r
}

// update records the conversation's new assignment and reports whether
// the agent could see it before (as far as known) and can see it now.
func (ac *wsAccess) update(c *inbox.Conversation) (was, now bool) {
	ac.mu.Lock()
	defer ac.mu.Unlock()
	if old, ok := ac.convs[c.ID]; ok {
		was = ac.sees(old)
	}
	return was, ac.sees(ac.remember(c))
}

// forget drops a deleted conversation, reporting whether it was visible.
func (ac *wsAccess) forget(id string) bool {
	ac.mu.Lock()
	defer ac.mu.Unlock()
	old, ok := ac.convs[id]
	delete(ac.convs, id)
	return ok && ac.sees(old)
}

// visible reports whether the agent may see the conversation, asking the
// inbox when the connection has not seen it yet.
func (ac *wsAccess) visible(ctx context.Context, id string) (bool, error) {
	ac.mu.Lock()
	r, ok := ac.convs[id]
	me := ac.me
	seen := ok && ac.sees(r)
	ac.mu.Unlock()
	if ok {
		return seen, nil
	}
	conv, err := ac.svc.Conversation(ctx, me, id)
	switch {
	case errors.Is(err, inbox.ErrForbidden), errors.Is(err, inbox.ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	ac.mu.Lock()
	defer ac.mu.Unlock()
	return ac.sees(ac.remember(conv)), nil
}

// reloadMe reads the agent again; changed reports a new role or groups.
func (ac *wsAccess) reloadMe(ctx context.Context) (changed bool, err error) {
	me := ac.actor()
	ag, err := ac.svc.Agent(ctx, me.AgentID)
	if err != nil {
		return false, err
	}
	if ag.Disabled {
		return false, inbox.ErrUnauthorized
	}
	next := inbox.ActorFor(ag)
	ac.mu.Lock()
	defer ac.mu.Unlock()
	changed = next.Role != ac.me.Role || next.Rescue != ac.me.Rescue || !slices.Equal(slices.Sorted(slices.Values(next.GroupIDs)), slices.Sorted(slices.Values(ac.me.GroupIDs)))
	ac.me = next
	return changed, nil
}

// lineChanged reloads one line's queue and reports whether the agent's
// place in it changed.
func (ac *wsAccess) lineChanged(ctx context.Context, id string, deleted bool) bool {
	var line *inbox.Line
	if !deleted {
		l, err := ac.svc.Line(ctx, id)
		switch {
		case errors.Is(err, inbox.ErrNotFound):
			deleted = true
		case err != nil:
			return true // unsure: let the client refetch
		default:
			line = l
		}
	}
	ac.mu.Lock()
	defer ac.mu.Unlock()
	before := ac.me.InQueue(ac.lines[id])
	if deleted {
		delete(ac.lines, id)
		return before
	}
	ac.lines[id] = line
	return before != ac.me.InQueue(line)
}
