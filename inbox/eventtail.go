package inbox

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// errTailClosed: the server ended a tailable cursor (the embedded engine
// does so when its first batch is short); the tail opens it again.
var errTailClosed = errors.New("the server closed the tailable cursor")

// EventTail carries the events other gateways write to the event log
// into this node's hub, so that several gateways on one shared store show
// each other's changes live. Each node stamps its batches with its name
// (EventLogOptions.Node) and skips its own: an event is delivered once on
// the node that made it, from memory, and once on every other node, from
// the log.
//
// The tail starts at a marker batch the node writes when it starts (so
// the log is never empty and the cursor has a first document); it
// follows the log's insertion order while its cursor is open, and, when
// the cursor has to be opened again, goes on from the last batch it saw.
// Events of a batch written with an earlier time than that batch (a
// node whose clock is behind) during such a reopening are not delivered;
// clients that reconnect resume from stored messages by seq, never from
// the log alone.
type EventTail struct {
	store *Store
	node  string
	sink  EventSink
	now   func() time.Time
	log   *slog.Logger
	// OnBatch is told of each batch from another node delivered here,
	// with how far it lags behind its writing (metrics).
	onBatch func(events int, lag time.Duration)
	onGap   func()
}

// EventTailOptions name the node and count what crosses.
type EventTailOptions struct {
	// Node is this gateway's name, as given to its EventLog.
	Node string
	// Clock is the service's clock (time.Now when nil).
	Clock   func() time.Time
	OnBatch func(events int, lag time.Duration)
	// OnGap is called when the tail fell behind the capped log's window
	// (events of other nodes were lost to it): the node tells its
	// clients to resync.
	OnGap func()
}

// NewEventTail builds a tail that publishes other nodes' events to sink.
func NewEventTail(store *Store, sink EventSink, o EventTailOptions, log *slog.Logger) *EventTail {
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.OnBatch == nil {
		o.OnBatch = func(int, time.Duration) {}
	}
	if o.OnGap == nil {
		o.OnGap = func() {}
	}
	if log == nil {
		log = slog.Default()
	}
	return &EventTail{store: store, node: o.Node, sink: sink, now: o.Clock, log: log, onBatch: o.OnBatch, onGap: o.OnGap}
}

// tailAwait is how long the server holds a tail's request for a new batch.
const tailAwait = time.Second

// Run follows the log until ctx ends.
func (t *EventTail) Run(ctx context.Context) error {
	mark, err := t.mark(ctx)
	if err != nil {
		return err
	}
	since, seen := mark.At, map[string]bool{mark.ID: true}
	backoff := 50 * time.Millisecond
	for {
		delivered := false
		err := t.store.TailEvents(ctx, since, tailAwait, func(b EventBatch) {
			delivered = true
			if seen[b.ID] {
				return
			}
			if b.At.After(since) {
				since = b.At
				clear(seen)
			}
			seen[b.ID] = true
			if b.Node == t.node {
				return
			}
			for _, ev := range b.Events {
				_ = t.sink.Publish(ctx, ev) // the hub never fails
			}
			t.onBatch(len(b.Events), t.now().Sub(b.At))
		})
		if ctx.Err() != nil {
			return nil
		}
		if !delivered {
			// Not even the last batch seen came back: the capped log has
			// rolled past it. Clients resync; the tail starts again from
			// a new marker.
			t.log.Warn("event tail fell behind the log; clients told to resync", "since", since, "err", err)
			t.onGap()
			if mark, err = t.mark(ctx); err != nil {
				return err
			}
			since, seen = mark.At, map[string]bool{mark.ID: true}
		} else if err != nil && !errors.Is(err, errTailClosed) {
			t.log.Warn("event tail interrupted; opening it again", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
	}
}

// mark writes this node's marker batch (no events) and returns it.
func (t *EventTail) mark(ctx context.Context) (EventBatch, error) {
	b := EventBatch{ID: newID(), At: t.now().UTC().Truncate(time.Millisecond), Node: t.node, Events: []Event{}}
	for {
		err := t.store.InsertEventBatch(ctx, b)
		if err == nil {
			return b, nil
		}
		t.log.Warn("event tail: cannot write its marker; trying again", "err", err)
		select {
		case <-ctx.Done():
			return b, nil
		case <-time.After(time.Second):
		}
	}
}
