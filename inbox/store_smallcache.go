package inbox

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// smallColl holds a small collection (lines, agents) whole in exclusive
// mode, so that the questions asked of it on every message and every
// widget check — a line by id, a line's agents and their presence — are
// answered without a round trip. Every write to the collection goes
// through a Store method that calls changed after it; the next read loads
// the collection again. A copy read while a write was under way is never
// kept (the generation moved). Answers are decoded anew from the stored
// BSON: callers get their own copies.
type smallColl struct {
	mu     sync.Mutex
	gen    uint64 // moved by every write
	loaded uint64 // the generation the copy was read at
	ok     bool
	byID   map[string]bson.Raw
	ids    []string // by _id
}

// changed marks the copy stale: call it (deferred) in every write method.
func (c *smallColl) changed() {
	c.mu.Lock()
	c.gen++
	c.mu.Unlock()
}

// small returns the documents of coll by id and in _id order, or ok false
// when the store is shared (callers then query the store).
func (s *Store) small(ctx context.Context, c *smallColl, coll *mongo.Collection) (byID map[string]bson.Raw, ids []string, ok bool, err error) {
	if !s.exclusive {
		return nil, nil, false, nil
	}
	c.mu.Lock()
	if c.ok && c.loaded == c.gen {
		byID, ids = c.byID, c.ids
		c.mu.Unlock()
		return byID, ids, true, nil
	}
	gen := c.gen
	c.mu.Unlock()
	cur, err := coll.Find(ctx, bson.M{})
	if err != nil {
		return nil, nil, false, fmt.Errorf("store: read %s: %w", coll.Name(), err)
	}
	defer func() { _ = cur.Close(ctx) }()
	byID = map[string]bson.Raw{}
	for cur.Next(ctx) {
		raw := slices.Clone(cur.Current)
		id, _ := raw.Lookup("_id").StringValueOK()
		byID[id] = raw
		ids = append(ids, id)
	}
	if err := cur.Err(); err != nil {
		return nil, nil, false, fmt.Errorf("store: read %s: %w", coll.Name(), err)
	}
	slices.Sort(ids)
	c.mu.Lock()
	if c.gen == gen {
		c.byID, c.ids, c.loaded, c.ok = byID, ids, gen, true
	}
	c.mu.Unlock()
	return byID, ids, true, nil
}

// decodeAll decodes every document, in ids order.
func decodeAll[T any](byID map[string]bson.Raw, ids []string) ([]T, error) {
	out := make([]T, 0, len(ids))
	for _, id := range ids {
		var v T
		if err := bson.Unmarshal(byID[id], &v); err != nil {
			return nil, fmt.Errorf("store: decode %s: %w", id, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// sortByName orders by name, then id, as the store's name sort does for
// distinct names.
func sortByName[T any](items []T, name func(*T) string) {
	slices.SortStableFunc(items, func(a, b T) int { return cmp.Compare(name(&a), name(&b)) })
}
