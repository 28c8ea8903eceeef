package inbox

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Conversation writes in exclusive (embedded) mode. A change of a
// conversation goes into the working set at once — readers see it — and
// the conversation is marked dirty; one writer at a time writes each dirty
// conversation's newest state by _id. Changes that arrive while a write is
// under way wait for the next one, so several changes of a conversation
// cost one write. Callers choose:
//
//   - ReplaceConversation waits until its version is durable (what every
//     change but a message's does);
//   - ReplaceConversationBehind returns at once: a message's change of its
//     conversation, whose message is already durable and from which the
//     change can be made again.
//
// A process that dies with changes unwritten loses nothing: warm-up finds
// that the last run did not end cleanly and applies every stored message
// its conversation had not (recoverConversations).

// convWriteTimeout bounds one conversation write.
const convWriteTimeout = 30 * time.Second

type convWaiter struct {
	version int64
	done    chan error
}

type convWriter struct {
	mu      sync.Mutex
	dirty   map[string]bool
	waiters map[string][]convWaiter
	running bool
	// idle is closed and replaced when the writer finds nothing to do.
	idle chan struct{}
	// writes counts the documents written, for tests.
	writes int64
}

// markDirty queues conversation id for writing and starts the writer if
// none runs; waitFor > 0 registers a waiter for that version.
func (s *Store) markDirty(ids []string, waitFor map[string]int64) map[string]chan error {
	cw := &s.convWrites
	cw.mu.Lock()
	defer cw.mu.Unlock()
	if cw.dirty == nil {
		cw.dirty, cw.waiters = map[string]bool{}, map[string][]convWaiter{}
	}
	var chans map[string]chan error
	for _, id := range ids {
		cw.dirty[id] = true
		if v, ok := waitFor[id]; ok {
			ch := make(chan error, 1)
			cw.waiters[id] = append(cw.waiters[id], convWaiter{version: v, done: ch})
			if chans == nil {
				chans = map[string]chan error{}
			}
			chans[id] = ch
		}
	}
	if !cw.running {
		cw.running = true
		if cw.idle == nil {
			cw.idle = make(chan struct{})
		}
		go s.writeConversations()
	}
	return chans
}

// writeConversations writes dirty conversations until none is left.
func (s *Store) writeConversations() {
	cw := &s.convWrites
	backoff := 50 * time.Millisecond
	for {
		cw.mu.Lock()
		if len(cw.dirty) == 0 {
			cw.running = false
			close(cw.idle)
			cw.idle = make(chan struct{})
			cw.mu.Unlock()
			return
		}
		batch := cw.dirty
		cw.dirty = map[string]bool{}
		cw.mu.Unlock()
		failed := false
		for id := range batch {
			err := s.writeConversation(id)
			if err != nil {
				failed = true
				s.log.Error("embedded store: conversation write failed; retrying", "conversation", id, "err", err)
				cw.mu.Lock()
				cw.dirty[id] = true
				cw.mu.Unlock()
			}
		}
		if failed {
			time.Sleep(backoff)
			backoff = min(2*backoff, 5*time.Second)
		} else {
			backoff = 50 * time.Millisecond
		}
	}
}

// writeConversation writes the working set's copy of conversation id and
// answers the waiters its version satisfies (all of them, with the error,
// when the write failed).
func (s *Store) writeConversation(id string) error {
	c, ok := s.ws.get(id)
	var err error
	if ok {
		ctx, cancel := context.WithTimeout(context.Background(), convWriteTimeout)
		// No upsert: a conversation deleted meanwhile stays deleted.
		_, err = s.conversations.ReplaceOne(ctx, bson.M{"_id": id}, c)
		cancel()
		if err != nil {
			err = fmt.Errorf("store: save conversation %s: %w", id, err)
		}
	}
	cw := &s.convWrites
	cw.mu.Lock()
	defer cw.mu.Unlock()
	cw.writes++
	keep := cw.waiters[id][:0]
	for _, w := range cw.waiters[id] {
		switch {
		case err != nil:
			w.done <- err
		case !ok || w.version <= c.Version:
			w.done <- nil
		default:
			keep = append(keep, w)
		}
	}
	if len(keep) == 0 {
		delete(cw.waiters, id)
	} else {
		cw.waiters[id] = keep
	}
	return err
}

// ConversationWrites says how many conversation documents the writer has
// written in exclusive mode.
func (s *Store) ConversationWrites() int64 {
	s.convWrites.mu.Lock()
	defer s.convWrites.mu.Unlock()
	return s.convWrites.writes
}

// Flush waits until every conversation change is written (exclusive mode;
// at once otherwise).
func (s *Store) Flush(ctx context.Context) error {
	cw := &s.convWrites
	for {
		cw.mu.Lock()
		if !cw.running {
			cw.mu.Unlock()
			return nil
		}
		idle := cw.idle
		cw.mu.Unlock()
		select {
		case <-idle:
		case <-ctx.Done():
			return fmt.Errorf("store: flush conversations: %w", ctx.Err())
		}
	}
}

// waitDurable waits for the channels markDirty returned.
func waitDurable(ctx context.Context, chans map[string]chan error) error {
	for _, ch := range chans {
		select {
		case err := <-ch:
			if err != nil {
				return err
			}
		case <-ctx.Done():
			return fmt.Errorf("store: wait for conversation write: %w", ctx.Err())
		}
	}
	return nil
}
