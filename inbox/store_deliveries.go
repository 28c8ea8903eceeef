package inbox

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

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
		options.Find().SetSort(bson.D{{Key: "createdAt", Value: 1}, {Key: "seq", Value: 1}, {Key: "_id", Value: 1}}))
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
	mem, err := s.keptUpdates(ctx)
	if err != nil {
		return false, err
	}
	if _, err := s.updates.InsertOne(ctx, u); err != nil {
		if err := writeErr("keep update "+u.ID, err); !errors.Is(err, errDuplicateKey) {
			return false, err
		}
		return false, nil
	}
	if mem != nil {
		mem.put(*u)
	}
	return true, nil
}

// ChannelUpdates lists a line's kept updates in their order.
func (s *Store) ChannelUpdates(ctx context.Context, lineID string, limit int) ([]ChannelUpdate, error) {
	mem, err := s.keptUpdates(ctx)
	if err != nil {
		return nil, err
	}
	if mem != nil {
		return mem.list(lineID, limit), nil
	}
	return findAll[ChannelUpdate](ctx, s.updates, bson.M{"lineId": lineID},
		options.Find().SetSort(bson.D{{Key: "seq", Value: 1}}).SetLimit(int64(limit)))
}

// SaveChannelUpdate records a failed attempt at an update.
func (s *Store) SaveChannelUpdate(ctx context.Context, u *ChannelUpdate) error {
	if _, err := s.updates.ReplaceOne(ctx, bson.M{"_id": u.ID}, u); err != nil {
		return fmt.Errorf("store: save update %s: %w", u.ID, err)
	}
	if mem, _ := s.keptUpdates(ctx); mem != nil {
		mem.put(*u)
	}
	return nil
}

// DoneChannelUpdate forgets an update whose message is stored.
func (s *Store) DoneChannelUpdate(ctx context.Context, id string) error {
	if _, err := s.updates.DeleteOne(ctx, bson.M{"_id": id}); err != nil {
		return fmt.Errorf("store: forget update %s: %w", id, err)
	}
	if mem, _ := s.keptUpdates(ctx); mem != nil {
		mem.drop(id)
	}
	return nil
}

// keptUpdates is, in exclusive mode, the kept updates in memory, read
// from the collection at the first use: the embedded engine would decode
// the whole collection for every listing. nil on a shared store.
func (s *Store) keptUpdates(ctx context.Context) (*updateQueue, error) {
	if !s.exclusive {
		return nil, nil
	}
	q := &s.kept
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.byLine == nil {
		all, err := findAll[ChannelUpdate](ctx, s.updates, bson.M{})
		if err != nil {
			return nil, err
		}
		q.byLine = map[string][]ChannelUpdate{}
		for _, u := range all {
			q.putLocked(u)
		}
	}
	return q, nil
}

// updateQueue holds kept updates per line, ordered by seq.
type updateQueue struct {
	mu     sync.Mutex
	byLine map[string][]ChannelUpdate
}

func (q *updateQueue) put(u ChannelUpdate) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.putLocked(u)
}

func (q *updateQueue) putLocked(u ChannelUpdate) {
	l := q.byLine[u.LineID]
	i, found := slices.BinarySearchFunc(l, u, func(a, b ChannelUpdate) int { return cmp.Compare(a.Seq, b.Seq) })
	if found && l[i].ID == u.ID {
		l[i] = u
		return
	}
	q.byLine[u.LineID] = slices.Insert(l, i, u)
}

func (q *updateQueue) list(lineID string, limit int) []ChannelUpdate {
	q.mu.Lock()
	defer q.mu.Unlock()
	l := q.byLine[lineID]
	return slices.Clone(l[:min(limit, len(l))])
}

func (q *updateQueue) drop(id string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for line, l := range q.byLine {
		if i := slices.IndexFunc(l, func(u ChannelUpdate) bool { return u.ID == id }); i >= 0 {
			q.byLine[line] = slices.Delete(l, i, i+1)
			return
		}
	}
}
