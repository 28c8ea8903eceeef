package inbox

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// In exclusive mode a message's change of its conversation is written
// behind the message (store_writebehind.go). Whether the last run wrote
// everything is kept in the meta collection's "shutdown" document: Close
// sets clean once every change is written, warm-up clears it. A warm-up
// that finds it not clean applies, to each conversation, the stored
// messages after its stored seq — what the dead process had applied in
// memory only.

const shutdownDoc = "shutdown"

type shutdownState struct {
	Clean bool      `bson:"clean"`
	At    time.Time `bson:"at"`
}

// lastRunClean reads whether the last run of the store ended cleanly.
func (s *Store) lastRunClean(ctx context.Context) (bool, error) {
	var st shutdownState
	err := s.meta.FindOne(ctx, bson.M{"_id": shutdownDoc}).Decode(&st)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: read shutdown state: %w", err)
	}
	return st.Clean, nil
}

// setRunClean records whether the store's run has ended cleanly.
func (s *Store) setRunClean(ctx context.Context, clean bool) error {
	_, err := s.meta.ReplaceOne(ctx, bson.M{"_id": shutdownDoc}, shutdownState{Clean: clean, At: time.Now().UTC()},
		options.Replace().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("store: record shutdown state: %w", err)
	}
	return nil
}

// recoverConversations applies to convs every stored message after its
// conversation's seq, writes the conversations it changed, and says how
// many. The messages are read once, by a cursor: the engine reads the
// whole collection for this whatever the filter.
func (s *Store) recoverConversations(ctx context.Context, convs map[string]*Conversation) (int, error) {
	cur, err := s.messages.Find(ctx, bson.M{})
	if err != nil {
		return 0, fmt.Errorf("store: recovery: read messages: %w", err)
	}
	defer func() { _ = cur.Close(ctx) }()
	pending := map[string][]*Message{}
	for cur.Next(ctx) {
		var m Message
		if err := cur.Decode(&m); err != nil {
			return 0, fmt.Errorf("store: recovery: decode message: %w", err)
		}
		if c, ok := convs[m.ConversationID]; ok && m.Seq > c.Seq {
			pending[m.ConversationID] = append(pending[m.ConversationID], &m)
		}
	}
	if err := cur.Err(); err != nil {
		return 0, fmt.Errorf("store: recovery: read messages: %w", err)
	}
	for id, msgs := range pending {
		slices.SortFunc(msgs, func(a, b *Message) int { return cmp.Compare(a.Seq, b.Seq) })
		c := convs[id]
		for _, m := range msgs {
			c.Seq = max(c.Seq, m.Seq)
			c.applyMessage(m)
		}
		c.Version++
		if _, err := s.conversations.ReplaceOne(ctx, bson.M{"_id": id}, c); err != nil {
			return 0, fmt.Errorf("store: recovery: save conversation %s: %w", id, err)
		}
		n, err := normalised(c)
		if err != nil {
			return 0, err
		}
		convs[id] = n
		s.log.Info("embedded store: applied messages the last run had not written to their conversation",
			"conversation", id, "messages", len(msgs), "seq", c.Seq)
	}
	return len(pending), nil
}
