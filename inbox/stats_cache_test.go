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
