package inbox

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// workingSet is the embedded mode's in-memory copy of every conversation,
// kept by the store's one writer with every change it writes. It answers
// the conversation questions the embedded engine can only answer by
// decoding the whole collection — the supervisor's list (filters, sort,
// count, paging), agents' loads, the waiting queue, the newest
// conversation of a contact — and loads by id without a round trip.
//
// It is an accelerator of one process, never a second source of truth:
// every change is written to the store first and copied here only when
// the write succeeded; a process that starts reads it anew from the store.
// It exists only in exclusive mode (StoreOptions.Exclusive), where no
// other process writes; on MongoDB the same questions go to indexes.
//
// Stored values are owned by the set: they are copies normalised as the
// store keeps them (dates to the millisecond, UTC), and every answer is a
// copy a caller may change.
type workingSet struct {
	mu    sync.RWMutex
	ready bool
	convs map[string]*Conversation
	// latest maps latestKey(contact, line, channel) to the id of the
	// highest-numbered conversation there.
	latest map[string]string
	// blocked holds the ids of blocked contacts: what a message from a
	// contact needs to know, without loading the contact.
	blocked map[string]bool
	// warmed says how many conversations the warm-up read and how long it
	// took, for the log and the benchmark.
	warmed     int
	warmedTook time.Duration
	// rev counts the changes made to the set (Store.Revision).
	rev atomic.Uint64
	// stats is every conversation's statistics row.
	stats statsIndex
}

// Revision counts the changes this process has made to conversations,
// agents and the presence history: equal revisions mean the same data,
// as far as this process knows (on a shared store, other nodes' changes
// are not counted). The statistics' report cache uses it.
func (s *Store) Revision() uint64 {
	n := s.revision.Load()
	if s.ws != nil {
		n += s.ws.rev.Load()
	}
	s.agentsCache.mu.Lock()
	n += s.agentsCache.gen
	s.agentsCache.mu.Unlock()
	return n
}

// WarmUp fills the working set from the store (exclusive mode only; on a
// shared store it does nothing) and says how many conversations it read
// and how long that took. Every conversation question warms it on first
// use too; the gateway calls it at start so the first request does not
// pay for it.
func (s *Store) WarmUp(ctx context.Context) (n int, took time.Duration, err error) {
	w, err := s.working(ctx)
	if err != nil || w == nil {
		return 0, 0, err
	}
	w.mu.RLock()
	defer w.mu.RUnlock()
	return w.warmed, w.warmedTook, nil
}

// working is the warmed working set, or nil on a shared store.
func (s *Store) working(ctx context.Context) (*workingSet, error) {
	w := s.ws
	if w == nil {
		return nil, nil
	}
	w.mu.RLock()
	ready := w.ready
	w.mu.RUnlock()
	if ready {
		return w, nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ready {
		return w, nil
	}
	// Writers copy their changes here only once it is ready, and wait for
	// this lock to do so: a change written while the store is read is
	// either in what is read or copied after.
	start := time.Now()
	all, err := findAll[Conversation](ctx, s.conversations, bson.M{})
	if err != nil {
		return nil, fmt.Errorf("working set: %w", err)
	}
	blocked, err := findAll[struct {
		ID string `bson:"_id"`
	}](ctx, s.contacts, bson.M{"blocked": true}, options.Find().SetProjection(bson.M{"_id": 1}))
	if err != nil {
		return nil, fmt.Errorf("working set: %w", err)
	}
	w.convs = make(map[string]*Conversation, len(all))
	w.latest = make(map[string]string)
	for i := range all {
		w.convs[all[i].ID] = &all[i]
		w.noteLatest(&all[i])
	}
	// A run that did not end cleanly may have left message changes of
	// conversations unwritten (store_recovery.go).
	clean, err := s.lastRunClean(ctx)
	if err != nil {
		return nil, fmt.Errorf("working set: %w", err)
	}
	if !clean && len(all) > 0 {
		rstart := time.Now()
		n, err := s.recoverConversations(ctx, w.convs)
		if err != nil {
			return nil, fmt.Errorf("working set: %w", err)
		}
		s.log.Warn("embedded store: the last run did not stop cleanly; conversations checked against their messages",
			"conversations", len(all), "repaired", n, "took", time.Since(rstart).Round(time.Millisecond))
	}
	if err := s.setRunClean(ctx, false); err != nil {
		return nil, fmt.Errorf("working set: %w", err)
	}
	w.stats.reset(len(w.convs))
	for _, c := range w.convs {
		w.stats.put(c)
	}
	w.blocked = make(map[string]bool, len(blocked))
	for _, b := range blocked {
		w.blocked[b.ID] = true
	}
	w.ready, w.warmed, w.warmedTook = true, len(all), time.Since(start)
	return w, nil
}

// normalised is c as the store gives it back: times to the millisecond in
// UTC, absent fields as a read leaves them.
func normalised(c *Conversation) (*Conversation, error) {
	raw, err := bson.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("working set: encode %s: %w", c.ID, err)
	}
	var out Conversation
	if err := bson.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("working set: decode %s: %w", c.ID, err)
	}
	return &out, nil
}

// add copies a new conversation in after it was inserted.
func (w *workingSet) add(c *Conversation) error {
	n, err := normalised(c)
	if err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.ready {
		return nil // the warm-up reads it
	}
	w.convs[c.ID] = n
	w.noteLatest(n)
	w.stats.put(n)
	w.rev.Add(1)
	return nil
}

// recomputeLatest finds the latest conversation of key k anew (w.mu held).
func (w *workingSet) recomputeLatest(k string) {
	delete(w.latest, k)
	for _, o := range w.convs {
		if latestKey(o.ContactID, o.LineID, o.Channel) == k {
			w.noteLatest(o)
		}
	}
}

