package inbox

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The statistics' questions to the store (stats.go): the conversations
// created in a period, as compact rows, and the agents' presence history
// around it.

// StatsFilter selects the conversations a report counts: those created
// in [From, To) and, where a list is given, on one of its lines, channels,
// agents (the assigned agent) and groups.
type StatsFilter struct {
	From, To time.Time
	LineIDs  []string
	Channels []Channel
	AgentIDs []string
	GroupIDs []string
}

// Timing measures a report summarises, in the order of StatsRow.Timings.
const (
	measureWaitingForAnswer = iota
	measureTimeToAccept
	measureFirstReaction
	measureChatBot
	measureResponse
	measureDuration
	measureCount
)

// StatsRow is what the statistics read of one conversation: a projection
// of its current state. Times that are unset are zero; timings that are
// unset (a dash in the list) are -1.
type StatsRow struct {
	ID               string
	Number           int64
	LineID           string
	Channel          Channel
	Type             ConversationType
	Status           Status
	AgentID          string
	GroupID          string
	ClientRating     int
	SupervisorRating int
	Missed           bool
	Created          time.Time
	Answered         bool
	ClosedByAgent    time.Time
	Closed           time.Time
	// Timings are the conversation's stored timings in milliseconds, by
	// measure: waiting for answer, time to accept, first reaction,
	// chat-bot time, average response time, duration.
	Timings [measureCount]int64
}

func msOrNone(p *int64) int64 {
	if p == nil {
		return -1
	}
	return *p
}

func timeOrZero(p *time.Time) time.Time {
	if p == nil {
		return time.Time{}
	}
	return *p
}

// statsRowOf projects a conversation.
func statsRowOf(c *Conversation) StatsRow {
	t := &c.Timings
	return StatsRow{
		ID: c.ID, Number: c.Number, LineID: c.LineID, Channel: c.Channel, Type: c.Type, Status: c.Status,
		AgentID: c.AgentID, GroupID: c.GroupID, ClientRating: c.ClientRating, SupervisorRating: c.SupervisorRating,
		Missed: c.MissedAt != nil, Created: c.Dates.Created, Answered: c.Dates.Answered != nil,
		ClosedByAgent: timeOrZero(c.Dates.ClosedByAgent), Closed: timeOrZero(c.Dates.Closed),
		Timings: [measureCount]int64{
			msOrNone(t.WaitingForAnswerMs), msOrNone(t.TimeToAcceptMs), msOrNone(t.FirstReactionMs),
			msOrNone(t.ChatBotMs), msOrNone(t.ResponseAverageMs), msOrNone(t.DurationMs),
		},
	}
}

// matchesRow is the filter as a predicate of a row.
func (f *StatsFilter) matchesRow(r *StatsRow) bool {
	if r.Created.Before(f.From) || !r.Created.Before(f.To) {
		return false
	}
	in := func(vs []string, v string) bool { return len(vs) == 0 || slices.Contains(vs, v) }
	return in(f.LineIDs, r.LineID) && in(f.AgentIDs, r.AgentID) && in(f.GroupIDs, r.GroupID) &&
		(len(f.Channels) == 0 || slices.Contains(f.Channels, r.Channel))
}

// query is the filter as a MongoDB query.
func (f *StatsFilter) query() bson.M {
	q := bson.M{"dates.created": bson.M{"$gte": f.From, "$lt": f.To}}
	if len(f.LineIDs) > 0 {
		q["lineId"] = bson.M{"$in": f.LineIDs}
	}
	if len(f.Channels) > 0 {
		q["channel"] = bson.M{"$in": f.Channels}
	}
	if len(f.AgentIDs) > 0 {
		q["agentId"] = bson.M{"$in": f.AgentIDs}
	}
	if len(f.GroupIDs) > 0 {
		q["groupId"] = bson.M{"$in": f.GroupIDs}
	}
	return q
}

// statsProjection is every field statsRowOf reads.
var statsProjection = bson.M{
	"_id": 1, "number": 1, "lineId": 1, "channel": 1, "type": 1, "status": 1, "agentId": 1, "groupId": 1,
	"clientRating": 1, "supervisorRating": 1, "missedAt": 1,
	"dates.created": 1, "dates.answered": 1, "dates.closedByAgent": 1, "dates.closed": 1,
	"timings.waitingForAnswerMs": 1, "timings.timeToAcceptMs": 1, "timings.firstReactionMs": 1,
	"timings.chatBotMs": 1, "timings.responseAverageMs": 1, "timings.durationMs": 1,
}

