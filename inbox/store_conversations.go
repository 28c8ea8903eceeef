package inbox

import (
	"context"
	"fmt"
	"slices"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// activeStatus matches the active statuses, 1–6.
func activeStatus() bson.M { return bson.M{"$lte": 6} }

// ConversationByID loads a conversation; ErrNotFound when there is none.
func (s *Store) ConversationByID(ctx context.Context, id string) (*Conversation, error) {
	if w, err := s.working(ctx); err != nil {
		return nil, err
	} else if w != nil {
		if c, ok := w.get(id); ok {
			return c, nil
		}
		return nil, fmt.Errorf("conversations %s: %w", id, ErrNotFound)
	}
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
	w, err := s.working(ctx)
	if err != nil {
		return err
	}
	if _, err := s.conversations.InsertOne(ctx, c); err != nil {
		return writeErr("insert conversation", err)
	}
	if w != nil {
		return w.add(c)
	}
	return nil
}

// ReplaceConversation writes c only if nobody changed it since it was read
// at readVersion, and reports whether it did.
//
// On MongoDB the version in the filter decides. In exclusive (embedded)
// mode the working set decides — it holds every version this process
// made — and the write goes through the conversation writer
// (store_writebehind.go); ReplaceConversation returns once it is durable.
func (s *Store) ReplaceConversation(ctx context.Context, c *Conversation, readVersion int64) (bool, error) {
	return s.replaceConversation(ctx, c, readVersion, false)
}

// ReplaceConversationBehind is ReplaceConversation for a change that a
// durable message carries: in exclusive mode it returns once the change
// is in the working set, and the write follows, together with any other
// change of the conversation made meanwhile. A crash before the write is
// repaired at start-up from the messages.
func (s *Store) ReplaceConversationBehind(ctx context.Context, c *Conversation, readVersion int64) (bool, error) {
	return s.replaceConversation(ctx, c, readVersion, true)
}

func (s *Store) replaceConversation(ctx context.Context, c *Conversation, readVersion int64, behind bool) (bool, error) {
	w, err := s.working(ctx)
	if err != nil {
		return false, err
	}
	if w != nil {
		if ok, err := w.replace(c, readVersion); !ok || err != nil {
			return false, err
		}
		chans := s.markDirty([]string{c.ID}, map[string]int64{c.ID: c.Version})
		if behind {
			return true, nil
		}
		return true, waitDurable(ctx, chans)
	}
	res, err := s.conversations.ReplaceOne(ctx, bson.M{"_id": c.ID, "version": readVersion}, c)
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
	if s.ws != nil {
		s.ws.remove(id)
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
	if s.ws != nil {
		s.ws.remove(ids...)
	}
	return res.DeletedCount, nil
}

// ConversationsOfContact lists up to limit conversations of a contact.
func (s *Store) ConversationsOfContact(ctx context.Context, contactID string, limit int64) ([]Conversation, error) {
	if w, err := s.working(ctx); err != nil || w != nil {
		return answer(w, err, func(w *workingSet) []Conversation {
			return w.selectConvs(func(c *Conversation) bool { return c.ContactID == contactID }, int(limit))
		})
	}
	return findAll[Conversation](ctx, s.conversations, bson.M{"contactId": contactID}, options.Find().SetLimit(limit))
}

// RenameContactOnConversations shows a contact's new name on each of its
// conversations, as a change of each (their versions move).
func (s *Store) RenameContactOnConversations(ctx context.Context, contactID, name string) error {
	if w, err := s.working(ctx); err != nil {
		return err
	} else if w != nil {
		return s.changeDurably(ctx, w.change(func(c *Conversation) bool { return c.ContactID == contactID },
			func(c *Conversation) { c.ContactName, c.Version = name, c.Version+1 }))
	}
	if _, err := s.conversations.UpdateMany(ctx, bson.M{"contactId": contactID},
		bson.M{"$set": bson.M{"contactName": name}, "$inc": bson.M{"version": 1}}); err != nil {
		return fmt.Errorf("store: rename contact %s on conversations: %w", contactID, err)
	}
	return nil
}

// ClearGroupOnConversations takes a deleted group off the conversations
// assigned to it, as a change of each (their versions move).
func (s *Store) ClearGroupOnConversations(ctx context.Context, groupID string) error {
	if w, err := s.working(ctx); err != nil {
		return err
	} else if w != nil {
		return s.changeDurably(ctx, w.change(func(c *Conversation) bool { return c.GroupID == groupID },
			func(c *Conversation) { c.GroupID, c.Version = "", c.Version+1 }))
	}
	if _, err := s.conversations.UpdateMany(ctx, bson.M{"groupId": groupID},
		bson.M{"$set": bson.M{"groupId": ""}, "$inc": bson.M{"version": 1}}); err != nil {
		return fmt.Errorf("store: unlink group %s from conversations: %w", groupID, err)
	}
	return nil
}

// ActiveConversationsOfAgent lists an agent's active conversations.
func (s *Store) ActiveConversationsOfAgent(ctx context.Context, agentID string) ([]Conversation, error) {
	if w, err := s.working(ctx); err != nil || w != nil {
		return answer(w, err, func(w *workingSet) []Conversation {
			return w.selectConvs(func(c *Conversation) bool { return c.AgentID == agentID && c.StatusCode <= 6 }, 0)
		})
	}
	return findAll[Conversation](ctx, s.conversations, bson.M{"agentId": agentID, "statusCode": activeStatus()})
}

// WaitingConversations lists the unassigned active conversations of the
// lines lineIDs, oldest (lowest number) first.
func (s *Store) WaitingConversations(ctx context.Context, lineIDs []string) ([]Conversation, error) {
	if w, err := s.working(ctx); err != nil || w != nil {
		return answer(w, err, func(w *workingSet) []Conversation {
			return w.selectConvs(func(c *Conversation) bool {
				return c.AgentID == "" && c.StatusCode <= 6 && slices.Contains(lineIDs, c.LineID)
			}, 0)
		})
	}
	return findAll[Conversation](ctx, s.conversations,
		bson.M{"lineId": bson.M{"$in": nonNil(lineIDs)}, "agentId": "", "statusCode": activeStatus()},
		options.Find().SetSort(bson.D{{Key: "number", Value: 1}}))
}

// ClosingConversations lists the conversations waiting in "closing" for
// the client's rating.
func (s *Store) ClosingConversations(ctx context.Context) ([]Conversation, error) {
	if w, err := s.working(ctx); err != nil || w != nil {
		return answer(w, err, func(w *workingSet) []Conversation {
			return w.selectConvs(func(c *Conversation) bool { return c.Status == StatusClosing }, 0)
		})
	}
	return findAll[Conversation](ctx, s.conversations, bson.M{"status": StatusClosing})
}

// ConversationIDsOfLine lists the ids of up to limit conversations of a line.
func (s *Store) ConversationIDsOfLine(ctx context.Context, lineID string, limit int64) ([]string, error) {
	if w, err := s.working(ctx); err != nil {
		return nil, err
	} else if w != nil {
		convs := w.selectConvs(func(c *Conversation) bool { return c.LineID == lineID }, int(limit))
		ids := make([]string, len(convs))
		for i := range convs {
			ids[i] = convs[i].ID
		}
		return ids, nil
	}
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
	if w, err := s.working(ctx); err != nil {
		return 0, err
	} else if w != nil {
		return w.count(func(c *Conversation) bool { return c.LineID == lineID }), nil
	}
	n, err := s.conversations.CountDocuments(ctx, bson.M{"lineId": lineID})
	if err != nil {
		return 0, fmt.Errorf("store: count conversations of line %s: %w", lineID, err)
	}
	return n, nil
}

// ActiveLoads counts the active conversations of each of agentIDs.
func (s *Store) ActiveLoads(ctx context.Context, agentIDs []string) (map[string]int, error) {
	if w, err := s.working(ctx); err != nil {
		return nil, err
	} else if w != nil {
		return w.loads(func(id string) bool { return slices.Contains(agentIDs, id) }), nil
	}
	load, err := s.countActive(ctx, bson.M{"agentId": bson.M{"$in": nonNil(agentIDs)}, "statusCode": activeStatus()})
	if err != nil {
		return nil, fmt.Errorf("store: agent load: %w", err)
	}
	return load, nil
}

// AllActiveLoads counts the active conversations of every agent who has one.
func (s *Store) AllActiveLoads(ctx context.Context) (map[string]int, error) {
	if w, err := s.working(ctx); err != nil {
		return nil, err
	} else if w != nil {
		return w.loads(func(id string) bool { return id != "" }), nil
	}
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

// answer is a working-set answer: err from warming it, or what q reads.
func answer(w *workingSet, err error, q func(*workingSet) []Conversation) ([]Conversation, error) {
	if err != nil {
		return nil, err
	}
	return q(w), nil
}

// changeDurably writes the conversations a working-set change made (id →
// new version) and waits until they are durable.
func (s *Store) changeDurably(ctx context.Context, changed map[string]int64) error {
	if len(changed) == 0 {
		return nil
	}
	ids := make([]string, 0, len(changed))
	for id := range changed {
		ids = append(ids, id)
	}
	return waitDurable(ctx, s.markDirty(ids, changed))
}
