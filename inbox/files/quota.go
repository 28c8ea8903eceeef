package files

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Used adds up the bytes of the files uploaded at or after since by owner,
// or, with owner "", through line: what counts against a quota.
func (s *Store) Used(ctx context.Context, owner, line string, since time.Time) (int64, error) {
	filter := bson.D{{Key: "uploadDate", Value: bson.D{{Key: "$gte", Value: since}}}}
	switch {
	case owner != "":
		filter = append(filter, bson.E{Key: "metadata.owner", Value: owner})
	case line != "":
		filter = append(filter, bson.E{Key: "metadata.line", Value: line})
	default:
		return 0, fmt.Errorf("files: usage needs an owner or a line")
	}
	cur, err := s.files.Find(ctx, filter, options.Find().SetProjection(bson.D{{Key: "length", Value: 1}}))
	if err != nil {
		return 0, fmt.Errorf("files: find usage: %w", err)
	}
	var docs []struct {
		Length int64 `bson:"length"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return 0, fmt.Errorf("files: read usage: %w", err)
	}
	var n int64
	for _, d := range docs {
		n += d.Length
	}
	return n, nil
}

// orphanBatch bounds the files one sweep looks at.
const orphanBatch = 1000

// DeleteOrphans deletes the files uploaded before cutoff that no message
// carries: uploads nobody sent. A file found attached is marked so, and
// not looked at again. It returns how many it deleted; at most orphanBatch
// files are looked at per call (the next run goes on).
func (s *Store) DeleteOrphans(ctx context.Context, cutoff time.Time) (int, error) {
	cur, err := s.files.Find(ctx, bson.D{
		{Key: "uploadDate", Value: bson.D{{Key: "$lt", Value: cutoff}}},
		{Key: "metadata.attached", Value: bson.D{{Key: "$ne", Value: true}}},
	},
		options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}).SetSort(bson.D{{Key: "uploadDate", Value: 1}}).SetLimit(orphanBatch))
	if err != nil {
		return 0, fmt.Errorf("files: find old files: %w", err)
	}
	var docs []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return 0, fmt.Errorf("files: read old files: %w", err)
	}
	deleted := 0
	for _, d := range docs {
		convs, err := s.AttachedToWithComments(ctx, d.ID)
		if err != nil {
			return deleted, err
		}
		if len(convs) > 0 {
			if _, err := s.files.UpdateOne(ctx, bson.D{{Key: "_id", Value: d.ID}},
				bson.D{{Key: "$set", Value: bson.D{{Key: "metadata.attached", Value: true}}}}); err != nil {
				return deleted, fmt.Errorf("files: mark %s attached: %w", d.ID, err)
			}
			continue
		}
		if err := s.Delete(ctx, d.ID); err != nil {
			return deleted, err
		}
		deleted++
	}
	return deleted, nil
}

// Sweeper deletes the uploads nobody sent within TTL of their upload, by
// the clock Now; the scheduler runs it.
type Sweeper struct {
	Store *Store
	Now   func() time.Time
	TTL   time.Duration
}

// SweepUploads deletes the unsent uploads older than TTL.
func (s Sweeper) SweepUploads(ctx context.Context) (int, error) {
	return s.Store.DeleteOrphans(ctx, s.Now().Add(-s.TTL))
}
