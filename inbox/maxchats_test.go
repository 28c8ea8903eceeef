package inbox_test

import (
	"errors"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
)

// Routing skips agents at their maximum of concurrent chats: the next one
// goes to whoever still has room, and with everyone full it waits in the
// queue. An agent's cap is validated.
func TestRoutingSkipsAgentsAtTheirMaximum(t *testing.T) {
	f := newFixture(t) // Alice, in the line's queue
	name, email, pw := "Bob", "bob@example.com", "password1"
	bobAg, err := f.svc.CreateAgent(f.ctx, inbox.System, inbox.AgentInput{Name: &name, Email: &email, Password: &pw})
	if err != nil {
		t.Fatal(err)
	}
	bob := inbox.ActorFor(bobAg)
	ids := []string{f.agent.AgentID, bob.AgentID}
	if _, err := f.svc.UpdateLine(f.ctx, inbox.System, f.line.ID, inbox.LineInput{AgentIDs: &ids}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []int{-1, inbox.MaxChatsLimit + 1} {
		var fe *inbox.FieldError
		if _, err := f.svc.UpdateAgent(f.ctx, inbox.System, bob.AgentID, inbox.AgentInput{MaxChats: &bad}); !errors.As(err, &fe) || fe.Field != "maxChats" {
			t.Errorf("maxChats %d: %v, want a maxChats field error", bad, err)
		}
	}
	// An agent may not raise their own cap.
	one, three := 1, 3
	if _, err := f.svc.UpdateAgent(f.ctx, bob, bob.AgentID, inbox.AgentInput{MaxChats: &three}); !errors.Is(err, inbox.ErrForbidden) {
		t.Errorf("agent sets own maxChats: %v, want forbidden", err)
	}
	if _, err := f.svc.UpdateAgent(f.ctx, inbox.System, f.agent.AgentID, inbox.AgentInput{MaxChats: &one}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.UpdateAgent(f.ctx, inbox.System, bob.AgentID, inbox.AgentInput{MaxChats: &three}); err != nil {
		t.Fatal(err)
	}
	for _, a := range []inbox.Actor{f.agent, bob} {
		if _, err := f.svc.SetPresence(f.ctx, a, a.AgentID, inbox.PresenceOnline); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]int{}
	for range 4 {
		c, err := f.svc.Route(f.ctx, f.open(t, "Client").ID)
		if err != nil {
			t.Fatal(err)
		}
		got[c.AgentID]++
	}
	// Alice (cap 1) gets one; Bob (cap 3) three, though ties would favour
	// Alice; nothing waits yet.
	if got[f.agent.AgentID] != 1 || got[bob.AgentID] != 3 || got[""] != 0 {
		t.Fatalf("routing split alice=%d bob=%d waiting=%d, want 1/3/0", got[f.agent.AgentID], got[bob.AgentID], got[""])
	}
	// Everyone is full: the fifth waits unassigned in the queue.
	c, err := f.svc.Route(f.ctx, f.open(t, "Late").ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.AgentID != "" || c.Status != inbox.StatusNew {
		t.Fatalf("with everyone at their maximum: agent %q status %s, want unassigned and new", c.AgentID, c.Status)
	}
	// Lifting Bob's cap (0: none) lets routing give it to him.
	zero := 0
	if _, err := f.svc.UpdateAgent(f.ctx, inbox.System, bob.AgentID, inbox.AgentInput{MaxChats: &zero}); err != nil {
		t.Fatal(err)
	}
	if c, err = f.svc.Route(f.ctx, c.ID); err != nil || c.AgentID != bob.AgentID {
		t.Fatalf("after lifting the cap: agent %q (%v), want Bob", c.AgentID, err)
	}
}

// TestFreedSlotTakesTheOldestWaiting: with everyone at their maximum, new
// conversations wait in order; when an agent's conversation closes, the
// oldest waiting one goes to them at once.
func TestFreedSlotTakesTheOldestWaiting(t *testing.T) {
	f := newFixture(t) // Alice, in the line's queue
	one := 1
	if _, err := f.svc.UpdateAgent(f.ctx, inbox.System, f.agent.AgentID, inbox.AgentInput{MaxChats: &one}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SetPresence(f.ctx, f.agent, f.agent.AgentID, inbox.PresenceOnline); err != nil {
		t.Fatal(err)
	}
	route := func(client string) *inbox.Conversation {
		t.Helper()
		c, err := f.svc.Route(f.ctx, f.open(t, client).ID)
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(time.Second)
		return c
	}
	first := route("First")
	older, newer := route("Older"), route("Newer")
	if first.AgentID != f.agent.AgentID || older.AgentID != "" || newer.AgentID != "" {
		t.Fatalf("first to %q, then %q and %q: want Alice, then both waiting", first.AgentID, older.AgentID, newer.AgentID)
	}
	if _, err := f.svc.Close(f.ctx, f.agent, first.ID); err != nil {
		t.Fatal(err)
	}
	got := func(id string) string {
		c, err := f.svc.Conversation(f.ctx, inbox.System, id)
		if err != nil {
			t.Fatal(err)
		}
		return c.AgentID
	}
	if got(older.ID) != f.agent.AgentID || got(newer.ID) != "" {
		t.Fatalf("after the close: the older waiting one is with %q, the newer with %q; want Alice and nobody", got(older.ID), got(newer.ID))
	}
}
