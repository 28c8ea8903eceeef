package scheduler_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/inbox/inboxtest"
	"github.com/switchboard-chat/switchboard/inbox/realtime"
	"github.com/switchboard-chat/switchboard/scheduler"
)

var engine *inboxtest.Engine

func TestMain(m *testing.M) { inboxtest.Main(m, &engine) }

// TestMissedWatcherMarksAtTheDeadline runs the watcher on the real inbox:
// an unanswered conversation is marked when its line's wait is over (not
// before, at most a second after), an answered one never, and one whose
// assigned agent goes offline at once.
func TestMissedWatcherMarksAtTheDeadline(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hub := realtime.NewHub()
	svc := inbox.NewService(engine.Store(t), inbox.Options{Events: hub, PasswordCost: 4})
	sys := inbox.System
	name, email, pw := "Alice", "alice@example.com", "password1"
	ag, err := svc.CreateAgent(ctx, sys, inbox.AgentInput{Name: &name, Email: &email, Password: &pw})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetPresence(ctx, sys, ag.ID, inbox.PresenceOnline); err != nil {
		t.Fatal(err)
	}
	lname := "Support"
	const after = inbox.MinMissedAfterSeconds * time.Second
	line, err := svc.CreateLine(ctx, sys, inbox.LineInput{Name: &lname, AgentIDs: &[]string{ag.ID}, Settings: &inbox.LineSettings{MissedAfterSeconds: inbox.MinMissedAfterSeconds}})
	if err != nil {
		t.Fatal(err)
	}
	marked := 0
	w := scheduler.NewMissed(svc, hub, func() { marked++ }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	missedAt := hub.Subscribe(func(ev inbox.Event) bool {
		return ev.Type == inbox.EventConversationUpdated && ev.Conversation != nil && ev.Conversation.MissedAt != nil
	}, 16)
	time.Sleep(100 * time.Millisecond) // the watcher has read the (empty) inbox

	open := func(client string) *inbox.Conversation {
		c, _, err := svc.Open(ctx, sys, inbox.OpenInput{LineID: line.ID, Contact: &inbox.ContactInput{Name: &client},
			Message: &inbox.MessageInput{Text: "hello"}})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	waiting := open("Waits")
	answered := open("Answered")
	if _, _, err := svc.Append(ctx, inbox.ActorFor(ag), answered.ID, inbox.MessageInput{AuthorKind: inbox.AuthorAgent, Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-missedAt.Events():
		seen := time.Now()
		due := ev.Conversation.Track.MissedFrom.Add(after)
		if ev.ConversationID != waiting.ID {
			t.Fatalf("%s was marked missed, want %s", ev.ConversationID, waiting.ID)
		}
		if seen.Before(due) || seen.After(due.Add(time.Second)) {
			t.Errorf("marked %s after its deadline (want 0 to 1 s)", seen.Sub(due))
		}
		if !ev.Conversation.MissedAt.Equal(due.Truncate(time.Millisecond)) && !ev.Conversation.MissedAt.Equal(due) {
			t.Errorf("missedAt %s, want the deadline %s", ev.Conversation.MissedAt, due)
		}
	case <-time.After(after + 3*time.Second):
		t.Fatal("nothing was marked missed")
	}

	// The assigned agent goes offline: their waiting client is missed at once.
	assigned := open("Assigned")
	if _, err := svc.Assign(ctx, sys, assigned.ID, ag.ID, ""); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := svc.SetPresence(ctx, sys, ag.ID, inbox.PresenceOffline); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-missedAt.Events():
		if ev.ConversationID != assigned.ID {
			t.Fatalf("%s was marked missed, want %s", ev.ConversationID, assigned.ID)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("marked %s after the agent went offline, want under 1 s", d)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("the offline agent's conversation was not marked missed")
	}
	if c, _ := svc.Conversation(ctx, sys, answered.ID); c.MissedAt != nil {
		t.Errorf("the answered conversation was marked missed at %s", c.MissedAt)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if marked != 2 {
		t.Errorf("the watcher counted %d marks, want 2", marked)
	}
}
