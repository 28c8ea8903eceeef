package inbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// MessageInput is a message to append.
type MessageInput struct {
	AuthorKind AuthorKind `json:"authorKind"`
	// AuthorID is the contact's or agent's id; for agents it is taken from
	// the actor.
	AuthorID    string       `json:"authorId"`
	AuthorName  string       `json:"authorName"`
	Text        string       `json:"text"`
	Comment     bool         `json:"comment"`
	Attachments []Attachment `json:"attachments"`
	// ClientID makes the append idempotent: the same ClientID in the same
	// conversation returns the message already stored.
	ClientID string      `json:"clientId"`
	Refs     ChannelRefs `json:"refs"`
}

// MaxClientIDChars caps a sender-chosen message id.
const MaxClientIDChars = 128

func (s *Service) checkMessage(in *MessageInput) error {
	if !in.AuthorKind.Valid() {
		return invalid("authorKind", "must be contact, agent, bot or system")
	}
	if err := s.checkText("text", in.Text, s.limits.MessageChars); err != nil {
		return err
	}
	if strings.TrimSpace(in.Text) == "" && len(in.Attachments) == 0 {
		// Whitespace alone is no message.
		return invalid("text", "a message needs text or an attachment")
	}
	if len(in.Attachments) > s.limits.AttachmentsPerMessage {
		return invalid("attachments", "at most %d per message", s.limits.AttachmentsPerMessage)
	}
	for i, at := range in.Attachments {
		if at.FileID == "" || at.Name == "" || at.Size < 0 {
			return invalid(fmt.Sprintf("attachments[%d]", i), "needs fileId, name and size")
		}
		if err := s.checkText(fmt.Sprintf("attachments[%d].name", i), at.Name, s.limits.NameChars); err != nil {
			return err
		}
	}
	if in.Comment && in.AuthorKind != AuthorAgent {
		return invalid("comment", "only agents write comments")
	}
	if err := s.checkText("clientId", in.ClientID, MaxClientIDChars); err != nil {
		return err
	}
	return s.checkText("authorName", in.AuthorName, s.limits.NameChars)
}

