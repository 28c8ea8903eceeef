package inbox

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// activeStatus matches the active statuses, 1–6.
func activeStatus() bson.M { return bson.M{"$lte": 6} }

// ConversationByID loads a conversation; ErrNotFound when there is none.
func (s *Store) ConversationByID(ctx context.Context, id string) (*Conversation, error) {
	var c Conversation
	if err := findOne(ctx, s.conversations, id, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// NextConversationNumber hands out the next conversation number. The
// counter is not the arbiter (see InsertConversation).
func (s *Store) NextConversationNumber(ctx context.Context) (int64, error) {
	return s.nextNumber(ctx, "conversations")
}

// InsertConversation stores a new conversation. A number another
// conversation has is errDuplicateKey: the unique index on numbers is the
// arbiter where the counter gave one twice.
func (s *Store) InsertConversation(ctx context.Context, c *Conversation) error {
	if _, err := s.conversations.InsertOne(ctx, c); err != nil {
		return writeErr("insert conversation", err)
	}
	return nil
}

// ReplaceConversation writes c only if nobody changed it since it was read
// at readVersion, and reports whether it did.
//
// On MongoDB the version in the filter decides. The embedded engine uses an
// index only for a filter on _id alone and scans the whole collection for
// anything more (seconds at 10,000 conversations); there the process is
// the only writer and the per-conversation lock already orders writers, so
// the filter is _id alone.
func (s *Store) ReplaceConversation(ctx context.Context, c *Conversation, readVersion int64) (bool, error) {
	filter := bson.M{"_id": c.ID, "version": readVersion}
	if s.exclusive {
		filter = bson.M{"_id": c.ID}
	}
	res, err := s.conversations.ReplaceOne(ctx, filter, c)
	if err != nil {
		return false, fmt.Errorf("store: save conversation %s: %w", c.ID, err)
	}
	return res.MatchedCount == 1, nil
}

// DeleteConversation removes a conversation document; the caller deletes
// its messages first.
func (s *Store) DeleteConversation(ctx context.Context, id string) error {
	if _, err := s.conversations.DeleteOne(ctx, bson.M{"_id": id}); err != nil {
		return fmt.Errorf("store: delete conversation %s: %w", id, err)
	}
	return nil
}

// DeleteConversations removes the conversations ids and says how many
// were there.
func (s *Store) DeleteConversations(ctx context.Context, ids []string) (int64, error) {
	res, err := s.conversations.DeleteMany(ctx, bson.M{"_id": bson.M{"$in": ids}})
	if err != nil {
		return 0, fmt.Errorf("store: delete conversations: %w", err)
	}
	return res.DeletedCount, nil
}

// ConversationsOfContact lists up to limit conversations of a contact.
func (s *Store) ConversationsOfContact(ctx context.Context, contactID string, limit int64) ([]Conversation, error) {
	return findAll[Conversation](ctx, s.conversations, bson.M{"contactId": contactID}, options.Find().SetLimit(limit))
}

// RenameContactOnConversations shows a contact's new name on each of its
// conversations, as a change of each (their versions move).
func (s *Store) RenameContactOnConversations(ctx context.Context, contactID, name string) error {
	if _, err := s.conversations.UpdateMany(ctx, bson.M{"contactId": contactID},
		bson.M{"$set": bson.M{"contactName": name}, "$inc": bson.M{"version": 1}}); err != nil {
		return fmt.Errorf("store: rename contact %s on conversations: %w", contactID, err)
	}
	return nil
}

// ClearGroupOnConversations takes a deleted group off the conversations
// assigned to it, as a change of each (their versions move).
func (s *Store) ClearGroupOnConversations(ctx context.Context, groupID string) error {
	if _, err := s.conversations.UpdateMany(ctx, bson.M{"groupId": groupID},
		bson.M{"$set": bson.M{"groupId": ""}, "$inc": bson.M{"version": 1}}); err != nil {
		return fmt.Errorf("store: unlink group %s from conversations: %w", groupID, err)
	}
	return nil
}

// ActiveConversationsOfAgent lists an agent's active conversations.
func (s *Store) ActiveConversationsOfAgent(ctx context.Context, agentID string) ([]Conversation, error) {
	return findAll[Conversation](ctx, s.conversations, bson.M{"agentId": agentID, "statusCode": activeStatus()})
}

// WaitingConversations lists the unassigned active conversations of the
// lines lineIDs, oldest (lowest number) first.
func (s *Store) WaitingConversations(ctx context.Context, lineIDs []string) ([]Conversation, error) {
	return findAll[Conversation](ctx, s.conversations,
		bson.M{"lineId": bson.M{"$in": nonNil(lineIDs)}, "agentId": "", "statusCode": activeStatus()},
		options.Find().SetSort(bson.D{{Key: "number", Value: 1}}))
}

// ClosingConversations lists the conversations waiting in "closing" for
// the client's rating.
func (s *Store) ClosingConversations(ctx context.Context) ([]Conversation, error) {
	return findAll[Conversation](ctx, s.conversations, bson.M{"status": StatusClosing})
}

// ConversationIDsOfLine lists the ids of up to limit conversations of a line.
func (s *Store) ConversationIDsOfLine(ctx context.Context, lineID string, limit int64) ([]string, error) {
	rows, err := findAll[struct {
		ID string `bson:"_id"`
	}](ctx, s.conversations, bson.M{"lineId": lineID}, options.Find().SetProjection(bson.M{"_id": 1}).SetLimit(limit))
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	return ids, nil
}

// CountConversationsOfLine counts the conversations of a line.
func (s *Store) CountConversationsOfLine(ctx context.Context, lineID string) (int64, error) {
	n, err := s.conversations.CountDocuments(ctx, bson.M{"lineId": lineID})
	if err != nil {
		return 0, fmt.Errorf("store: count conversations of line %s: %w", lineID, err)
	}
	return n, nil
}

// ActiveLoads counts the active conversations of each of agentIDs.
func (s *Store) ActiveLoads(ctx context.Context, agentIDs []string) (map[string]int, error) {
	load, err := s.countActive(ctx, bson.M{"agentId": bson.M{"$in": nonNil(agentIDs)}, "statusCode": activeStatus()})
	if err != nil {
		return nil, fmt.Errorf("store: agent load: %w", err)
	}
	return load, nil
}

// AllActiveLoads counts the active conversations of every agent who has one.
func (s *Store) AllActiveLoads(ctx context.Context) (map[string]int, error) {
	load, err := s.countActive(ctx, bson.M{"agentId": bson.M{"$ne": ""}, "statusCode": activeStatus()})
	if err != nil {
		return nil, fmt.Errorf("store: agent loads: %w", err)
	}
	return load, nil
}

func (s *Store) countActive(ctx context.Context, filter bson.M) (map[string]int, error) {
	rows, err := findAll[struct {
		AgentID string `bson:"agentId"`
	}](ctx, s.conversations, filter, options.Find().SetProjection(bson.M{"agentId": 1}))
	if err != nil {
		return nil, err
	}
	load := map[string]int{}
	for _, r := range rows {
		load[r.AgentID]++
	}
	return load, nil
}
