package inbox

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// blockDoc ties one identity of a blocked contact to the contact.
type blockDoc struct {
	ID        string    `bson:"_id"` // "user:…", "email:…" or "addr:…"
	ContactID string    `bson:"contactId"`
	CreatedAt time.Time `bson:"createdAt"`
}

// RecordBlocks keeps (or, unblocked, drops) the contact's identities in
// the blocks collection.
func (s *Store) RecordBlocks(ctx context.Context, c *Contact, now time.Time) error {
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

// BlockedContactID is the id of the contact a blocked identity key (see
// identityKeys) was recorded for; ErrNotFound when the key is not blocked.
func (s *Store) BlockedContactID(ctx context.Context, key string) (string, error) {
	var b blockDoc
	err := s.blocks.FindOne(ctx, bson.M{"_id": key}).Decode(&b)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return "", fmt.Errorf("block %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("store: find block %s: %w", key, err)
	}
	return b.ContactID, nil
}
