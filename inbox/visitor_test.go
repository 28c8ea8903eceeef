package inbox_test

import (
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
)

func TestLiveChatCloseWaitsForTheRatingThenTimesOut(t *testing.T) {
	f := newFixture(t)
	settings := inbox.LineSettings{RatingTimeoutSeconds: 60}
	if _, err := f.svc.UpdateLine(f.ctx, inbox.System, f.line.ID, inbox.LineInput{Settings: &settings}); err != nil {
		t.Fatal(err)
	}
	rated, waiting := f.open(t, "Rater"), f.open(t, "Silent")
	for _, c := range []*inbox.Conversation{rated, waiting} {
		got, err := f.svc.Close(f.ctx, f.agent, c.ID)
		if err != nil || got.Status != inbox.StatusClosing || got.Dates.ClosedByAgent == nil || got.Dates.Closed != nil {
			t.Fatalf("close: %v %+v; want closing with closed-by-agent date only", err, got)
		}
	}
	f.clock.Advance(10 * time.Second)
	got, err := f.svc.RateByClient(f.ctx, inbox.System, rated.ID, 5)
	if err != nil || got.Status != inbox.StatusClosed || got.ClientRating != 5 {
		t.Fatalf("rate: %v %+v", err, got)
	}
	if n, err := f.svc.CloseExpired(f.ctx); err != nil || n != 0 {
		t.Fatalf("CloseExpired before the timeout closed %d (%v)", n, err)
	}
	f.clock.Advance(51 * time.Second)
	if n, err := f.svc.CloseExpired(f.ctx); err != nil || n != 1 {
		t.Fatalf("CloseExpired after the timeout closed %d (%v), want 1", n, err)
	}
	got, err = f.svc.Conversation(f.ctx, inbox.System, waiting.ID)
	if err != nil || got.Status != inbox.StatusClosed || got.ClientRating != 0 || *got.Timings.TimeToCloseByAgentMs != 0 {
		t.Fatalf("after timeout: %v %+v", err, got)
	}
}

func TestRoutingPicksTheOnlineAgentWithFewestActiveConversations(t *testing.T) {
	f := newFixture(t) // Alice, offline, in the line's queue
	mk := func(name, email string) inbox.Actor {
		pw := "password1"
		ag, err := f.svc.CreateAgent(f.ctx, inbox.System, inbox.AgentInput{Name: &name, Email: &email, Password: &pw})
		if err != nil {
			t.Fatal(err)
		}
		return inbox.ActorFor(ag)
	}
	bob, cid := mk("Bob", "bob@example.com"), mk("Cid", "cid@example.com")
	ids := []string{f.agent.AgentID, bob.AgentID, cid.AgentID}
	if _, err := f.svc.UpdateLine(f.ctx, inbox.System, f.line.ID, inbox.LineInput{AgentIDs: &ids}); err != nil {
		t.Fatal(err)
	}
	if m, _ := f.svc.LineMode(f.ctx, f.line.ID); m != inbox.ModeMessenger {
		t.Fatalf("mode with nobody online = %s, want messenger", m)
	}
	// Nobody online: the conversation waits unassigned.
	first := f.open(t, "Early")
	if got, err := f.svc.Route(f.ctx, first.ID); err != nil || got.AgentID != "" || got.Status != inbox.StatusNew {
		t.Fatalf("route with nobody online: %v %+v", err, got)
	}
	// Bob comes online: the waiting conversation goes to him.
	if _, err := f.svc.SetPresence(f.ctx, bob, bob.AgentID, inbox.PresenceOnline); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.svc.Conversation(f.ctx, inbox.System, first.ID); got.AgentID != bob.AgentID || got.Status != inbox.StatusWaiting {
		t.Fatalf("after Bob came online: agent %q status %s", got.AgentID, got.Status)
	}
	// Cid is invisible: visitors see messenger mode only if nobody else is online; he gets nothing.
	if _, err := f.svc.SetPresence(f.ctx, cid, cid.AgentID, inbox.PresenceInvisible); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SetPresence(f.ctx, f.agent, f.agent.AgentID, inbox.PresenceOnline); err != nil {
		t.Fatal(err)
	}
	if m, _ := f.svc.LineMode(f.ctx, f.line.ID); m != inbox.ModeLive {
		t.Fatalf("mode = %s, want live", m)
	}
	got := map[string]int{}
	for range 4 {
		c, err := f.svc.Route(f.ctx, f.open(t, "Later").ID)
		if err != nil {
			t.Fatal(err)
		}
		got[c.AgentID]++
	}
	// Bob had one already, so Alice gets the first; then ties go by agent id
	// (Alice's is older): Alice, Bob, Alice. Invisible Cid gets none.
	if got[f.agent.AgentID] != 3 || got[bob.AgentID] != 1 || got[cid.AgentID] != 0 {
		t.Fatalf("routing split alice=%d bob=%d cid=%d, want 3/1/0", got[f.agent.AgentID], got[bob.AgentID], got[cid.AgentID])
	}
}
