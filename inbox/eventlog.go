package inbox

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// EventLog writes events to the capped collection that every node tails.
// Publish only queues; Run writes what is queued in batches, one document
// per batch, so a burst of changes costs one insert rather than one each.
// An event still queued when the process dies is lost: clients resume from
// stored messages by seq, never from the event log alone.
type EventLog struct {
	store *Store
	queue chan Event
	log   *slog.Logger
	// MaxBatch caps the events of one document.
	maxBatch int
	dropped  func()
	node     string
	seq      int64 // the last batch's Seq (Run's goroutine only)
}

// EventBatch is one document of the event log.
type EventBatch struct {
	ID string    `bson:"_id"`
	At time.Time `bson:"at"`
	// Node names the gateway that wrote the batch (EventTail skips its own);
	// Seq numbers its batches 1, 2, 3… (0 for a tail's marker), so that a
	// tail sees a batch it has not (yet) been handed.
	Node   string  `bson:"node,omitempty"`
	Seq    int64   `bson:"seq,omitempty"`
	Events []Event `bson:"events"`
}

// EventLogOptions size the event log's queue and batches.
type EventLogOptions struct {
	// Queue is how many events may wait; beyond it events are dropped and
	// counted through OnDrop.
	Queue    int
	MaxBatch int
	OnDrop   func()
	// Node names this gateway among those sharing the store.
	Node string
}

// NewEventLog builds the event log over the store.
func NewEventLog(store *Store, o EventLogOptions, log *slog.Logger) *EventLog {
	if o.Queue <= 0 {
		o.Queue = 10_000
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 256
	}
	if o.OnDrop == nil {
		o.OnDrop = func() {}
	}
	if log == nil {
		log = slog.Default()
	}
	return &EventLog{store: store, queue: make(chan Event, o.Queue), log: log, maxBatch: o.MaxBatch, dropped: o.OnDrop, node: o.Node}
}

var _ EventSink = (*EventLog)(nil)

// Publish queues ev without waiting for the store.
func (l *EventLog) Publish(_ context.Context, ev Event) error {
	select {
	case l.queue <- ev:
		return nil
	default:
		l.dropped()
		return fmt.Errorf("event log: queue full, %s dropped", ev.Type)
	}
}

// Run writes queued events until ctx ends, then flushes what is left.
func (l *EventLog) Run(ctx context.Context) error {
	batch := make([]Event, 0, l.maxBatch)
	for {
		select {
		case <-ctx.Done():
			for {
				select {
				case ev := <-l.queue:
					batch = append(batch, ev)
				default:
					l.write(ctx, batch)
					return nil
				}
			}
		case ev := <-l.queue:
			batch = append(batch[:0], ev)
		drain:
			for len(batch) < l.maxBatch {
				select {
				case ev := <-l.queue:
					batch = append(batch, ev)
				default:
					break drain
				}
			}
			l.write(ctx, batch)
			batch = batch[:0]
		}
	}
}

func (l *EventLog) write(ctx context.Context, batch []Event) {
	if len(batch) == 0 {
		return
	}
	// A batch being written when shutdown starts is still written.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	l.seq++
	doc := EventBatch{ID: newID(), At: batch[len(batch)-1].At, Node: l.node, Seq: l.seq, Events: batch}
	if err := l.store.InsertEventBatch(wctx, doc); err != nil {
		l.log.Error("event log write", "events", len(batch), "err", err)
	}
}
