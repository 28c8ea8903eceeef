package inbox

import (
	"context"
	"sync"
	"time"
)

// EventType names a change.
type EventType string

// Event types: one for every change the inbox makes.
const (
	EventConversationOpened  EventType = "conversation.opened"
	EventConversationUpdated EventType = "conversation.updated"
	EventConversationDeleted EventType = "conversation.deleted"
	EventMessageCreated      EventType = "message.created"
	// EventMessageUpdated: a stored message changed — edited by its
	// author, an album part added, its delivery state moved.
	EventMessageUpdated  EventType = "message.updated"
	EventAgentChanged    EventType = "agent.changed"
	EventAgentDeleted    EventType = "agent.deleted"
	EventPresenceChanged EventType = "agent.presence"
	EventLineChanged     EventType = "line.changed"
	EventLineDeleted     EventType = "line.deleted"
	EventGroupChanged    EventType = "group.changed"
	EventGroupDeleted    EventType = "group.deleted"
	EventContactChanged  EventType = "contact.changed"
	// EventTyping and EventRead are transient: published straight to the
	// real-time hubs, never stored. AgentID names the agent typing or
	// reading, empty for the customer. Typing and Seq carry the state; the
	// agent websocket's first convention, the same as text in SubjectID
	// ("true"/"false", the seq), is kept alongside.
	EventTyping EventType = "typing"
	EventRead   EventType = "read"
	// EventSessionEnded is internal, never sent to a client: an agent
	// signed out, and every gateway closes the agent websockets of that
	// session at once (SubjectID tags the session without its token;
	// AgentID names the agent). Transient, like typing.
	EventSessionEnded EventType = "session.ended"
)

// Event is one change, with enough of the changed thing for a subscriber to
// decide who may see it without another query.
type Event struct {
	ID             string        `bson:"_id" json:"id"`
	Type           EventType     `bson:"type" json:"type"`
	At             time.Time     `bson:"at" json:"at"`
	ConversationID string        `bson:"conversationId,omitempty" json:"conversationId,omitempty"`
	LineID         string        `bson:"lineId,omitempty" json:"lineId,omitempty"`
	AgentID        string        `bson:"agentId,omitempty" json:"agentId,omitempty"`
	SubjectID      string        `bson:"subjectId,omitempty" json:"subjectId,omitempty"`
	Conversation   *Conversation `bson:"conversation,omitempty" json:"conversation,omitempty"`
	Message        *Message      `bson:"message,omitempty" json:"message,omitempty"`
	Presence       Presence      `bson:"presence,omitempty" json:"presence,omitempty"`
	// Reason says why a presence changed (PresenceReason).
	Reason PresenceReason `bson:"reason,omitempty" json:"reason,omitempty"`
	// Typing is set on EventTyping while someone types; Seq on EventRead
	// is the last message seq they have read.
	Typing bool  `bson:"typing,omitempty" json:"typing,omitempty"`
	Seq    int64 `bson:"seq,omitempty" json:"seq,omitempty"`
}

// EventSink receives every change after it is stored.
type EventSink interface {
	Publish(ctx context.Context, ev Event) error
}

// Recorder is an in-memory EventSink, for tests and for fan-out within one
// process.
type Recorder struct {
	mu     sync.Mutex
	events []Event
}

// Publish records ev.
func (r *Recorder) Publish(_ context.Context, ev Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
	return nil
}

// Events returns a copy of what was recorded.
func (r *Recorder) Events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

// MultiSink publishes to several sinks in turn; the first error is returned
// after all have been tried.
type MultiSink []EventSink

// Publish sends ev to every sink.
func (m MultiSink) Publish(ctx context.Context, ev Event) error {
	var first error
	for _, s := range m {
		if err := s.Publish(ctx, ev); err != nil && first == nil {
			first = err
		}
	}
	return first
}
