package inbox

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Inbound messages of the connectors (Telegram today): a customer writes
// on a channel, the connector translates it into a ChannelMessage, and
// ChannelReceive finds or creates the contact, finds their open
// conversation on the line or opens one (and routes it), and appends the
// message. The channel's own id of the message is its ClientID, so the
// same message delivered again — a redelivered update, a restart before
// the channel's offset was confirmed — is stored once.

// ChannelContact is the customer as the channel names them.
type ChannelContact struct {
	// TelegramUserID identifies a Telegram user.
	TelegramUserID int64
	// Username is the channel's handle (Telegram's @username, without @).
	Username string
	Name     string
	// Phone is the customer's own number, when they shared it.
	Phone string
}

// key is the contact's deterministic _id: one contact per channel user,
// found by _id (the embedded engine's one indexed lookup), and two
// deliveries racing to create it collide on it.
func (cc ChannelContact) key() (string, error) {
	if cc.TelegramUserID != 0 {
		return "tg-" + strconv.FormatInt(cc.TelegramUserID, 10), nil
	}
	return "", invalid("from", "names no channel user")
}

// ChannelMessage is one inbound message in the common format.
type ChannelMessage struct {
	LineID  string
	Channel Channel
	From    ChannelContact
	// AuthorName names the sender where the contact is a group.
	AuthorName string
	// ClientID is the channel's own id of the message (for Telegram
	// "tg:<chat>:<message>", for an album "tg-album:<chat>:<group>").
	ClientID    string
	Text        string
	Attachments []Attachment
	Refs        ChannelRefs
	// ReplyTo is the ClientID of the message this one answers.
	ReplyTo string
	// StartParam is stored on the conversation the message opens or joins
	// (Telegram's /start payload).
	StartParam string
	// AlbumPart is the channel's id of this part of an album: the message
	// named by ClientID gets the part's attachments added once.
	AlbumPart int
}

// ChannelReceive stores an inbound message; duplicate says it was stored
// before (nothing changed). A blocked contact's message opens nothing:
// ErrBlocked.
func (s *Service) ChannelReceive(ctx context.Context, in ChannelMessage) (m *Message, duplicate bool, err error) {
	if in.Attachments == nil {
		in.Attachments = []Attachment{}
	}
	if in.ClientID == "" {
		return nil, false, invalid("clientId", "is required")
	}
	ct, err := s.channelContact(ctx, in.From)
	if err != nil {
		return nil, false, err
	}
	if ct.Blocked {
		return nil, false, ErrBlocked
	}
	msg := MessageInput{AuthorKind: AuthorContact, AuthorName: truncateRunes(in.AuthorName, s.limits.NameChars), Text: in.Text, Attachments: in.Attachments, ClientID: in.ClientID, Refs: in.Refs}
	defer s.visitorLocks.Lock(ct.ID)()
	conv, err := s.CurrentConversation(ctx, ct.ID, in.LineID, in.Channel)
	if errors.Is(err, ErrNotFound) {
		conv = nil
	} else if err != nil {
		return nil, false, err
	}
	if in.AlbumPart != 0 {
		if m, dup, err := s.addAlbumPart(ctx, ct.ID, in); err == nil || !errors.Is(err, ErrNotFound) {
			return m, dup, err
		}
	}
	if conv == nil {
		// A redelivery of a message stored before its conversation closed
		// is answered from there rather than stored again.
		if last, err := s.LatestConversation(ctx, ct.ID, in.LineID, in.Channel); err == nil {
			if old, err := s.store.MessageByClientID(ctx, last.ID, in.ClientID); err == nil {
				return old, true, nil
			}
		}
	}
	if in.ReplyTo != "" && conv != nil {
		if q, err := s.store.MessageByClientID(ctx, conv.ID, in.ReplyTo); err == nil {
			msg.replyTo = quoteOf(q)
		}
	}
	if conv != nil {
		m, dup, err := s.Append(ctx, System, conv.ID, msg)
		if err != nil {
			return nil, false, err
		}
		if in.StartParam != "" && !dup {
			if err := s.setStartParam(ctx, conv.ID, in.StartParam); err != nil {
				return nil, false, err
			}
		}
		if !dup && conv.AgentID == "" && conv.Status.Active() {
			if _, rerr := s.Route(ctx, conv.ID); rerr != nil {
				s.log.Error("route waiting conversation", "conversation", conv.ID, "err", rerr)
			}
		}
		return m, dup, nil
	}
	conv, m, err = s.Open(ctx, System, OpenInput{LineID: in.LineID, Channel: in.Channel, Type: Incoming, ContactID: ct.ID, Message: &msg})
	if err != nil {
		return nil, false, unprefixMessage(err)
	}
	if in.StartParam != "" {
		if err := s.setStartParam(ctx, conv.ID, in.StartParam); err != nil {
			return nil, false, err
		}
	}
	if _, err := s.Route(ctx, conv.ID); err != nil {
		s.log.Error("route new conversation", "conversation", conv.ID, "err", err)
	}
	return m, false, nil
}

// MaxStartParamChars caps a stored deep-link payload (Telegram allows 64).
const MaxStartParamChars = 256

func (s *Service) setStartParam(ctx context.Context, convID, p string) error {
	if len(p) > MaxStartParamChars {
		p = p[:MaxStartParamChars]
	}
	_, err := s.mutate(ctx, System, convID, func(c *Conversation, now time.Time) error {
		c.StartParam = p
		c.touch(now)
		return nil
	})
	return err
}

