package inbox

import (
	"cmp"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The working set's answers to ListConversations: the filter as a Go
// predicate and the sort as a comparison, each written to give what
// ConversationFilter.query and the store's sort give
// (TestWorkingSetListsAsTheStore holds them to the same answers).

// Column is the timing column col ("waitingForAnswer", …, TimingColumns)
// in milliseconds; nil when unset or not a timing column.
func (t *Timings) Column(col string) *int64 {
	if p, ok := t.fields()[col+"Ms"]; ok {
		return *p
	}
	return nil
}

// fields lists the timing columns by stored name, "timings.<name>".
func (t *Timings) fields() map[string]**int64 {
	return map[string]**int64{
		"waitingForAnswerMs": &t.WaitingForAnswerMs, "timeToAcceptMs": &t.TimeToAcceptMs,
		"timeToCloseByAgentMs": &t.TimeToCloseByAgentMs, "durationMs": &t.DurationMs,
		"firstReactionMs": &t.FirstReactionMs, "chatBotMs": &t.ChatBotMs,
		"responseTotalMs": &t.ResponseTotalMs, "responseAverageMs": &t.ResponseAverageMs,
		"responseMaxMs": &t.ResponseMaxMs,
	}
}

// Column is the date column col ("created", "queued", …, DateColumns);
// nil when unset or not a date column.
func (d *Dates) Column(col string) *time.Time {
	switch col {
	case "created":
		return &d.Created
	case "modified":
		return &d.Modified
	case "queued":
		return d.Queued
	case "answered":
		return d.Answered
	case "accepted":
		return d.Accepted
	case "lastMessage":
		return d.LastMessage
	case "closedByAgent":
		return d.ClosedByAgent
	case "closed":
		return d.Closed
	}
	return nil
}

// sortValue is one conversation's value of a sort field: a number (ints,
// flags, dates in milliseconds) or a string; empty for an unset date or
// timing.
type sortValue struct {
	empty bool
	n     int64
	s     string
}

func (a sortValue) compare(b sortValue) int {
	if c := cmp.Compare(a.n, b.n); c != 0 {
		return c
	}
	return strings.Compare(a.s, b.s)
}

func flag(b bool) sortValue {
	if b {
		return sortValue{n: 1}
	}
	return sortValue{}
}

// valueOf reads the stored field (a sortFields value) of c.
func valueOf(c *Conversation, field string) sortValue {
	switch field {
	case "number":
		return sortValue{n: c.Number}
	case "lineId":
		return sortValue{s: c.LineID}
	case "type":
		return sortValue{s: string(c.Type)}
	case "statusCode":
		return sortValue{n: int64(c.StatusCode)}
	case "spam":
		return flag(c.Spam)
	case "channel":
		return sortValue{s: string(c.Channel)}
	case "contactName":
		return sortValue{s: c.ContactName}
	case "agentId":
		return sortValue{s: c.AgentID}
	case "groupId":
		return sortValue{s: c.GroupID}
	case "sitePage":
		return sortValue{s: c.SitePage}
	case "formFilled":
		return flag(c.FormFilled)
	case "historyRequested":
		return flag(c.HistoryRequested)
	case "pinned":
		return flag(c.Pinned)
	case "clientRating":
		return sortValue{n: int64(c.ClientRating)}
	case "supervisorRating":
		return sortValue{n: int64(c.SupervisorRating)}
	case "supervisorComment":
		return sortValue{s: c.SupervisorComment}
	case "missedAt":
		if c.MissedAt == nil {
			return sortValue{empty: true}
		}
		return sortValue{n: c.MissedAt.UnixMilli()}
	}
	if col, ok := strings.CutPrefix(field, "dates."); ok {
		if t := c.Dates.Column(col); t != nil {
			return sortValue{n: t.UnixMilli()}
		}
		return sortValue{empty: true}
	}
	if name, ok := strings.CutPrefix(field, "timings."); ok {
		if p, ok := c.Timings.fields()[name]; ok && *p != nil {
			return sortValue{n: **p}
		}
	}
	return sortValue{empty: true}
}

// matcher is the filter as a predicate, for an actor who sees everything
// (queue == nil) or for an agent whose queues are the lines queue.
func (f *ConversationFilter) matcher(a Actor, queue []string, seesAll bool) func(*Conversation) bool {
	var nameRE *regexp.Regexp
	visitorNumber := -1
	if f.Client != "" {
		nameRE = regexp.MustCompile("(?i)" + regexp.QuoteMeta(f.Client))
		if m := visitorNumberRE.FindStringSubmatch(f.Client); m != nil {
			visitorNumber, _ = strconv.Atoi(m[1])
		}
	}
	type dateRange struct {
		col      string
		from, to int64 // milliseconds; 0 when open
	}
	var dates []dateRange
	for col, r := range f.Dates {
		d := dateRange{col: col}
		if !r.From.IsZero() {
			d.from = r.From.UnixMilli()
		}
		if !r.To.IsZero() {
			d.to = r.To.UnixMilli()
		}
		if d.from != 0 || d.to != 0 {
			dates = append(dates, d)
		}
	}
	flags := []struct {
		want *bool
		get  func(*Conversation) bool
	}{
		{f.Spam, func(c *Conversation) bool { return c.Spam }},
		{f.Pinned, func(c *Conversation) bool { return c.Pinned }},
		{f.FormFilled, func(c *Conversation) bool { return c.FormFilled }},
		{f.HistoryRequested, func(c *Conversation) bool { return c.HistoryRequested }},
		{f.Missed, func(c *Conversation) bool { return c.MissedAt != nil }},
	}
	inList := func(vs []string, v string) bool { return len(vs) == 0 || slices.Contains(vs, v) }
	return func(c *Conversation) bool {
		if !seesAll && c.AgentID != a.AgentID &&
			(c.AgentID != "" || !(slices.Contains(a.GroupIDs, c.GroupID) || (c.GroupID == "" && slices.Contains(queue, c.LineID)))) &&
			!(a.Rescue && c.MissedAt != nil && c.StatusCode <= 6 && slices.Contains(queue, c.LineID)) {
			return false
		}
		if f.Number > 0 && c.Number != f.Number {
			return false
		}
		if f.Unassigned {
			if c.AgentID != "" {
				return false
			}
		} else if !inList(f.AgentIDs, c.AgentID) {
			return false
		}
		if !inList(f.GroupIDs, c.GroupID) || !inList(f.LineIDs, c.LineID) ||
			(len(f.Channels) > 0 && !slices.Contains(f.Channels, c.Channel)) ||
			(len(f.Types) > 0 && !slices.Contains(f.Types, c.Type)) ||
			(len(f.Statuses) > 0 && !slices.Contains(f.Statuses, c.Status)) ||
			(len(f.General) > 0 && !slices.Contains(f.General, c.General)) ||
			(f.Active && c.StatusCode > 6) ||
			(f.ContactID != "" && c.ContactID != f.ContactID) ||
			(len(f.ClientRating) > 0 && !slices.Contains(f.ClientRating, c.ClientRating)) ||
			(len(f.SupervisorRating) > 0 && !slices.Contains(f.SupervisorRating, c.SupervisorRating)) {
			return false
		}
		if nameRE != nil && !nameRE.MatchString(c.ContactName) && (visitorNumber < 0 || c.VisitorNumber != visitorNumber) {
			return false
		}
		for _, fl := range flags {
			if fl.want != nil && fl.get(c) != *fl.want {
				return false
			}
		}
		for _, d := range dates {
			t := c.Dates.Column(d.col)
			if t == nil {
				return false
			}
			v := t.UnixMilli()
			if (d.from != 0 && v < d.from) || (d.to != 0 && v >= d.to) {
				return false
			}
		}
		return true
	}
}

// maxPartialSort is the deepest page end kept in order while scanning;
// beyond it every match is sorted.
const maxPartialSort = 2048

// sortRow is a conversation with its value in the column sorted on.
type sortRow struct {
	v sortValue
	c *Conversation
}

// listOrder orders rows as the list does: values set before empty ones
// (whatever the direction), then by value, then by number, each in dir.
func listOrder(dir int) func(a, b sortRow) int {
	return func(a, b sortRow) int {
		if a.v.empty != b.v.empty {
			if a.v.empty {
				return 1
			}
			return -1
		}
		if c := a.v.compare(b.v); c != 0 {
			return c * dir
		}
		return cmp.Compare(a.c.Number, b.c.Number) * dir
	}
}

// listConversations answers ListConversations from the working set.
func (w *workingSet) listConversations(f ConversationFilter, match func(*Conversation) bool, limit int) ([]Conversation, int64, error) {
	field, dir := "number", -1
	if f.Sort != "" {
		col := strings.TrimPrefix(f.Sort, "-")
		if dir = 1; strings.HasPrefix(f.Sort, "-") {
			dir = -1
		}
		var ok bool
		if field, ok = sortFields[col]; !ok {
			return nil, 0, invalid("sort", "unknown column %q", col)
		}
	}
	type row = sortRow
	before := listOrder(dir)
	w.mu.RLock()
	defer w.mu.RUnlock()
	if limit <= 0 { // as the store's limit 0: no limit
		limit = len(w.convs)
	}
	keep := f.Offset + limit // the rows up to the page's end, in order
	var top []row
	var total int64
	for _, c := range w.convs {
		if !match(c) {
			continue
		}
		total++
		r := row{valueOf(c, field), c}
		if keep > maxPartialSort { // a page far down: sort them all below
			top = append(top, r)
			continue
		}
		if keep == 0 || (len(top) == keep && before(r, top[keep-1]) >= 0) {
			continue
		}
		i, _ := slices.BinarySearchFunc(top, r, before)
		if len(top) == keep {
			top = top[:keep-1]
		}
		top = slices.Insert(top, i, r)
	}
	if keep > maxPartialSort {
		slices.SortFunc(top, before)
	}
	page := make([]Conversation, 0, max(0, min(len(top)-f.Offset, limit)))
	for i := f.Offset; i < len(top) && i < keep; i++ {
		page = append(page, *top[i].c.clone())
	}
	return page, total, nil
}
