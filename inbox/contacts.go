package inbox

import (
	"context"
	"fmt"
	"net/url"
	"regexp"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
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
	if _, err := s.store.contacts.InsertOne(ctx, c); err != nil {
		return nil, fmt.Errorf("store: insert contact: %w", err)
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
	convs, err := findAll[Conversation](ctx, s.store.conversations, bson.M{"contactId": id}, options.Find().SetLimit(100))
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
	return fmt.Errorf("%s %s: %w", s.store.contacts.Name(), id, ErrNotFound)
}

// Contact loads a contact the actor may see.
func (s *Service) Contact(ctx context.Context, a Actor, id string) (*Contact, error) {
	var c Contact
	if err := findOne(ctx, s.store.contacts, id, &c); err != nil {
		return nil, err
	}
	if err := s.mayTouchContact(ctx, a, id); err != nil {
		return nil, err
	}
	return &c, nil
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
	return c, s.store.recordBlocks(ctx, c, s.Now())
}

func (s *Service) saveContact(ctx context.Context, c *Contact, oldName string) error {
	c.UpdatedAt = s.Now()
	if _, err := s.store.contacts.ReplaceOne(ctx, bson.M{"_id": c.ID}, c); err != nil {
		return fmt.Errorf("store: save contact %s: %w", c.ID, err)
	}
	if c.Name != oldName {
		if _, err := s.store.conversations.UpdateMany(ctx, bson.M{"contactId": c.ID},
			bson.M{"$set": bson.M{"contactName": c.Name}, "$inc": bson.M{"version": 1}}); err != nil {
			return fmt.Errorf("store: rename contact %s on conversations: %w", c.ID, err)
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
	q := bson.M{}
	if f.Query != "" {
		re := bson.M{"$regex": regexp.QuoteMeta(f.Query), "$options": "i"}
		q["$or"] = bson.A{bson.M{"name": re}, bson.M{"email": re}, bson.M{"phone": re}}
	}
	limit := clampLimit(f.Limit, s.limits.ListMax)
	items, err := findAll[Contact](ctx, s.store.contacts, q, options.Find().
		SetSort(bson.D{{Key: "name", Value: 1}, {Key: "_id", Value: 1}}).SetSkip(int64(f.Offset)).SetLimit(int64(limit)))
	if err != nil {
		return nil, 0, err
	}
	n, err := s.store.contacts.CountDocuments(ctx, q)
	if err != nil {
		return nil, 0, fmt.Errorf("store: count contacts: %w", err)
	}
	return items, n, nil
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
