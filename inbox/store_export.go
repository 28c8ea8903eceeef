package inbox

import (
	"context"
	"fmt"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// exportBatch is how many conversations a cursor of an export fetches at
// a time from a shared store.
const exportBatch = 500

// CountConversations counts the conversations the actor may see that
// match the filter (checked by its validate), as ListConversations'
// total.
func (s *Store) CountConversations(ctx context.Context, a Actor, f ConversationFilter) (int64, error) {
	if w, err := s.working(ctx); err != nil {
		return 0, err
	} else if w != nil {
		var queue []string
		if !a.SeesAll() {
			if queue, err = s.QueueLineIDs(ctx, a); err != nil {
				return 0, err
			}
		}
		return w.count(f.matcher(a, queue, a.SeesAll())), nil
	}
	q, err := s.visibleTo(ctx, a, f.query())
	if err != nil {
		return 0, err
	}
	n, err := s.conversations.CountDocuments(ctx, q)
	if err != nil {
		return 0, fmt.Errorf("store: count conversations: %w", err)
	}
	return n, nil
}

// listSort is the list's order for a filter's Sort: the stored field and
// the direction (1 ascending, -1 descending); by number descending when
// there is none.
func listSort(sort string) (field string, dir int, err error) {
	if sort == "" {
		return "number", -1, nil
	}
	col := strings.TrimPrefix(sort, "-")
	if dir = 1; strings.HasPrefix(sort, "-") {
		dir = -1
	}
	field, ok := sortFields[col]
	if !ok {
		return "", 0, invalid("sort", "unknown column %q", col)
	}
	return field, dir, nil
}

// ExportConversations calls fn with every conversation the actor may see
// that matches the filter (checked by its validate), in
// ListConversations' order, ignoring the filter's Limit and Offset: a copy
// at a time, none of the store's locks held while fn runs. More than max
// is ErrExportTooLarge: on the working set before the first call, on a
// shared store when the cursor passes max. An error of fn ends the walk
// and is returned as it is.
//
// The working set sorts the matching conversations in memory (a small
// row per match) and copies each as it is handed over; a shared store
// reads them with a cursor in the same order (no skip and limit paging):
// one query, or two where empty values go last (see emptyLast).
func (s *Store) ExportConversations(ctx context.Context, a Actor, f ConversationFilter, max int64, fn func(*Conversation) error) error {
	field, dir, err := listSort(f.Sort)
	if err != nil {
		return err
	}
	if w, err := s.working(ctx); err != nil {
		return err
	} else if w != nil {
		var queue []string
		if !a.SeesAll() {
			if queue, err = s.QueueLineIDs(ctx, a); err != nil {
				return err
			}
		}
		return w.export(ctx, f.matcher(a, queue, a.SeesAll()), field, dir, max, fn)
	}
	q, err := s.visibleTo(ctx, a, f.query())
	if err != nil {
		return err
	}
	spec := bson.D{{Key: field, Value: dir}}
	if field != "number" { // a duplicate sort key is refused by the store
		spec = append(spec, bson.E{Key: "number", Value: dir})
	}
	var n int64
	if !mayBeEmpty(field) {
		return s.walkConversations(ctx, q, spec, &n, max, fn)
	}
	set := bson.M{"$and": bson.A{q, bson.M{field: bson.M{"$ne": nil}}}}
	empty := bson.M{"$and": bson.A{q, bson.M{field: nil}}}
	if err := s.walkConversations(ctx, set, spec, &n, max, fn); err != nil {
		return err
	}
	return s.walkConversations(ctx, empty, bson.D{{Key: "number", Value: dir}}, &n, max, fn)
}

// walkConversations hands fn every conversation q selects in the order
// spec, counting them in n; past max it stops with ErrExportTooLarge.
func (s *Store) walkConversations(ctx context.Context, q bson.M, spec bson.D, n *int64, max int64, fn func(*Conversation) error) error {
	cur, err := s.conversations.Find(ctx, q, options.Find().SetSort(spec).SetBatchSize(exportBatch))
	if err != nil {
		return fmt.Errorf("store: export conversations: %w", err)
	}
	defer func() { _ = cur.Close(context.WithoutCancel(ctx)) }()
	for cur.Next(ctx) {
		if *n >= max {
			return exportTooLarge(max)
		}
		var c Conversation
		if err := cur.Decode(&c); err != nil {
			return fmt.Errorf("store: export conversations: decode: %w", err)
		}
		*n++
		if err := fn(&c); err != nil {
			return err
		}
	}
	if err := cur.Err(); err != nil {
		return fmt.Errorf("store: export conversations: %w", err)
	}
	return nil
}

// CRMRef is a contact's record in an external CRM: its id there and a
// link to it, either of them empty.
type CRMRef struct {
	ID  string `bson:"crmId"`
	URL string `bson:"crmUrl"`
}

// CRMLookup finds the CRM records of contacts, a batch of contacts at a
// time, for an export's CRM column.
type CRMLookup struct {
	s *Store
	// all holds every contact's record that has one, read at once where
	// the engine cannot look up a batch of ids without decoding every
	// contact (the embedded engine); nil on a shared store.
	all map[string]CRMRef
}

// hasCRM selects the contacts with a CRM id or link.
func hasCRM() bson.M {
	return bson.M{"$or": bson.A{
		bson.M{"crmId": bson.M{"$nin": bson.A{"", nil}}},
		bson.M{"crmUrl": bson.M{"$nin": bson.A{"", nil}}},
	}}
}

// crmProjection reads only what the CRM column shows.
func crmProjection() bson.M { return bson.M{"_id": 1, "crmId": 1, "crmUrl": 1} }

type crmDoc struct {
	ID     string `bson:"_id"`
	CRMRef `bson:",inline"`
}

// CRMLookup prepares lookups of contacts' CRM records. On the embedded
// engine, which answers only an exact _id without decoding the whole
// collection, the records of all contacts that have one are read here,
// once; on a shared store each batch is one query by _id.
func (s *Store) CRMLookup(ctx context.Context) (*CRMLookup, error) {
	l := &CRMLookup{s: s}
	if s.ws == nil {
		return l, nil
	}
	docs, err := findAll[crmDoc](ctx, s.contacts, hasCRM(), options.Find().SetProjection(crmProjection()))
	if err != nil {
		return nil, err
	}
	l.all = make(map[string]CRMRef, len(docs))
	for _, d := range docs {
		l.all[d.ID] = d.CRMRef
	}
	return l, nil
}

// Of maps those of the contacts ids that have a CRM record to it.
func (l *CRMLookup) Of(ctx context.Context, ids []string) (map[string]CRMRef, error) {
	out := make(map[string]CRMRef)
	if l.all != nil {
		for _, id := range ids {
			if r, ok := l.all[id]; ok {
				out[id] = r
			}
		}
		return out, nil
	}
	if len(ids) == 0 {
		return out, nil
	}
	q := bson.M{"$and": bson.A{bson.M{"_id": bson.M{"$in": ids}}, hasCRM()}}
	docs, err := findAll[crmDoc](ctx, l.s.contacts, q, options.Find().SetProjection(crmProjection()))
	if err != nil {
		return nil, err
	}
	for _, d := range docs {
		out[d.ID] = d.CRMRef
	}
	return out, nil
}
