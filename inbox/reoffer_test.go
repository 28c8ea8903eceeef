package inbox_test

import (
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
)

// TestReofferToTheNextAgent: a routed conversation its agent does not take
// within the line's reofferAfterSeconds goes to the next online agent who
// has not had it; taking it in time keeps it; the first reaction time
// still counts from the client's message.
func TestReofferToTheNextAgent(t *testing.T) {
	f := newFixture(t) // Alice, in the line's queue
	ctx, sys := f.ctx, inbox.System
	name, email, pw := "Bob", "bob@example.com", "password1"
	bobAg, err := f.svc.CreateAgent(ctx, sys, inbox.AgentInput{Name: &name, Email: &email, Password: &pw})
	if err != nil {
		t.Fatal(err)
	}
	bob := inbox.ActorFor(bobAg)
	ids := []string{f.agent.AgentID, bob.AgentID}
	st := f.line.Settings
	st.ReofferAfterSeconds = 20
	if _, err := f.svc.UpdateLine(ctx, sys, f.line.ID, inbox.LineInput{AgentIDs: &ids, Settings: &st}); err != nil {
		t.Fatal(err)
	}
	for _, a := range []inbox.Actor{f.agent, bob} {
		if _, err := f.svc.SetPresence(ctx, a, a.AgentID, inbox.PresenceOnline); err != nil {
			t.Fatal(err)
		}
	}
	f.clock.Set(t0)
	c, err := f.svc.Route(ctx, f.open(t, "Client").ID)
	if err != nil {
		t.Fatal(err)
	}
	first := c.AgentID
	other := map[string]inbox.Actor{f.agent.AgentID: bob, bob.AgentID: f.agent}[first]
	if first == "" {
		t.Fatal("not routed")
	}
	reoffer := func(at time.Duration, want int) {
		t.Helper()
		f.clock.Set(t0.Add(at))
		n, err := f.svc.ReofferStale(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Fatalf("at +%s moved %d, want %d", at, n, want)
		}
	}
	reoffer(19*time.Second, 0)
	reoffer(20*time.Second, 1)
	got, err := f.svc.Conversation(ctx, sys, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.AgentID != other.AgentID {
		t.Fatalf("after 20 s untaken: with %q, want the other agent %q", got.AgentID, other.AgentID)
	}
	// Both have had it: it stays with the second.
	reoffer(60*time.Second, 0)
	// The second answers: the first reaction counts from the client's
	// message, 70 s before.
	f.clock.Set(t0.Add(70 * time.Second))
	if _, _, err := f.svc.Append(ctx, other, c.ID, inbox.MessageInput{AuthorKind: inbox.AuthorAgent, Text: "Hello"}); err != nil {
		t.Fatal(err)
	}
	got, _ = f.svc.Conversation(ctx, sys, c.ID)
	if got.Timings.FirstReactionMs == nil || *got.Timings.FirstReactionMs != 70_000 {
		t.Errorf("first reaction %v ms, want 70000 (from the client's message)", deref(got.Timings.FirstReactionMs))
	}

	// Taken in time (accepted): it stays.
	f.clock.Set(t0.Add(2 * time.Minute))
	c2, err := f.svc.Route(ctx, f.open(t, "Second").ID)
	if err != nil {
		t.Fatal(err)
	}
	taker := map[string]inbox.Actor{f.agent.AgentID: f.agent, bob.AgentID: bob}[c2.AgentID]
	if _, err := f.svc.Accept(ctx, taker, c2.ID); err != nil {
		t.Fatal(err)
	}
	reoffer(10*time.Minute, 0)
	st.ReofferAfterSeconds = 5
	if _, err := f.svc.UpdateLine(ctx, sys, f.line.ID, inbox.LineInput{Settings: &st}); err == nil {
		t.Error("reofferAfterSeconds 5 was accepted")
	}
}
