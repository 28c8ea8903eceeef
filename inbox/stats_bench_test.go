package inbox_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// BenchmarkReport measures a supervisor's report from the embedded
// store's working set: 100,000 conversations created over a year (from
// 2025-04-01, Berlin), 20 agents, each with two presence changes a day.
// "year" is the report of the whole year by day (every conversation
// counts: the target is under 200 ms); "day" is one day's report over the
// same set, which still visits every conversation of the working set once.
// Each is computed anew (the reuse of a report within ReportReuse is not
// what is measured).
//
//	go test ./inbox/ -run '^$' -bench BenchmarkReport -benchtime 1x
func BenchmarkReport(b *testing.B) {
	f := newFixture(b)
	const n, agents = 100_000, 20
	ids := seedAgents(b, f, agents)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		b.Fatal(err)
	}
	start := time.Date(2025, 4, 1, 0, 0, 0, 0, berlin).UTC() // 365 days to 2026-04-01 00:00 in Berlin
	seedYear(b, f, ids, start, n)
	seedPresence(b, f, ids, start)
	got, took, err := f.store.WarmUp(f.ctx)
	if err != nil || got != n {
		b.Fatalf("warm-up read %d conversations (%v), want %d", got, err, n)
	}
	b.Logf("seeded %d conversations; warm-up %s", n, took.Round(time.Millisecond))
	// The presence history is read once, like the working set at start.
	t0 := time.Now()
	if _, _, err := f.store.PresenceTimeline(f.ctx, ids, start, start.AddDate(1, 0, 0)); err != nil {
		b.Fatal(err)
	}
	b.Logf("presence history read in %s", time.Since(t0).Round(time.Millisecond))
	runtime.GC() // the seeding's garbage is not the report's
	f.clock.Set(start.AddDate(1, 0, 2))
	for _, c := range []struct {
		name     string
		from, to string
		min      int64
	}{{"year", "2025-04-01", "2026-04-01", n}, {"day", "2025-10-15", "2025-10-16", 1}} {
		b.Run(c.name, func(b *testing.B) {
			q := inbox.ReportQuery{From: c.from, To: c.to, TimeZone: "Europe/Berlin", Group: inbox.GroupDay}
			var total time.Duration
			for i := 0; i < b.N; i++ {
				f.clock.Advance(inbox.ReportReuse) // a report computed, not one reused
				t0 := time.Now()
				r, err := f.svc.Report(f.ctx, inbox.System, q)
				total += time.Since(t0)
				if err != nil {
					b.Fatal(err)
				}
				if r.Conversations.New < c.min || len(r.Agents) < agents {
					b.Fatalf("report counts %d conversations, %d agents", r.Conversations.New, len(r.Agents))
				}
			}
			b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/report")
		})
	}
}

func seedAgents(b *testing.B, f *fixture, n int) []string {
	b.Helper()
	ids := make([]string, n)
	for i := range ids {
		name, email, pw := fmt.Sprintf("Agent %02d", i), fmt.Sprintf("agent%02d@example.com", i), "password1"
		ag, err := f.svc.CreateAgent(f.ctx, inbox.System, inbox.AgentInput{Name: &name, Email: &email, Password: &pw})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = ag.ID
	}
	return ids
}

// seedYear inserts n conversations created over the year from start
// straight into the collection, with plausible dates, timings, ratings
// and outcomes.
func seedYear(b *testing.B, f *fixture, agents []string, start time.Time, n int) {
	b.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	channels := []inbox.Channel{inbox.ChannelLiveChat, inbox.ChannelTelegram, inbox.ChannelEmail}
	ms := func(lo, hi int64) *int64 { v := lo + rng.Int64N(hi-lo); return &v }
	coll := f.store.Database().Collection("conversations")
	const batch = 2000
	span := int64(365 * 24 * time.Hour / time.Millisecond)
	for off := 0; off < n; off += batch {
		docs := make([]any, 0, batch)
		for i := off; i < min(off+batch, n); i++ {
			created := start.Add(time.Duration(int64(i)*span/int64(n)) * time.Millisecond)
			c := inbox.Conversation{ID: bson.NewObjectID().Hex(), Number: int64(i + 1), LineID: f.line.ID,
				Channel: channels[i%3], Type: inbox.Incoming, ContactID: fmt.Sprintf("contact%d", i), ContactName: fmt.Sprintf("Client %d", i),
				Dates: inbox.Dates{Created: created, Modified: created}}
			if i%10 == 0 {
				c.Type = inbox.Outgoing
			}
			status := inbox.StatusClosed
			switch r := rng.IntN(100); {
			case r < 85:
				c.AgentID = agents[rng.IntN(len(agents))]
				answered := created.Add(time.Duration(*ms(5_000, 600_000)) * time.Millisecond)
				c.Dates.Answered, c.Dates.Accepted = &answered, &answered
				c.Timings.WaitingForAnswerMs = ms(5_000, 600_000)
				c.Timings.TimeToAcceptMs = ms(1_000, 300_000)
				c.Timings.FirstReactionMs = ms(5_000, 600_000)
				c.Timings.ResponseAverageMs = ms(5_000, 300_000)
				c.Timings.DurationMs = ms(60_000, 3_600_000)
				closed := answered.Add(time.Hour)
				c.Dates.Closed = &closed
				if r < 70 {
					c.Dates.ClosedByAgent = &closed
				}
				c.ClientRating = rng.IntN(6)
			case r < 90:
				status, c.Spam = inbox.StatusSpam, true
				closed := created.Add(time.Minute)
				c.Dates.Closed, c.Dates.ClosedByAgent = &closed, &closed
			default:
				status = inbox.StatusNew
				missed := created.Add(30 * time.Second)
				c.MissedAt = &missed
			}
			if i%7 == 0 {
				c.Timings.ChatBotMs = ms(1_000, 60_000)
			}
			c.Status, c.StatusCode, c.General = status, status.Code(), status.General()
			docs = append(docs, c)
		}
		if _, err := coll.InsertMany(context.Background(), docs); err != nil {
			b.Fatal(err)
		}
	}
}

// seedPresence gives every agent two changes a day over the year: online
// at 08:00 UTC, then offline or invisible at 17:00.
func seedPresence(b *testing.B, f *fixture, agents []string, start time.Time) {
	b.Helper()
	var docs []any
	for _, id := range agents {
		for d := 0; d < 366; d++ {
			day := start.AddDate(0, 0, d)
			off := inbox.PresenceOffline
			if d%5 == 1 { // the last day ends offline, as the agents are
				off = inbox.PresenceInvisible
			}
			docs = append(docs,
				inbox.PresenceChange{ID: bson.NewObjectID().Hex(), AgentID: id, Presence: inbox.PresenceOnline, Reason: inbox.ReasonHours, At: day.Add(8 * time.Hour)},
				inbox.PresenceChange{ID: bson.NewObjectID().Hex(), AgentID: id, Presence: off, Reason: inbox.ReasonHours, At: day.Add(17 * time.Hour)})
		}
	}
	if _, err := f.store.Database().Collection("presence_history").InsertMany(context.Background(), docs); err != nil {
		b.Fatal(err)
	}
}
