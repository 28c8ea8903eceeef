package inbox_test

import (
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
)

// TestReport: a supervisor's report of the data set, every figure.
func TestReport(t *testing.T) {
	w := newStatsWorld(t)
	got, err := w.f.svc.Report(w.f.ctx, w.sue, berlinQuery())
	if err != nil {
		t.Fatal(err)
	}
	sameReport(t, got, w.wantBerlin())
}

// TestReportAgentSeesOwn: an agent's report holds only the conversations
// assigned to them and their own presence; another agent's is refused.
func TestReportAgentSeesOwn(t *testing.T) {
	w := newStatsWorld(t)
	ctx, svc := w.f.ctx, w.f.svc
	got, err := svc.Report(ctx, w.alice, berlinQuery())
	if err != nil {
		t.Fatal(err)
	}
	full := w.wantBerlin()
	want := inbox.Report{
		From: full.From, To: full.To, TimeZone: full.TimeZone, Group: full.Group, Start: full.Start, End: full.End, GeneratedAt: statsNow,
		Scope:  inbox.ScopeOwn,
		Filter: inbox.ReportFilter{LineIDs: []string{}, Channels: []inbox.Channel{}, AgentIDs: []string{w.alice.AgentID}, GroupIDs: []string{}},
		// Alice's: C1, C3, C4, C7, C8.
		Conversations: inbox.ConversationCounts{New: 5, Incoming: 4, Outgoing: 1,
			ByChannel: inbox.ChannelCounts{LiveChat: 3, Telegram: 2}, Answered: 5, MissedRate: f64(0),
			ClosedByAgent: 2, ClosedByTimeout: 1, StillOpen: 2},
		Times: inbox.ReportTimes{
			WaitingForAnswer: timeStats(4, 742.5, 110, 2700, 2700), // 50 90 130 2700
			TimeToAccept:     timeStats(4, 637.5, 65, 2400, 2400),  // 20 30 100 2400
			FirstReaction:    timeStats(5, 610, 90, 2700, 2700),    // 50 90 90 120 2700
			ChatBot:          timeStats(1, 90, 90, 90, 90),         // C3
			Response:         timeStats(5, 618, 120, 2700, 2700),   // 50 90 120 130 2700
			Duration:         timeStats(5, 738, 130, 2700, 2700),   // 50 90 130 720 2700
		},
		Ratings: inbox.ReportRatings{Client: ratings([5]int64{0, 0, 1, 1, 1}, 4), Supervisor: ratings([5]int64{0, 1, 0, 1, 0}, 3)},
		Agents:  full.Agents[:1],
		Load: inbox.ReportLoad{
			HourOfWeek:  heat([2]int{sat, 0}, [2]int{sun, 0}, [2]int{sun, 3}, [2]int{mon, 14}, [2]int{mon, 23}),
			LongestWait: full.Load.LongestWait,
		},
		Series: []inbox.ReportBucket{
			{Start: "2026-03-28", StartAt: full.Series[0].StartAt, // C1
				Conversations: inbox.ConversationCounts{New: 1, Incoming: 1, ByChannel: inbox.ChannelCounts{LiveChat: 1},
					Answered: 1, MissedRate: f64(0), ClosedByAgent: 1},
				Averages: inbox.TimeAverages{WaitingForAnswer: f64(50), TimeToAccept: f64(20), FirstReaction: f64(50),
					Response: f64(50), Duration: f64(50)},
				ClientRating: ratings([5]int64{0, 0, 0, 0, 1}, 5)},
			{Start: "2026-03-29", StartAt: full.Series[1].StartAt, // C3, C4
				Conversations: inbox.ConversationCounts{New: 2, Incoming: 2, ByChannel: inbox.ChannelCounts{LiveChat: 1, Telegram: 1},
					Answered: 2, MissedRate: f64(0), ClosedByAgent: 1, ClosedByTimeout: 1},
				Averages: inbox.TimeAverages{WaitingForAnswer: f64(110), TimeToAccept: f64(65), FirstReaction: f64(90),
					ChatBot: f64(90), Response: f64(110), Duration: f64(110)},
				ClientRating: ratings([5]int64{0, 0, 1, 0, 0}, 3)},
			{Start: "2026-03-30", StartAt: full.Series[2].StartAt, // C7, C8
				Conversations: inbox.ConversationCounts{New: 2, Incoming: 1, Outgoing: 1, ByChannel: inbox.ChannelCounts{LiveChat: 1, Telegram: 1},
					Answered: 2, MissedRate: f64(0), StillOpen: 2},
				Averages: inbox.TimeAverages{WaitingForAnswer: f64(2700), TimeToAccept: f64(2400), FirstReaction: f64(1410),
					Response: f64(1410), Duration: f64(1710)},
				ClientRating: ratings([5]int64{0, 0, 0, 1, 0}, 4)},
		},
	}
	sameReport(t, got, want)

	// Naming themself is the same report; naming anyone else is refused.
	q := berlinQuery()
	q.AgentIDs = []string{w.alice.AgentID}
	if again, err := svc.Report(ctx, w.alice, q); err != nil || !reflect.DeepEqual(again.Conversations, want.Conversations) {
		t.Errorf("agentId=self: %+v, %v", again, err)
	}
	for _, ids := range [][]string{{w.bob.AgentID}, {w.alice.AgentID, w.bob.AgentID}} {
		q.AgentIDs = ids
		if _, err := svc.Report(ctx, w.alice, q); !errors.Is(err, inbox.ErrForbidden) {
			t.Errorf("agent asking for %v: %v, want ErrForbidden", ids, err)
		}
	}
	// Bob's own: C2 and C10 only, and nobody else's presence.
	bob, err := svc.Report(ctx, w.bob, berlinQuery())
	if err != nil {
		t.Fatal(err)
	}
	if bob.Conversations.New != 2 || bob.Conversations.Answered != 1 || len(bob.Agents) != 1 || bob.Agents[0].AgentID != w.bob.AgentID {
		t.Errorf("Bob's report: %+v, agents %+v", bob.Conversations, bob.Agents)
	}
}

