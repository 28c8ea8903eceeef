package inbox

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// Statistics for supervisors: counts, times, ratings, agents' presence
// and load over a period, per line, channel, agent and group.
//
// Which conversations count: those **created** in the period [From, To),
// cut at the viewer's local midnights. Each is counted as it stands when
// the report is made — answered, missed, rated, its timings — except its
// outcome (closed by an agent, by timeout, as spam, or still open), which
// is as of the end of the period (or now, for a period not over yet), so
// that the outcomes of a period always add up to its new conversations.
//
// The numbers are computed from the conversations' stored dates and
// timings (timings.go) — nothing is recomputed from messages — and the
// agents' presence history (store_presence.go).

// Grouping is the size of a report's series buckets.
type Grouping string

// Groupings: local days, ISO weeks (Monday to Sunday), calendar months.
const (
	GroupDay   Grouping = "day"
	GroupWeek  Grouping = "week"
	GroupMonth Grouping = "month"
)

// MaxReportDays is the longest period a report covers, in days.
const MaxReportDays = 400

// ReportQuery asks for a report. Its fields are named in errors by the
// REST query's parameter names (from, to, tz, group, lineId, channel,
// agentId, groupId).
type ReportQuery struct {
	// From and To are local dates, YYYY-MM-DD, in TimeZone: the period
	// runs from From's midnight (included) to To's (excluded).
	From, To string
	// TimeZone is the viewer's IANA time zone, e.g. Europe/Berlin.
	TimeZone string
	// Group sizes the series' buckets; day when empty.
	Group Grouping
	// Lists narrow the conversations; empty lists select everything.
	LineIDs  []string
	Channels []Channel
	AgentIDs []string
	GroupIDs []string
}

// ReportScope says whose figures a report holds.
type ReportScope string

// Scopes: everyone's (supervisors, admins) or the agent's own.
const (
	ScopeAll ReportScope = "all"
	ScopeOwn ReportScope = "own"
)

// Report is the statistics of a period. Durations are in seconds,
// rounded to the millisecond.
type Report struct {
	From     string   `json:"from"`
	To       string   `json:"to"`
	TimeZone string   `json:"timeZone"`
	Group    Grouping `json:"group"`
	// Start and End are the period's instants (local midnights).
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// GeneratedAt is when the report was made: the state the figures show.
	GeneratedAt time.Time    `json:"generatedAt"`
	Scope       ReportScope  `json:"scope"`
	Filter      ReportFilter `json:"filter"`

	Conversations ConversationCounts `json:"conversations"`
	Times         ReportTimes        `json:"times"`
	Ratings       ReportRatings      `json:"ratings"`
	Agents        []AgentStats       `json:"agents"`
	Load          ReportLoad         `json:"load"`
	Series        []ReportBucket     `json:"series"`
}

// ReportFilter echoes the lists the report was narrowed by (an agent's
// own report: agentIds is theirs).
type ReportFilter struct {
	LineIDs  []string  `json:"lineIds"`
	Channels []Channel `json:"channels"`
	AgentIDs []string  `json:"agentIds"`
	GroupIDs []string  `json:"groupIds"`
}

// ConversationCounts count the conversations created in the period (or
// bucket). ClosedByAgent + ClosedByTimeout + Spam + StillOpen = New.
type ConversationCounts struct {
	New       int64         `json:"new"`
	Incoming  int64         `json:"incoming"`
	Outgoing  int64         `json:"outgoing"`
	ByChannel ChannelCounts `json:"byChannel"`
	// Answered: an agent answered (dates.answered is set).
	Answered int64 `json:"answered"`
	// Missed: marked missed and not answered since (missedAt is set; an
	// answer takes the mark off, so a conversation missed and then
	// answered counts as answered, not missed).
	Missed int64 `json:"missed"`
	// MissedRate is Missed ÷ Incoming; null without incoming conversations.
	MissedRate *float64 `json:"missedRate"`
	// ClosedByAgent: an agent closed it (also while it waits in "closing"
	// for the client's rating); ClosedByTimeout: closed without an
	// agent's close — the line's auto-close of a silent client
	// (autoclose.go), or a close by the product's own workers (the system
	// actor; its rating wait then ends by timeout); Spam: force-closed as
	// spam; StillOpen: none of these by the period's end.
	ClosedByAgent   int64 `json:"closedByAgent"`
	ClosedByTimeout int64 `json:"closedByTimeout"`
	Spam            int64 `json:"spam"`
	StillOpen       int64 `json:"stillOpen"`
}

// ChannelCounts count conversations by channel.
type ChannelCounts struct {
	LiveChat int64 `json:"livechat"`
	Telegram int64 `json:"telegram"`
	Email    int64 `json:"email"`
}

// TimeStats summarise one timing over the conversations that have it,
// exactly: Median is the middle value (the mean of the two middle ones
// for an even count), P90 the nearest-rank 90th percentile (the value
// at rank ⌈0.9·Count⌉). All null when Count is 0.
type TimeStats struct {
	Count   int64    `json:"count"`
	Average *float64 `json:"average"`
	Median  *float64 `json:"median"`
	P90     *float64 `json:"p90"`
	Max     *float64 `json:"max"`
}