// channelContact finds the channel user's contact, creating it on their
// first message, and records a changed name, handle or phone.
func (s *Service) channelContact(ctx context.Context, cc ChannelContact) (*Contact, error) {
	id, err := cc.key()
	if err != nil {
		return nil, err
	}
	name := truncateRunes(cc.Name, s.limits.NameChars)
	ct, err := s.store.ContactByID(ctx, id)
	if errors.Is(err, ErrNotFound) {
		now := s.Now()
		ct = &Contact{ID: id, Name: name, Phone: cc.Phone, CustomFields: map[string]string{},
			TelegramUserID: cc.TelegramUserID, TelegramUsername: cc.Username, CreatedAt: now, UpdatedAt: now}
		err = s.store.InsertContact(ctx, ct)
		if err == nil {
			return ct, nil
		}
		if !errors.Is(err, errDuplicateKey) {
			return nil, err
		}
		ct, err = s.store.ContactByID(ctx, id) // created by a concurrent delivery
	}
	if err != nil {
		return nil, err
	}
	changed, old := false, ct.Name
	if cc.Username != ct.TelegramUsername {
		ct.TelegramUsername, changed = cc.Username, true
	}
	if cc.Phone != "" && cc.Phone != ct.Phone {
		ct.Phone, changed = cc.Phone, true
	}
	if ct.Name == "" && name != "" {
		ct.Name, changed = name, true
	}
	if ct.Unreachable != "" {
		ct.Unreachable, changed = "", true // they wrote: the channel works again
	}
	if !changed {
		return ct, nil
	}
	ct.UpdatedAt = s.Now()
	return ct, s.saveContact(ctx, ct, old)
}

func truncateRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// quoteOf is the quote of m shown above a reply.
func quoteOf(m *Message) *Quote {
	return &Quote{MessageID: m.ID, AuthorName: m.AuthorName, Text: truncateRunes(m.Text, 200)}
}

// addAlbumPart adds an album part's attachments to the album's message,
// once per part; ErrNotFound when the album has no message yet.
func (s *Service) addAlbumPart(ctx context.Context, contactID string, in ChannelMessage) (*Message, bool, error) {
	conv, err := s.LatestConversation(ctx, contactID, in.LineID, in.Channel)
	if err != nil {
		return nil, false, err
	}
	return s.updateMessage(ctx, conv.ID, in.ClientID, func(m *Message, _ time.Time) (bool, error) {
		for _, p := range m.Refs.TelegramParts {
			if p == in.AlbumPart {
				return false, nil
			}
		}
		if len(m.Attachments)+len(in.Attachments) > s.limits.AttachmentsPerMessage {
			return false, invalid("attachments", "at most %d per message", s.limits.AttachmentsPerMessage)
		}
		m.Refs.TelegramParts = append(m.Refs.TelegramParts, in.AlbumPart)
		m.Attachments = append(m.Attachments, in.Attachments...)
		if m.Text == "" && in.Text != "" {
			m.Text = in.Text // the album's caption may come with any part
		}
		return true, nil
	})
}

// ChannelEdit records that the customer changed the text of a message
// they sent (Telegram's edited_message): the text changes, the earlier
// one is kept, and agents see it change. A message the inbox never got is
// ErrNotFound; an edit that changes nothing changes nothing.
func (s *Service) ChannelEdit(ctx context.Context, lineID string, ch Channel, from ChannelContact, clientID, text string, at time.Time) (*Message, error) {
	id, err := from.key()
	if err != nil {
		return nil, err
	}
	if err := s.checkText("text", text, s.limits.MessageChars); err != nil {
		return nil, err
	}
	conv, err := s.LatestConversation(ctx, id, lineID, ch)
	if err != nil {
		return nil, err
	}
	m, _, err := s.updateMessage(ctx, conv.ID, clientID, func(m *Message, now time.Time) (bool, error) {
		if m.Text == text {
			return false, nil
		}
		m.Edits = append(m.Edits, Edit{Text: m.Text, At: m.CreatedAt})
		if m.EditedAt != nil {
			m.Edits[len(m.Edits)-1].At = *m.EditedAt
		}
		m.Text = text
		if at.IsZero() {
			at = now
		}
		m.EditedAt = &at
		return true, nil
	})
	return m, err
}

// updateMessage changes a stored message under its conversation's lock
// and tells the agents; change says whether it changed anything
// (unchanged: duplicate=true, nothing written).
func (s *Service) updateMessage(ctx context.Context, convID, clientID string, change func(m *Message, now time.Time) (bool, error)) (*Message, bool, error) {
	return s.changeMessage(ctx, convID, func() (*Message, error) { return s.store.MessageByClientID(ctx, convID, clientID) }, change)
}

// updateMessageByID is updateMessage for a message known by its id.
func (s *Service) updateMessageByID(ctx context.Context, convID, id string, change func(m *Message, now time.Time) (bool, error)) (*Message, bool, error) {
	return s.changeMessage(ctx, convID, func() (*Message, error) { return s.store.MessageByID(ctx, id) }, change)
}

func (s *Service) changeMessage(ctx context.Context, convID string, load func() (*Message, error), change func(m *Message, now time.Time) (bool, error)) (*Message, bool, error) {
	defer s.convLocks.Lock(convID)()
	m, err := load()
	if err == nil && m.ConversationID != convID {
		err = fmt.Errorf("message %s of another conversation: %w", m.ID, ErrNotFound)
	}
	if err != nil {
		return nil, false, err
	}
	changed, err := change(m, s.Now())
	if err != nil || !changed {
		return m, !changed, err
	}
	if err := s.store.ReplaceMessage(ctx, m); err != nil {
		return nil, false, err
	}
	c, err := s.loadConversation(ctx, System, convID)
	if err != nil {
		return nil, false, fmt.Errorf("message %s changed: %w", m.ID, err)
	}
	s.publish(ctx, Event{Type: EventMessageUpdated, ConversationID: convID, LineID: c.LineID, AgentID: c.AgentID, Message: m})
	return m, false, nil
}
