package inbox_test

import (
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
)

// TestAgentScheduleOverridesTheLines: an automatic agent follows their own
// hours when they have them, else the union of their lines' hours; a
// manual agent follows none.
func TestAgentScheduleOverridesTheLines(t *testing.T) {
	f := newFixture(t) // Alice, in the line's queue
	ctx, sys := f.ctx, inbox.System
	span := func(from, to string) map[string][]inbox.Span {
		return map[string][]inbox.Span{"mon": {{From: from, To: to}}}
	}
	lineHours := inbox.BusinessHours{Enabled: true, TimeZone: "UTC", Days: span("09:00", "17:00")}
	if _, err := f.svc.UpdateLine(ctx, sys, f.line.ID, inbox.LineInput{BusinessHours: &lineHours}); err != nil {
		t.Fatal(err)
	}
	monday := func(hhmm string) time.Time {
		at, err := time.Parse("2006-01-02 15:04", "2026-06-01 "+hhmm) // a Monday
		if err != nil {
			t.Fatal(err)
		}
		return at
	}
	schedule := func(in inbox.AgentInput) (inbox.Schedule, bool) {
		t.Helper()
		ag, err := f.svc.UpdateAgent(ctx, sys, f.agent.AgentID, in)
		if err != nil {
			t.Fatal(err)
		}
		s, ok, err := f.svc.AgentSchedule(ctx, ag)
		if err != nil {
			t.Fatal(err)
		}
		return s, ok
	}
	manual, auto := inbox.PresenceManual, inbox.PresenceByHours
	if _, ok := schedule(inbox.AgentInput{PresenceMode: &manual}); ok {
		t.Error("a manual agent has a schedule")
	}
	s, ok := schedule(inbox.AgentInput{PresenceMode: &auto})
	if open, _ := s.OpenAt(monday("10:00")); !ok || !open {
		t.Fatalf("following the line: ok %v, open at 10:00 %v", ok, open)
	}
	own := inbox.BusinessHours{Enabled: true, TimeZone: "UTC", Days: span("18:00", "22:00")}
	s, ok = schedule(inbox.AgentInput{BusinessHours: &own})
	if !ok {
		t.Fatal("no schedule with own hours")
	}
	for at, want := range map[string]bool{"10:00": false, "18:30": true} {
		if open, _ := s.OpenAt(monday(at)); open != want {
			t.Errorf("own hours at %s: open %v, want %v (their own, not the line's)", at, open, want)
		}
	}
	if next, open, found, _ := s.Next(monday("12:00")); !found || !open || !next.Equal(monday("18:00")) {
		t.Errorf("next change after 12:00: %s open=%v, want 18:00 opening", next, open)
	}
}

// TestPresenceHistory: every change of an agent's presence is kept, with
// its reason and time, for the statistics.
func TestPresenceHistory(t *testing.T) {
	f := newFixture(t)
	ctx := f.ctx
	f.clock.Set(t0)
	steps := []struct {
		p   inbox.Presence
		why inbox.PresenceReason
	}{{inbox.PresenceOnline, ""}, {inbox.PresenceInvisible, ""}, {inbox.PresenceOffline, inbox.ReasonInactivity}, {inbox.PresenceOnline, inbox.ReasonHours}}
	for _, s := range steps {
		f.clock.Advance(time.Minute)
		if _, err := f.svc.UpdateAgent(ctx, inbox.System, f.agent.AgentID, inbox.AgentInput{Presence: &s.p, Reason: s.why}); err != nil {
			t.Fatal(err)
		}
	}
	// The same presence again is no change.
	same := inbox.PresenceOnline
	if _, err := f.svc.UpdateAgent(ctx, inbox.System, f.agent.AgentID, inbox.AgentInput{Presence: &same}); err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.Store().PresenceHistory(ctx, f.agent.AgentID, t0, t0.Add(time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"online manual +1m0s", "invisible manual +2m0s", "offline inactivity +3m0s", "online hours +4m0s"}
	var have []string
	for _, c := range got {
		have = append(have, string(c.Presence)+" "+string(c.Reason)+" +"+c.At.Sub(t0).String())
	}
	if len(have) != len(want) {
		t.Fatalf("history %q, want %q", have, want)
	}
	for i := range want {
		if have[i] != want[i] {
			t.Errorf("change %d: %q, want %q", i, have[i], want[i])
		}
	}
}
