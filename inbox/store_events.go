package inbox

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
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

// TailEvents follows the event log: it hands fn every batch written at or
// after since, in the log's order, as it is written, until ctx ends or
// the cursor fails or is closed (the caller opens it again). caughtUp is
// called each time the cursor has handed over everything written so far.
// It uses a tailable await cursor with batch size 1 — the embedded engine
// closes a tailable cursor whose first batch is short — and waits up to
// maxAwait on the server for each next batch.
//
// On the embedded engine it probes for each node's next batch by _id
// instead (store_events_probe.go); the contract is the same.
func (s *Store) TailEvents(ctx context.Context, since time.Time, maxAwait time.Duration, fn func(EventBatch), caughtUp func()) error {
	if s.ferret {
		return s.probeEvents(ctx, since, fn, caughtUp)
	}
	cur, err := s.events.Find(ctx, bson.M{"at": bson.M{"$gte": since}},
		options.Find().SetCursorType(options.TailableAwait).SetBatchSize(1).SetMaxAwaitTime(maxAwait))
	if err != nil {
		return fmt.Errorf("store: tail events: %w", err)
	}
	defer func() { _ = cur.Close(context.WithoutCancel(ctx)) }()
	for {
		if cur.TryNext(ctx) {
			var b EventBatch
			if err := cur.Decode(&b); err != nil {
				return fmt.Errorf("store: tail events: decode: %w", err)
			}
			fn(b)
			continue
		}
		if err := cur.Err(); err != nil {
			return fmt.Errorf("store: tail events: %w", err)
		}
		caughtUp()
		if cur.ID() == 0 {
			return fmt.Errorf("store: tail events: %w", errTailClosed)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}
