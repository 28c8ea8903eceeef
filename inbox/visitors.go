package inbox

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Visitor is a website visitor acting through the widget: the contact a
// signed visitor token speaks for, on one line. Every visitor operation
// below checks that what it touches is the visitor's own: their contact,
// their live chats on their line, the visible messages of those.
type Visitor struct {
	ContactID string
	LineID    string
}

// VisitorIdentity is what a visitor's page says about them: setUser's
// user id (Verified when its HMAC was checked), name and e-mail, and the
// client address (given only where blocking by address is on).
type VisitorIdentity struct {
	UserID   string
	Verified bool
	Name     string
	Email    string
	Address  string
}

// FieldFormFilledAt is the contact's custom field that records when the
// visitor sent the contact form.
const FieldFormFilledAt = "formFilledAt"

// StartVisitor gives a new visitor of line their contact, named name
// unless the identity names them. A visitor whose identity (verified user
// id, e-mail or address) belongs to a blocked contact gets a new contact
// that is blocked from the start: they stay blocked, and learn nothing of
// the blocked contact (an e-mail or address is easily claimed).
func (s *Service) StartVisitor(ctx context.Context, lineID, name string, id VisitorIdentity) (*Contact, error) {
	email := ""
	if id.Email != "" {
		e, err := normalEmail("email", id.Email)
		if err != nil {
			return nil, FieldPrefix("user.", err)
		}
		email = e
	}
	blocked, err := s.blockedContact(ctx, identityKeys(id.UserID, id.Verified, email, id.Address))
	if err != nil {
		return nil, err
	}
	c := &Contact{Name: name}
	in := identityChanges(c, id)
	if in.Name == nil {
		in.Name = &name
	}
	ct, err := s.CreateContact(ctx, System, in)
	if err != nil {
		return nil, FieldPrefix("user.", err)
	}
	if id.Address != "" || blocked != nil {
		ct.Address, ct.Blocked = id.Address, blocked != nil
		if err := s.saveContact(ctx, ct, ct.Name); err != nil {
			return nil, err
		}
	}
	if blocked != nil {
		s.log.Info("blocked visitor came back with a new token", "blocked", blocked.ID, "contact", ct.ID)
	}
	return ct, nil
}

// ResumeVisitor is the contact of a returning visitor, with what the
// identity says now recorded. It is nil when the contact is gone or is
// another user's (a shared browser): the caller starts a new visitor.
func (s *Service) ResumeVisitor(ctx context.Context, v Visitor, id VisitorIdentity) (*Contact, error) {
	ct, err := s.store.ContactByID(ctx, v.ContactID)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if id.UserID != "" && ct.CustomFields[FieldUserID] != "" && ct.CustomFields[FieldUserID] != id.UserID {
		return nil, nil // another user on a shared browser: do not mix histories
	}
	in := identityChanges(ct, id)
	if in == (ContactInput{}) && (id.Address == "" || id.Address == ct.Address) {
		return ct, nil
	}
	old := ct.Name
	if err := s.applyContactInput(ct, in); err != nil {
		return nil, FieldPrefix("user.", err)
	}
	if id.Address != "" {
		ct.Address = id.Address
	}
	if err := s.saveContact(ctx, ct, old); err != nil {
		return nil, err
	}
	if ct.Blocked {
		// New identities of a blocked visitor block too.
		return ct, s.store.RecordBlocks(ctx, ct, s.Now())
	}
	return ct, nil
}

// identityChanges is what setUser changes on a contact: the user id (and
// whether it was verified) as custom fields, the name and e-mail if given.
func identityChanges(ct *Contact, id VisitorIdentity) ContactInput {
	var in ContactInput
	if id.UserID != "" {
		fields := make(map[string]string, len(ct.CustomFields)+2)
		for k, v := range ct.CustomFields {
			fields[k] = v
		}
		fields[FieldUserID] = id.UserID
		if id.Verified {
			fields[FieldUserVerified] = "true"
		}
		if fields[FieldUserID] != ct.CustomFields[FieldUserID] || fields[FieldUserVerified] != ct.CustomFields[FieldUserVerified] {
			in.CustomFields = &fields
		}
	}
	if id.Name != "" && id.Name != ct.Name {
		in.Name = &id.Name
	}
	if id.Email != "" && !strings.EqualFold(id.Email, ct.Email) {
		in.Email = &id.Email
	}
	return in
}