// TestReportPeriodNotOver: a period that ends after now counts presence
// up to now only.
func TestReportPeriodNotOver(t *testing.T) {
	w := newStatsWorld(t)
	got, err := w.f.svc.Report(w.f.ctx, w.alice, inbox.ReportQuery{From: "2026-03-30", To: "2026-04-06", TimeZone: "Europe/Berlin"})
	if err != nil {
		t.Fatal(err)
	}
	// From 29T22:00Z (offline since 29T01:00Z) to now, 2026-04-02T12:00Z:
	// offline 22 h, online 30T20:00Z–31T06:00Z 10 h, offline 54 h.
	want := inbox.PresenceTimes{Online: hours(10), Offline: hours(76)}
	if len(got.Agents) != 1 || got.Agents[0].Presence != want {
		t.Errorf("presence %+v, want %+v", got.Agents, want)
	}
	// C7 and C8 are Alice's on the 30th; C9 is nobody's. The series runs to the period's end.
	if got.Conversations.New != 2 || len(got.Series) != 7 || got.Series[6].Start != "2026-04-05" {
		t.Errorf("new %d, series %d buckets", got.Conversations.New, len(got.Series))
	}
}

// TestReportNewYork: in New York (UTC-4 then), C9 at 23:30 local on
// Monday 30 March is already the 31st in UTC and belongs to the 30th; C1,
// still the 27th there, is out.
func TestReportNewYork(t *testing.T) {
	w := newStatsWorld(t)
	got, err := w.f.svc.Report(w.f.ctx, inbox.System, inbox.ReportQuery{From: "2026-03-28", To: "2026-03-31", TimeZone: "America/New_York"})
	if err != nil {
		t.Fatal(err)
	}
	if !got.Start.Equal(utc("2026-03-28T04:00:00Z")) || !got.End.Equal(utc("2026-03-31T04:00:00Z")) {
		t.Errorf("period %s – %s", got.Start, got.End)
	}
	// Local: C2 Sat 18:30, C3 Sat 19:30, C4 Sat 21:30, C5 Sun 06:00,
	// C10 Sun 18:30, C6 Mon 03:00, C7 Mon 08:00, C8 Mon 17:30, C9 Mon 23:30.
	var news []int64
	for _, b := range got.Series {
		news = append(news, b.Conversations.New)
	}
	if !slices.Equal(news, []int64{3, 2, 4}) {
		t.Errorf("new per day %v, want [3 2 4]", news)
	}
	want := heat([2]int{sat, 18}, [2]int{sat, 19}, [2]int{sat, 21}, [2]int{sun, 6}, [2]int{sun, 18},
		[2]int{mon, 3}, [2]int{mon, 8}, [2]int{mon, 17}, [2]int{mon, 23})
	if got.Load.HourOfWeek != want {
		t.Errorf("hour of week %v, want %v", got.Load.HourOfWeek, want)
	}
}

