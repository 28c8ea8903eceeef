package inbox_test

import (
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
)

// TestMissedConversations walks the rule of the red dot with an injected
// clock: when a conversation becomes missed, and what ends it.
func TestMissedConversations(t *testing.T) {
	f := newFixture(t)
	ctx, sys := f.ctx, inbox.System
	get := func(id string) *inbox.Conversation {
		t.Helper()
		c, err := f.svc.Conversation(ctx, sys, id)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	mark := func(id string, want bool) {
		t.Helper()
		got, err := f.svc.MarkMissed(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("MarkMissed at +%s: %v, want %v (conversation %+v)", f.clock.Now().Sub(t0), got, want, get(id))
		}
	}
	presence := func(p inbox.Presence) {
		t.Helper()
		if _, err := f.svc.SetPresence(ctx, sys, f.agent.AgentID, p); err != nil {
			t.Fatal(err)
		}
	}
	presence(inbox.PresenceOnline)

	t.Run("the client waits 30 s", func(t *testing.T) {
		f.clock.Set(t0)
		c := f.open(t, "Anna")
		if d, ok, err := f.svc.MissedDeadline(ctx, c); err != nil || !ok || !d.Equal(t0.Add(30*time.Second)) {
			t.Fatalf("deadline %v %v (%v), want +30s", d, ok, err)
		}
		f.clock.Set(t0.Add(29900 * time.Millisecond))
		mark(c.ID, false)
		f.clock.Set(t0.Add(30100 * time.Millisecond))
		mark(c.ID, true)
		if got := get(c.ID).MissedAt; got == nil || !got.Equal(t0.Add(30*time.Second)) {
			t.Fatalf("missedAt %v, want the deadline %v", got, t0.Add(30*time.Second))
		}
		mark(c.ID, false) // once is enough
		yes := true
		listed, n, err := f.svc.Conversations(ctx, sys, inbox.ConversationFilter{Missed: &yes})
		if err != nil || n != 1 || listed[0].ID != c.ID {
			t.Fatalf("missed=true lists %d (%v)", n, err)
		}
		// An agent's answer ends it.
		if _, _, err := f.svc.Append(ctx, f.agent, c.ID, inbox.MessageInput{AuthorKind: inbox.AuthorAgent, Text: "Hi"}); err != nil {
			t.Fatal(err)
		}
		if got := get(c.ID); got.MissedAt != nil {
			t.Fatalf("after the answer: missedAt %v", got.MissedAt)
		}
		// The client asks again: a new wait of 30 s from that message.
		f.clock.Set(t0.Add(40 * time.Second))
		if _, _, err := f.svc.Append(ctx, sys, c.ID, inbox.MessageInput{AuthorKind: inbox.AuthorContact, Text: "and?"}); err != nil {
			t.Fatal(err)
		}
		f.clock.Set(t0.Add(69 * time.Second))
		mark(c.ID, false)
		f.clock.Set(t0.Add(70 * time.Second))
		mark(c.ID, true)
	})

	t.Run("accepted, not answered, is no missed wait", func(t *testing.T) {
		f.clock.Set(t0)
		c := f.open(t, "Bruno")
		if _, err := f.svc.Accept(ctx, f.agent, c.ID); err != nil {
			t.Fatal(err)
		}
		f.clock.Set(t0.Add(time.Minute))
		mark(c.ID, false)
	})

	t.Run("the assigned agent is offline, then comes back", func(t *testing.T) {
		f.clock.Set(t0)
		c := f.open(t, "Carla")
		if _, err := f.svc.Assign(ctx, sys, c.ID, f.agent.AgentID, ""); err != nil {
			t.Fatal(err)
		}
		f.clock.Set(t0.Add(5 * time.Second))
		mark(c.ID, false) // online and within 30 s
		presence(inbox.PresenceOffline)
		mark(c.ID, true) // at once
		if got := get(c.ID).MissedAt; got == nil || !got.Equal(t0.Add(5*time.Second)) {
			t.Fatalf("missedAt %v, want when it was noticed (+5s)", got)
		}
		f.clock.Set(t0.Add(10 * time.Second))
		presence(inbox.PresenceOnline)
		got := get(c.ID)
		if got.MissedAt != nil {
			t.Fatalf("the agent is back: missedAt %v", got.MissedAt)
		}
		// The wait starts again from the agent's return.
		f.clock.Set(t0.Add(39 * time.Second))
		mark(c.ID, false)
		f.clock.Set(t0.Add(40 * time.Second))
		mark(c.ID, true)
	})

	t.Run("the line's own missed after", func(t *testing.T) {
		st := f.line.Settings
		st.MissedAfterSeconds = 10
		if _, err := f.svc.UpdateLine(ctx, sys, f.line.ID, inbox.LineInput{Settings: &st}); err != nil {
			t.Fatal(err)
		}
		f.clock.Set(t0)
		c := f.open(t, "Dora")
		f.clock.Set(t0.Add(9 * time.Second))
		mark(c.ID, false)
		f.clock.Set(t0.Add(10 * time.Second))
		mark(c.ID, true)
		st.MissedAfterSeconds = 2
		if _, err := f.svc.UpdateLine(ctx, sys, f.line.ID, inbox.LineInput{Settings: &st}); err == nil {
			t.Error("missedAfterSeconds 2 was accepted")
		}
	})
}
