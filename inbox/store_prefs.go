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

// prefsDoc is Prefs as stored, keyed by the agent's id.
type prefsDoc struct {
	AgentID   string    `bson:"_id"`
	Prefs     Prefs     `bson:",inline"`
	UpdatedAt time.Time `bson:"updatedAt"`
}

func (s *Store) prefs() *mongo.Collection { return s.db.Collection("prefs") }

// PrefsOf loads an agent's UI preferences; ErrNotFound when they never
// stored any.
func (s *Store) PrefsOf(ctx context.Context, agentID string) (*Prefs, error) {
	var d prefsDoc
	err := s.prefs().FindOne(ctx, bson.M{"_id": agentID}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, fmt.Errorf("prefs %s: %w", agentID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: load prefs %s: %w", agentID, err)
	}
	return &d.Prefs, nil
}

// SavePrefs replaces (or first stores) an agent's UI preferences.
func (s *Store) SavePrefs(ctx context.Context, agentID string, p Prefs, now time.Time) error {
	d := prefsDoc{AgentID: agentID, Prefs: p, UpdatedAt: now}
	if _, err := s.prefs().ReplaceOne(ctx, bson.M{"_id": agentID}, d, options.Replace().SetUpsert(true)); err != nil {
		return fmt.Errorf("store: save prefs %s: %w", agentID, err)
	}
	return nil
}

// DeletePrefs removes an agent's preferences (the agent is deleted).
func (s *Store) DeletePrefs(ctx context.Context, agentID string) error {
	if _, err := s.prefs().DeleteOne(ctx, bson.M{"_id": agentID}); err != nil {
		return fmt.Errorf("store: delete prefs %s: %w", agentID, err)
	}
	return nil
}
