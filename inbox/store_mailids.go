package inbox

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Mail ids (mailin.go): every mail id the inbox has seen — a customer's
// Message-ID, the hash of a mail without one, a conversation's thread
// token — points to its conversation, keyed by _id (the embedded engine's
// one indexed lookup), so threading and duplicate checks never scan
// messages.

type mailIDDoc struct {
	ID             string `bson:"_id"`
	ConversationID string `bson:"conversationId"`
}

// RememberMailID points a mail id (or thread token) to a conversation.
func (s *Store) RememberMailID(ctx context.Context, id, convID string) error {
	if _, err := s.mailIDs.ReplaceOne(ctx, bson.M{"_id": id}, mailIDDoc{ID: id, ConversationID: convID}, options.Replace().SetUpsert(true)); err != nil {
		return fmt.Errorf("store: remember mail id: %w", err)
	}
	return nil
}

// ConversationOfMailID is the conversation a mail id points to;
// ErrNotFound when none.
func (s *Store) ConversationOfMailID(ctx context.Context, id string) (string, error) {
	var d mailIDDoc
	err := s.mailIDs.FindOne(ctx, bson.M{"_id": id}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return "", fmt.Errorf("mail id %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("store: find mail id: %w", err)
	}
	return d.ConversationID, nil
}

// Cursor reads a worker's saved position (an IMAP folder's UIDVALIDITY
// and last UID); "" when none.
func (s *Store) Cursor(ctx context.Context, key string) (string, error) {
	var d struct {
		Value string `bson:"value"`
	}
	err := s.cursors.FindOne(ctx, bson.M{"_id": key}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: read cursor %s: %w", key, err)
	}
	return d.Value, nil
}

// SetCursor saves a worker's position.
func (s *Store) SetCursor(ctx context.Context, key, value string) error {
	if _, err := s.cursors.ReplaceOne(ctx, bson.M{"_id": key}, bson.M{"value": value}, options.Replace().SetUpsert(true)); err != nil {
		return fmt.Errorf("store: save cursor %s: %w", key, err)
	}
	return nil
}
