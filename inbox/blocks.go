package inbox

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Contact custom fields the widget keeps for identified visitors.
const (
	FieldUserID       = "userId"
	FieldUserVerified = "userVerified"
)

// blockDoc ties one identity of a blocked contact to the contact.
type blockDoc struct {
	ID        string    `bson:"_id"` // "user:…", "email:…" or "addr:…"
	ContactID string    `bson:"contactId"`
	CreatedAt time.Time `bson:"createdAt"`
}

// identityKeys are the block keys of a visitor's identity: the verified
// user id, the e-mail address and the client address, where known.
func identityKeys(userID string, verified bool, email, address string) []string {
	var keys []string
	if userID != "" && verified {
		keys = append(keys, "user:"+userID)
	}
	if email != "" {
		keys = append(keys, "email:"+strings.ToLower(email))
	}
	if address != "" {
		keys = append(keys, "addr:"+address)
	}
	return keys
}

// contactKeys are the block keys of a contact as it is stored.
func contactKeys(c *Contact) []string {
	return identityKeys(c.CustomFields[FieldUserID], c.CustomFields[FieldUserVerified] == "true", c.Email, c.Address)
}

// recordBlocks keeps (or, unblocked, drops) the contact's identities in
// the blocks collection.
func (s *Store) recordBlocks(ctx context.Context, c *Contact, now time.Time) error {
	if !c.Blocked {
		if _, err := s.blocks.DeleteMany(ctx, bson.M{"contactId": c.ID}); err != nil {
			return fmt.Errorf("store: unblock identities of %s: %w", c.ID, err)
		}
		return nil
	}
	for _, k := range contactKeys(c) {
		if _, err := s.blocks.ReplaceOne(ctx, bson.M{"_id": k}, blockDoc{ID: k, ContactID: c.ID, CreatedAt: now},
			options.Replace().SetUpsert(true)); err != nil {
			return fmt.Errorf("store: block identity of %s: %w", c.ID, err)
		}
	}
	return nil
}

// blockedContact is the blocked contact one of keys belongs to, or nil.
func (s *Service) blockedContact(ctx context.Context, keys []string) (*Contact, error) {
	for _, k := range keys {
		var b blockDoc
		err := s.store.blocks.FindOne(ctx, bson.M{"_id": k}).Decode(&b)
		if errors.Is(err, mongo.ErrNoDocuments) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("store: find block %s: %w", k, err)
		}
		var c Contact
		if err := findOne(ctx, s.store.contacts, b.ContactID, &c); errors.Is(err, ErrNotFound) {
			continue
		} else if err != nil {
			return nil, err
		}
		if c.Blocked {
			return &c, nil
		}
	}
	return nil, nil
}