// Append adds a message to a conversation and moves its status. It is
// idempotent by ClientID: a retry returns the stored message and
// duplicate=true. Messages get a per-conversation seq that strictly
// increases. The message is stored before the conversation's status moves,
// so a crash in between loses no message.
func (s *Service) Append(ctx context.Context, a Actor, convID string, in MessageInput) (m *Message, duplicate bool, err error) {
	if in.Attachments == nil {
		in.Attachments = []Attachment{}
	}
	if err := s.checkMessage(&in); err != nil {
		return nil, false, err
	}
	switch in.AuthorKind {
	case AuthorAgent:
		if a.AgentID == "" {
			return nil, false, fmt.Errorf("agent messages need a signed-in agent: %w", ErrForbidden)
		}
		in.AuthorID, in.AuthorName = a.AgentID, a.Name
	case AuthorContact, AuthorSystem:
		if !a.IsAdmin() {
			return nil, false, fmt.Errorf("only the product's channels and admins write as %s: %w", in.AuthorKind, ErrForbidden)
		}
	case AuthorBot:
		if !a.SeesAll() {
			return nil, false, fmt.Errorf("bots need a supervisor or admin key: %w", ErrForbidden)
		}
	}
	defer s.convLocks.Lock(convID)()
	c, err := s.loadConversation(ctx, a, convID)
	if err != nil {
		return nil, false, err
	}
	if in.AuthorKind == AuthorContact {
		in.AuthorID = c.ContactID
		if err := s.checkNotBlocked(ctx, c.ContactID); err != nil {
			return nil, false, err
		}
	}
	if in.ClientID == "" {
		in.ClientID = "srv-" + newID()
	}
	if !c.Open() && !in.Comment {
		// A retry of a message stored before the close is still answered.
		if old, err := s.messageByClientID(ctx, convID, in.ClientID); err == nil {
			return sameRetry(old, in)
		}
		return nil, false, conflict("conversation is %s", c.Status)
	}
	if c.AgentID != "" && c.AgentID != a.AgentID && in.AuthorKind == AuthorAgent && !a.SeesAll() {
		return nil, false, ErrForbidden
	}
	m = &Message{
		ID: messageID(convID, in.ClientID), ConversationID: convID, AuthorKind: in.AuthorKind, AuthorID: in.AuthorID,
		AuthorName: in.AuthorName, Text: in.Text, Comment: in.Comment, Attachments: in.Attachments,
		ClientID: in.ClientID, Refs: in.Refs, CreatedAt: s.Now(),
	}
	old, err := s.insertMessage(ctx, m, c.Seq+1)
	if err != nil {
		return nil, false, err
	}
	if old != nil && !old.sameAs(in) {
		return nil, false, reusedClientID(in.ClientID)
	}
	if old != nil && old.Seq <= c.Seq {
		return old, true, nil
	}
	duplicate = old != nil
	if duplicate {
		m = old // a retry of a message stored before a crash but never applied: apply it now
	}
	// Messages stored after the conversation's seq but never applied (the
	// process died between the two writes) are applied now, in order.
	var missed []Message
	if m.Seq > c.Seq+1 {
		if missed, err = s.store.messagesBetween(ctx, convID, c.Seq, m.Seq); err != nil {
			return nil, false, err
		}
	}
	var repaired []*Message
	conv, err := s.mutateFrom(ctx, System, convID, c, func(c *Conversation, _ time.Time) error {
		repaired = repaired[:0]
		for i := range missed {
			if missed[i].Seq > c.Seq {
				c.applyMessage(&missed[i])
				repaired = append(repaired, &missed[i])
			}
		}
		c.Seq = max(c.Seq, m.Seq)
		c.applyMessage(m)
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("apply message %s: %w", m.ID, err)
	}
	// A repaired message was never announced: its sender got an error, and
	// its retry will find it already applied.
	for _, r := range append(repaired, m) {
		s.publish(ctx, Event{Type: EventMessageCreated, ConversationID: convID, LineID: conv.LineID, AgentID: conv.AgentID, Message: r})
	}
	return m, duplicate, nil
}

// sameRetry answers a retry found stored: the stored message, or
// ErrClientIDReused when the "retry" says something else.
func sameRetry(old *Message, in MessageInput) (*Message, bool, error) {
	if !old.sameAs(in) {
		return nil, false, reusedClientID(in.ClientID)
	}
	return old, true, nil
}

func reusedClientID(id string) error {
	return fmt.Errorf("clientId %q: %w", id, ErrClientIDReused)
}

// sameAs reports whether in is a retry of m: the same text, comment flag
// and attached files.
func (m *Message) sameAs(in MessageInput) bool {
	if m.Text != in.Text || m.Comment != in.Comment || len(m.Attachments) != len(in.Attachments) {
		return false
	}
	for i := range m.Attachments {
		if m.Attachments[i].FileID != in.Attachments[i].FileID {
			return false
		}
	}
	return true
}

// insertMessage stores m with seq, the conversation's next one. The unique
// indexes decide races: a taken client id means a retry, so the stored
// message is returned; a taken seq means another node (or a crash between
// insert and status update) moved on, so the next free seq is used.
func (s *Service) insertMessage(ctx context.Context, m *Message, seq int64) (existing *Message, err error) {
	for attempt := 0; attempt < maxUpdateAttempts; attempt++ {
		m.Seq = seq
		_, err := s.store.messages.InsertOne(ctx, m)
		if err == nil {
			return nil, nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return nil, fmt.Errorf("store: insert message: %w", err)
		}
		old, lerr := s.messageByClientID(ctx, m.ConversationID, m.ClientID)
		if lerr == nil {
			return old, nil
		}
		if !errors.Is(lerr, ErrNotFound) {
			return nil, lerr
		}
		if seq, err = s.store.lastSeq(ctx, m.ConversationID); err != nil {
			return nil, err
		}
		seq++
	}
	return nil, fmt.Errorf("conversation %s: no free seq after %d attempts: %w", m.ConversationID, maxUpdateAttempts, ErrConflict)
}

// messagesBetween lists a conversation's messages with after < seq < before.
func (s *Store) messagesBetween(ctx context.Context, convID string, after, before int64) ([]Message, error) {
	return findAll[Message](ctx, s.messages, bson.M{"conversationId": convID, "seq": bson.M{"$gt": after, "$lt": before}},
		options.Find().SetSort(bson.D{{Key: "seq", Value: 1}}))
}

// lastSeq is the highest stored message seq of a conversation.
func (s *Store) lastSeq(ctx context.Context, convID string) (int64, error) {
	var last Message
	err := s.messages.FindOne(ctx, bson.M{"conversationId": convID},
		options.FindOne().SetSort(bson.D{{Key: "seq", Value: -1}})).Decode(&last)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: last seq of %s: %w", convID, err)
	}
	return last.Seq, nil
}

// messageID is a message's _id: derived from its conversation and client
// id, so that finding a retry is a lookup by _id (the one lookup the
// embedded engine answers from an index), and a retry racing its original
// collides on _id. 24 hex digits, the shape of the ids before it.
func messageID(convID, clientID string) string {
	h := sha256.Sum256([]byte(convID + "\x00" + clientID))
	return hex.EncodeToString(h[:12])
}

func (s *Service) messageByClientID(ctx context.Context, convID, clientID string) (*Message, error) {
	var m Message
	err := findOne(ctx, s.store.messages, messageID(convID, clientID), &m)
	if err == nil && m.ConversationID == convID && m.ClientID == clientID {
		return &m, nil
	}
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	// Messages stored before ids were derived have random ids.
	err = s.store.messages.FindOne(ctx, bson.M{"conversationId": convID, "clientId": clientID}).Decode(&m)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: find message by client id: %w", err)
	}
	return &m, nil
}

func (s *Service) checkNotBlocked(ctx context.Context, contactID string) error {
	var ct Contact
	if err := findOne(ctx, s.store.contacts, contactID, &ct); err != nil {
		return err
	}
	if ct.Blocked {
		return ErrBlocked
	}
	return nil
}

// Messages lists a conversation's messages with seq greater than afterSeq,
// oldest first. Comments are included: only agents read this.
func (s *Service) Messages(ctx context.Context, a Actor, convID string, afterSeq int64, limit int) ([]Message, error) {
	if _, err := s.loadConversation(ctx, a, convID); err != nil {
		return nil, err
	}
	return findAll[Message](ctx, s.store.messages, bson.M{"conversationId": convID, "seq": bson.M{"$gt": afterSeq}},
		options.Find().SetSort(bson.D{{Key: "seq", Value: 1}}).SetLimit(int64(clampLimit(limit, s.limits.ListMax*5))))
}