// TestReportGroupings: ISO weeks start on Monday (the first may begin
// before the period), months on the 1st, each at local midnight — after
// the clock change, an hour earlier in UTC.
func TestReportGroupings(t *testing.T) {
	w := newStatsWorld(t)
	ctx, svc := w.f.ctx, w.f.svc
	type bucket struct {
		start string
		at    time.Time
		n     int64
	}
	series := func(r *inbox.Report) (out []bucket) {
		for _, b := range r.Series {
			out = append(out, bucket{b.Start, b.StartAt, b.Conversations.New})
		}
		return out
	}
	weeks, err := svc.Report(ctx, inbox.System, inbox.ReportQuery{From: "2026-03-01", To: "2026-04-01", TimeZone: "Europe/Berlin", Group: inbox.GroupWeek})
	if err != nil {
		t.Fatal(err)
	}
	// 1 March 2026 is a Sunday. C0–C5 fall in the week of the 23rd, C10, C6–C9 in the week of the 30th.
	wantWeeks := []bucket{
		{"2026-02-23", utc("2026-02-22T23:00:00Z"), 0},
		{"2026-03-02", utc("2026-03-01T23:00:00Z"), 0},
		{"2026-03-09", utc("2026-03-08T23:00:00Z"), 0},
		{"2026-03-16", utc("2026-03-15T23:00:00Z"), 0},
		{"2026-03-23", utc("2026-03-22T23:00:00Z"), 6},
		{"2026-03-30", utc("2026-03-29T22:00:00Z"), 5},
	}
	if got := series(weeks); !reflect.DeepEqual(got, wantWeeks) {
		t.Errorf("weeks %v,\nwant %v", got, wantWeeks)
	}
	months, err := svc.Report(ctx, inbox.System, inbox.ReportQuery{From: "2026-03-01", To: "2026-05-01", TimeZone: "Europe/Berlin", Group: inbox.GroupMonth})
	if err != nil {
		t.Fatal(err)
	}
	wantMonths := []bucket{{"2026-03-01", utc("2026-02-28T23:00:00Z"), 11}, {"2026-04-01", utc("2026-03-31T22:00:00Z"), 0}}
	if got := series(months); !reflect.DeepEqual(got, wantMonths) {
		t.Errorf("months %v, want %v", got, wantMonths)
	}
}

