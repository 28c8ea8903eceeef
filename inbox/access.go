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

// offered reports whether an unassigned conversation is offered to the actor:
// it sits in one of the actor's groups, or, with no group, in the queue of a
// line the actor belongs to.
func (a Actor) offered(c *Conversation, l *Line) bool {
	if c.AgentID != "" {
		return false
	}
	if c.GroupID != "" {
		return slices.Contains(a.GroupIDs, c.GroupID)
	}
	if l == nil {
		return false
	}
	if slices.Contains(l.AgentIDs, a.AgentID) {
		return true
	}
	for _, g := range l.GroupIDs {
		if slices.Contains(a.GroupIDs, g) {
			return true
		}
	}
	return false
}

// canSee reports whether the actor may read and act on the conversation.
func (a Actor) canSee(c *Conversation, l *Line) bool {
	if a.SeesAll() {
		return true
	}
	return c.AgentID == a.AgentID || a.offered(c, l)
}
