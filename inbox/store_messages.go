package inbox

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// MessageByClientID loads the message a sender's client id names in a
// conversation; ErrNotFound when there is none. It is a lookup by _id (see
// messageID), with a query for messages stored before ids were derived.
func (s *Store) MessageByClientID(ctx context.Context, convID, clientID string) (*Message, error) {
	var m Message
	err := findOne(ctx, s.messages, messageID(convID, clientID), &m)
	if err == nil && m.ConversationID == convID && m.ClientID == clientID {
		return &m, nil
	}
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	// Messages stored before ids were derived have random ids.
	err = s.messages.FindOne(ctx, bson.M{"conversationId": convID, "clientId": clientID}).Decode(&m)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: find message by client id: %w", err)
	}
	return &m, nil
}

// LastSeq is the highest stored message seq of a conversation, 0 with none.
func (s *Store) LastSeq(ctx context.Context, convID string) (int64, error) {
	var last Message
	err := s.messages.FindOne(ctx, bson.M{"conversationId": convID},
		options.FindOne().SetSort(bson.D{{Key: "seq", Value: -1}})).Decode(&last)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: last seq of %s: %w", convID, err)
	}
	return last.Seq, nil
}

// MessagesBetween lists a conversation's messages with after < seq <
// before, oldest first.
func (s *Store) MessagesBetween(ctx context.Context, convID string, after, before int64) ([]Message, error) {
	return findAll[Message](ctx, s.messages, bson.M{"conversationId": convID, "seq": bson.M{"$gt": after, "$lt": before}},
		options.Find().SetSort(bson.D{{Key: "seq", Value: 1}}))
}

// MessagesAfter lists up to limit of a conversation's messages with seq >
// after, oldest first, comments included.
func (s *Store) MessagesAfter(ctx context.Context, convID string, after int64, limit int) ([]Message, error) {
	return findAll[Message](ctx, s.messages, bson.M{"conversationId": convID, "seq": bson.M{"$gt": after}},
		options.Find().SetSort(bson.D{{Key: "seq", Value: 1}}).SetLimit(int64(limit)))
}

// VisibleMessagesAfter is MessagesAfter without agents' comments: what the
// customer may see.
func (s *Store) VisibleMessagesAfter(ctx context.Context, convID string, after int64, limit int) ([]Message, error) {
	return findAll[Message](ctx, s.messages,
		bson.M{"conversationId": convID, "seq": bson.M{"$gt": after}, "comment": false},
		options.Find().SetSort(bson.D{{Key: "seq", Value: 1}}).SetLimit(int64(limit)))
}

// VisibleMessagesBefore lists the newest limit messages without agents'
// comments with seq < before, oldest first: a page of history further back.
func (s *Store) VisibleMessagesBefore(ctx context.Context, convID string, before int64, limit int) ([]Message, error) {
	msgs, err := findAll[Message](ctx, s.messages,
		bson.M{"conversationId": convID, "seq": bson.M{"$lt": before}, "comment": false},
		options.Find().SetSort(bson.D{{Key: "seq", Value: -1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, err
	}
	slices.Reverse(msgs)
	return msgs, nil
}

// DeleteMessagesOfConversation deletes every message of a conversation.
func (s *Store) DeleteMessagesOfConversation(ctx context.Context, convID string) error {
	if _, err := s.messages.DeleteMany(ctx, bson.M{"conversationId": convID}); err != nil {
		return fmt.Errorf("store: delete messages of %s: %w", convID, err)
	}
	return nil
}

// DeleteMessagesOfConversations deletes every message of the conversations ids.
func (s *Store) DeleteMessagesOfConversations(ctx context.Context, ids []string) error {
	if _, err := s.messages.DeleteMany(ctx, bson.M{"conversationId": bson.M{"$in": ids}}); err != nil {
		return fmt.Errorf("store: delete messages of %d conversations: %w", len(ids), err)
	}
	return nil
}

// ReplaceMessage saves a changed message (an edit, an album part, its
// delivery state), addressed by its _id.
func (s *Store) ReplaceMessage(ctx context.Context, m *Message) error {
	res, err := s.messages.ReplaceOne(ctx, bson.M{"_id": m.ID}, m)
	if err != nil {
		return fmt.Errorf("store: save message %s: %w", m.ID, err)
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("store: save message %s: %w", m.ID, ErrNotFound)
	}
	return nil
}

// MessageByID loads a message by its _id.
func (s *Store) MessageByID(ctx context.Context, id string) (*Message, error) {
	var m Message
	if err := findOne(ctx, s.messages, id, &m); err != nil {
		return nil, err
	}
	return &m, nil
}
