package inbox_test

import (
	"sync"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
)

// The statistics view asks for one report many times at once (the report,
// six charts, two spreadsheets): they are answered from one computation,
// shared by supervisors and admins, while nothing changes; a change, or
// ReportReuse passing, makes the next question compute afresh; an agent's
// own report is never anyone else's.
func TestReportReused(t *testing.T) {
	w := newStatsWorld(t)
	ctx, svc := w.f.ctx, w.f.svc
	report := func(a inbox.Actor) *inbox.Report {
		t.Helper()
		r, err := svc.Report(ctx, a, berlinQuery())
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	first := report(w.sue)
	var wg sync.WaitGroup
	got := make([]*inbox.Report, 8)
	for i := range got {
		wg.Go(func() {
			r, err := svc.Report(ctx, w.sue, berlinQuery())
			if err != nil {
				t.Error(err)
			}
			got[i] = r
		})
	}
	wg.Wait()
	for i, r := range got {
		if r != first {
			t.Errorf("question %d at the same moment was computed again", i)
		}
	}
	if r := report(inbox.System); r != first {
		t.Error("staff do not share everyone's report")
	}
	own := report(w.bob)
	if own == first || own.Scope != inbox.ScopeOwn || len(own.Agents) != 1 || own.Agents[0].AgentID != w.bob.AgentID {
		t.Fatalf("Bob's own report is %+v", own)
	}
	if r := report(w.alice); r == own || r.Agents[0].AgentID != w.alice.AgentID {
		t.Error("Alice got Bob's own report")
	}
	// A change: Bob goes invisible — a new report with the new presence.
	if _, err := svc.SetPresence(ctx, w.bob, w.bob.AgentID, inbox.PresenceInvisible); err != nil {
		t.Fatal(err)
	}
	after := report(w.sue)
	if after == first {
		t.Fatal("a report from before a change was reused")
	}
	// Time alone: reused within ReportReuse, not after.
	w.f.clock.Advance(inbox.ReportReuse - time.Second)
	if r := report(w.sue); r != after {
		t.Error("a report was not reused within ReportReuse")
	}
	w.f.clock.Advance(time.Second)
	if r := report(w.sue); r == after || !r.GeneratedAt.After(after.GeneratedAt) {
		t.Error("a report older than ReportReuse was reused")
	}
}

// The working set's statistics rows follow every kind of change it takes
// — a conversation deleted, many changed at once (a group deleted takes
// itself off its conversations) — as the shared store's query does.
func TestReportRowsFollowChanges(t *testing.T) {
	w := newStatsWorld(t)
	ctx, svc := w.f.ctx, w.f.svc
	narrow := berlinQuery()
	narrow.GroupIDs = []string{w.night.ID}
	before, err := svc.Report(ctx, w.sue, narrow)
	if err != nil {
		t.Fatal(err)
	}
	if before.Conversations.New == 0 {
		t.Fatal("the night group has no conversations to begin with")
	}
	all, err := svc.Report(ctx, w.sue, berlinQuery())
	if err != nil {
		t.Fatal(err)
	}
	some := w.c["C7"]
	if err := svc.DeleteConversation(ctx, w.sue, some.ID); err != nil {
		t.Fatal(err)
	}
	if err := svc.DeleteGroup(ctx, inbox.System, w.night.ID); err != nil {
		t.Fatal(err)
	}
	if err := w.f.store.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	shared, err := inbox.Connect(ctx, engine.URI(), w.f.store.Database().Name(), inbox.StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer shared.Close(ctx)
	other := inbox.NewService(shared, inbox.Options{Clock: w.f.clock.Now, PasswordCost: 4})
	for _, q := range []inbox.ReportQuery{berlinQuery(), narrow} {
		got, err := svc.Report(ctx, w.sue, q)
		if err != nil {
			t.Fatal(err)
		}
		want, err := other.Report(ctx, w.sue, q)
		if err != nil {
			t.Fatal(err)
		}
		sameReport(t, got, *want)
	}
	after, err := svc.Report(ctx, w.sue, berlinQuery())
	if err != nil {
		t.Fatal(err)
	}
	if created := some.Dates.Created; !created.Before(after.Start) && created.Before(after.End) && after.Conversations.New != all.Conversations.New-1 {
		t.Errorf("after a deletion: %d new, want %d", after.Conversations.New, all.Conversations.New-1)
	}
	if r, err := svc.Report(ctx, w.sue, narrow); err != nil || r.Conversations.New != 0 {
		t.Errorf("the deleted group still has %d conversations (%v)", r.Conversations.New, err)
	}
}
