package inbox

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The latest collection points from (contact, line, channel) to the
// newest conversation, keyed by _id: the one lookup the embedded engine
// does without decoding every conversation.

func latestKey(contactID, lineID string, ch Channel) string {
	return contactID + "/" + lineID + "/" + string(ch)
}

// RememberLatest records c as its contact's newest conversation on its
// line and channel.
func (s *Store) RememberLatest(ctx context.Context, c *Conversation) error {
	_, err := s.latest.ReplaceOne(ctx, bson.M{"_id": latestKey(c.ContactID, c.LineID, c.Channel)},
		bson.M{"conversationId": c.ID, "number": c.Number}, options.Replace().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("store: remember latest conversation: %w", err)
	}
	return nil
}

// LatestConversation is the contact's newest conversation on a line and
// channel, whatever its status; ErrNotFound when there is none. The
// working set knows it; otherwise it follows the pointer, falling back to
// a query for conversations opened before pointers existed or whose
// pointer write was lost.
func (s *Store) LatestConversation(ctx context.Context, contactID, lineID string, ch Channel) (*Conversation, error) {
	if w, err := s.working(ctx); err != nil {
		return nil, err
	} else if w != nil {
		if c, ok := w.latestOf(contactID, lineID, ch); ok {
			return c, nil
		}
		return nil, fmt.Errorf("conversation of %s: %w", contactID, ErrNotFound)
	}
	var ptr struct {
		ConversationID string `bson:"conversationId"`
	}
	err := s.latest.FindOne(ctx, bson.M{"_id": latestKey(contactID, lineID, ch)}).Decode(&ptr)
	if err == nil {
		c, err := s.ConversationByID(ctx, ptr.ConversationID)
		if err == nil && c.LineID == lineID {
			return c, nil
		} else if err != nil && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
	} else if !errors.Is(err, mongo.ErrNoDocuments) {
		return nil, fmt.Errorf("store: latest conversation pointer: %w", err)
	}
	var c Conversation
	err = s.conversations.FindOne(ctx, bson.M{"contactId": contactID, "lineId": lineID, "channel": ch},
		options.FindOne().SetSort(bson.D{{Key: "number", Value: -1}})).Decode(&c)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, fmt.Errorf("conversation of %s: %w", contactID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: latest conversation: %w", err)
	}
	return &c, nil
}