// ReportTimes are the conversations' timings (see Timings). Waiting for
// the agent's answer and time to accept count incoming conversations only:
// an outgoing one begins with the agent's own message.
type ReportTimes struct {
	WaitingForAnswer TimeStats `json:"waitingForAnswer"`
	TimeToAccept     TimeStats `json:"timeToAccept"`
	FirstReaction    TimeStats `json:"firstReaction"`
	ChatBot          TimeStats `json:"chatBot"`
	// Response summarises each conversation's average response time.
	Response TimeStats `json:"response"`
	Duration TimeStats `json:"duration"`
}

// TimeAverages are ReportTimes' averages, for a series bucket.
type TimeAverages struct {
	WaitingForAnswer *float64 `json:"waitingForAnswer"`
	TimeToAccept     *float64 `json:"timeToAccept"`
	FirstReaction    *float64 `json:"firstReaction"`
	ChatBot          *float64 `json:"chatBot"`
	Response         *float64 `json:"response"`
	Duration         *float64 `json:"duration"`
}

// RatingStats summarise ratings 1–5: Distribution[i] counts rating i+1;
// Average is null when nobody rated.
type RatingStats struct {
	Count        int64    `json:"count"`
	Distribution [5]int64 `json:"distribution"`
	Average      *float64 `json:"average"`
}

// ReportRatings are the clients' and the supervisors' ratings.
type ReportRatings struct {
	Client     RatingStats `json:"client"`
	Supervisor RatingStats `json:"supervisor"`
}

// AgentStats are one agent's figures: the conversations assigned to
// them, and their time in each presence within the period (up to now).
type AgentStats struct {
	AgentID string `json:"agentId"`
	// Name is empty for an agent who has been deleted.
	Name     string `json:"name"`
	Handled  int64  `json:"handled"`
	Answered int64  `json:"answered"`
	Missed   int64  `json:"missed"`
	// FirstReactionAverage is in seconds; null when none has one.
	FirstReactionAverage *float64      `json:"firstReactionAverage"`
	ClientRating         RatingStats   `json:"clientRating"`
	Presence             PresenceTimes `json:"presence"`
}

// PresenceTimes are seconds spent in each presence.
type PresenceTimes struct {
	Online    float64 `json:"online"`
	Invisible float64 `json:"invisible"`
	Offline   float64 `json:"offline"`
}

// ReportLoad is when conversations arrive and how long the queue got.
type ReportLoad struct {
	// HourOfWeek counts conversations by the local weekday (Monday first)
	// and hour of their creation.
	HourOfWeek [7][24]int64 `json:"hourOfWeek"`
	// LongestWait is the longest wait for an agent's answer of an
	// incoming conversation; null when none was answered.
	LongestWait *LongestWait `json:"longestWait"`
}

// LongestWait names the conversation that waited longest.
type LongestWait struct {
	Seconds        float64 `json:"seconds"`
	ConversationID string  `json:"conversationId"`
	Number         int64   `json:"number"`
}

// ReportBucket is one day, week or month of the series.
type ReportBucket struct {
	// Start is the bucket's first local date (a week's Monday, a month's
	// first day), which may lie before the period's start; StartAt is its
	// local midnight.
	Start         string             `json:"start"`
	StartAt       time.Time          `json:"startAt"`
	Conversations ConversationCounts `json:"conversations"`
	Averages      TimeAverages       `json:"averages"`
	ClientRating  RatingStats        `json:"clientRating"`
}

// Report computes the statistics of a period. Supervisors and admins see
// everyone's figures; an agent only their own: the conversations
// assigned to them and their own presence (asking for another agent's is
// forbidden).
func (s *Service) Report(ctx context.Context, a Actor, q ReportQuery) (*Report, error) {
	p, err := q.period()
	if err != nil {
		return nil, err
	}
	for _, ch := range q.Channels {
		if !ch.Valid() {
			return nil, invalid("channel", "unknown channel %q: must be livechat, telegram or email", ch)
		}
	}
	scope := ScopeAll
	if !a.SeesAll() {
		if a.AgentID == "" {
			return nil, ErrForbidden
		}
		for _, id := range q.AgentIDs {
			if id != a.AgentID {
				return nil, fmt.Errorf("agents see only their own statistics: %w", ErrForbidden)
			}
		}
		scope, q.AgentIDs = ScopeOwn, []string{a.AgentID}
	}
	owner := "" // staff share everyone's reports
	if scope == ScopeOwn {
		owner = a.AgentID
	}
	return s.reports.get(ctx, reportKey(scope, owner, q), s.Now(), s.store.Revision(), func(ctx context.Context) (*Report, error) {
		return s.computeReport(ctx, q, p, scope)
	})
}

