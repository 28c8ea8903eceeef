package inbox

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// PresenceChange is one change of an agent's presence, with why: the
// history statistics count time online, invisible and offline from.
type PresenceChange struct {
	ID       string         `bson:"_id" json:"id"`
	AgentID  string         `bson:"agentId" json:"agentId"`
	Presence Presence       `bson:"presence" json:"presence"`
	Reason   PresenceReason `bson:"reason" json:"reason"`
	At       time.Time      `bson:"at" json:"at"`
}

// RecordPresence appends a change to the presence history.
func (s *Store) RecordPresence(ctx context.Context, p *PresenceChange) error {
	if _, err := s.presence.InsertOne(ctx, p); err != nil {
		return fmt.Errorf("store: record presence of %s: %w", p.AgentID, err)
	}
	s.revision.Add(1)
	if s.exclusive {
		s.rememberPresence(*p)
	}
	return nil
}

// PresenceHistory lists an agent's presence changes from from (inclusive)
// to to (exclusive), oldest first, at most limit.
func (s *Store) PresenceHistory(ctx context.Context, agentID string, from, to time.Time, limit int) ([]PresenceChange, error) {
	return findAll[PresenceChange](ctx, s.presence,
		bson.M{"agentId": agentID, "at": bson.M{"$gte": from, "$lt": to}},
		options.Find().SetSort(bson.D{{Key: "at", Value: 1}}).SetLimit(int64(limit)))
}
