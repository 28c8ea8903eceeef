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

// Sign-in failures: on a shared store every gateway records the failed
// sign-ins (per account and client address) here, so the sign-in throttle
// counts them over all gateways, not per process. One document per
// failure; each carries the date it may be forgotten (expires), which a
// TTL index deletes on MongoDB. The embedded engine has no TTL indexes, so
// RecordSignInFailure also deletes expired ones, at most once a minute.

// signInFailure is one failed sign-in.
type signInFailure struct {
	ID      string    `bson:"_id"`
	Account string    `bson:"account"`
	Address string    `bson:"address"`
	At      time.Time `bson:"at"`
	Expires time.Time `bson:"expires"`
}

const (
	// signInPurgeEvery is how often RecordSignInFailure deletes expired
	// failures itself, by the callers' clock.
	signInPurgeEvery = time.Minute
	// signInPurgeMax bounds the failures one purge deletes.
	signInPurgeMax = 1000
	// codeNotImplemented is the embedded engine refusing an index option
	// (expireAfterSeconds) it does not have.
	codeNotImplemented = 238
)

// ensureSignInIndexes indexes the failures by address and account (the
// counts, the clearing) and by expiry: a TTL index on MongoDB, a plain one
// where the server has no TTL (the purge of RecordSignInFailure reads it).
func (s *Store) ensureSignInIndexes(ctx context.Context) error {
	for _, keys := range []bson.D{
		{{Key: "address", Value: 1}, {Key: "account", Value: 1}, {Key: "at", Value: 1}},
		{{Key: "address", Value: 1}, {Key: "at", Value: 1}},
	} {
		if _, err := s.signIns.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: keys}); err != nil {
			return fmt.Errorf("store: indexes on %s: %w", s.signIns.Name(), err)
		}
	}
	expires := bson.D{{Key: "expires", Value: 1}}
	_, err := s.signIns.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: expires, Options: options.Index().SetExpireAfterSeconds(0)})
	var ce mongo.CommandError
	if errors.As(err, &ce) && ce.Code == codeNotImplemented {
		_, err = s.signIns.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: expires})
	}
	if err != nil {
		return fmt.Errorf("store: TTL index on %s: %w", s.signIns.Name(), err)
	}
	return nil
}

// RecordSignInFailure records a failed sign-in of account from address at
// at, kept until expires, and returns its id. At most once a minute (by
// at) it also deletes failures that expired before at.
func (s *Store) RecordSignInFailure(ctx context.Context, account, address string, at, expires time.Time) (string, error) {
	doc := signInFailure{ID: newID(), Account: account, Address: address, At: at, Expires: expires}
	if _, err := s.signIns.InsertOne(ctx, doc); err != nil {
		return "", fmt.Errorf("store: record sign-in failure: %w", err)
	}
	if last := s.signInPurged.Load(); at.UnixNano()-last >= int64(signInPurgeEvery) || at.UnixNano() < last {
		if s.signInPurged.CompareAndSwap(last, at.UnixNano()) {
			if err := s.purgeSignInFailures(ctx, at); err != nil {
				s.log.Warn("store: expired sign-in failures not deleted; next try in a minute", "err", err)
			}
		}
	}
	return doc.ID, nil
}

// purgeSignInFailures deletes up to signInPurgeMax failures that expired
// before now.
func (s *Store) purgeSignInFailures(ctx context.Context, now time.Time) error {
	ids, err := findAll[struct {
		ID string `bson:"_id"`
	}](ctx, s.signIns, bson.M{"expires": bson.M{"$lt": now}},
		options.Find().SetProjection(bson.M{"_id": 1}).SetLimit(signInPurgeMax))
	if err != nil || len(ids) == 0 {
		return err
	}
	in := make(bson.A, len(ids))
	for i, d := range ids {
		in[i] = d.ID
	}
	if _, err := s.signIns.DeleteMany(ctx, bson.M{"_id": bson.M{"$in": in}}); err != nil {
		return fmt.Errorf("store: delete expired sign-in failures: %w", err)
	}
	return nil
}

// SignInFailures counts the failed sign-ins at or after since: of account
// from address (pair), and from address over all accounts (addr).
func (s *Store) SignInFailures(ctx context.Context, account, address string, since time.Time) (pair, addr int, err error) {
	recent := bson.M{"$gte": since}
	p, err := s.signIns.CountDocuments(ctx, bson.M{"address": address, "account": account, "at": recent})
	if err != nil {
		return 0, 0, fmt.Errorf("store: count sign-in failures of %s: %w", account, err)
	}
	a, err := s.signIns.CountDocuments(ctx, bson.M{"address": address, "at": recent})
	if err != nil {
		return 0, 0, fmt.Errorf("store: count sign-in failures from %s: %w", address, err)
	}
	return int(p), int(a), nil
}

// ForgetSignInFailure deletes the failure RecordSignInFailure returned id
// for: an attempt recorded before it was checked, then refused.
func (s *Store) ForgetSignInFailure(ctx context.Context, id string) error {
	if _, err := s.signIns.DeleteOne(ctx, bson.M{"_id": id}); err != nil {
		return fmt.Errorf("store: forget sign-in failure %s: %w", id, err)
	}
	return nil
}

// ClearSignInFailures deletes every failure of account from address: a
// successful sign-in clears them, as it does on the gateway itself.
func (s *Store) ClearSignInFailures(ctx context.Context, account, address string) error {
	if _, err := s.signIns.DeleteMany(ctx, bson.M{"address": address, "account": account}); err != nil {
		return fmt.Errorf("store: clear sign-in failures of %s: %w", account, err)
	}
	return nil
}
