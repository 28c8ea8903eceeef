package inbox

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Inbound mail (connectors/email): a customer's mail joins the
// conversation its thread names — by In-Reply-To, else any id of its
// References, else the token of a reply+TOKEN@ address — or opens a new
// one with its subject. Every mail id the inbox sees points to its
// conversation (store_mailids.go); the mail's own id (its Message-ID, or
// the hash of a mail without one) is the message's ClientID, so the same
// mail delivered twice is stored once.

// MaxMailThread caps the Message-IDs a conversation remembers for the
// References of its replies.
const MaxMailThread = 20

// MailMessage is one inbound mail in the common format.
type MailMessage struct {
	LineID string
	// From is the sender: Email (lower case) and Name.
	From MailAddress
	// MailID is the mail's Message-ID, or "hash:<hex>" when it has none.
	MailID string
	// Thread are the ids the mail answers, best first: In-Reply-To, then
	// References from the newest.
	Thread []string
	// Token is the conversation token of a reply+TOKEN@ recipient.
	Token       string
	Text        string
	Attachments []Attachment
	Meta        MailMeta
}

// mailContactID is the deterministic _id of an e-mail sender's contact.
func mailContactID(email string) string {
	h := sha256.Sum256([]byte(strings.ToLower(email)))
	return "em-" + hex.EncodeToString(h[:12])
}

// MailReceive stores an inbound mail; duplicate says it was stored
// before. A blocked sender's mail opens nothing: ErrBlocked.
func (s *Service) MailReceive(ctx context.Context, in MailMessage) (m *Message, duplicate bool, err error) {
	if in.Attachments == nil {
		in.Attachments = []Attachment{}
	}
	if in.MailID == "" {
		return nil, false, invalid("mailId", "is required")
	}
	email, err := normalEmail("from", in.From.Email)
	if err != nil {
		return nil, false, err
	}
	conv, err := s.mailThread(ctx, in)
	if err != nil {
		return nil, false, err
	}
	var ct *Contact
	if conv != nil {
		// The thread's contact: a visitor answering by mail stays the visitor.
		ct, err = s.store.ContactByID(ctx, conv.ContactID)
	} else {
		ct, err = s.mailContact(ctx, email, in.From.Name)
	}
	if err != nil {
		return nil, false, err
	}
	if ct.Blocked {
		return nil, false, ErrBlocked
	}
	clientID := truncateRunes("mail:"+in.MailID, MaxClientIDChars)
	msg := MessageInput{AuthorKind: AuthorContact, Text: in.Text, Attachments: in.Attachments, ClientID: clientID,
		Refs: ChannelRefs{EmailMessageID: in.MailID}}
	meta := in.Meta
	msg.mail = &meta
	if len(in.Thread) > 0 {
		msg.Refs.EmailInReplyTo = in.Thread[0]
		msg.Refs.EmailReferences = in.Thread
	}
	defer s.visitorLocks.Lock(ct.ID)()
	// Delivered before: the mail's id points to its conversation.
	if convID, err := s.store.ConversationOfMailID(ctx, "mail:"+in.MailID); err == nil {
		if old, err := s.store.MessageByClientID(ctx, convID, clientID); err == nil {
			return old, true, nil
		}
	} else if !errors.Is(err, ErrNotFound) {
		return nil, false, err
	}
	if conv == nil {
		if conv, err = s.openMailConversation(ctx, in, ct); err != nil {
			return nil, false, err
		}
	}
	// The mail's id first: a redelivery after a crash finds this
	// conversation, and the message's ClientID makes it one message.
	if err := s.store.RememberMailID(ctx, "mail:"+in.MailID, conv.ID); err != nil {
		return nil, false, err
	}
	m, dup, err := s.Append(ctx, System, conv.ID, msg)
	if err != nil {
		return nil, false, err
	}
	if !dup {
		if err := s.addToThread(ctx, conv.ID, in.MailID); err != nil {
			return nil, false, err
		}
		if conv.AgentID == "" && conv.Status.Active() {
			if _, err := s.Route(ctx, conv.ID); err != nil {
				s.log.Error("route mail conversation", "conversation", conv.ID, "err", err)
			}
		}
	}
	return m, dup, nil
}

// mailThread finds the open conversation of the line a mail answers; nil
// when none (a deleted or closed one opens a new conversation).
func (s *Service) mailThread(ctx context.Context, in MailMessage) (*Conversation, error) {
	keys := make([]string, 0, len(in.Thread)+1)
	for _, id := range in.Thread {
		if tok := TokenOfMailID(id); tok != "" {
			keys = append(keys, "token:"+tok)
		} else {
			keys = append(keys, "mail:"+id)
		}
	}
	if in.Token != "" {
		keys = append(keys, "token:"+in.Token)
	}
	for _, k := range keys {
		convID, err := s.store.ConversationOfMailID(ctx, k)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		c, err := s.loadConversation(ctx, System, convID)
		if errors.Is(err, ErrNotFound) {
			continue // deleted
		}
		if err != nil {
			return nil, err
		}
		// A live chat is found by its token only: an answer e-mailed to
		// its visitor (MailAbsentVisitor).
		if c.LineID == in.LineID && c.Open() && (c.Channel == ChannelEmail || (c.Channel == ChannelLiveChat && strings.HasPrefix(k, "token:"))) {
			return c, nil
		}
	}
	return nil, nil
}

