package inbox_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
)

// exportIDs walks an export of st and lists the ids it was given.
func exportIDs(t *testing.T, st *inbox.Store, a inbox.Actor, f inbox.ConversationFilter, max int64) ([]string, []inbox.Conversation, error) {
	t.Helper()
	var ids []string
	var convs []inbox.Conversation
	err := st.ExportConversations(context.Background(), a, f, max, func(c *inbox.Conversation) error {
		ids = append(ids, c.ID)
		convs = append(convs, *c)
		return nil
	})
	return ids, convs, err
}

// TestExportWalksAsTheList: the export of the embedded working set and
// the export of a shared store (MongoDB's path: a cursor, two where empty
// values go last) hand over exactly the conversations of the list, all
// its pages, in its order, with the same count — for every sort column
// both ways, every filter, every kind of actor.
func TestExportWalksAsTheList(t *testing.T) {
	shared := engine.Stores(t, 1, false)[0]
	seedVaried(t, shared, 120)
	ctx := context.Background()
	ws, err := inbox.Connect(ctx, engine.URI(), shared.Database().Name(), inbox.StoreOptions{Exclusive: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ws.Close(ctx) }()
	yes, no := true, false
	from := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	filters := map[string]inbox.ConversationFilter{
		"none":         {},
		"active":       {Active: true, Limit: 5, Offset: 3}, // limit and offset are not the export's
		"channel+type": {Channels: []inbox.Channel{"email"}, Types: []inbox.ConversationType{"incoming"}},
		"statuses":     {Statuses: []inbox.Status{inbox.StatusWaiting, inbox.StatusClosed}},
		"client":       {Client: "anna"},
		"visitor":      {Client: "Visitor 2111"},
		"flags":        {Spam: &no, Pinned: &yes},
		"missed":       {Missed: &yes},
		"dates":        {Dates: map[string]inbox.TimeRange{"created": {From: from}, "answered": {To: from.Add(6 * time.Hour)}}},
		"ratings":      {ClientRating: []int{4, 5}},
	}
	actors := []inbox.Actor{
		inbox.System,
		{AgentID: "a1", Role: inbox.RoleAgent, Name: "direct"},
		{AgentID: "a2", Role: inbox.RoleAgent, GroupIDs: []string{"g1"}, Name: "via group"},
		{AgentID: "a9", Role: inbox.RoleAgent, GroupIDs: []string{"g2"}, Name: "group only"},
		{AgentID: "a8", Role: inbox.RoleAgent, GroupIDs: []string{"g1"}, Name: "invisible rescuer", Rescue: true},
	}
	// The list of the working set is the reference: it lists as the
	// shared store does (TestWorkingSetListsAsTheStore), without a
	// round trip; the shared store's own count is asked for where the
	// filter changes (counting there decodes every conversation).
	check := func(label string, a inbox.Actor, f inbox.ConversationFilter, count bool) {
		t.Helper()
		page := f
		page.Limit, page.Offset = 1000, 0
		want, wantN, err := ws.ListConversations(ctx, a, page, 1000)
		if err != nil {
			t.Fatalf("%s: list: %v", label, err)
		}
		wantIDs := []string{}
		for _, c := range want {
			wantIDs = append(wantIDs, c.ID)
		}
		for name, st := range map[string]*inbox.Store{"working set": ws, "shared store": shared} {
			got, convs, err := exportIDs(t, st, a, f, inbox.ExportMaxRows)
			if err != nil {
				t.Fatalf("%s: %s: %v", label, name, err)
			}
			if got == nil {
				got = []string{}
			}
			if !slices.Equal(got, wantIDs) {
				t.Errorf("%s: %s exports %v, the list %v", label, name, got, wantIDs)
			}
			for i := range convs {
				if i < len(want) && !reflect.DeepEqual(convs[i], want[i]) {
					t.Errorf("%s: %s: %s differs:\n export %+v\n list   %+v", label, name, convs[i].ID, convs[i], want[i])
					break
				}
			}
			if st == shared && !count {
				continue
			}
			if n, err := st.CountConversations(ctx, a, f); err != nil || n != wantN || int(n) != len(want) {
				t.Errorf("%s: %s counts %d (%v), the list %d of %d", label, name, n, err, wantN, len(want))
			}
		}
	}
	for _, col := range append([]string{""}, inbox.SortColumns()...) {
		for _, dir := range []string{"", "-"} {
			if col == "" && dir == "-" {
				continue
			}
			check(fmt.Sprintf("sorted %q", dir+col), inbox.System, inbox.ConversationFilter{Sort: dir + col}, false)
		}
	}
	i := 0
	for name, f := range filters {
		i++
		check(name, inbox.System, f, true)
		a := actors[1+i%(len(actors)-1)]
		f.Sort = "-lastMessage"
		check(fmt.Sprintf("%s for %s", name, a.Name), a, f, true)
	}
	for _, a := range actors {
		check("active for "+a.Name, a, inbox.ConversationFilter{Active: true, Sort: "client"}, true)
	}
}

// An export of more conversations than its cap is refused: the working
// set before handing over any, a shared store's cursor when it passes the
// cap. The refusal is an invalid request.
func TestExportCap(t *testing.T) {
	shared := engine.Stores(t, 1, false)[0]
	seedVaried(t, shared, 30)
	ctx := context.Background()
	ws, err := inbox.Connect(ctx, engine.URI(), shared.Database().Name(), inbox.StoreOptions{Exclusive: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ws.Close(ctx) }()
	for name, c := range map[string]struct {
		st     *inbox.Store
		handed int
	}{"working set": {ws, 0}, "shared store": {shared, 10}} {
		got, _, err := exportIDs(t, c.st, inbox.System, inbox.ConversationFilter{Sort: "-answered"}, 10)
		if !errors.Is(err, inbox.ErrExportTooLarge) || !errors.Is(err, inbox.ErrInvalid) || len(got) != c.handed {
			t.Errorf("%s: %d handed over, %v", name, len(got), err)
		}
		if got, _, err := exportIDs(t, c.st, inbox.System, inbox.ConversationFilter{}, 30); err != nil || len(got) != 30 {
			t.Errorf("%s: at the cap: %d, %v", name, len(got), err)
		}
	}
}

// The service checks the filter as the list does and counts what an
// export holds for the actor; an agent's export is their list's.
func TestExportService(t *testing.T) {
	f := newFixture(t)
	ctx := f.ctx
	for _, name := range []string{"Anna", "Bruno", "Carla"} {
		f.open(t, name)
	}
	bob := exportAgent(t, f, "Bob")
	if _, err := f.svc.ExportCount(ctx, inbox.System, inbox.ConversationFilter{Sort: "nope"}); !exportFieldIs(err, "sort") {
		t.Errorf("bad sort: %v", err)
	}
	err := f.svc.ExportConversations(ctx, inbox.System, inbox.ConversationFilter{Dates: map[string]inbox.TimeRange{"spam": {}}}, nil)
	if !exportFieldIs(err, "spam") {
		t.Errorf("bad date column: %v", err)
	}
	for _, c := range []struct {
		a    inbox.Actor
		want int64
	}{{inbox.System, 3}, {f.agent, 3}, {bob, 0}} {
		n, err := f.svc.ExportCount(ctx, c.a, inbox.ConversationFilter{Limit: 1, Offset: 2})
		var got []int64
		if err == nil {
			err = f.svc.ExportConversations(ctx, c.a, inbox.ConversationFilter{Limit: 1, Offset: 2}, func(c *inbox.Conversation) error {
				got = append(got, c.Number)
				return nil
			})
		}
		if err != nil || n != c.want || int64(len(got)) != n {
			t.Errorf("%s: count %d, exported %v (%v); want %d", c.a.Name, n, got, err, c.want)
		}
		if n == 3 && !slices.Equal(got, []int64{3, 2, 1}) {
			t.Errorf("%s: order %v, want by number descending", c.a.Name, got)
		}
	}
	stop := errors.New("stop")
	calls := 0
	err = f.svc.ExportConversations(ctx, inbox.System, inbox.ConversationFilter{}, func(*inbox.Conversation) error { calls++; return stop })
	if err != stop || calls != 1 {
		t.Errorf("an error of fn: %v after %d calls", err, calls)
	}
}

// The working set's export holds no lock while it hands a conversation
// over: a write in between goes through (it would wait forever on a held
// read lock), and what was handed over is a copy of the set's value.
func TestExportHoldsNoLock(t *testing.T) {
	f := newFixture(t)
	ctx := f.ctx
	a, b := f.open(t, "Anna"), f.open(t, "Bruno")
	done := make(chan error, 1)
	go func() {
		done <- f.svc.ExportConversations(ctx, inbox.System, inbox.ConversationFilter{Sort: "number"}, func(c *inbox.Conversation) error {
			if c.ID == a.ID {
				if _, err := f.svc.Close(ctx, inbox.System, b.ID); err != nil {
					return err
				}
			}
			c.ContactName = "changed by the caller"
			return nil
		})
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("a write during an export did not go through: the export holds the working set's lock")
	}
	for _, id := range []string{a.ID, b.ID} {
		c, err := f.svc.Conversation(ctx, inbox.System, id)
		if err != nil || c.ContactName == "changed by the caller" {
			t.Errorf("%s: %+v (%v): the export handed over the set's own value", id, c, err)
		}
	}
}

// Contacts' CRM records are found the same on both stores, only for the
// contacts that have one.
func TestExportCRMLookup(t *testing.T) {
	shared := engine.Stores(t, 1, false)[0]
	ctx := context.Background()
	for _, c := range []inbox.Contact{{ID: "c1", Name: "A", CRMID: "CRM-1"}, {ID: "c2", Name: "B", CRMURL: "https://crm.example/2"},
		{ID: "c3", Name: "C"}, {ID: "c4", Name: "D", CRMID: "CRM-4", CRMURL: "https://crm.example/4"}} {
		if err := shared.InsertContact(ctx, &c); err != nil {
			t.Fatal(err)
		}
	}
	ws, err := inbox.Connect(ctx, engine.URI(), shared.Database().Name(), inbox.StoreOptions{Exclusive: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ws.Close(ctx) }()
	want := map[string]inbox.CRMRef{"c1": {ID: "CRM-1"}, "c2": {URL: "https://crm.example/2"}, "c4": {ID: "CRM-4", URL: "https://crm.example/4"}}
	for name, st := range map[string]*inbox.Store{"working set": ws, "shared store": shared} {
		l, err := st.CRMLookup(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got, err := l.Of(ctx, []string{"c1", "c2", "c3", "c4", "c1", "missing"})
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %v (%v), want %v", name, got, err, want)
		}
		if got, err := l.Of(ctx, nil); err != nil || len(got) != 0 {
			t.Errorf("%s: no ids: %v (%v)", name, got, err)
		}
	}
}

func exportFieldIs(err error, field string) bool {
	var fe *inbox.FieldError
	return errors.As(err, &fe) && fe.Field == field
}

// exportAgent creates an agent in no line's queue.
func exportAgent(t *testing.T, f *fixture, name string) inbox.Actor {
	t.Helper()
	email, pw := name+"@example.com", "password1"
	ag, err := f.svc.CreateAgent(f.ctx, inbox.System, inbox.AgentInput{Name: &name, Email: &email, Password: &pw})
	if err != nil {
		t.Fatal(err)
	}
	return inbox.ActorFor(ag)
}
