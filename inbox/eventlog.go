package inbox

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// EventLog writes events to the capped collection that every node tails.
// Publish queues; Run writes what is queued in batches, one document per
// batch, so a burst of changes costs one insert rather than one each. A
// durable log's Publish waits for that write (several gateways on one
// store); otherwise an event still queued when the process dies is lost:
// clients resume from stored messages by seq, never from the log alone.
type EventLog struct {
	store *Store
	queue chan queued
	// durable: Publish returns once the event's batch is written.
	durable bool
	// started is closed when Run starts, stopped when it has returned:
	// a durable Publish waits only in between (events published before
	// Run, at start-up, are written when it starts).
	started, stopped chan struct{}
	log              *slog.Logger
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
	// Durable makes Publish wait until the event's batch is written (at
	// most DurableWait), so that what a request answered is in the log
	// for the other gateways even if this process dies right after:
	// for several gateways on one store. Batches still group the events
	// of concurrent requests into one write. A durable log with a Node
	// also writes how far it has numbered its batches (EventNodeBeat).
	Durable bool
}

// DurableWait bounds how long a durable Publish waits for its batch.
const DurableWait = 10 * time.Second

// queued is an event waiting for the log; done, when set, is told how
// its batch's write went.
type queued struct {
	ev   Event
	done chan error
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
	return &EventLog{store: store, queue: make(chan queued, o.Queue), log: log, maxBatch: o.MaxBatch, dropped: o.OnDrop, node: o.Node, durable: o.Durable, started: make(chan struct{}), stopped: make(chan struct{})}
}

var _ EventSink = (*EventLog)(nil)

// Publish queues ev; a durable log then waits for its batch's write.
func (l *EventLog) Publish(ctx context.Context, ev Event) error {
	q := queued{ev: ev}
	if l.durable {
		q.done = make(chan error, 1)
	}
	select {
	case l.queue <- q:
	default:
		l.dropped()
		return fmt.Errorf("event log: queue full, %s dropped", ev.Type)
	}
	if q.done == nil {
		return nil
	}
	select {
	case <-l.started:
	default:
		return nil // written when Run starts
	}
	t := time.NewTimer(DurableWait)
	defer t.Stop()
	select {
	case err := <-q.done:
		return err
	case <-t.C:
		return fmt.Errorf("event log: %s not written within %s", ev.Type, DurableWait)
	case <-l.stopped:
		// The process is stopping and wrote its last batch: as with a
		// log that does not wait, what came after is not written.
		select {
		case err := <-q.done:
			return err
		default:
			return nil
		}
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Run writes queued events until ctx ends, then flushes what is left.
func (l *EventLog) Run(ctx context.Context) error {
	close(l.started)
	defer close(l.stopped)
	batch := make([]queued, 0, l.maxBatch)
	// A named node on a shared store says where its numbering is, now and
	// every EventNodeBeat, for tails that find batches by number.
	var beat <-chan time.Time
	if l.durable && l.node != "" {
		l.beat(ctx)
		t := time.NewTicker(EventNodeBeat)
		defer t.Stop()
		beat = t.C
	}
	for {
		select {
		case <-beat:
			l.beat(ctx)
		case <-ctx.Done():
			for {
				select {
				case q := <-l.queue:
					batch = append(batch, q)
				default:
					l.write(ctx, batch)
					return nil
				}
			}
		case q := <-l.queue:
			batch = append(batch[:0], q)
		drain:
			for len(batch) < l.maxBatch {
				select {
				case q := <-l.queue:
					batch = append(batch, q)
				default:
					break drain
				}
			}
			l.write(ctx, batch)
			batch = batch[:0]
		}
	}
}

func (l *EventLog) write(ctx context.Context, batch []queued) {
	if len(batch) == 0 {
		return
	}
	// A batch being written when shutdown starts is still written.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	events := make([]Event, len(batch))
	for i, q := range batch {
		events[i] = q.ev
	}
	l.seq++
	doc := EventBatch{ID: newID(), At: events[len(events)-1].At, Node: l.node, Seq: l.seq, Events: events}
	if l.node != "" {
		doc.ID = batchID(l.node, l.seq) // found by _id where the tail probes
	}
	err := l.store.InsertEventBatch(wctx, doc)
	if err != nil {
		l.log.Error("event log write", "events", len(batch), "err", err)
	}
	for _, q := range batch {
		if q.done != nil {
			q.done <- err
		}
	}
}

// EventNodeBeat is how often a node on a shared store writes how far its
// batches are numbered (store_events_probe.go).
const EventNodeBeat = 2 * time.Second

// beat writes the node's numbering; a failure is logged and written again
// at the next beat.
func (l *EventLog) beat(ctx context.Context) {
	bctx, cancel := context.WithTimeout(ctx, EventNodeBeat)
	defer cancel()
	if err := l.store.PutEventNode(bctx, l.node, l.seq, time.Now()); err != nil && ctx.Err() == nil {
		l.log.Warn("event log: write this node's numbering", "err", err)
	}
}
