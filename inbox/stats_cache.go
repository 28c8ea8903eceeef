package inbox

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
)

// ReportReuse is how long a computed report is reused for the same
// question while nothing in the inbox has changed: the statistics view
// asks for the report, its six charts and its spreadsheets together, and
// they are answered from one computation. Any published change (a
// message, a status, a presence, an agent's name) makes the next question
// compute afresh; only the time that passes is not seen — a period not
// over yet shows presence up to at most ReportReuse ago (GeneratedAt says
// when).
const ReportReuse = 10 * time.Second

// reportCacheSize caps the reports kept (each is a few kilobytes).
const reportCacheSize = 64

// reportCache remembers recent reports by scope and question; identical
// questions at the same moment wait for one computation.
type reportCache struct {
	mu      sync.Mutex
	entries map[string]cachedReport
	flight  singleflight.Group
	// revision counts the changes the service has published (with the
	// store's Revision, what a kept report must match).
	revision atomic.Uint64
}

type cachedReport struct {
	report   *Report
	revision uint64
}

// reportKey names a question: whose figures (everyone's, or one agent's)
// and the query, lists in the order given.
func reportKey(scope ReportScope, agentID string, q ReportQuery) string {
	var b strings.Builder
	for _, part := range []string{string(scope), agentID, q.From, q.To, q.TimeZone, string(q.Group)} {
		b.WriteString(part)
		b.WriteByte('|')
	}
	for _, list := range [][]string{q.LineIDs, q.AgentIDs, q.GroupIDs} {
		b.WriteString(strings.Join(list, ","))
		b.WriteByte('|')
	}
	for _, ch := range q.Channels {
		b.WriteString(string(ch))
		b.WriteByte(',')
	}
	return b.String()
}

// get returns a kept report of revision storeRev (with the changes
// published since) made within ReportReuse of now, or computes one (once
// for all who ask at once).
func (c *reportCache) get(ctx context.Context, key string, now time.Time, storeRev uint64, compute func(context.Context) (*Report, error)) (*Report, error) {
	rev := c.revision.Load() + storeRev
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && e.revision == rev && !now.Before(e.report.GeneratedAt) && now.Sub(e.report.GeneratedAt) < ReportReuse {
		return e.report, nil
	}
	v, err, _ := c.flight.Do(key, func() (any, error) {
		r, err := compute(context.WithoutCancel(ctx))
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.entries == nil {
			c.entries = map[string]cachedReport{}
		}
		if len(c.entries) >= reportCacheSize {
			clear(c.entries) // rare: many viewers' questions within seconds
		}
		c.entries[key] = cachedReport{report: r, revision: rev}
		return r, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*Report), nil
}

// changed marks every kept report out of date.
func (c *reportCache) changed() { c.revision.Add(1) }