// VisitorContactForm records the contact form: the name and e-mail given,
// and "form filled" on the open conversation (and on the contact, so a
// conversation opened after the form is "form filled" too).
func (s *Service) VisitorContactForm(ctx context.Context, v Visitor, name, email *string) (*Contact, error) {
	old, err := s.store.ContactByID(ctx, v.ContactID)
	if err != nil {
		return nil, err
	}
	fields := make(map[string]string, len(old.CustomFields)+1)
	for k, val := range old.CustomFields {
		fields[k] = val
	}
	fields[FieldFormFilledAt] = s.Now().Format(time.RFC3339)
	ct, err := s.UpdateContact(ctx, System, v.ContactID, ContactInput{Name: name, Email: email, CustomFields: &fields})
	if err != nil {
		return nil, err
	}
	conv, err := s.VisitorCurrent(ctx, v)
	if err != nil || conv == nil {
		return ct, err
	}
	filled := true
	if _, err := s.SetFlags(ctx, conv.ID, Flags{FormFilled: &filled}); err != nil {
		return nil, err
	}
	return ct, nil
}

// VisitorCurrent is the visitor's open live chat on their line, or nil.
func (s *Service) VisitorCurrent(ctx context.Context, v Visitor) (*Conversation, error) {
	c, err := s.CurrentConversation(ctx, v.ContactID, v.LineID, ChannelLiveChat)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	return c, err
}

// VisitorLatest is the visitor's newest live chat on their line, open or
// not; ErrNotFound when they have none.
func (s *Service) VisitorLatest(ctx context.Context, v Visitor) (*Conversation, error) {
	return s.LatestConversation(ctx, v.ContactID, v.LineID, ChannelLiveChat)
}

// VisitorConversation loads one of the visitor's live chats on their
// line; anybody else's is "not found".
func (s *Service) VisitorConversation(ctx context.Context, v Visitor, id string) (*Conversation, error) {
	c, err := s.loadConversation(ctx, System, id)
	if err != nil {
		return nil, err
	}
	if c.ContactID != v.ContactID || c.LineID != v.LineID || c.Channel != ChannelLiveChat {
		return nil, fmt.Errorf("conversation %s of another visitor: %w", id, ErrNotFound)
	}
	return c, nil
}

// VisitorMessages lists what the visitor may see of one of their
// conversations: every message but agents' comments, seq > after, oldest
// first, at most limit.
func (s *Service) VisitorMessages(ctx context.Context, v Visitor, convID string, after int64, limit int) ([]Message, error) {
	if _, err := s.VisitorConversation(ctx, v, convID); err != nil {
		return nil, err
	}
	return s.VisibleMessages(ctx, convID, after, limit)
}

// VisitorMessage is what a visitor sends: Attachments must already be
// checked as the visitor's own uploads.
type VisitorMessage struct {
	ClientID    string
	Text        string
	Attachments []Attachment
	// Page is where the visitor is; it becomes a new conversation's site page.
	Page string
}

