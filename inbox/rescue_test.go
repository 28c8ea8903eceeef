package inbox_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
)

// TestInvisibleRescue: an agent who opted in is offered, while invisible,
// the missed conversations of their lines, whoever has them; answering one
// takes it. Not while online, not without opting in.
func TestInvisibleRescue(t *testing.T) {
	f := newFixture(t) // Alice, in the line's queue
	ctx, sys := f.ctx, inbox.System
	name, email, pw := "Bob", "bob@example.com", "password1"
	bobAg, err := f.svc.CreateAgent(ctx, sys, inbox.AgentInput{Name: &name, Email: &email, Password: &pw})
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{f.agent.AgentID, bobAg.ID}
	if _, err := f.svc.UpdateLine(ctx, sys, f.line.ID, inbox.LineInput{AgentIDs: &ids}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SetPresence(ctx, f.agent, f.agent.AgentID, inbox.PresenceOnline); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(t0)
	c := f.open(t, "Client")
	if _, err := f.svc.Assign(ctx, sys, c.ID, f.agent.AgentID, ""); err != nil {
		t.Fatal(err)
	}
	bob := func(p inbox.Presence, rescue bool) inbox.Actor {
		t.Helper()
		ag, err := f.svc.UpdateAgent(ctx, sys, bobAg.ID, inbox.AgentInput{Presence: &p, RescueWhileInvisible: &rescue})
		if err != nil {
			t.Fatal(err)
		}
		return inbox.ActorFor(ag)
	}
	sees := func(a inbox.Actor) bool {
		t.Helper()
		list, _, err := f.svc.Conversations(ctx, a, inbox.ConversationFilter{})
		if err != nil {
			t.Fatal(err)
		}
		inList := slices.ContainsFunc(list, func(x inbox.Conversation) bool { return x.ID == c.ID })
		_, err = f.svc.Conversation(ctx, a, c.ID)
		if inList != (err == nil) {
			t.Fatalf("the list (%v) and loading (%v) disagree", inList, err)
		}
		return inList
	}
	rescuer := bob(inbox.PresenceInvisible, true)
	if sees(rescuer) {
		t.Fatal("a rescuer sees a conversation that is not missed")
	}
	f.clock.Set(t0.Add(31 * time.Second))
	if ok, err := f.svc.MarkMissed(ctx, c.ID); err != nil || !ok {
		t.Fatalf("mark missed: %v %v", ok, err)
	}
	if !sees(rescuer) {
		t.Fatal("the invisible rescuer is not offered the missed conversation")
	}
	if sees(bob(inbox.PresenceInvisible, false)) {
		t.Error("an invisible agent who did not opt in sees it")
	}
	if sees(bob(inbox.PresenceOnline, true)) {
		t.Error("an online agent sees another's missed conversation as a rescue")
	}
	rescuer = bob(inbox.PresenceInvisible, true)
	if _, _, err := f.svc.Append(ctx, rescuer, c.ID, inbox.MessageInput{AuthorKind: inbox.AuthorAgent, Text: "note", Comment: true}); !errors.Is(err, inbox.ErrForbidden) {
		t.Errorf("a rescuer's comment: %v, want forbidden", err)
	}
	if _, _, err := f.svc.Append(ctx, rescuer, c.ID, inbox.MessageInput{AuthorKind: inbox.AuthorAgent, Text: "I can help"}); err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.Conversation(ctx, sys, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.AgentID != bobAg.ID || got.MissedAt != nil || got.Status != inbox.StatusAnswered {
		t.Errorf("after the rescue: agent %q, missed %v, status %s; want Bob, not missed, answered", got.AgentID, got.MissedAt, got.Status)
	}
	if sees(f.agent) {
		t.Error("Alice still sees the conversation Bob took")
	}
}