func (s *Service) openMailConversation(ctx context.Context, in MailMessage, ct *Contact) (*Conversation, error) {
	c, _, err := s.Open(ctx, System, OpenInput{LineID: in.LineID, Channel: ChannelEmail, Type: Incoming, ContactID: ct.ID})
	if err != nil {
		return nil, err
	}
	token := newMailToken()
	subject := truncateRunes(strings.TrimSpace(in.Meta.Subject), 500)
	c, err = s.mutate(ctx, System, c.ID, func(c *Conversation, now time.Time) error {
		c.Subject, c.MailToken = subject, token
		c.touch(now)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, s.store.RememberMailID(ctx, "token:"+token, c.ID)
}

// addToThread remembers a mail id for the References of replies.
func (s *Service) addToThread(ctx context.Context, convID, mailID string) error {
	if strings.HasPrefix(mailID, "hash:") {
		return nil
	}
	_, err := s.mutate(ctx, System, convID, func(c *Conversation, now time.Time) error {
		c.MailThread = append(c.MailThread, mailID)
		if len(c.MailThread) > MaxMailThread {
			c.MailThread = append(c.MailThread[:1], c.MailThread[len(c.MailThread)-MaxMailThread+1:]...)
		}
		return nil
	})
	return err
}

// EnsureMailToken gives an e-mail conversation opened by an agent its
// token; it returns the conversation as it is now.
func (s *Service) EnsureMailToken(ctx context.Context, convID string) (*Conversation, error) {
	c, err := s.loadConversation(ctx, System, convID)
	if err != nil || c.MailToken != "" {
		return c, err
	}
	token := newMailToken()
	c, err = s.mutate(ctx, System, convID, func(c *Conversation, _ time.Time) error {
		if c.MailToken == "" {
			c.MailToken = token
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, s.store.RememberMailID(ctx, "token:"+c.MailToken, c.ID)
}

func newMailToken() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// MailIDOf is the Message-ID (without < >) of a message sent from a
// conversation: it carries the conversation's token, so a reply to it
// finds the conversation even if the mail id index were lost.
func MailIDOf(token, messageID, domain string) string {
	return fmt.Sprintf("sb.%s.%s@%s", token, messageID, domain)
}

// TokenOfMailID is the conversation token in a Message-ID made by
// MailIDOf; "" for anybody else's.
func TokenOfMailID(id string) string {
	rest, ok := strings.CutPrefix(id, "sb.")
	if !ok {
		return ""
	}
	tok, _, ok := strings.Cut(rest, ".")
	if !ok || len(tok) != 16 {
		return ""
	}
	return tok
}

// MessageOfMailID is the message id in a Message-ID made by MailIDOf.
func MessageOfMailID(id string) string {
	rest, ok := strings.CutPrefix(id, "sb.")
	if !ok {
		return ""
	}
	parts := strings.SplitN(rest, ".", 2)
	if len(parts) != 2 {
		return ""
	}
	msg, _, _ := strings.Cut(parts[1], "@")
	return msg
}

// mailContact finds or creates the sender's contact (one per address).
func (s *Service) mailContact(ctx context.Context, email, name string) (*Contact, error) {
	id := mailContactID(email)
	name = truncateRunes(strings.TrimSpace(name), s.limits.NameChars)
	ct, err := s.store.ContactByID(ctx, id)
	if errors.Is(err, ErrNotFound) {
		now := s.Now()
		ct = &Contact{ID: id, Name: name, Email: email, CustomFields: map[string]string{}, CreatedAt: now, UpdatedAt: now}
		err = s.store.InsertContact(ctx, ct)
		if err == nil {
			return ct, nil
		}
		if !errors.Is(err, errDuplicateKey) {
			return nil, err
		}
		ct, err = s.store.ContactByID(ctx, id)
	}
	if err != nil {
		return nil, err
	}
	if (ct.Name == "" && name != "") || ct.Unreachable != "" {
		old := ct.Name
		if ct.Name == "" {
			ct.Name = name
		}
		ct.Unreachable, ct.UpdatedAt = "", s.Now()
		return ct, s.saveContact(ctx, ct, old)
	}
	return ct, nil
}

// MailHTML is an e-mail message of a conversation the actor sees, with
// its sanitised HTML.
func (s *Service) MailHTML(ctx context.Context, a Actor, convID, messageID string) (*Message, error) {
	if _, err := s.loadConversation(ctx, a, convID); err != nil {
		return nil, err
	}
	m, err := s.store.MessageByID(ctx, messageID)
	if errors.Is(err, ErrNotFound) || (err == nil && (m.ConversationID != convID || m.Email == nil || m.Email.HTML == "")) {
		return nil, fmt.Errorf("HTML of message %s: %w", messageID, ErrNotFound)
	}
	return m, err
}
