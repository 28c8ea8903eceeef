package inbox

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Tailing the event log on the embedded engine. FerretDB answers a
// tailable await cursor by running its whole query again every 10 ms —
// reading and decoding every batch of the capped collection in Go — so
// with a few thousand batches in the log each tailing gateway keeps a
// core busy and the engine falls behind. There, the tail finds batches by
// _id instead, the one lookup the engine answers from an index: a node's
// batch number n is "<node>#<n>", each node writes how far it has
// numbered to event_nodes every EventNodeBeat (so that tails learn of
// nodes and of where an idle one stands), and the tail asks every
// ProbeEvery for the next number of each node it knows. On MongoDB the
// tail is the tailable await cursor (store_events.go).

// ProbeEvery is how long a probing tail waits after a round that found
// nothing new; a round that found something is followed by the next at
// once.
const ProbeEvery = 15 * time.Millisecond

// probeNodesEvery is how often a probing tail reads event_nodes; a node
// silent for probeNodeGone (it wrote no beat) is no longer probed.
const (
	probeNodesEvery = time.Second
	probeNodeGone   = 30 * time.Second
	// probeStuck is how long a number may be missing while its node has
	// numbered past it before the tail looks beyond it (the batch's write
	// failed, or the capped log rolled past it).
	probeStuck = 2 * time.Second
	// probeLateStart: a node first seen with more batches than this is
	// not read from its first batch, which left the log long ago.
	probeLateStart = 1000
)

// batchID is the _id of node's batch number seq.
func batchID(node string, seq int64) string { return fmt.Sprintf("%s#%d", node, seq) }

// eventNode is one node's numbering, as it last wrote it.
type eventNode struct {
	Node string    `bson:"_id"`
	Seq  int64     `bson:"seq"`
	At   time.Time `bson:"at"`
}

// PutEventNode records that node has numbered its batches up to seq, at.
func (s *Store) PutEventNode(ctx context.Context, node string, seq int64, at time.Time) error {
	doc := eventNode{Node: node, Seq: seq, At: at}
	if _, err := s.db.Collection("event_nodes").ReplaceOne(ctx, bson.M{"_id": node}, doc, options.Replace().SetUpsert(true)); err != nil {
		return fmt.Errorf("store: event node %s: %w", node, err)
	}
	return nil
}

func (s *Store) eventNodes(ctx context.Context, since time.Time) ([]eventNode, error) {
	nodes, err := findAll[eventNode](ctx, s.db.Collection("event_nodes"), bson.M{"at": bson.M{"$gte": since}})
	if err != nil {
		return nil, fmt.Errorf("store: event nodes: %w", err)
	}
	return nodes, nil
}

// probeEvents is TailEvents on the embedded engine: everything written
// since `since` in one read, then each known node's next batches by _id.
func (s *Store) probeEvents(ctx context.Context, since time.Time, fn func(EventBatch), caughtUp func()) error {
	// The nodes first, then the log: a batch written in between is in
	// the log read, so nothing falls between the two.
	known, err := s.eventNodes(ctx, time.Now().Add(-probeNodeGone))
	if err != nil {
		return err
	}
	first, err := findAll[EventBatch](ctx, s.events, bson.M{"at": bson.M{"$gte": since}})
	if err != nil {
		return fmt.Errorf("store: tail events: %w", err)
	}
	next := map[string]int64{} // node → the number to ask for next
	for _, b := range first {
		fn(b)
		if b.Node != "" && b.Seq > 0 && b.Seq >= next[b.Node] { // not markers (no number)
			next[b.Node] = b.Seq + 1
		}
	}
	for _, n := range known {
		if _, seen := next[n.Node]; !seen {
			next[n.Node] = n.Seq + 1 // idle since before the window
		}
	}
	caughtUp()
	numbered := map[string]int64{}    // node → how far it said it numbered
	missing := map[string]time.Time{} // node → since when next[node] is missing although numbered
	nodesRead := time.Now()
	for {
		if time.Since(nodesRead) >= probeNodesEvery {
			nodes, err := s.eventNodes(ctx, time.Now().Add(-probeNodeGone))
			if err != nil {
				return err
			}
			nodesRead = time.Now()
			clear(numbered)
			for _, n := range nodes {
				numbered[n.Node] = n.Seq
				if _, known := next[n.Node]; !known {
					// A node that started since: all of its batches are new
					// (one back after a long silence starts where it stands).
					next[n.Node] = 1
					if n.Seq > probeLateStart {
						next[n.Node] = n.Seq + 1
					}
				}
			}
			for node := range next {
				if _, live := numbered[node]; !live {
					delete(next, node)
					delete(missing, node)
				}
			}
		}
		found := false
		for node, seq := range next {
			n, err := s.probeNode(ctx, node, seq, fn)
			if err != nil {
				return err
			}
			if n > 0 {
				found = true
				next[node] = seq + n
				delete(missing, node)
				continue
			}
			if numbered[node] < seq {
				delete(missing, node)
				continue
			}
			// The node numbered past a batch that is not in the log.
			if _, ok := missing[node]; !ok {
				missing[node] = time.Now()
			} else if time.Since(missing[node]) >= probeStuck {
				// Hand on the first batch after the hole: the tail sees the
				// number skipped and reads the log again, then gives up on
				// it and tells clients to resync.
				skip, err := s.probeBeyond(ctx, node, seq+1, numbered[node], fn)
				if err != nil {
					return err
				}
				next[node] = skip
				delete(missing, node)
				found = true
			}
		}
		caughtUp()
		if found {
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(ProbeEvery):
		}
	}
}

// probeNode hands on node's batches from seq on while they are in the log
// and says how many there were.
func (s *Store) probeNode(ctx context.Context, node string, seq int64, fn func(EventBatch)) (int64, error) {
	var n int64
	for {
		var b EventBatch
		err := findOne(ctx, s.events, batchID(node, seq+n), &b)
		if errors.Is(err, ErrNotFound) {
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("store: tail events: %w", err)
		}
		fn(b)
		n++
	}
}

// probeBeyond hands on the first of node's batches from..to that is in
// the log and returns the number to ask for next (to+1 when none is).
func (s *Store) probeBeyond(ctx context.Context, node string, from, to int64, fn func(EventBatch)) (int64, error) {
	for seq := from; seq <= to; seq++ {
		var b EventBatch
		err := findOne(ctx, s.events, batchID(node, seq), &b)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("store: tail events: %w", err)
		}
		fn(b)
		return seq + 1, nil
	}
	return to + 1, nil
}
