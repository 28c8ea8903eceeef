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

// Leases: a document per piece of work that must run on one node at a
// time (the scheduler's jobs, a bot's polling, a mailbox's IDLE), keyed by
// the work's name. A node holds it while the expiry it wrote is in the
// future and renews it well before; another takes it only once it has
// expired. The unique _id is the arbiter when two nodes try at once.

// leaseDoc is one lease.
type leaseDoc struct {
	ID        string    `bson:"_id"`
	Holder    string    `bson:"holder"`
	ExpiresAt time.Time `bson:"expiresAt"`
}

// AcquireLease takes or renews the lease name for holder until now+ttl,
// and says whether holder has it: false while another holder's lease has
// not expired by now.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration, now time.Time) (bool, error) {
	filter := bson.M{"_id": name, "$or": bson.A{bson.M{"holder": holder}, bson.M{"expiresAt": bson.M{"$lt": now}}}}
	update := bson.M{"$set": bson.M{"holder": holder, "expiresAt": now.Add(ttl)}}
	var got leaseDoc
	err := s.leases.FindOneAndUpdate(ctx, filter, update,
		options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&got)
	switch {
	case err == nil:
		return got.Holder == holder, nil
	case mongo.IsDuplicateKeyError(err):
		// The lease exists and another holder's has not expired: the
		// upsert tried to create it again.
		return false, nil
	case errors.Is(err, mongo.ErrNoDocuments):
		return false, nil
	}
	return false, fmt.Errorf("store: lease %s: %w", name, err)
}

// ReleaseLease gives up holder's lease name, if holder has it, so that
// another node can take it at once.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	if _, err := s.leases.DeleteOne(ctx, bson.M{"_id": name, "holder": holder}); err != nil {
		return fmt.Errorf("store: release lease %s: %w", name, err)
	}
	return nil
}

// LeaseHolder says who holds the lease name and until when; "" when nobody.
func (s *Store) LeaseHolder(ctx context.Context, name string) (string, time.Time, error) {
	var l leaseDoc
	err := findOne(ctx, s.leases, name, &l)
	if errors.Is(err, ErrNotFound) {
		return "", time.Time{}, nil
	}
	if err != nil {
		return "", time.Time{}, err
	}
	return l.Holder, l.ExpiresAt, nil
}