// TestReportFilters: lines, channels and groups narrow the conversations.
func TestReportFilters(t *testing.T) {
	w := newStatsWorld(t)
	ctx, svc := w.f.ctx, w.f.svc
	cases := []struct {
		name  string
		set   func(q *inbox.ReportQuery)
		want  inbox.ConversationCounts
		names []string // the agents listed
	}{
		{"line Sales: C4, C7", func(q *inbox.ReportQuery) { q.LineIDs = []string{w.sales.ID} },
			inbox.ConversationCounts{New: 2, Incoming: 1, Outgoing: 1, ByChannel: inbox.ChannelCounts{Telegram: 2}, Answered: 2,
				MissedRate: f64(0), ClosedByTimeout: 1, StillOpen: 1},
			[]string{"Alice", "Bob", "Sue"}},
		{"telegram: C2, C4, C7", func(q *inbox.ReportQuery) { q.Channels = []inbox.Channel{inbox.ChannelTelegram} },
			inbox.ConversationCounts{New: 3, Incoming: 2, Outgoing: 1, ByChannel: inbox.ChannelCounts{Telegram: 3}, Answered: 3,
				MissedRate: f64(0), ClosedByTimeout: 1, StillOpen: 2},
			[]string{"Alice", "Bob", "Sue"}},
		{"group Night: C10, and its member Bob", func(q *inbox.ReportQuery) { q.GroupIDs = []string{w.night.ID} },
			inbox.ConversationCounts{New: 1, Incoming: 1, ByChannel: inbox.ChannelCounts{LiveChat: 1}, MissedRate: f64(0), ClosedByAgent: 1},
			[]string{"Bob"}},
		{"agent Bob: C2, C10", func(q *inbox.ReportQuery) { q.AgentIDs = []string{w.bob.AgentID} },
			inbox.ConversationCounts{New: 2, Incoming: 2, ByChannel: inbox.ChannelCounts{LiveChat: 1, Telegram: 1}, Answered: 1,
				MissedRate: f64(0), ClosedByAgent: 1, StillOpen: 1},
			[]string{"Bob"}},
	}
	for _, tc := range cases {
		q := berlinQuery()
		tc.set(&q)
		got, err := svc.Report(ctx, w.sue, q)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !reflect.DeepEqual(got.Conversations, tc.want) {
			t.Errorf("%s: %s,\nwant %s", tc.name, js(got.Conversations), js(tc.want))
		}
		var names []string
		for _, a := range got.Agents {
			names = append(names, a.Name)
		}
		if !slices.Equal(names, tc.names) {
			t.Errorf("%s: agents %v, want %v", tc.name, names, tc.names)
		}
	}
}

// TestReportRefusesBadQueries: each bad value names its field.
func TestReportRefusesBadQueries(t *testing.T) {
	f := newFixture(t)
	ok := berlinQuery()
	cases := []struct {
		field string
		set   func(q *inbox.ReportQuery)
	}{
		{"from", func(q *inbox.ReportQuery) { q.From = "" }},
		{"from", func(q *inbox.ReportQuery) { q.From = "2026-02-30" }},
		{"to", func(q *inbox.ReportQuery) { q.To = "31.03.2026" }},
		{"to", func(q *inbox.ReportQuery) { q.To = q.From }},
		{"to", func(q *inbox.ReportQuery) { q.From, q.To = "2026-03-31", "2026-03-28" }},
		{"to", func(q *inbox.ReportQuery) { q.From, q.To = "2025-01-01", "2026-02-06" }}, // 401 days
		{"tz", func(q *inbox.ReportQuery) { q.TimeZone = "" }},
		{"tz", func(q *inbox.ReportQuery) { q.TimeZone = "Mars/Olympus" }},
		{"tz", func(q *inbox.ReportQuery) { q.TimeZone = "Local" }},
		{"group", func(q *inbox.ReportQuery) { q.Group = "year" }},
		{"channel", func(q *inbox.ReportQuery) { q.Channels = []inbox.Channel{"fax"} }},
	}
	for _, tc := range cases {
		q := ok
		tc.set(&q)
		_, err := f.svc.Report(f.ctx, inbox.System, q)
		var fe *inbox.FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%+v: %v, want a FieldError on %q", q, err, tc.field)
		}
	}
	// Exactly 400 days is allowed.
	q := ok
	q.From, q.To = "2025-01-01", "2026-02-05"
	if _, err := f.svc.Report(f.ctx, inbox.System, q); err != nil {
		t.Errorf("400 days: %v", err)
	}
}

