package inbox

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// OpenInput opens a conversation.
type OpenInput struct {
	LineID  string           `json:"lineId"`
	Channel Channel          `json:"channel"`
	Type    ConversationType `json:"type"`
	// ContactID names an existing contact; Contact creates one instead.
	ContactID string        `json:"contactId"`
	Contact   *ContactInput `json:"contact"`
	// SitePage is the URL where the visitor started the chat.
	SitePage   string `json:"sitePage"`
	FormFilled bool   `json:"formFilled"`
	// Message is the first message: the client's for incoming, the
	// agent's for outgoing (required then).
	Message *MessageInput `json:"message"`
}

// MaxURLChars caps stored URLs such as the site page.
const MaxURLChars = 2048

// Open starts a conversation. Incoming ones are opened by the product's
// channels (or an admin's integration); outgoing ones by an agent, who
// writes first and owns the conversation.
func (s *Service) Open(ctx context.Context, a Actor, in OpenInput) (*Conversation, *Message, error) {
	if in.Type == "" {
		in.Type = Incoming
	}
	if in.Channel == "" {
		in.Channel = ChannelLiveChat
	}
	switch {
	case in.Type != Incoming && in.Type != Outgoing:
		return nil, nil, invalid("type", "must be incoming or outgoing")
	case !in.Channel.Valid():
		return nil, nil, invalid("channel", "must be livechat, telegram or email")
	case in.LineID == "":
		return nil, nil, invalid("lineId", "is required")
	case (in.ContactID == "") == (in.Contact == nil):
		return nil, nil, invalid("contactId", "give either contactId or contact")
	case in.Type == Incoming && !a.IsAdmin():
		return nil, nil, fmt.Errorf("incoming conversations come from channels: %w", ErrForbidden)
	case in.Type == Outgoing && (a.AgentID == "" || in.Message == nil):
		return nil, nil, invalid("message", "an outgoing conversation starts with the agent's message")
	}
	if in.SitePage != "" {
		if u, err := url.Parse(in.SitePage); err != nil || u.Host == "" || len(in.SitePage) > MaxURLChars {
			return nil, nil, invalid("sitePage", "must be an absolute URL of at most %d characters", MaxURLChars)
		}
	}
	var first MessageInput
	if in.Message != nil {
		first = *in.Message
		first.AuthorKind = AuthorContact
		if in.Type == Outgoing {
			first.AuthorKind = AuthorAgent
		}
		if first.Attachments == nil {
			first.Attachments = []Attachment{}
		}
		if err := s.checkMessage(&first); err != nil {
			return nil, nil, FieldPrefix("message.", err)
		}
		if first.Subject != "" && (in.Channel != ChannelEmail || first.Comment) {
			return nil, nil, invalid("message.subject", "only e-mail conversations have a subject")
		}
	}
	line, err := s.Line(ctx, in.LineID)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, invalid("lineId", "unknown line")
	} else if err != nil {
		return nil, nil, err
	}
	if in.Type == Outgoing && !a.SeesAll() && !a.InQueue(line) {
		return nil, nil, fmt.Errorf("agent is not in line %s: %w", line.ID, ErrForbidden)
	}
	contact, err := s.contactFor(ctx, a, in)
	if err != nil {
		return nil, nil, err
	}
	if contact.Blocked {
		return nil, nil, ErrBlocked
	}
	now := s.Now()
	c, err := s.insertNumbered(ctx, func(n int64) (*Conversation, error) {
		c := newConversation(newID(), n, line.ID, in.Channel, in.Type, contact, now)
		if in.Channel == ChannelEmail && in.Message != nil {
			c.Subject = strings.TrimSpace(in.Message.Subject)
		}
		c.SitePage, c.FormFilled = in.SitePage, in.FormFilled
		if in.Type == Outgoing {
			if err := c.accept(a.AgentID, now); err != nil {
				return nil, err
			}
		}
		return c, nil
	})
	if err != nil {
		return nil, nil, err
	}
	if err := s.store.RememberLatest(ctx, c); err != nil {
		return nil, nil, err
	}
	s.publish(ctx, Event{Type: EventConversationOpened, ConversationID: c.ID, LineID: c.LineID, AgentID: c.AgentID, Conversation: c})
	if in.Message == nil {
		return c, nil, nil
	}
	m, _, err := s.Append(ctx, System.withAgent(a), c.ID, first)
	if err != nil {
		return nil, nil, fmt.Errorf("first message of conversation %s: %w", c.ID, err)
	}
	c, err = s.loadConversation(ctx, System, c.ID)
	return c, m, err
}

// insertNumbered stores the conversation build makes with the next
// conversation number. The unique index on numbers is the arbiter: where
// the counter gave a number twice (several processes on an engine whose
// increments are not atomic), the insert that lost takes the next number.
func (s *Service) insertNumbered(ctx context.Context, build func(n int64) (*Conversation, error)) (*Conversation, error) {
	for attempt := 0; ; attempt++ {
		n, err := s.store.NextConversationNumber(ctx)
		if err != nil {
			return nil, err
		}
		c, err := build(n)
		if err != nil {
			return nil, err
		}
		err = s.store.InsertConversation(ctx, c)
		if err == nil {
			return c, nil
		}
		if !errors.Is(err, errDuplicateKey) || attempt == maxUpdateAttempts {
			return nil, err
		}
	}
}

// withAgent is the system actor writing on behalf of an agent.
func (a Actor) withAgent(agent Actor) Actor {
	a.AgentID, a.Name = agent.AgentID, agent.Name
	return a
}

func (s *Service) contactFor(ctx context.Context, a Actor, in OpenInput) (*Contact, error) {
	if in.Contact != nil {
		// Agents create contacts only this way, for conversations they open.
		c, err := s.CreateContact(ctx, System, *in.Contact)
		return c, FieldPrefix("contact.", err)
	}
	// An agent opens conversations only with contacts they already see:
	// anybody else's is as unknown as an id that does not exist.
	return s.Contact(ctx, a, in.ContactID)
}

// FieldPrefix qualifies a nested field error's field name.
func FieldPrefix(prefix string, err error) error {
	var fe *FieldError
	if errors.As(err, &fe) {
		return &FieldError{Field: prefix + fe.Field, Message: fe.Message}
	}
	return err
}