// StatsConversations lists the conversations the filter selects as
// statistics rows, in no particular order.
//
// In exclusive (embedded) mode it reads the working set's statistics rows
// (store_workingset_stats.go), kept with every change: one pass over a
// contiguous slice, comparing each row's creation and filters — every
// conversation held, one comparison each for those outside the period
// (the rows keep no order by date). On a shared MongoDB store it is one
// query on the dates.created index with a projection of those fields.
func (s *Store) StatsConversations(ctx context.Context, f StatsFilter) ([]StatsRow, error) {
	w, err := s.working(ctx)
	if err != nil {
		return nil, err
	}
	if w != nil {
		w.mu.RLock()
		defer w.mu.RUnlock()
		return w.stats.matching(&f), nil
	}
	cur, err := s.conversations.Find(ctx, f.query(), options.Find().SetProjection(statsProjection).SetBatchSize(2000))
	if err != nil {
		return nil, fmt.Errorf("store: statistics conversations: %w", err)
	}
	defer cur.Close(ctx)
	var out []StatsRow
	for cur.Next(ctx) {
		var c Conversation
		if err := cur.Decode(&c); err != nil {
			return nil, fmt.Errorf("store: statistics conversations: decode: %w", err)
		}
		out = append(out, statsRowOf(&c))
	}
	if err := cur.Err(); err != nil {
		return nil, fmt.Errorf("store: statistics conversations: %w", err)
	}
	return out, nil
}

// PresenceTimeline is the agents' presence history around the period
// [from, to): for each agent, the last change before from — their
// presence when the period starts; absent for an agent with none — and
// every change in the period, oldest first.
//
// On a shared MongoDB store the last change before from is one indexed
// query per agent (agentId, at descending, limit 1), the period's changes
// one more. In exclusive mode the answer comes from the presence copy.
func (s *Store) PresenceTimeline(ctx context.Context, agentIDs []string, from, to time.Time) (map[string]PresenceChange, []PresenceChange, error) {
	before := map[string]PresenceChange{}
	if len(agentIDs) == 0 {
		return before, nil, nil
	}
	if s.exclusive {
		byAgent, err := s.presenceCopy(ctx)
		if err != nil {
			return nil, nil, err
		}
		var in []PresenceChange
		for _, id := range agentIDs {
			h := byAgent[id]
			i := sort.Search(len(h), func(i int) bool { return !h[i].At.Before(from) })
			j := sort.Search(len(h), func(j int) bool { return !h[j].At.Before(to) })
			if i > 0 {
				before[id] = h[i-1]
			}
			in = append(in, h[i:j]...)
		}
		slices.SortStableFunc(in, func(a, b PresenceChange) int { return a.At.Compare(b.At) })
		return before, in, nil
	}
	for _, id := range agentIDs {
		last, err := findAll[PresenceChange](ctx, s.presence, bson.M{"agentId": id, "at": bson.M{"$lt": from}},
			options.Find().SetSort(bson.D{{Key: "at", Value: -1}, {Key: "_id", Value: -1}}).SetLimit(1))
		if err != nil {
			return nil, nil, fmt.Errorf("store: presence of %s before %s: %w", id, from.Format(time.RFC3339), err)
		}
		if len(last) == 1 {
			before[id] = last[0]
		}
	}
	in, err := findAll[PresenceChange](ctx, s.presence,
		bson.M{"agentId": bson.M{"$in": agentIDs}, "at": bson.M{"$gte": from, "$lt": to}}, presenceByTime())
	if err != nil {
		return nil, nil, fmt.Errorf("store: presence timeline: %w", err)
	}
	return before, in, nil
}

func presenceByTime() *options.FindOptionsBuilder {
	return options.Find().SetSort(bson.D{{Key: "at", Value: 1}, {Key: "_id", Value: 1}})
}

// presenceCopy is exclusive mode's copy of the presence history, by
// agent, oldest first, for the statistics. The embedded engine answers
// any question of that collection by decoding all of it (about 50 µs a
// change: a year of 20 agents' changes takes most of a second), so it is
// read once; after that RecordPresence, the one writer, adds each change
// to it. A change is a new map (copy on write): a report reading the map
// it got is never disturbed. Callers must not change what it returns.
type presenceCopy struct {
	mu      sync.Mutex
	ok      bool
	byAgent map[string][]PresenceChange
}

func (s *Store) presenceCopy(ctx context.Context) (map[string][]PresenceChange, error) {
	pc := &s.presenceLog
	pc.mu.Lock() // one reader at a time: the others wait for its copy
	defer pc.mu.Unlock()
	if pc.ok {
		return pc.byAgent, nil
	}
	all, err := findAll[PresenceChange](ctx, s.presence, bson.M{}, presenceByTime())
	if err != nil {
		return nil, fmt.Errorf("store: presence history: %w", err)
	}
	byAgent := map[string][]PresenceChange{}
	for _, p := range all {
		byAgent[p.AgentID] = append(byAgent[p.AgentID], p)
	}
	pc.byAgent, pc.ok = byAgent, true
	return byAgent, nil
}

// rememberPresence adds a recorded change to the copy, once it is read.
func (s *Store) rememberPresence(p PresenceChange) {
	pc := &s.presenceLog
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if !pc.ok {
		return
	}
	next := make(map[string][]PresenceChange, len(pc.byAgent)+1)
	for k, v := range pc.byAgent {
		next[k] = v
	}
	for _, q := range slices.Backward(pc.byAgent[p.AgentID]) {
		if q.ID == p.ID {
			return // the copy was read after the change was written
		}
		if q.At.Before(p.At) {
			break
		}
	}
	h := slices.Clone(next[p.AgentID])
	i := len(h)
	for i > 0 && h[i-1].At.After(p.At) {
		i-- // kept in time order
	}
	next[p.AgentID] = slices.Insert(h, i, p)
	pc.byAgent = next
}
