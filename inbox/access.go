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
	// Rescue: an invisible agent who asked to be offered the missed
	// conversations of their lines when online agents are slow.
	Rescue bool
}

// System is the actor for the product's own workers.
var System = Actor{System: true, Role: RoleAdmin, Name: "system"}

// ActorFor builds the actor of a signed-in agent.
func ActorFor(a *Agent) Actor {
	return Actor{AgentID: a.ID, Name: a.Name, Role: a.Role, GroupIDs: a.GroupIDs,
		Rescue: a.Presence == PresenceInvisible && a.RescueWhileInvisible}
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
	return a.SeesAll() || c.AgentID == a.AgentID || a.offered(c, l) || a.rescues(c, l)
}

// rescues reports whether an invisible rescuer is offered c: an active
// conversation marked missed on a line whose queue they are in, whoever
// it is assigned to (the Brevo seed's "notify me of new chats while
// invisible if online agents are slow"). Answering it takes it.
func (a Actor) rescues(c *Conversation, l *Line) bool {
	return a.Rescue && c.MissedAt != nil && c.Status.Active() && a.InQueue(l)
}
