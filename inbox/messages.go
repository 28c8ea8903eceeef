package inbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
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
	// Subject is the subject of an agent's reply in an e-mail
	// conversation; empty: "Re: " and the conversation's subject.
	Subject string `json:"subject"`
	// replyTo quotes the message this one answers, mail is an inbound
	// mail's envelope (set by channels).
	replyTo *Quote
	mail    *MailMeta
}

// MaxSubjectChars caps an e-mail subject.
const MaxSubjectChars = 500

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
	if err := s.checkText("subject", in.Subject, MaxSubjectChars); err != nil {
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
		if old, err := s.store.MessageByClientID(ctx, convID, in.ClientID); err == nil {
			return sameRetry(old, in)
		}
		return nil, false, conflict("conversation is %s", c.Status)
	}
	// An invisible rescuer answering a missed conversation takes it (it
	// could see it only as a rescue: loadConversation checked).
	rescue := false
	if c.AgentID != "" && c.AgentID != a.AgentID && in.AuthorKind == AuthorAgent && !a.SeesAll() {
		if !a.Rescue || c.MissedAt == nil || in.Comment {
			return nil, false, ErrForbidden
		}
		rescue = true
	}
	m = &Message{
		ID: messageID(convID, in.ClientID), ConversationID: convID, AuthorKind: in.AuthorKind, AuthorID: in.AuthorID,
		AuthorName: in.AuthorName, Text: in.Text, Comment: in.Comment, Attachments: in.Attachments,
		ClientID: in.ClientID, Refs: in.Refs, CreatedAt: s.Now(), ReplyTo: in.replyTo, Email: in.mail,
	}
	if in.Subject != "" && (c.Channel != ChannelEmail || in.Comment) {
		return nil, false, invalid("subject", "only replies in e-mail conversations have a subject")
	}
	if c.Channel == ChannelEmail && (in.AuthorKind == AuthorAgent || in.AuthorKind == AuthorBot) && !in.Comment && m.Email == nil {
		m.Email = &MailMeta{Subject: replySubject(in.Subject, c.Subject)}
	}
	delivers := s.deliversTo(c.Channel) && !m.Comment && (m.AuthorKind == AuthorAgent || m.AuthorKind == AuthorBot)
	if delivers {
		// The job first: a crash before the message leaves a job the
		// worker drops, never a reply nobody sends.
		if err := s.queueDelivery(ctx, c, m); err != nil && !errors.Is(err, errDuplicateKey) {
			return nil, false, err
		}
	}
	old, err := s.insertMessage(ctx, m, c.Seq+1)
	if err != nil {
		return nil, false, err
	}
	if old != nil && !old.sameAs(in) {
		return nil, false, reusedClientID(in.ClientID)
	}
	if old != nil && old.Seq <= c.Seq {
		if !s.store.Exclusive() {
			// Several gateways: the one that stored it may have died
			// before announcing it, and this retry is the sender's only
			// word of it. Announced again (clients skip a seq they show),
			// with the conversation as it stands: if the message opened
			// it, lists elsewhere may not have heard of it either.
			s.publish(ctx, Event{Type: EventConversationUpdated, ConversationID: convID, LineID: c.LineID, AgentID: c.AgentID, Conversation: c})
			s.publish(ctx, Event{Type: EventMessageCreated, ConversationID: convID, LineID: c.LineID, AgentID: c.AgentID, Message: old})
		}
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
		if missed, err = s.store.MessagesBetween(ctx, convID, c.Seq, m.Seq); err != nil {
			return nil, false, err
		}
	}
	var repaired []*Message
	// The message is durable: its conversation's change is written behind
	// it (at once on MongoDB), and made again from it after a crash.
	conv, err := s.mutateWith(ctx, System, convID, c, s.store.ReplaceConversationBehind, func(c *Conversation, _ time.Time) error {
		repaired = repaired[:0]
		for i := range missed {
			if missed[i].Seq > c.Seq {
				c.applyMessage(&missed[i])
				repaired = append(repaired, &missed[i])
			}
		}
		c.Seq = max(c.Seq, m.Seq)
		if rescue && m.AuthorKind == AuthorAgent {
			c.AgentID = m.AuthorID
		}
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
	if delivers {
		s.wakeDelivery(conv.LineID, conv.Channel)
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
		err := s.store.InsertMessage(ctx, m)
		if err == nil {
			return nil, nil
		}
		if !errors.Is(err, errDuplicateKey) {
			return nil, err
		}
		old, lerr := s.store.MessageByClientID(ctx, m.ConversationID, m.ClientID)
		if lerr == nil {
			return old, nil
		}
		if !errors.Is(lerr, ErrNotFound) {
			return nil, lerr
		}
		if seq, err = s.store.LastSeq(ctx, m.ConversationID); err != nil {
			return nil, err
		}
		seq++
	}
	return nil, fmt.Errorf("conversation %s: no free seq after %d attempts: %w", m.ConversationID, maxUpdateAttempts, ErrConflict)
}

// messageID is a message's _id: derived from its conversation and client
// id, so that finding a retry is a lookup by _id (the one lookup the
// embedded engine answers from an index), and a retry racing its original
// collides on _id. 24 hex digits, the shape of the ids before it.
func messageID(convID, clientID string) string {
	h := sha256.Sum256([]byte(convID + "\x00" + clientID))
	return hex.EncodeToString(h[:12])
}

func (s *Service) checkNotBlocked(ctx context.Context, contactID string) error {
	blocked, err := s.store.ContactBlocked(ctx, contactID)
	if err != nil {
		return err
	}
	if blocked {
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
	return s.store.MessagesAfter(ctx, convID, afterSeq, clampLimit(limit, s.limits.ListMax*5))
}

// replySubject is a reply's subject: the agent's, or "Re: " and the
// conversation's (not doubling a "Re:" a client added).
func replySubject(given, conv string) string {
	if given = strings.TrimSpace(given); given != "" {
		return given
	}
	if conv == "" {
		return ""
	}
	low := strings.ToLower(conv)
	for _, p := range []string{"re:", "aw:", "odp:", "ответ:"} {
		if strings.HasPrefix(low, p) {
			return conv
		}
	}
	return "Re: " + conv
}
