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
// the cursor has to be opened again (the embedded engine closes idle
// ones), reads again from TailOverlap before the newest batch it saw,
// skipping what it delivered. Each node numbers its batches (Seq): a tail
// that sees a number skipped — two nodes' inserts can become visible out
// of order — reads again at once to find it. If the last batch it
// delivered, or a skipped one, is not in the log, the capped log rolled
// past it: OnGap makes clients resync.
// Clients that reconnect resume from stored messages by seq, never from
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

// TailOverlap is how far back a reopened tail reads again: batches are
// found by their time (the last event's), which follows the log's order
// only roughly across nodes (clocks, queues), so a reopened cursor starts
// this much before the newest batch seen and skips the batches it has
// delivered. A batch written more than this late is not delivered.
const TailOverlap = 10 * time.Second

// Run follows the log until ctx ends.
func (t *EventTail) Run(ctx context.Context) error {
	mark, err := t.mark(ctx)
	if err != nil {
		return err
	}
	// seen holds the batches handled (or skipped as this node's) within
	// TailOverlap of newest; last is the latest of them in the log's order.
	seen := map[string]time.Time{mark.ID: mark.At}
	newest, last := mark.At, mark.ID
	o := newNodeOrder(mark.At, func(b EventBatch) {
		for _, ev := range b.Events {
			_ = t.sink.Publish(ctx, ev) // the hub never fails
		}
		t.onBatch(len(b.Events), t.now().Sub(b.At))
	})
	backoff := 50 * time.Millisecond
	for {
		lastAtOpen, found, checked, rescan := last, false, false, false
		octx, stop := context.WithCancel(ctx)
		err := t.store.TailEvents(octx, newest.Add(-TailOverlap), tailAwait, func(b EventBatch) {
			if b.ID == lastAtOpen {
				found = true
			}
			if _, ok := seen[b.ID]; ok {
				return
			}
			seen[b.ID], last = b.At, b.ID
			if b.At.After(newest) {
				newest = b.At
				for id, at := range seen {
					if at.Before(newest.Add(-TailOverlap)) {
						delete(seen, id)
					}
				}
			}
			if b.Node == t.node {
				return
			}
			if !o.add(b) {
				rescan = true
				stop() // a batch was skipped over: read again from TailOverlap back
			}
		}, func() {
			if checked || octx.Err() != nil {
				return
			}
			checked = true
			if !found || o.lost() {
				// The last batch handled, or one skipped over, is not in the
				// log: the capped log has rolled past it (or its writer
				// failed). What came between is lost: clients resync.
				t.log.Warn("event tail lost batches of the log; clients told to resync", "newest", newest)
				t.onGap()
			}
			o.giveUp()
		})
		stop()
		if ctx.Err() != nil {
			return nil
		}
		if rescan {
			continue
		}
		if err != nil && !errors.Is(err, errTailClosed) {
			t.log.Warn("event tail interrupted; opening it again", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
	}
}

// nodeOrder hands on each node's batches in the order of their Seq: a
// batch that comes after a gap (two nodes' inserts can become visible out
// of order) waits until the skipped ones come, or are given up. Batches
// written before start (by their time) are counted but not handed on:
// this node's clients had not asked for them.
type nodeOrder struct {
	deliver func(EventBatch)
	start   time.Time
	next    map[string]int64 // the Seq due next from each node
	held    map[string]map[int64]EventBatch
	// probing are nodes first seen past their Seq 1: their earlier batches
	// may be in the log, or may have left it long ago.
	probing map[string]bool
}

func newNodeOrder(start time.Time, deliver func(EventBatch)) *nodeOrder {
	return &nodeOrder{deliver: deliver, start: start, next: map[string]int64{},
		held: map[string]map[int64]EventBatch{}, probing: map[string]bool{}}
}

func (o *nodeOrder) hand(b EventBatch) {
	if !b.At.Before(o.start) {
		o.deliver(b)
	}
}

// add hands b on, with what it unblocks, or holds it; false when it is
// held (a batch before it has not come yet).
func (o *nodeOrder) add(b EventBatch) bool {
	want, known := o.next[b.Node]
	switch {
	case b.Seq == 0: // no number: a marker, or a batch of an older gateway
		o.hand(b)
	case !known && b.Seq > 1: // look for the ones before it
		o.next[b.Node], o.probing[b.Node] = 1, true
		o.hold(b)
		return false
	case !known || b.Seq == want:
		o.hand(b)
		o.next[b.Node] = b.Seq + 1
		o.release(b.Node)
	case b.Seq < want: // given up on earlier, come at last
		o.hand(b)
	default:
		o.hold(b)
		return false
	}
	return true
}

func (o *nodeOrder) hold(b EventBatch) {
	if o.held[b.Node] == nil {
		o.held[b.Node] = map[int64]EventBatch{}
	}
	o.held[b.Node][b.Seq] = b
}

// release hands on node's held batches that are now due.
func (o *nodeOrder) release(node string) {
	for {
		b, ok := o.held[node][o.next[node]]
		if !ok {
			return
		}
		delete(o.held[node], b.Seq)
		o.hand(b)
		o.next[node] = b.Seq + 1
	}
}

// lost says whether a batch is held for one that should have come: a gap
// in a node's numbers after its first batch seen here.
func (o *nodeOrder) lost() bool {
	for node, h := range o.held {
		if len(h) > 0 && !o.probing[node] {
			return true
		}
	}
	return false
}

// giveUp stops waiting: held batches go on in order, past the gaps.
func (o *nodeOrder) giveUp() {
	for node, h := range o.held {
		for len(h) > 0 {
			first := int64(-1)
			for seq := range h {
				if first < 0 || seq < first {
					first = seq
				}
			}
			o.next[node] = first
			o.release(node)
		}
	}
	clear(o.probing)
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
