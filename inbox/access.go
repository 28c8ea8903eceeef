package inbox

import "slices"

// Actor is who performs an operation.
type Actor struct {
	AgentID  string
	Name     string
	Role     Role
	GroupIDs []string
	// System actors are the product's own workers (widget, connectors,
	// scheduler): they may do anything.
	System bool
}

// System is the actor for the product's own workers.
var System = Actor{System: true, Role: RoleAdmin, Name: "system"}

// ActorFor builds the actor of a signed-in agent.
func ActorFor(a *Agent) Actor {
	return Actor{AgentID: a.ID, Name: a.Name, Role: a.Role, GroupIDs: a.GroupIDs}
}

// SeesAll reports whether the actor sees every conversation.
func (a Actor) SeesAll() bool { return a.System || a.Role == RoleSupervisor || a.Role == RoleAdmin }

// IsAdmin reports whether the actor manages agents, groups and lines.
func (a Actor) IsAdmin() bool { return a.System || a.Role == RoleAdmin }

// InQueue reports whether the actor is in the line's queue, directly or
// through one of their groups.
func (a Actor) InQueue(l *Line) bool {
	if l == nil {
		return false
	}
	if slices.Contains(l.AgentIDs, a.AgentID) {
		return true
	}
	return slices.ContainsFunc(l.GroupIDs, func(g string) bool { return slices.Contains(a.GroupIDs, g) })
}

// offered reports whether an unassigned conversation is offered to the actor:
// it sits in one of the actor's groups, or, with no group, in the queue of a
// line the actor belongs to.
func (a Actor) offered(c *Conversation, l *Line) bool {
	switch {
	case c.AgentID != "":
		return false
	case c.GroupID != "":
		return slices.Contains(a.GroupIDs, c.GroupID)
	}
	return a.InQueue(l)
}

// CanSee reports whether the actor may read and act on the conversation of
// line l: staff always, agents their own and the unassigned ones offered
// to them. Callers that cache lines (the agent websocket) use it to apply
// the same rule as the service.
func (a Actor) CanSee(c *Conversation, l *Line) bool {
	return a.SeesAll() || c.AgentID == a.AgentID || a.offered(c, l)
}
