package inbox

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// OutboxMail is one e-mail waiting in the durable outbox (outbox.go). Its
// _id is the sender's idempotency key: the same notice is queued once.
type OutboxMail struct {
	ID string `bson:"_id"`
	To string `bson:"to"`
	// LineID sends it from the line's mailbox when it has one.
	LineID    string     `bson:"lineId,omitempty"`
	Subject   string     `bson:"subject"`
	Body      string     `bson:"body"`
	CreatedAt time.Time  `bson:"createdAt"`
	Attempts  int        `bson:"attempts"`
	NextAt    time.Time  `bson:"nextAt"`
	SentAt    *time.Time `bson:"sentAt"`
	// FailedAt is set when the outbox gave up on it.
	FailedAt  *time.Time `bson:"failedAt"`
	LastError string     `bson:"lastError,omitempty"`
}

// QueueOutbox stores m unless a mail with its id is queued already, and
// says whether it stored it.
func (s *Store) QueueOutbox(ctx context.Context, m *OutboxMail) (bool, error) {
	if _, err := s.outbox.InsertOne(ctx, m); err != nil {
		if err := writeErr("queue mail "+m.ID, err); !errors.Is(err, errDuplicateKey) {
			return false, err
		}
		return false, nil
	}
	return true, nil
}

// DueOutbox lists up to limit mails to send by now, oldest first.
func (s *Store) DueOutbox(ctx context.Context, now time.Time, limit int) ([]OutboxMail, error) {
	return findAll[OutboxMail](ctx, s.outbox,
		bson.M{"sentAt": nil, "failedAt": nil, "nextAt": bson.M{"$lte": now}},
		options.Find().SetSort(bson.D{{Key: "createdAt", Value: 1}}).SetLimit(int64(limit)))
}

// OutboxMailByID loads a queued mail.
func (s *Store) OutboxMailByID(ctx context.Context, id string) (*OutboxMail, error) {
	var m OutboxMail
	if err := findOne(ctx, s.outbox, id, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// SaveOutbox records a mail's attempt (sent, retry or given up).
func (s *Store) SaveOutbox(ctx context.Context, m *OutboxMail) error {
	if _, err := s.outbox.ReplaceOne(ctx, bson.M{"_id": m.ID}, m); err != nil {
		return fmt.Errorf("store: save mail %s: %w", m.ID, err)
	}
	return nil
}

// CountOutboxTo counts the mails queued to an address since a time (the
// brake on automatic mail to one address).
func (s *Store) CountOutboxTo(ctx context.Context, to string, since time.Time) (int64, error) {
	n, err := s.outbox.CountDocuments(ctx, bson.M{"to": to, "createdAt": bson.M{"$gte": since}})
	if err != nil {
		return 0, fmt.Errorf("store: count mail to an address: %w", err)
	}
	return n, nil
}
