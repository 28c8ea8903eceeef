package inbox

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Delivery jobs (delivery.go) live in "deliveries" only while they wait:
// the collection stays as small as the queue, so listing a line's jobs is
// cheap on the embedded engine too.

// QueueDelivery stores a job unless its message's job exists already
// (then it is a retried append: errDuplicateKey, which callers ignore).
func (s *Store) QueueDelivery(ctx context.Context, j *DeliveryJob) error {
	if _, err := s.deliveries.InsertOne(ctx, j); err != nil {
		return writeErr("queue delivery "+j.ID, err)
	}
	return nil
}

// DeliveriesOfLine lists a line's jobs for a channel, oldest first.
func (s *Store) DeliveriesOfLine(ctx context.Context, lineID string, ch Channel) ([]DeliveryJob, error) {
	return findAll[DeliveryJob](ctx, s.deliveries, bson.M{"lineId": lineID, "channel": ch},
		options.Find().SetSort(bson.D{{Key: "createdAt", Value: 1}, {Key: "_id", Value: 1}}))
}

// SaveDelivery writes a changed job if nobody changed it since it was
// read (ErrConflict otherwise), and bumps its version.
func (s *Store) SaveDelivery(ctx context.Context, j *DeliveryJob) error {
	old := j.Version
	j.Version++
	res, err := s.deliveries.ReplaceOne(ctx, bson.M{"_id": j.ID, "version": old}, j)
	if err != nil {
		j.Version = old
		return fmt.Errorf("store: save delivery %s: %w", j.ID, err)
	}
	if res.MatchedCount == 0 {
		j.Version = old
		return fmt.Errorf("delivery %s changed meanwhile: %w", j.ID, ErrConflict)
	}
	return nil
}

// DeleteDelivery forgets a job.
func (s *Store) DeleteDelivery(ctx context.Context, id string) error {
	if _, err := s.deliveries.DeleteOne(ctx, bson.M{"_id": id}); err != nil {
		return fmt.Errorf("store: delete delivery %s: %w", id, err)
	}
	return nil
}

// ChannelUpdate is an update a channel delivered (a Telegram update), kept
// from its arrival until its message is stored: the webhook answers once
// it is written here, the poller confirms its offset once the batch is.
// Its _id is the channel's own id of it (line and update_id), so an update
// delivered several times — concurrently, to several nodes — is kept once.
type ChannelUpdate struct {
	ID       string `bson:"_id"`
	LineID   string `bson:"lineId"`
	Seq      int64  `bson:"seq"`
	Raw      []byte `bson:"raw"`
	Attempts int    `bson:"attempts"`
}

// KeepChannelUpdate stores u and says whether it was new.
func (s *Store) KeepChannelUpdate(ctx context.Context, u *ChannelUpdate) (bool, error) {
	if _, err := s.updates.InsertOne(ctx, u); err != nil {
		if err := writeErr("keep update "+u.ID, err); !errors.Is(err, errDuplicateKey) {
			return false, err
		}
		return false, nil
	}
	return true, nil
}

// ChannelUpdates lists a line's kept updates in their order.
func (s *Store) ChannelUpdates(ctx context.Context, lineID string, limit int) ([]ChannelUpdate, error) {
	return findAll[ChannelUpdate](ctx, s.updates, bson.M{"lineId": lineID},
		options.Find().SetSort(bson.D{{Key: "seq", Value: 1}}).SetLimit(int64(limit)))
}

// SaveChannelUpdate records a failed attempt at an update.
func (s *Store) SaveChannelUpdate(ctx context.Context, u *ChannelUpdate) error {
	if _, err := s.updates.ReplaceOne(ctx, bson.M{"_id": u.ID}, u); err != nil {
		return fmt.Errorf("store: save update %s: %w", u.ID, err)
	}
	return nil
}

// DoneChannelUpdate forgets an update whose message is stored.
func (s *Store) DoneChannelUpdate(ctx context.Context, id string) error {
	if _, err := s.updates.DeleteOne(ctx, bson.M{"_id": id}); err != nil {
		return fmt.Errorf("store: forget update %s: %w", id, err)
	}
	return nil
}
