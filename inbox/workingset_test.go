package inbox_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
)

// seedVaried stores n conversations with every list column varied — ties,
// unset dates and timings, empty and non-ASCII names — and three lines
// whose queues are agent "a1" directly and group "g1", through the given
// (shared-mode) store's database.
func seedVaried(t testing.TB, st *inbox.Store, n int) {
	t.Helper()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(7, 8))
	pick := func(vs ...string) string { return vs[r.IntN(len(vs))] }
	base := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	at := func() time.Time { return base.Add(time.Duration(r.IntN(40)) * 37 * time.Minute) }
	maybe := func() *time.Time {
		if r.IntN(3) == 0 {
			return nil
		}
		v := at()
		return &v
	}
	ms := func() *int64 {
		if r.IntN(3) == 0 {
			return nil
		}
		v := int64(r.IntN(5)) * 1500
		return &v
	}
	statuses := []inbox.Status{inbox.StatusNew, inbox.StatusQueued, inbox.StatusAccepted, inbox.StatusWaiting,
		inbox.StatusWaitingAgain, inbox.StatusAnswered, inbox.StatusClosing, inbox.StatusClosed, inbox.StatusSpam}
	for i := range n {
		status := statuses[r.IntN(len(statuses))]
		c := &inbox.Conversation{
			ID: fmt.Sprintf("conv%04d", i), Number: int64(100 + i), LineID: pick("l1", "l2", "l3"),
			Channel: inbox.Channel(pick("livechat", "telegram", "email")), Type: inbox.ConversationType(pick("incoming", "outgoing")),
			Status: status, StatusCode: status.Code(), General: inbox.GeneralStatus(pick("waiting", "answered", "closed")),
			Spam: r.IntN(5) == 0, ContactID: fmt.Sprintf("ct%d", r.IntN(20)),
			ContactName: pick("", "Anna", "anna maria", "Ärger GmbH", "Борис", "Visitor", "zoe"),
			AgentID:     pick("", "", "a1", "a2", "a3"), GroupID: pick("", "", "g1", "g2"),
			Pinned: r.IntN(4) == 0, SitePage: pick("", "/", "/pricing"), FormFilled: r.IntN(2) == 0,
			HistoryRequested: r.IntN(3) == 0, ClientRating: r.IntN(6), SupervisorRating: r.IntN(6),
			SupervisorComment: pick("", "ok", "late"),
		}
		if c.ContactName == "" {
			c.VisitorNumber = 1000 + r.IntN(5)*1111
		}
		c.Dates = inbox.Dates{Created: at(), Modified: at(), Queued: maybe(), Answered: maybe(), Accepted: maybe(),
			LastMessage: maybe(), ClosedByAgent: maybe(), Closed: maybe()}
		c.MissedAt = maybe()
		c.Timings = inbox.Timings{WaitingForAnswerMs: ms(), TimeToAcceptMs: ms(), TimeToCloseByAgentMs: ms(), DurationMs: ms(),
			FirstReactionMs: ms(), ChatBotMs: ms(), ResponseTotalMs: ms(), ResponseAverageMs: ms(), ResponseMaxMs: ms()}
		if err := st.InsertConversation(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range []inbox.Line{{ID: "l1", AgentIDs: []string{"a1"}}, {ID: "l2", GroupIDs: []string{"g1"}}, {ID: "l3"}} {
		l.Name = l.ID
		if err := st.InsertLine(ctx, &l); err != nil {
			t.Fatal(err)
		}
	}
}

// TestWorkingSetListsAsTheStore holds the embedded mode's in-memory list
// to the store's query: for every filter, sort column and direction, page
// and actor, both give the same conversations in the same order and the
// same total.
func TestWorkingSetListsAsTheStore(t *testing.T) {
	shared := engine.Stores(t, 1, false)[0]
	seedVaried(t, shared, 240)
	ctx := context.Background()
	ws, err := inbox.Connect(ctx, engine.URI(), shared.Database().Name(), inbox.StoreOptions{Exclusive: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ws.Close(ctx) }()
	if n, _, err := ws.WarmUp(ctx); err != nil || n != 240 {
		t.Fatalf("warm-up read %d conversations (%v), want 240", n, err)
	}

	yes, no := true, false
	from := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	filters := map[string]inbox.ConversationFilter{
		"none":           {},
		"active":         {Active: true},
		"agents":         {AgentIDs: []string{"a1", "a3"}},
		"unassigned":     {Unassigned: true, AgentIDs: []string{"a1"}},
		"groups":         {GroupIDs: []string{"g2"}},
		"lines":          {LineIDs: []string{"l1", "l3"}},
		"channel+type":   {Channels: []inbox.Channel{"email"}, Types: []inbox.ConversationType{"incoming"}},
		"statuses":       {Statuses: []inbox.Status{inbox.StatusWaiting, inbox.StatusClosed}},
		"general":        {General: []inbox.GeneralStatus{"answered"}},
		"client name":    {Client: "ANNA"},
		"client umlaut":  {Client: "ärger"},
		"client number":  {Client: "Visitor 2111"},
		"client regexy":  {Client: "a.*"},
		"contact":        {ContactID: "ct3"},
		"flags":          {Spam: &no, Pinned: &yes},
		"flags 2":        {FormFilled: &yes, HistoryRequested: &no},
		"missed":         {Missed: &yes},
		"not missed":     {Missed: &no, Active: true},
		"ratings":        {ClientRating: []int{4, 5}, SupervisorRating: []int{0, 1, 2}},
		"number":         {Number: 150},
		"dates":          {Dates: map[string]inbox.TimeRange{"created": {From: from}, "answered": {To: from.Add(6 * time.Hour)}}},
		"date both ends": {Dates: map[string]inbox.TimeRange{"lastMessage": {From: from, To: from.Add(3 * time.Hour)}}},
	}
	sorts := append([]string{""}, inbox.SortColumns()...)
	actors := []inbox.Actor{
		inbox.System,
		{AgentID: "a1", Role: inbox.RoleAgent, Name: "direct"},
		{AgentID: "a2", Role: inbox.RoleAgent, GroupIDs: []string{"g1"}, Name: "via group"},
		{AgentID: "a9", Role: inbox.RoleAgent, GroupIDs: []string{"g2"}, Name: "group only"},
		{AgentID: "a8", Role: inbox.RoleAgent, GroupIDs: []string{"g1"}, Name: "invisible rescuer", Rescue: true},
	}
	ids := func(cs []inbox.Conversation) []string {
		out := make([]string, len(cs))
		for i := range cs {
			out[i] = cs[i].ID
		}
		return out
	}
	check := func(label string, a inbox.Actor, f inbox.ConversationFilter, limit int) {
		t.Helper()
		want, wantN, err := shared.ListConversations(ctx, a, f, limit)
		if err != nil {
			t.Fatalf("%s: store: %v", label, err)
		}
		got, gotN, err := ws.ListConversations(ctx, a, f, limit)
		if err != nil {
			t.Fatalf("%s: working set: %v", label, err)
		}
		if gotN != wantN || !slices.Equal(ids(got), ids(want)) {
			t.Errorf("%s: working set lists %v (total %d), the store %v (total %d)", label, ids(got), gotN, ids(want), wantN)
		}
		for i := range got {
			if i < len(want) && !reflect.DeepEqual(got[i], want[i]) {
				t.Errorf("%s: %s differs:\n working set %+v\n store       %+v", label, got[i].ID, got[i], want[i])
				break
			}
		}
	}
	// Every sort column both ways, on a page that starts inside the
	// list; every filter for staff and for one agent in turn; every
	// actor on the active list.
	for _, col := range sorts {
		for _, dir := range []string{"", "-"} {
			if col == "" && dir == "-" {
				continue
			}
			f := inbox.ConversationFilter{Sort: dir + col, Offset: 3}
			check(fmt.Sprintf("sorted %q", f.Sort), inbox.System, f, 7)
		}
	}
	i := 0
	for name, f := range filters {
		i++
		check(name, inbox.System, f, 10)
		a := actors[1+i%(len(actors)-1)]
		f.Sort = "-lastMessage"
		check(fmt.Sprintf("%s for %s", name, a.Name), a, f, 10)
	}
	for _, a := range actors {
		check("active for "+a.Name, a, inbox.ConversationFilter{Active: true, Sort: "client", Offset: 2}, 10)
	}
	// Deep pages are cut from the same order.
	for _, off := range []int{0, 40, 200, 239, 240, 500} {
		check(fmt.Sprintf("page from %d", off), inbox.System, inbox.ConversationFilter{Sort: "answered", Offset: off}, 40)
	}
	check("one past the partial sort", inbox.System, inbox.ConversationFilter{Sort: "-firstReaction", Offset: 2045}, 10)
	check("no rows", inbox.System, inbox.ConversationFilter{}, 0)
}

// TestWorkingSetFollowsEveryWrite runs the service's conversation changes
// on the embedded (exclusive) store and then compares what its working set
// holds with what the store holds, conversation by conversation.
func TestWorkingSetFollowsEveryWrite(t *testing.T) {
	f := newFixture(t)
	ctx := f.ctx
	sys := inbox.System
	a := f.open(t, "Anna")
	b := f.open(t, "Bruno")
	c := f.open(t, "Carla")
	g, err := f.svc.CreateGroup(ctx, sys, inbox.GroupInput{Name: strp("Team")})
	if err != nil {
		t.Fatal(err)
	}
	steps := []func() error{
		func() error { _, err := f.svc.Accept(ctx, f.agent, a.ID); return err },
		func() error {
			_, _, err := f.svc.Append(ctx, f.agent, a.ID, inbox.MessageInput{AuthorKind: inbox.AuthorAgent, Text: "Hi"})
			return err
		},
		func() error { _, err := f.svc.Assign(ctx, sys, b.ID, "", g.ID); return err },
		func() error { _, err := f.svc.Pin(ctx, sys, a.ID, true); return err },
		func() error { _, err := f.svc.Close(ctx, f.agent, a.ID); return err },
		func() error {
			_, err := f.svc.UpdateContact(ctx, sys, b.ContactID, inbox.ContactInput{Name: strp("Bruno Neu")})
			return err
		},
		func() error { return f.svc.DeleteGroup(ctx, sys, g.ID) },
		func() error { return f.svc.DeleteConversation(ctx, sys, c.ID) },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	// A second, shared-mode store reads the database itself.
	direct, err := inbox.Connect(ctx, engine.URI(), f.svc.Store().Database().Name(), inbox.StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = direct.Close(ctx) }()
	for _, id := range []string{a.ID, b.ID} {
		want, err := direct.ConversationByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.svc.Store().ConversationByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s in the working set:\n %+v\nin the store:\n %+v", id, got, want)
		}
	}
	if got, _ := f.svc.Store().ConversationByID(ctx, b.ID); got.ContactName != "Bruno Neu" || got.GroupID != "" {
		t.Errorf("b after rename and group delete: name %q group %q", got.ContactName, got.GroupID)
	}
	if _, err := f.svc.Store().ConversationByID(ctx, c.ID); err == nil {
		t.Error("a deleted conversation is still in the working set")
	}
	all, n, err := f.svc.Store().ListConversations(ctx, sys, inbox.ConversationFilter{}, 10)
	if err != nil || n != 2 || len(all) != 2 {
		t.Errorf("list after the changes: %d of %d (%v), want 2", len(all), n, err)
	}
}

// TestWorkingSetAnswersAreCopies: changing what the store handed out
// changes nothing stored.
func TestWorkingSetAnswersAreCopies(t *testing.T) {
	f := newFixture(t)
	c := f.open(t, "Anna")
	got, err := f.svc.Store().ConversationByID(f.ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	got.ContactName = "changed"
	*got.Dates.LastMessage = time.Time{}
	*got.Timings.DurationMs = -1
	got.LastMessage.Text = "changed"
	again, err := f.svc.Store().ConversationByID(f.ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if again.ContactName != "Anna" || again.Dates.LastMessage.IsZero() || *again.Timings.DurationMs == -1 || again.LastMessage.Text == "changed" {
		t.Errorf("a change to an answer reached the working set: %+v", again)
	}
}
func strp(s string) *string { return &s }

// TestWorkingSetKnowsTheLatestConversation: the newest conversation of a
// contact on a line is the working set's answer, and the one before it
// when the newest is deleted.
func TestWorkingSetKnowsTheLatestConversation(t *testing.T) {
	f := newFixture(t)
	first := f.open(t, "Anna")
	if _, err := f.svc.Close(f.ctx, inbox.System, first.ID); err != nil {
		t.Fatal(err)
	}
	second, _, err := f.svc.Open(f.ctx, inbox.System, inbox.OpenInput{LineID: f.line.ID, ContactID: first.ContactID,
		Message: &inbox.MessageInput{Text: "again"}})
	if err != nil {
		t.Fatal(err)
	}
	latest := func() string {
		t.Helper()
		c, err := f.svc.Store().LatestConversation(f.ctx, first.ContactID, f.line.ID, inbox.ChannelLiveChat)
		if err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	if got := latest(); got != second.ID {
		t.Errorf("latest is %s, want the second conversation %s", got, second.ID)
	}
	if err := f.svc.DeleteConversation(f.ctx, inbox.System, second.ID); err != nil {
		t.Fatal(err)
	}
	if got := latest(); got != first.ID {
		t.Errorf("after deleting the second, latest is %s, want the first %s", got, first.ID)
	}
	if err := f.svc.DeleteConversation(f.ctx, inbox.System, first.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Store().LatestConversation(f.ctx, first.ContactID, f.line.ID, inbox.ChannelLiveChat); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("with none left: %v, want not found", err)
	}
}
