package inbox

import (
	"context"
	"slices"
)

// export hands fn every conversation match selects, sorted on field in
// dir as listConversations sorts them (values set before empty ones
// whatever the direction, then by value, then by number), a copy at a
// time; more than max is ErrExportTooLarge before the first.
//
// The read lock is held only while the matches are collected: a small row
// per match (its sort value and the set's own value). The set never
// changes a stored value in place — every change stores a new copy
// (change, replace, add) — so the rows can be sorted and copied after the
// lock is released, as selectConvs does, and fn may take its time (write
// to a slow client) without holding up the store's writer. What fn gets
// is the set as it was when the rows were collected.
func (w *workingSet) export(ctx context.Context, match func(*Conversation) bool, field string, dir int, max int64, fn func(*Conversation) error) error {
	type row = sortRow
	w.mu.RLock()
	var rows []row
	for _, c := range w.convs {
		if !match(c) {
			continue
		}
		if int64(len(rows)) == max {
			w.mu.RUnlock()
			return exportTooLarge(max)
		}
		rows = append(rows, row{valueOf(c, field), c})
	}
	w.mu.RUnlock()
	slices.SortFunc(rows, listOrder(dir))
	for i := range rows {
		if err := ctx.Err(); err != nil {
			return err
		}
		c := rows[i].c.clone()
		rows[i].c = nil // handed over: the old value may go once the set drops it
		if err := fn(c); err != nil {
			return err
		}
	}
	return nil
}