// TestReportSharedStoreAgrees: on a shared store (MongoDB's path: a
// query with a projection, the presence per agent) the report is the
// same as from the embedded working set.
func TestReportSharedStoreAgrees(t *testing.T) {
	w := newStatsWorld(t)
	ctx := w.f.ctx
	if err := w.f.store.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	shared, err := inbox.Connect(ctx, engine.URI(), w.f.store.Database().Name(), inbox.StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer shared.Close(ctx)
	svc := inbox.NewService(shared, inbox.Options{Clock: w.f.clock.Now, PasswordCost: 4})
	week := inbox.ReportQuery{From: "2026-03-01", To: "2026-04-01", TimeZone: "America/New_York", Group: inbox.GroupWeek}
	narrow := berlinQuery()
	narrow.LineIDs, narrow.Channels, narrow.GroupIDs = []string{w.f.line.ID}, []inbox.Channel{inbox.ChannelLiveChat}, []string{w.night.ID}
	for _, c := range []struct {
		a inbox.Actor
		q inbox.ReportQuery
	}{{w.sue, berlinQuery()}, {w.alice, berlinQuery()}, {w.sue, week}, {w.sue, narrow}} {
		got, err := svc.Report(ctx, c.a, c.q)
		if err != nil {
			t.Fatal(err)
		}
		want, err := w.f.svc.Report(ctx, c.a, c.q)
		if err != nil {
			t.Fatal(err)
		}
		if c.a.AgentID == w.sue.AgentID && c.q.TimeZone == "Europe/Berlin" && len(c.q.LineIDs) == 0 {
			sameReport(t, want, w.wantBerlin())
		}
		sameReport(t, got, *want)
	}
}

// TestReportPresenceFollowsChanges: the embedded store's copy of the
// presence history follows every change, including one whose history is
// written after its agent (a report can run in between).
func TestReportPresenceFollowsChanges(t *testing.T) {
	w := newStatsWorld(t)
	ctx, svc, store := w.f.ctx, w.f.svc, w.f.store
	bobOf := func() inbox.PresenceTimes {
		t.Helper()
		r, err := svc.Report(ctx, w.sue, berlinQuery())
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range r.Agents {
			if a.AgentID == w.bob.AgentID {
				return a.Presence
			}
		}
		t.Fatal("Bob is not listed")
		return inbox.PresenceTimes{}
	}
	if got := bobOf(); got != (inbox.PresenceTimes{Offline: hours(71)}) {
		t.Fatalf("Bob before: %+v", got)
	}
	w.f.clock.Set(utc("2026-03-30T21:00:00Z"))
	if _, err := svc.SetPresence(ctx, w.bob, w.bob.AgentID, inbox.PresenceInvisible); err != nil {
		t.Fatal(err)
	}
	w.f.clock.Set(statsNow)
	if got, want := bobOf(), (inbox.PresenceTimes{Invisible: hours(1), Offline: hours(70)}); got != want {
		t.Errorf("after going invisible at 21:00Z: %+v, want %+v", got, want)
	}
	// The agent is written, a report runs, then the history is written.
	ag, err := store.AgentByID(ctx, w.bob.AgentID)
	if err != nil {
		t.Fatal(err)
	}
	changed := utc("2026-03-30T21:30:00Z")
	ag.Presence, ag.UpdatedAt = inbox.PresenceOnline, changed
	if err := store.ReplaceAgent(ctx, ag); err != nil {
		t.Fatal(err)
	}
	bobOf()
	if err := store.RecordPresence(ctx, &inbox.PresenceChange{ID: "6a0000000000000000000001", AgentID: ag.ID,
		Presence: inbox.PresenceOnline, Reason: inbox.ReasonManual, At: changed}); err != nil {
		t.Fatal(err)
	}
	if got, want := bobOf(), (inbox.PresenceTimes{Online: hours(0.5), Invisible: hours(0.5), Offline: hours(70)}); got != want {
		t.Errorf("after a history written late: %+v, want %+v", got, want)
	}
}
