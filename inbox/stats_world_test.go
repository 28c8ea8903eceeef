package inbox_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
)

// The statistics are checked against a fixed data set built through the
// service with the injected clock, and every expected figure below is
// worked out by hand from the story of each conversation — not by the
// code under test.
//
// The viewer is in Europe/Berlin; the period is Saturday 28 to Monday 30
// March 2026 (to=2026-03-31). Berlin moves from CET (UTC+1) to CEST
// (UTC+2) on Sunday 29 March at 02:00, so that day is 23 hours long and
// the period 71 hours: it runs from 2026-03-27T23:00Z to 2026-03-30T22:00Z.
//
// The conversations (local Berlin time, UTC in brackets):
//
//	C0  Fri 27 23:30 (27T22:30Z) livechat, Support — before the period
//	C1  Sat 28 00:00 (27T23:00Z) livechat, Support — the period's first instant
//	    (still the 27th in UTC). Alice accepts at +20s, answers at +50s,
//	    closes at +10m. Client rating 5, supervisor rating 4.
//	C2  Sat 28 23:30 (28T22:30Z) telegram, Support — missed at +30s (the
//	    watcher looks at +60s), then Bob answers at +2m: answered, no longer
//	    missed. The client asks again at +5m, Bob answers at +6m. Stays open.
//	C3  Sun 29 00:30 (28T23:30Z) livechat, Support — local day 29, UTC day 28.
//	    A bot writes at +10s and +40s, Alice accepts at +100s, answers at
//	    +130s, closes at +20m. Client rating 3.
//	C4  Sun 29 03:30 CEST (29T01:30Z) telegram, Sales — after the clock
//	    change. Alice accepts at +30s, answers at +90s; the client goes
//	    silent and Sales' auto-close (60 minutes) closes it at +2h: closed by
//	    timeout.
//	C5  Sun 29 12:00 (29T10:00Z) livechat, Support — spam at +5m.
//	C10 Mon 30 00:30 CEST (29T22:30Z) livechat, Support — a naive 24-hour
//	    day from the 29th's midnight would put it on the 29th. Bob accepts
//	    at +60s, is given the group Night at +90s, closes at +120s without
//	    answering.
//	C6  Mon 30 09:00 (30T07:00Z) livechat, Support — missed at +30s (seen at
//	    +45s), never answered.
//	C7  Mon 30 14:00 (30T12:00Z) telegram, Sales — outgoing: Alice writes
//	    first; the client answers at +10m, Alice at +12m. Supervisor rating 2.
//	C8  Mon 30 23:30 (30T21:30Z) livechat, Support — Alice accepts at +40m,
//	    answers at +45m, closes at +50m: all after the period's end (so it is
//	    still open at the end, but answered now). Client rating 4.
//	C9  Tue 31 05:30 (31T03:30Z) livechat, Support — after the period; in
//	    New York it is Mon 30 23:30, the next day in UTC.
//
// Alice's presence: online since 27T20:00Z (before the period), invisible
// at 28T02:00Z, offline at 28T05:00Z, online at 28T21:00Z (Berlin 22:00)
// until 29T01:00Z (Berlin 03:00: across midnight), online again at
// 30T20:00Z until 31T06:00Z (across the period's end). Bob and Sue never
// change theirs: offline. The report is made at 2026-04-02T12:00Z.
type statsWorld struct {
	f          *fixture
	alice, bob inbox.Actor
	sue        inbox.Actor
	sales      *inbox.Line
	night      *inbox.Group
	c          map[string]*inbox.Conversation
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func f64(v float64) *float64 { return &v }

// statsNow is when the reports of the data set are made.
var statsNow = utc("2026-04-02T12:00:00Z")

func newStatsWorld(t testing.TB) *statsWorld {
	t.Helper()
	f := newFixture(t)
	ctx, svc := f.ctx, f.svc
	w := &statsWorld{f: f, alice: f.agent, c: map[string]*inbox.Conversation{}}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	agent := func(name string, role inbox.Role) *inbox.Agent {
		email, pw := strings.ToLower(name)+"@example.com", "password1"
		ag, err := svc.CreateAgent(ctx, inbox.System, inbox.AgentInput{Name: &name, Email: &email, Password: &pw, Role: &role})
		must(err)
		return ag
	}
	bob := agent("Bob", inbox.RoleAgent)
	w.sue = inbox.ActorFor(agent("Sue", inbox.RoleSupervisor))
	gname, sname := "Night", "Sales"
	var err error
	w.night, err = svc.CreateGroup(ctx, inbox.System, inbox.GroupInput{Name: &gname})
	must(err)
	bob, err = svc.UpdateAgent(ctx, inbox.System, bob.ID, inbox.AgentInput{GroupIDs: &[]string{w.night.ID}})
	must(err)
	w.bob = inbox.ActorFor(bob)
	_, err = svc.UpdateLine(ctx, inbox.System, f.line.ID, inbox.LineInput{AgentIDs: &[]string{w.alice.AgentID, w.bob.AgentID}})
	must(err)
	w.sales, err = svc.CreateLine(ctx, inbox.System, inbox.LineInput{Name: &sname, AgentIDs: &[]string{w.alice.AgentID},
		Settings: &inbox.LineSettings{AutoCloseMinutes: 60}})
	must(err)

	// Alice's presence first, while no conversation could be routed to her.
	for _, p := range []struct {
		at string
		p  inbox.Presence
	}{
		{"2026-03-27T20:00:00Z", inbox.PresenceOnline},
		{"2026-03-28T02:00:00Z", inbox.PresenceInvisible},
		{"2026-03-28T05:00:00Z", inbox.PresenceOffline},
		{"2026-03-28T21:00:00Z", inbox.PresenceOnline},
		{"2026-03-29T01:00:00Z", inbox.PresenceOffline},
		{"2026-03-30T20:00:00Z", inbox.PresenceOnline},
		{"2026-03-31T06:00:00Z", inbox.PresenceOffline},
	} {
		f.clock.Set(utc(p.at))
		_, err := svc.SetPresence(ctx, inbox.System, w.alice.AgentID, p.p)
		must(err)
	}

	var cur *inbox.Conversation // the conversation being told
	open := func(name string, line *inbox.Line, ch inbox.Channel, created string) {
		f.clock.Set(utc(created))
		client := "Client " + name
		c, _, err := svc.Open(ctx, inbox.System, inbox.OpenInput{LineID: line.ID, Channel: ch,
			Contact: &inbox.ContactInput{Name: &client}, Message: &inbox.MessageInput{Text: "Hello"}})
		must(err)
		w.c[name], cur = c, c
	}
	// at moves the clock to d after the current conversation's creation.
	at := func(d time.Duration) { f.clock.Set(cur.Dates.Created.Add(d)) }
	say := func(d time.Duration, a inbox.Actor, kind inbox.AuthorKind) {
		at(d)
		_, _, err := svc.Append(ctx, a, cur.ID, inbox.MessageInput{AuthorKind: kind, AuthorName: "Greeter", Text: "text"})
		must(err)
	}
	accept := func(d time.Duration, a inbox.Actor) {
		at(d)
		_, err := svc.Accept(ctx, a, cur.ID)
		must(err)
	}
	closeBy := func(d time.Duration, a inbox.Actor) {
		at(d)
		_, err := svc.Close(ctx, a, cur.ID)
		must(err)
	}
	missed := func(d time.Duration) {
		at(d)
		ok, err := svc.MarkMissed(ctx, cur.ID)
		must(err)
		if !ok {
			t.Fatalf("%d was not marked missed", cur.Number)
		}
	}
	rate := func(client, supervisor int) {
		if client > 0 {
			_, err := svc.RateByClient(ctx, inbox.System, cur.ID, client)
			must(err)
		}
		if supervisor > 0 {
			_, err := svc.RateBySupervisor(ctx, inbox.System, cur.ID, supervisor, "")
			must(err)
		}
	}
	s, m := time.Second, time.Minute

	open("C0", f.line, inbox.ChannelLiveChat, "2026-03-27T22:30:00Z")

	open("C1", f.line, inbox.ChannelLiveChat, "2026-03-27T23:00:00Z")
	accept(20*s, w.alice)
	say(50*s, w.alice, inbox.AuthorAgent)
	closeBy(10*m, w.alice)
	rate(5, 4)

	open("C2", f.line, inbox.ChannelTelegram, "2026-03-28T22:30:00Z")
	missed(60 * s)
	say(2*m, w.bob, inbox.AuthorAgent)
	say(5*m, inbox.System, inbox.AuthorContact)
	say(6*m, w.bob, inbox.AuthorAgent)

	open("C3", f.line, inbox.ChannelLiveChat, "2026-03-28T23:30:00Z")
	say(10*s, inbox.System, inbox.AuthorBot)
	say(40*s, inbox.System, inbox.AuthorBot)
	accept(100*s, w.alice)
	say(130*s, w.alice, inbox.AuthorAgent)
	closeBy(20*m, w.alice)
	rate(3, 0)

	open("C4", w.sales, inbox.ChannelTelegram, "2026-03-29T01:30:00Z")
	accept(30*s, w.alice)
	say(90*s, w.alice, inbox.AuthorAgent)
	at(2 * time.Hour)
	n, err := svc.CloseInactive(ctx)
	must(err)
	if n != 1 {
		t.Fatalf("auto-close closed %d conversations, want 1 (C4)", n)
	}

	open("C5", f.line, inbox.ChannelLiveChat, "2026-03-29T10:00:00Z")
	at(5 * m)
	_, err = svc.MarkSpam(ctx, inbox.System, cur.ID)
	must(err)

	open("C10", f.line, inbox.ChannelLiveChat, "2026-03-29T22:30:00Z")
	accept(60*s, w.bob)
	at(90 * s)
	_, err = svc.Assign(ctx, inbox.System, cur.ID, w.bob.AgentID, w.night.ID)
	must(err)
	closeBy(120*s, w.bob)

	open("C6", f.line, inbox.ChannelLiveChat, "2026-03-30T07:00:00Z")
	missed(45 * s)

	f.clock.Set(utc("2026-03-30T12:00:00Z"))
	client := "Client C7"
	cur, _, err = svc.Open(ctx, w.alice, inbox.OpenInput{LineID: w.sales.ID, Channel: inbox.ChannelTelegram, Type: inbox.Outgoing,
		Contact: &inbox.ContactInput{Name: &client}, Message: &inbox.MessageInput{Text: "Can I help?"}})
	must(err)
	w.c["C7"] = cur
	say(10*m, inbox.System, inbox.AuthorContact)
	say(12*m, w.alice, inbox.AuthorAgent)
	rate(0, 2)

	open("C8", f.line, inbox.ChannelLiveChat, "2026-03-30T21:30:00Z")
	accept(40*m, w.alice)
	say(45*m, w.alice, inbox.AuthorAgent)
	closeBy(50*m, w.alice)
	rate(4, 0)

	open("C9", f.line, inbox.ChannelLiveChat, "2026-03-31T03:30:00Z")

	f.clock.Set(statsNow)
	return w
}

// berlinQuery is the period of the data set.
func berlinQuery() inbox.ReportQuery {
	return inbox.ReportQuery{From: "2026-03-28", To: "2026-03-31", TimeZone: "Europe/Berlin", Group: inbox.GroupDay}
}

func hours(h float64) float64 { return h * 3600 }

// heat builds an hour-of-week map from (weekday, hour) pairs, Monday = 0.
func heat(cells ...[2]int) (m [7][24]int64) {
	for _, c := range cells {
		m[c[0]][c[1]]++
	}
	return m
}

// timeStats is a TimeStats in seconds.
func timeStats(n int64, avg, median, p90, max float64) inbox.TimeStats {
	return inbox.TimeStats{Count: n, Average: f64(avg), Median: f64(median), P90: f64(p90), Max: f64(max)}
}

func ratings(dist [5]int64, avg float64) inbox.RatingStats {
	var n int64
	for _, d := range dist {
		n += d
	}
	return inbox.RatingStats{Count: n, Distribution: dist, Average: f64(avg)}
}

const (
	mon, sat, sun = 0, 5, 6
)

// wantBerlin is the supervisors' report of the data set, by hand.
func (w *statsWorld) wantBerlin() inbox.Report {
	return inbox.Report{
		From: "2026-03-28", To: "2026-03-31", TimeZone: "Europe/Berlin", Group: inbox.GroupDay,
		Start: utc("2026-03-27T23:00:00Z"), End: utc("2026-03-30T22:00:00Z"), GeneratedAt: statsNow,
		Scope:  inbox.ScopeAll,
		Filter: inbox.ReportFilter{LineIDs: []string{}, Channels: []inbox.Channel{}, AgentIDs: []string{}, GroupIDs: []string{}},
		// In the period: C1, C2, C3, C4, C5, C10, C6, C7, C8.
		Conversations: inbox.ConversationCounts{
			New: 9, Incoming: 8, Outgoing: 1, // C7 is outgoing
			ByChannel: inbox.ChannelCounts{LiveChat: 6, Telegram: 3}, // telegram: C2, C4, C7
			Answered:  6,                                             // C1, C2, C3, C4, C7, C8
			Missed:    1, MissedRate: f64(0.125),                     // C6 (C2's mark went with Bob's answer); 1 of 8 incoming
			ClosedByAgent: 3, ClosedByTimeout: 1, Spam: 1, StillOpen: 4, // C1 C3 C10 | C4 | C5 | C2 C6 C7 C8
		},
		Times: inbox.ReportTimes{
			// incoming only: C1 50, C4 90, C2 120, C3 130, C8 2700
			WaitingForAnswer: timeStats(5, 618, 120, 2700, 2700),
			// incoming only: C1 20, C4 30, C10 60, C3 100, C2 120, C8 2400
			TimeToAccept: timeStats(6, 455, 80, 2400, 2400),
			// C1 50, C3 90 (the bot's time), C4 90, C2 120, C10 120 (to its close),
			// C7 120, C5 300 (to the spam mark, an agent's close), C8 2700
			FirstReaction: timeStats(8, 448.75, 120, 2700, 2700),
			ChatBot:       timeStats(1, 90, 90, 90, 90), // C3: first bot message → Alice accepts
			// averages per conversation: C1 50, C2 90 (120 and 60), C4 90, C7 120, C3 130, C8 2700
			Response: timeStats(6, 530, 105, 2700, 2700),
			// created → last message: C5 0, C6 0, C10 0, C1 50, C4 90, C3 130, C2 360, C7 720, C8 2700
			Duration: timeStats(9, 450, 90, 2700, 2700),
		},
		Ratings: inbox.ReportRatings{
			Client:     ratings([5]int64{0, 0, 1, 1, 1}, 4), // C1 5, C3 3, C8 4
			Supervisor: ratings([5]int64{0, 1, 0, 1, 0}, 3), // C1 4, C7 2
		},
		Agents: []inbox.AgentStats{
			{AgentID: w.alice.AgentID, Name: "Alice", Handled: 5, Answered: 5, // C1 C3 C4 C7 C8
				FirstReactionAverage: f64(610), // (50 + 90 + 90 + 120 + 2700) / 5
				ClientRating:         ratings([5]int64{0, 0, 1, 1, 1}, 4),
				// online 23:00–02:00Z (3 h), 21:00–01:00Z (4 h), 20:00–22:00Z (2 h);
				// invisible 02:00–05:00Z; offline the rest of the 71 hours.
				Presence: inbox.PresenceTimes{Online: hours(9), Invisible: hours(3), Offline: hours(59)}},
			{AgentID: w.bob.AgentID, Name: "Bob", Handled: 2, Answered: 1, // C2, C10
				FirstReactionAverage: f64(120), // C2 120, C10 120
				Presence:             inbox.PresenceTimes{Offline: hours(71)}},
			{AgentID: w.sue.AgentID, Name: "Sue", Presence: inbox.PresenceTimes{Offline: hours(71)}},
		},
		Load: inbox.ReportLoad{
			HourOfWeek: heat([2]int{sat, 0}, [2]int{sat, 23}, [2]int{sun, 0}, [2]int{sun, 3}, [2]int{sun, 12},
				[2]int{mon, 0}, [2]int{mon, 9}, [2]int{mon, 14}, [2]int{mon, 23}),
			LongestWait: &inbox.LongestWait{Seconds: 2700, ConversationID: w.c["C8"].ID, Number: w.c["C8"].Number},
		},
		Series: []inbox.ReportBucket{
			{Start: "2026-03-28", StartAt: utc("2026-03-27T23:00:00Z"), // C1, C2
				Conversations: inbox.ConversationCounts{New: 2, Incoming: 2, ByChannel: inbox.ChannelCounts{LiveChat: 1, Telegram: 1},
					Answered: 2, MissedRate: f64(0), ClosedByAgent: 1, StillOpen: 1},
				Averages: inbox.TimeAverages{WaitingForAnswer: f64(85), TimeToAccept: f64(70), FirstReaction: f64(85),
					Response: f64(70), Duration: f64(205)},
				ClientRating: ratings([5]int64{0, 0, 0, 0, 1}, 5)},
			{Start: "2026-03-29", StartAt: utc("2026-03-28T23:00:00Z"), // C3, C4, C5: 23 hours
				Conversations: inbox.ConversationCounts{New: 3, Incoming: 3, ByChannel: inbox.ChannelCounts{LiveChat: 2, Telegram: 1},
					Answered: 2, MissedRate: f64(0), ClosedByAgent: 1, ClosedByTimeout: 1, Spam: 1},
				Averages: inbox.TimeAverages{WaitingForAnswer: f64(110), TimeToAccept: f64(65), FirstReaction: f64(160),
					ChatBot: f64(90), Response: f64(110), Duration: f64(73.333)}, // (130 + 90 + 0) / 3
				ClientRating: ratings([5]int64{0, 0, 1, 0, 0}, 3)},
			{Start: "2026-03-30", StartAt: utc("2026-03-29T22:00:00Z"), // C10, C6, C7, C8
				Conversations: inbox.ConversationCounts{New: 4, Incoming: 3, Outgoing: 1, ByChannel: inbox.ChannelCounts{LiveChat: 3, Telegram: 1},
					Answered: 2, Missed: 1, MissedRate: f64(0.3333), ClosedByAgent: 1, StillOpen: 3},
				Averages: inbox.TimeAverages{WaitingForAnswer: f64(2700), TimeToAccept: f64(1230), FirstReaction: f64(980),
					Response: f64(1410), Duration: f64(855)},
				ClientRating: ratings([5]int64{0, 0, 0, 1, 0}, 4)},
		},
	}
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// sameReport compares reports as JSON, naming each differing member.
func sameReport(t *testing.T, got *inbox.Report, want inbox.Report) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(js(got)), &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(js(want)), &w); err != nil {
		t.Fatal(err)
	}
	var diffs []string
	jsonDiff("", g, w, &diffs)
	sort.Strings(diffs)
	for _, d := range diffs {
		t.Error(d)
	}
}

func jsonDiff(path string, got, want any, out *[]string) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			break
		}
		for k := range merged(g, w) {
			jsonDiff(path+"."+k, g[k], w[k], out)
		}
		return
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			break
		}
		for i := range w {
			jsonDiff(fmt.Sprintf("%s[%d]", path, i), g[i], w[i], out)
		}
		return
	}
	if !reflect.DeepEqual(got, want) {
		*out = append(*out, fmt.Sprintf("%s: got %s, want %s", path, js(got), js(want)))
	}
}

func merged(a, b map[string]any) map[string]bool {
	m := map[string]bool{}
	for k := range a {
		m[k] = true
	}
	for k := range b {
		m[k] = true
	}
	return m
}
