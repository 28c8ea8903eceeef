package inbox_test

import (
	"slices"
	"testing"

	"github.com/switchboard-chat/switchboard/inbox"
)

// TestListShowsWhatCanSeeAllows holds the two writings of the visibility
// rule to one answer: the conversation list (the store's query filter)
// returns, for each actor, exactly the conversations Actor.CanSee allows.
func TestListShowsWhatCanSeeAllows(t *testing.T) {
	f := newFixture(t) // Alice, in the queue of f.line ("Support") directly
	ctx, sys := f.ctx, inbox.System
	group := func(name string) *inbox.Group {
		g, err := f.svc.CreateGroup(ctx, sys, inbox.GroupInput{Name: &name})
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	sales, billing := group("Sales"), group("Billing")
	agent := func(name, email string, groups ...string) inbox.Actor {
		pw := "password1"
		ag, err := f.svc.CreateAgent(ctx, sys, inbox.AgentInput{Name: &name, Email: &email, Password: &pw, GroupIDs: &groups})
		if err != nil {
			t.Fatal(err)
		}
		return inbox.ActorFor(ag)
	}
	bob := agent("Bob", "bob@example.com", sales.ID) // in Sales
	carol := agent("Carol", "carol@example.com", billing.ID)
	line := func(name string, in inbox.LineInput) *inbox.Line {
		in.Name = &name
		l, err := f.svc.CreateLine(ctx, sys, in)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	salesLine := line("Sales line", inbox.LineInput{GroupIDs: &[]string{sales.ID}}) // Bob's through his group
	carolLine := line("Carol's line", inbox.LineInput{AgentIDs: &[]string{carol.AgentID}})

	// conv opens an unassigned conversation on line l and assigns it.
	conv := func(l *inbox.Line, agentID, groupID string) string {
		c, _, err := f.svc.Open(ctx, sys, inbox.OpenInput{LineID: l.ID, Contact: &inbox.ContactInput{}})
		if err != nil {
			t.Fatal(err)
		}
		if agentID != "" || groupID != "" {
			if _, err := f.svc.Assign(ctx, sys, c.ID, agentID, groupID); err != nil {
				t.Fatal(err)
			}
		}
		return c.ID
	}
	ids := map[string]string{
		"Bob's own, on a line he is not in":        conv(carolLine, bob.AgentID, ""),
		"another agent's, on Bob's line":           conv(salesLine, carol.AgentID, ""),
		"unassigned in Bob's group, not his line":  conv(carolLine, "", sales.ID),
		"unassigned, another group, Bob's line":    conv(salesLine, "", billing.ID),
		"unassigned in a line queue via his group": conv(salesLine, "", ""),
		"unassigned in a line queue directly":      conv(carolLine, "", ""),
		"unassigned elsewhere":                     conv(f.line, "", ""),
	}
	bobSees := []string{
		"Bob's own, on a line he is not in",
		"unassigned in Bob's group, not his line",
		"unassigned in a line queue via his group",
	}

	all, _, err := f.svc.Conversations(ctx, sys, inbox.ConversationFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(ids) {
		t.Fatalf("staff list holds %d conversations, want %d", len(all), len(ids))
	}
	lines := map[string]*inbox.Line{}
	for _, l := range []*inbox.Line{f.line, salesLine, carolLine} {
		lines[l.ID] = l
	}
	super := inbox.Actor{AgentID: "s", Role: inbox.RoleSupervisor}
	for _, a := range []inbox.Actor{bob, carol, f.agent, super} {
		var want []string
		for i := range all {
			if a.CanSee(&all[i], lines[all[i].LineID]) {
				want = append(want, all[i].ID)
			}
		}
		listed, n, err := f.svc.Conversations(ctx, a, inbox.ConversationFilter{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range listed {
			got = append(got, c.ID)
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) || n != int64(len(want)) {
			t.Errorf("%s lists %v (count %d); CanSee allows %v", a.Name, names(ids, got), n, names(ids, want))
		}
		// Loading one by one applies the same rule.
		for label, id := range ids {
			_, err := f.svc.Conversation(ctx, a, id)
			if (err == nil) != slices.Contains(want, id) {
				t.Errorf("%s loading %q: %v; CanSee says %v", a.Name, label, err, slices.Contains(want, id))
			}
		}
	}
	// And the rule is the one the product states, not merely consistent.
	var want []string
	for _, label := range bobSees {
		want = append(want, ids[label])
	}
	listed, _, err := f.svc.Conversations(ctx, bob, inbox.ConversationFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range listed {
		got = append(got, c.ID)
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("Bob lists %v, want %v", names(ids, got), names(ids, want))
	}
}

// names turns conversation ids back into the test's labels.
func names(labels map[string]string, ids []string) []string {
	out := []string{}
	for _, id := range ids {
		for label, l := range labels {
			if l == id {
				out = append(out, label)
			}
		}
	}
	return out
}
