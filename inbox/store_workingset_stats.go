package inbox

// statsIndex keeps a statistics row (StatsRow) of every conversation in
// the working set, maintained with each change the set takes (add,
// replace, change, remove, the warm-up): the statistics are read from one
// contiguous slice instead of 100,000 conversations scattered over the
// heap. The rows' identifiers and codes (line, agent, group, channel,
// type, status) are interned — rows share one copy of each string — so
// comparing and hashing them stays in the cache. Guarded by the working
// set's lock.
type statsIndex struct {
	rows []StatsRow
	at   map[string]int // conversation id → index in rows
	// names interns the rows' strings; it holds each distinct line,
	// agent, group and code once, so it grows with those, not with
	// conversations.
	names map[string]string
}

func (x *statsIndex) intern(s string) string {
	if s == "" {
		return ""
	}
	if v, ok := x.names[s]; ok {
		return v
	}
	x.names[s] = s
	return s
}

// reset empties the index for n conversations.
func (x *statsIndex) reset(n int) {
	x.rows = make([]StatsRow, 0, n)
	x.at = make(map[string]int, n)
	x.names = map[string]string{}
}

// put stores c's row in place of its previous one.
func (x *statsIndex) put(c *Conversation) {
	r := statsRowOf(c)
	r.LineID, r.AgentID, r.GroupID = x.intern(r.LineID), x.intern(r.AgentID), x.intern(r.GroupID)
	r.Channel, r.Type, r.Status = Channel(x.intern(string(r.Channel))), ConversationType(x.intern(string(r.Type))), Status(x.intern(string(r.Status)))
	if i, ok := x.at[c.ID]; ok {
		x.rows[i] = r
		return
	}
	x.at[c.ID] = len(x.rows)
	x.rows = append(x.rows, r)
}

// drop removes conversation id's row (the last row takes its place).
func (x *statsIndex) drop(id string) {
	i, ok := x.at[id]
	if !ok {
		return
	}
	last := len(x.rows) - 1
	if i != last {
		x.rows[i] = x.rows[last]
		x.at[x.rows[i].ID] = i
	}
	x.rows[last] = StatsRow{}
	x.rows = x.rows[:last]
	delete(x.at, id)
}

// matching copies the rows f selects: counted first, so that the copy is
// one allocation of the right size (a year's rows are megabytes).
func (x *statsIndex) matching(f *StatsFilter) []StatsRow {
	n := 0
	for i := range x.rows {
		if f.matchesRow(&x.rows[i]) {
			n++
		}
	}
	out := make([]StatsRow, 0, n)
	for i := range x.rows {
		if f.matchesRow(&x.rows[i]) {
			out = append(out, x.rows[i])
		}
	}
	return out
}