// VisitorSend stores a visitor's message. With no open conversation it
// opens one (incoming live chat, the page as its site page) and routes it
// to an agent; a retry returns the message stored the first time.
func (s *Service) VisitorSend(ctx context.Context, v Visitor, vm VisitorMessage) (*Message, error) {
	if vm.ClientID == "" {
		return nil, invalid("clientId", "is required")
	}
	if vm.Attachments == nil {
		vm.Attachments = []Attachment{}
	}
	msg := MessageInput{AuthorKind: AuthorContact, Text: vm.Text, Attachments: vm.Attachments, ClientID: vm.ClientID}
	// One visitor's tabs must not open two conversations at once.
	defer s.visitorLocks.Lock(v.ContactID)()
	conv, err := s.VisitorCurrent(ctx, v)
	if err != nil {
		return nil, err
	}
	if conv != nil {
		m, _, err := s.Append(ctx, System, conv.ID, msg)
		if err == nil && conv.AgentID == "" && conv.Status.Active() {
			// Still in the queue (nobody was online, or routing failed when
			// it opened): offer it again now that the visitor wrote.
			if _, rerr := s.Route(ctx, conv.ID); rerr != nil {
				s.log.Error("route waiting conversation", "conversation", conv.ID, "err", rerr)
			}
		}
		return m, err
	}
	// A retry of a message stored before its conversation closed is
	// answered from there rather than stored again in a new one.
	last, err := s.VisitorLatest(ctx, v)
	switch {
	case err == nil:
		m, _, err := s.Append(ctx, System, last.ID, msg)
		if err == nil || !errors.Is(err, ErrConflict) || errors.Is(err, ErrClientIDReused) {
			return m, err
		}
	case !errors.Is(err, ErrNotFound):
		return nil, err
	}
	page := vm.Page
	if u, err := url.Parse(page); page != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(page) > MaxURLChars) {
		page = "" // a bad page URL is no reason to lose the message
	}
	formFilled := false
	if ct, err := s.store.ContactByID(ctx, v.ContactID); err == nil {
		formFilled = ct.CustomFields[FieldFormFilledAt] != ""
	}
	conv, m, err := s.Open(ctx, System, OpenInput{
		LineID: v.LineID, Channel: ChannelLiveChat, Type: Incoming,
		ContactID: v.ContactID, SitePage: page, FormFilled: formFilled, Message: &msg,
	})
	if err != nil {
		return nil, unprefixMessage(err)
	}
	if _, err := s.Route(ctx, conv.ID); err != nil {
		// The message is stored and the conversation waits in the queue.
		s.log.Error("route new conversation", "conversation", conv.ID, "err", err)
	}
	return m, nil
}

// unprefixMessage drops Open's "message." from a field error: for the
// visitor it is their message's field.
func unprefixMessage(err error) error {
	var fe *FieldError
	if errors.As(err, &fe) && strings.HasPrefix(fe.Field, "message.") {
		return &FieldError{Field: strings.TrimPrefix(fe.Field, "message."), Message: fe.Message}
	}
	return err
}

// VisitorRate stores the visitor's rating of their closing or closed
// conversation; a closing one is closed by it.
func (s *Service) VisitorRate(ctx context.Context, v Visitor, rating int) error {
	if rating < 1 || rating > 5 {
		return invalid("rating", "must be 1 to 5")
	}
	conv, err := s.VisitorLatest(ctx, v)
	if err != nil {
		return err
	}
	if conv.Status.Active() || conv.Status == StatusSpam {
		return conflict("conversation %s is %s, not closing", conv.ID, conv.Status)
	}
	if _, err := s.RateByClient(ctx, System, conv.ID, rating); err != nil {
		return fmt.Errorf("rate %s: %w", conv.ID, err)
	}
	return nil
}

// VisitorTranscript records that the visitor asked for the transcript of
// their latest conversation ("history requested") and the e-mail address
// it should go to. Asking again for the same changes nothing.
func (s *Service) VisitorTranscript(ctx context.Context, v Visitor, email string) error {
	conv, err := s.VisitorLatest(ctx, v)
	if err != nil {
		return err
	}
	if email != "" {
		e, err := normalEmail("email", email)
		if err != nil {
			return err
		}
		ct, err := s.store.ContactByID(ctx, v.ContactID)
		if err != nil {
			return err
		}
		if ct.Email != e {
			if _, err := s.UpdateContact(ctx, System, v.ContactID, ContactInput{Email: &e}); err != nil {
				return err
			}
		}
	}
	if email != "" {
		if err := s.queueVisitorTranscript(ctx, conv, email); err != nil {
			return err
		}
	}
	if conv.HistoryRequested {
		return nil
	}
	yes := true
	if _, err := s.SetFlags(ctx, conv.ID, Flags{HistoryRequested: &yes}); err != nil {
		return fmt.Errorf("transcript of %s: %w", conv.ID, err)
	}
	return nil
}

// AgentDisplayName is the name visitors see for an agent (in typing
// notices); "" for an unknown agent.
func (s *Service) AgentDisplayName(ctx context.Context, id string) (string, error) {
	ag, err := s.Agent(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return ag.Name, nil
}

// VisitorMessagesBefore lists the newest visible messages with seq <
// before of one of the visitor's conversations, at most limit, oldest
// first: a page of history further back.
func (s *Service) VisitorMessagesBefore(ctx context.Context, v Visitor, convID string, before int64, limit int) ([]Message, error) {
	if _, err := s.VisitorConversation(ctx, v, convID); err != nil {
		return nil, err
	}
	return s.store.VisibleMessagesBefore(ctx, convID, before, limit)
}
