package inbox

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// InsertEventBatch appends one batch to the capped event collection.
func (s *Store) InsertEventBatch(ctx context.Context, b EventBatch) error {
	if _, err := s.events.InsertOne(ctx, b); err != nil {
		return fmt.Errorf("store: insert event batch: %w", err)
	}
	return nil
}

// RecentEvents reads the newest event batches, newest first; operators and
// tests use it to see what the log holds.
func (s *Store) RecentEvents(ctx context.Context, limit int64) ([]EventBatch, error) {
	return findAll[EventBatch](ctx, s.events, bson.M{}, findNewest(limit))
}