// noteLatest makes c its contact's latest conversation on its line and
// channel if none there has a higher number (w.mu held).
func (w *workingSet) noteLatest(c *Conversation) {
	k := latestKey(c.ContactID, c.LineID, c.Channel)
	if cur, ok := w.convs[w.latest[k]]; !ok || cur.Number <= c.Number {
		w.latest[k] = c.ID
	}
}

// latestOf is a copy of the contact's latest conversation on a line and
// channel.
func (w *workingSet) latestOf(contactID, lineID string, ch Channel) (*Conversation, bool) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	c, ok := w.convs[w.latest[latestKey(contactID, lineID, ch)]]
	if !ok {
		return nil, false
	}
	return c.clone(), true
}

// setBlocked records whether a stored contact is blocked.
func (w *workingSet) setBlocked(contactID string, blocked bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.ready {
		return
	}
	if blocked {
		w.blocked[contactID] = true
	} else {
		delete(w.blocked, contactID)
	}
}

func (w *workingSet) isBlocked(contactID string) bool {
	w.mu.RLock()
	defer w.mu.RUnlock()
	return w.blocked[contactID]
}

func (w *workingSet) remove(ids ...string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.rev.Add(1)
	for _, id := range ids {
		c, ok := w.convs[id]
		if !ok {
			continue
		}
		delete(w.convs, id)
		w.stats.drop(id)
		if k := latestKey(c.ContactID, c.LineID, c.Channel); w.latest[k] == id {
			w.recomputeLatest(k) // the next highest there, if any, takes its place
		}
	}
}

// change applies fn to every conversation match selects, as an
// UpdateMany would, and says which it changed, with their new versions.
func (w *workingSet) change(match func(*Conversation) bool, fn func(*Conversation)) map[string]int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.rev.Add(1)
	changed := map[string]int64{}
	for id, c := range w.convs {
		if match(c) {
			cp := c.clone()
			fn(cp)
			w.convs[id] = cp
			w.stats.put(cp)
			changed[id] = cp.Version
		}
	}
	return changed
}

// replace puts c in place of the stored copy if that copy is still at
// readVersion, and reports whether it did.
func (w *workingSet) replace(c *Conversation, readVersion int64) (bool, error) {
	n, err := normalised(c)
	if err != nil {
		return false, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	old, ok := w.convs[c.ID]
	if !ok || old.Version != readVersion {
		return false, nil
	}
	w.convs[c.ID] = n
	if latestKey(old.ContactID, old.LineID, old.Channel) != latestKey(n.ContactID, n.LineID, n.Channel) {
		w.recomputeLatest(latestKey(old.ContactID, old.LineID, old.Channel)) // moved to another line
	}
	w.noteLatest(n)
	w.stats.put(n)
	w.rev.Add(1)
	return true, nil
}

// get is a copy of conversation id.
func (w *workingSet) get(id string) (*Conversation, bool) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	c, ok := w.convs[id]
	if !ok {
		return nil, false
	}
	return c.clone(), true
}

// select copies the conversations match selects, lowest number first, at
// most limit of them (0: all).
func (w *workingSet) selectConvs(match func(*Conversation) bool, limit int) []Conversation {
	w.mu.RLock()
	var hits []*Conversation
	for _, c := range w.convs {
		if match(c) {
			hits = append(hits, c)
		}
	}
	w.mu.RUnlock()
	slices.SortFunc(hits, func(a, b *Conversation) int { return cmp.Compare(a.Number, b.Number) })
	if limit > 0 && len(hits) > limit {
		hits = hits[:limit]
	}
	out := make([]Conversation, len(hits))
	for i, c := range hits {
		out[i] = *c.clone()
	}
	return out
}

// count counts the conversations match selects.
func (w *workingSet) count(match func(*Conversation) bool) int64 {
	w.mu.RLock()
	defer w.mu.RUnlock()
	var n int64
	for _, c := range w.convs {
		if match(c) {
			n++
		}
	}
	return n
}

// loads counts the active conversations of each agent agent selects.
func (w *workingSet) loads(agent func(string) bool) map[string]int {
	w.mu.RLock()
	defer w.mu.RUnlock()
	load := map[string]int{}
	for _, c := range w.convs {
		if c.StatusCode <= 6 && agent(c.AgentID) {
			load[c.AgentID]++
		}
	}
	return load
}

// clone is a deep copy of c: it shares no pointer with it
// (TestCloneSharesNothing).
func (c *Conversation) clone() *Conversation {
	cp := *c
	if c.LastMessage != nil {
		p := *c.LastMessage
		cp.LastMessage = &p
	}
	d := &cp.Dates
	for _, t := range []**time.Time{&d.Queued, &d.Answered, &d.Accepted, &d.LastMessage, &d.ClosedByAgent, &d.Closed} {
		*t = clonePtr(*t)
	}
	tr := &cp.Track
	cp.MissedAt = clonePtr(c.MissedAt)
	cp.Track.OfferedTo = slices.Clone(c.Track.OfferedTo)
	cp.MailThread = slices.Clone(c.MailThread)
	for _, t := range []**time.Time{&tr.FirstClientMessage, &tr.FirstBotMessage, &tr.LastBotMessage, &tr.AgentJoined, &tr.FirstResponse, &tr.PendingSince, &tr.MissedFrom, &tr.LastClientMessage, &tr.OfferedAt} {
		*t = clonePtr(*t)
	}
	tm := &cp.Timings
	for _, p := range tm.fields() {
		*p = clonePtr(*p)
	}
	return &cp
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
