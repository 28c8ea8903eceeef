package inbox

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Group commit of message inserts. Messages that arrive while an insert
// is being written wait for it and are then written together, with one
// InsertMany: a lone message is written at once, as before, and under
// load every write carries what queued behind the last one. Each caller
// still returns only once its own message is durable, with its own
// result: a duplicate key refuses only the message that has it, and a
// failed write fails only the messages it carried.

// maxInsertBatch caps the messages of one write.
const maxInsertBatch = 256

// insertWriteTimeout bounds one batch's write; it does not follow any one
// caller's context, since the batch carries others' messages too.
const insertWriteTimeout = 30 * time.Second

type pendingInsert struct {
	m       *Message
	done    chan error
	written bool // set by the writer before done
}

type insertBatcher struct {
	mu      sync.Mutex
	queue   []*pendingInsert
	writing bool
	// batches and messages count what was written, for tests and metrics.
	batches, messages atomic.Int64
}

// InsertStats says how many insert writes the store made and how many
// messages they carried.
func (s *Store) InsertStats() (batches, messages int64) {
	return s.inserts.batches.Load(), s.inserts.messages.Load()
}

// InsertMessage stores a message as it is, together with any others
// arriving meanwhile (group commit, above). A taken seq or client id in
// its conversation (or a taken _id, which derives from the client id) is
// errDuplicateKey: the unique indexes decide races.
func (s *Store) InsertMessage(ctx context.Context, m *Message) error {
	p := &pendingInsert{m: m, done: make(chan error, 1)}
	b := &s.inserts
	b.mu.Lock()
	b.queue = append(b.queue, p)
	lead := !b.writing
	b.writing = true
	b.mu.Unlock()
	if lead {
		s.writeInserts(ctx, p)
	}
	return <-p.done
}

// writeInserts writes the queue batch by batch. A writer serving a caller
// (own) stops once that caller's message is written and hands what is
// still queued to a new writer, so no caller waits on others' writes
// after its own.
func (s *Store) writeInserts(ctx context.Context, own *pendingInsert) {
	b := &s.inserts
	for {
		b.mu.Lock()
		if len(b.queue) == 0 {
			b.writing = false
			b.mu.Unlock()
			return
		}
		if own != nil && own.written {
			b.mu.Unlock()
			go s.writeInserts(context.WithoutCancel(ctx), nil)
			return
		}
		n := min(len(b.queue), maxInsertBatch)
		batch := b.queue[:n:n]
		b.queue = b.queue[n:]
		b.mu.Unlock()
		s.writeBatch(ctx, batch)
	}
}

func (s *Store) writeBatch(ctx context.Context, batch []*pendingInsert) {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), insertWriteTimeout)
	defer cancel()
	docs := make([]any, len(batch))
	for i, p := range batch {
		docs[i] = p.m
	}
	s.inserts.batches.Add(1)
	s.inserts.messages.Add(int64(len(batch)))
	var err error
	if len(batch) == 1 {
		_, err = s.messages.InsertOne(wctx, batch[0].m)
	} else {
		_, err = s.messages.InsertMany(wctx, docs, options.InsertMany().SetOrdered(false))
	}
	results := make([]error, len(batch))
	var bulk mongo.BulkWriteException
	switch {
	case err == nil:
	case len(batch) > 1 && errors.As(err, &bulk) && bulk.WriteConcernError == nil && len(bulk.WriteErrors) > 0:
		// Only the documents named in the write errors failed.
		for _, we := range bulk.WriteErrors {
			if we.Index >= 0 && we.Index < len(batch) {
				results[we.Index] = writeErr("insert message", we)
			}
		}
	default:
		for i := range results {
			results[i] = writeErr("insert message", err)
		}
	}
	for i, p := range batch {
		p.written = true
		p.done <- results[i]
	}
}
