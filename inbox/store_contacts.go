package inbox

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// ContactByID loads a contact; ErrNotFound when there is none.
func (s *Store) ContactByID(ctx context.Context, id string) (*Contact, error) {
	var c Contact
	if err := findOne(ctx, s.contacts, id, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// InsertContact stores a new contact.
func (s *Store) InsertContact(ctx context.Context, c *Contact) error {
	if _, err := s.contacts.InsertOne(ctx, c); err != nil {
		return writeErr("insert contact", err)
	}
	if s.ws != nil {
		s.ws.setBlocked(c.ID, c.Blocked)
	}
	return nil
}

// ReplaceContact saves a changed contact.
func (s *Store) ReplaceContact(ctx context.Context, c *Contact) error {
	if _, err := s.contacts.ReplaceOne(ctx, bson.M{"_id": c.ID}, c); err != nil {
		return fmt.Errorf("store: save contact %s: %w", c.ID, err)
	}
	if s.ws != nil {
		s.ws.setBlocked(c.ID, c.Blocked)
	}
	return nil
}

// ContactBlocked says whether a contact is blocked. In exclusive mode the
// working set knows without loading the contact (and does not check that
// it exists); otherwise a missing contact is ErrNotFound.
func (s *Store) ContactBlocked(ctx context.Context, id string) (bool, error) {
	if w, err := s.working(ctx); err != nil {
		return false, err
	} else if w != nil {
		return w.isBlocked(id), nil
	}
	c, err := s.ContactByID(ctx, id)
	if err != nil {
		return false, err
	}
	return c.Blocked, nil
}

// ListContacts lists a page of contacts by name whose name, e-mail or
// phone contains text (case-insensitively; "" for all), with the count of
// all that match.
func (s *Store) ListContacts(ctx context.Context, text string, offset, limit int) ([]Contact, int64, error) {
	q := bson.M{}
	if text != "" {
		re := bson.M{"$regex": regexp.QuoteMeta(text), "$options": "i"}
		q["$or"] = bson.A{bson.M{"name": re}, bson.M{"email": re}, bson.M{"phone": re}}
	}
	items, err := findAll[Contact](ctx, s.contacts, q, options.Find().
		SetSort(bson.D{{Key: "name", Value: 1}, {Key: "_id", Value: 1}}).SetSkip(int64(offset)).SetLimit(int64(limit)))
	if err != nil {
		return nil, 0, err
	}
	n, err := s.contacts.CountDocuments(ctx, q)
	if err != nil {
		return nil, 0, fmt.Errorf("store: count contacts: %w", err)
	}
	return items, n, nil
}

// RecordVisitorSeen records what a widget session told about a contact:
// its browser (nil: unchanged) and its visitor number (0: unchanged).
func (s *Store) RecordVisitorSeen(ctx context.Context, contactID string, client *ClientInfo, visitorNumber int, now time.Time) error {
	set := bson.M{"updatedAt": now}
	if client != nil {
		set["client"] = *client
	}
	if visitorNumber != 0 {
		set["visitorNumber"] = visitorNumber
	}
	if _, err := s.contacts.UpdateOne(ctx, bson.M{"_id": contactID}, bson.M{"$set": set}); err != nil {
		return fmt.Errorf("store: record client of contact %s: %w", contactID, err)
	}
	return nil
}
