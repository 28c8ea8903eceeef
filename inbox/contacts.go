package inbox

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
)

// ContactInput creates or changes a contact; nil fields are left as they are.
type ContactInput struct {
	Name         *string            `json:"name"`
	Email        *string            `json:"email"`
	Phone        *string            `json:"phone"`
	CustomFields *map[string]string `json:"customFields"`
	CRMID        *string            `json:"crmId"`
	CRMURL       *string            `json:"crmUrl"`
	// TelegramUserID is set by the Telegram connector.
	TelegramUserID *int64 `json:"telegramUserId"`
}

// MaxCustomFields caps the custom fields of one contact.
const MaxCustomFields = 50

var phoneRE = regexp.MustCompile(`^\+?[0-9 ()./-]{3,40}$`)

func (s *Service) applyContactInput(c *Contact, in ContactInput) error {
	if in.Name != nil {
		if err := s.checkText("name", *in.Name, s.limits.NameChars); err != nil {
			return err
		}
		c.Name = NeutralName(*in.Name)
	}
	if in.Email != nil {
		c.Email = ""
		if *in.Email != "" {
			e, err := normalEmail("email", *in.Email)
			if err != nil {
				return err
			}
			c.Email = e
		}
	}
	if in.Phone != nil {
		if *in.Phone != "" && !phoneRE.MatchString(*in.Phone) {
			return invalid("phone", "is not a phone number")
		}
		c.Phone = *in.Phone
	}
	if in.CustomFields != nil {
		f := *in.CustomFields
		if len(f) > MaxCustomFields {
			return invalid("customFields", "has %d fields; the limit is %d", len(f), MaxCustomFields)
		}
		for k, v := range f {
			if err := s.checkFieldKey(k); err != nil {
				return err
			}
			if err := s.checkText("customFields."+k, v, s.limits.MessageChars); err != nil {
				return err
			}
		}
		c.CustomFields = f
	}
	if in.CRMID != nil {
		if err := s.checkText("crmId", *in.CRMID, s.limits.NameChars); err != nil {
			return err
		}
		c.CRMID = *in.CRMID
	}
	if in.CRMURL != nil {
		if u, err := url.Parse(*in.CRMURL); *in.CRMURL != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
			return invalid("crmUrl", "must be an http(s) URL")
		}
		c.CRMURL = *in.CRMURL
	}
	if in.TelegramUserID != nil {
		c.TelegramUserID = *in.TelegramUserID
	}
	return nil
}

// CreateContact adds a contact. Supervisors, admins and the product's
// workers; agents create contacts by opening outgoing conversations.
func (s *Service) CreateContact(ctx context.Context, a Actor, in ContactInput) (*Contact, error) {
	if err := requireStaff(a); err != nil {
		return nil, err
	}
	now := s.Now()
	c := &Contact{ID: newID(), CustomFields: map[string]string{}, CreatedAt: now, UpdatedAt: now}
	if err := s.applyContactInput(c, in); err != nil {
		return nil, err
	}
	if err := s.store.InsertContact(ctx, c); err != nil {
		return nil, err
	}
	s.publish(ctx, Event{Type: EventContactChanged, SubjectID: c.ID})
	return c, nil
}

// mayTouchContact lets staff reach every contact and an agent only the
// contacts of conversations they can see. Another agent's contact is "not
// found", exactly like an unknown id, so contact ids cannot be probed.
func (s *Service) mayTouchContact(ctx context.Context, a Actor, id string) error {
	if a.SeesAll() {
		return nil
	}
	convs, err := s.store.ConversationsOfContact(ctx, id, 100)
	if err != nil {
		return err
	}
	for i := range convs {
		ok, err := s.sees(ctx, a, &convs[i])
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
	}
	return fmt.Errorf("contacts %s: %w", id, ErrNotFound)
}

// Contact loads a contact the actor may see.
func (s *Service) Contact(ctx context.Context, a Actor, id string) (*Contact, error) {
	c, err := s.store.ContactByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.mayTouchContact(ctx, a, id); err != nil {
		return nil, err
	}
	return c, nil
}

// UpdateContact changes a contact's details and keeps the name shown on
// its conversations in step.
func (s *Service) UpdateContact(ctx context.Context, a Actor, id string, in ContactInput) (*Contact, error) {
	c, err := s.Contact(ctx, a, id)
	if err != nil {
		return nil, err
	}
	oldName := c.Name
	if err := s.applyContactInput(c, in); err != nil {
		return nil, err
	}
	return c, s.saveContact(ctx, c, oldName)
}

// BlockContact blocks or unblocks a contact. A blocked contact's new
// messages open no conversation and reach no agent.
func (s *Service) BlockContact(ctx context.Context, a Actor, id string, blocked bool) (*Contact, error) {
	c, err := s.Contact(ctx, a, id)
	if err != nil {
		return nil, err
	}
	c.Blocked = blocked
	if err := s.saveContact(ctx, c, c.Name); err != nil {
		return nil, err
	}
	// A blocked visitor who drops their token comes back under the same
	// verified user id, e-mail or address: still blocked.
	return c, s.store.RecordBlocks(ctx, c, s.Now())
}

func (s *Service) saveContact(ctx context.Context, c *Contact, oldName string) error {
	c.UpdatedAt = s.Now()
	if err := s.store.ReplaceContact(ctx, c); err != nil {
		return err
	}
	if c.Name != oldName {
		if err := s.store.RenameContactOnConversations(ctx, c.ID, c.Name); err != nil {
			return err
		}
	}
	s.publish(ctx, Event{Type: EventContactChanged, SubjectID: c.ID})
	return nil
}

// ContactFilter narrows a contact list.
type ContactFilter struct {
	Query  string // matches name, e-mail or phone, case-insensitively
	Limit  int
	Offset int
}

// Contacts lists contacts. Supervisors and admins only: agents reach
// contacts through their conversations.
func (s *Service) Contacts(ctx context.Context, a Actor, f ContactFilter) ([]Contact, int64, error) {
	if err := requireStaff(a); err != nil {
		return nil, 0, err
	}
	return s.store.ListContacts(ctx, f.Query, f.Offset, clampLimit(f.Limit, s.limits.ListMax))
}

// DefaultPageSize is the page size of a list when none is asked for.
const DefaultPageSize = 50

// PageSize is the page size a list request gets for the limit it asked for.
func (s *Service) PageSize(requested int) int { return clampLimit(requested, s.limits.ListMax) }

func clampLimit(v, max int) int {
	switch {
	case v <= 0:
		return min(DefaultPageSize, max)
	case v > max:
		return max
	}
	return v
}