// computeReport makes a report of a checked query for a scope.
func (s *Service) computeReport(ctx context.Context, q ReportQuery, p *period, scope ReportScope) (*Report, error) {
	f := StatsFilter{From: p.start, To: p.end, LineIDs: q.LineIDs, Channels: q.Channels, AgentIDs: q.AgentIDs, GroupIDs: q.GroupIDs}
	rows, err := s.store.StatsConversations(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	now := s.Now()
	r := &Report{
		From: q.From, To: q.To, TimeZone: q.TimeZone, Group: p.group, Start: p.start, End: p.end,
		GeneratedAt: now, Scope: scope,
		Filter: ReportFilter{LineIDs: nonNil(q.LineIDs), Channels: nonNilOf(q.Channels), AgentIDs: nonNil(q.AgentIDs), GroupIDs: nonNil(q.GroupIDs)},
	}
	perAgent := summarise(r, rows, p, now)
	agents, err := s.store.Agents(ctx)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	r.Agents = reportAgents(q, agents, perAgent)
	if err := s.addPresence(ctx, r, agents, p, now); err != nil {
		return nil, err
	}
	return r, nil
}

func nonNilOf[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}

// reportAgents picks the agents a report lists: the ones asked for
// (agentId), else the members of the groups asked for (groupId), else
// every enabled agent — and, always, every agent who had one of the
// report's conversations. Sorted by name, then id.
func reportAgents(q ReportQuery, agents []Agent, perAgent map[string]*AgentStats) []AgentStats {
	known := map[string]*Agent{}
	for i := range agents {
		known[agents[i].ID] = &agents[i]
	}
	listed := map[string]bool{}
	for id := range perAgent {
		listed[id] = true
	}
	switch {
	case len(q.AgentIDs) > 0:
		for _, id := range q.AgentIDs {
			if known[id] != nil {
				listed[id] = true
			}
		}
	default:
		for _, ag := range agents {
			if ag.Disabled {
				continue
			}
			if len(q.GroupIDs) == 0 || slices.ContainsFunc(ag.GroupIDs, func(g string) bool { return slices.Contains(q.GroupIDs, g) }) {
				listed[ag.ID] = true
			}
		}
	}
	out := make([]AgentStats, 0, len(listed))
	for id := range listed {
		st := perAgent[id]
		if st == nil {
			st = &AgentStats{AgentID: id}
		}
		if ag := known[id]; ag != nil {
			st.Name = ag.Name
		}
		out = append(out, *st)
	}
	slices.SortFunc(out, func(x, y AgentStats) int {
		return cmp.Or(cmp.Compare(x.Name, y.Name), cmp.Compare(x.AgentID, y.AgentID))
	})
	return out
}

// addPresence fills the listed agents' time online, invisible and offline
// within the period, up to now.
func (s *Service) addPresence(ctx context.Context, r *Report, agents []Agent, p *period, now time.Time) error {
	created := map[string]time.Time{}
	for _, ag := range agents {
		created[ag.ID] = ag.CreatedAt
	}
	var ids []string
	for _, st := range r.Agents {
		if _, ok := created[st.AgentID]; ok {
			ids = append(ids, st.AgentID)
		}
	}
	before, changes, err := s.store.PresenceTimeline(ctx, ids, p.start, p.end)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	byAgent := map[string][]PresenceChange{}
	for _, c := range changes {
		byAgent[c.AgentID] = append(byAgent[c.AgentID], c)
	}
	for i := range r.Agents {
		st := &r.Agents[i]
		c, ok := created[st.AgentID]
		if !ok {
			continue
		}
		var initial *PresenceChange
		if b, ok := before[st.AgentID]; ok {
			initial = &b
		}
		st.Presence = presenceTimes(initial, byAgent[st.AgentID], maxTime(p.start, c), minTime(p.end, now))
	}
	return nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// presenceTimes adds up the time spent in each presence within [from,
// to): the presence when it starts is initial's (offline without one: a
// new agent starts offline), and changes, oldest first, move it. Time
// outside [from, to) — before an agent existed, after now — is not counted.
func presenceTimes(initial *PresenceChange, changes []PresenceChange, from, to time.Time) PresenceTimes {
	var ms [3]int64
	slot := func(p Presence) int {
		switch p {
		case PresenceOnline:
			return 0
		case PresenceInvisible:
			return 1
		}
		return 2
	}
	state := PresenceOffline
	if initial != nil {
		state = initial.Presence
	}
	cursor := from
	for _, c := range changes {
		if c.At.After(cursor) {
			end := minTime(c.At, to)
			if end.After(cursor) {
				ms[slot(state)] += end.Sub(cursor).Milliseconds()
				cursor = end
			}
		}
		state = c.Presence
	}
	if to.After(cursor) {
		ms[slot(state)] += to.Sub(cursor).Milliseconds()
	}
	return PresenceTimes{Online: float64(ms[0]) / 1000, Invisible: float64(ms[1]) / 1000, Offline: float64(ms[2]) / 1000}
}
