package scheduler_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/inbox/realtime"
	"github.com/switchboard-chat/switchboard/scheduler"
)

// TestHoursFlipPresenceAndModeAtTheBoundary runs the hours watcher on the
// real inbox with a clock set 2 s before a minute's end: an automatic
// agent following their line's hours is put offline at once (the line is
// closed), online within a second of the opening, and the line's widget
// turns live with them; an agent's manual change lasts until the next
// boundary.
func TestHoursFlipPresenceAndModeAtTheBoundary(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	real := time.Now()
	// The clock reads hh:mm:58 now: the next minute opens in 2 s.
	target := real.UTC().Truncate(time.Minute).Add(58 * time.Second)
	offset := target.Sub(real)
	now := func() time.Time { return time.Now().Add(offset) }
	opening := target.Add(2 * time.Second)

	hub := realtime.NewHub()
	svc := inbox.NewService(engine.Store(t), inbox.Options{Events: hub, PasswordCost: 4, Clock: now})
	sys := inbox.System
	name, email, pw := "Alice", "alice@example.com", "password1"
	ag, err := svc.CreateAgent(ctx, sys, inbox.AgentInput{Name: &name, Email: &email, Password: &pw})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetPresence(ctx, sys, ag.ID, inbox.PresenceOnline); err != nil {
		t.Fatal(err)
	}
	day := map[time.Weekday]string{time.Monday: "mon", time.Tuesday: "tue", time.Wednesday: "wed", time.Thursday: "thu",
		time.Friday: "fri", time.Saturday: "sat", time.Sunday: "sun"}[opening.Weekday()]
	hours := inbox.BusinessHours{Enabled: true, TimeZone: "UTC", Days: map[string][]inbox.Span{
		// Near midnight this span runs overnight, which the hours allow.
		day: {{From: opening.Format("15:04"), To: opening.Add(10 * time.Minute).Format("15:04")}}}}
	lname := "Support"
	line, err := svc.CreateLine(ctx, sys, inbox.LineInput{Name: &lname, AgentIDs: &[]string{ag.ID}, BusinessHours: &hours})
	if err != nil {
		t.Fatal(err)
	}
	if mode, _ := svc.LineMode(ctx, line.ID); mode != inbox.ModeMessenger {
		t.Fatalf("before the opening the line is %s, want messenger (closed by its hours, though Alice is online)", mode)
	}
	if at, ok, _ := svc.LineOpensAt(ctx, line.ID); !ok || !at.Equal(opening) {
		t.Fatalf("opens at %s %v, want %s", at, ok, opening)
	}

	presence := hub.Subscribe(func(ev inbox.Event) bool { return ev.Type == inbox.EventPresenceChanged }, 16)
	w := scheduler.NewHours(svc, hub, now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	go func() { _ = w.Run(ctx) }()
	time.Sleep(100 * time.Millisecond)
	auto := inbox.PresenceByHours
	if _, err := svc.UpdateAgent(ctx, sys, ag.ID, inbox.AgentInput{PresenceMode: &auto}); err != nil {
		t.Fatal(err)
	}
	next := func(want inbox.Presence, within time.Duration) time.Time {
		t.Helper()
		select {
		case ev := <-presence.Events():
			if ev.Presence != want {
				t.Fatalf("presence went %s, want %s", ev.Presence, want)
			}
			return now()
		case <-time.After(within):
			t.Fatalf("no presence change to %s within %s", want, within)
		}
		return time.Time{}
	}
	next(inbox.PresenceOffline, time.Second) // turned automatic while closed
	at := next(inbox.PresenceOnline, 4*time.Second)
	if d := at.Sub(opening); d < 0 || d > time.Second {
		t.Errorf("online %s after the opening, want within 1 s", d)
	}
	if mode, _ := svc.LineMode(ctx, line.ID); mode != inbox.ModeLive {
		t.Errorf("after the opening the line is %s, want live", mode)
	}
	// A manual change lasts until the next boundary: nothing undoes it now.
	if _, err := svc.SetPresence(ctx, sys, ag.ID, inbox.PresenceInvisible); err != nil {
		t.Fatal(err)
	}
	next(inbox.PresenceInvisible, time.Second)
	select {
	case ev := <-presence.Events():
		t.Errorf("the watcher changed a manual choice mid-opening: %s", ev.Presence)
	case <-time.After(1500 * time.Millisecond):
	}
}
