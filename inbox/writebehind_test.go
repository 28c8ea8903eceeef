package inbox_test

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
)

// TestWriteBehindCoalescesAndCatchesUp: in embedded mode the messages'
// changes of their conversations are written behind them, several in one
// write, and once flushed the store holds exactly what the working set
// holds.
func TestWriteBehindCoalescesAndCatchesUp(t *testing.T) {
	f := newFixture(t)
	convs := []*inbox.Conversation{f.open(t, "Anna"), f.open(t, "Bruno"), f.open(t, "Carla")}
	st := f.svc.Store()
	before := st.ConversationWrites()
	const perConv = 40
	var wg sync.WaitGroup
	for _, c := range convs {
		for i := range perConv {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, _, err := f.svc.Append(f.ctx, inbox.System, c.ID, inbox.MessageInput{
					AuthorKind: inbox.AuthorContact, Text: "hello", ClientID: fmt.Sprintf("wb-%d", i)}); err != nil {
					t.Error(err)
				}
			}()
		}
	}
	wg.Wait()
	if err := st.Flush(f.ctx); err != nil {
		t.Fatal(err)
	}
	writes := st.ConversationWrites() - before
	t.Logf("%d message changes of %d conversations in %d writes", perConv*len(convs), len(convs), writes)
	if writes >= perConv*int64(len(convs)) {
		t.Errorf("%d writes for %d changes: nothing was coalesced", writes, perConv*len(convs))
	}
	direct := directStore(t, st)
	for _, c := range convs {
		want, err := st.ConversationByID(f.ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		got, err := direct.ConversationByID(f.ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want.Seq != perConv+1 || !reflect.DeepEqual(got, want) {
			t.Errorf("%s after the flush: stored seq %d version %d, working set seq %d version %d (want seq %d, equal)",
				c.ID, got.Seq, got.Version, want.Seq, want.Version, perConv+1)
		}
	}
}

// TestStartAfterACrashAppliesUnwrittenChanges: messages stored by a run
// that died before writing their conversations' changes are applied when
// the next run starts, and a clean stop leaves nothing to apply.
func TestStartAfterACrashAppliesUnwrittenChanges(t *testing.T) {
	f := newFixture(t)
	c := f.open(t, "Ivy") // seq 1, status new
	st := f.svc.Store()
	if err := st.Flush(f.ctx); err != nil {
		t.Fatal(err)
	}
	// What a crash leaves: an agent's answer and the client's reply stored,
	// the conversation still at seq 1, and no clean stop recorded (the
	// fixture's store is still open).
	at := f.clock.Now()
	for i, m := range []inbox.Message{
		{AuthorKind: inbox.AuthorAgent, AuthorID: f.agent.AgentID, Text: "answer before the crash"},
		{AuthorKind: inbox.AuthorContact, AuthorID: c.ContactID, Text: "and a question"},
	} {
		m.ID, m.ConversationID, m.Seq, m.ClientID = fmt.Sprintf("crash-%d", i), c.ID, int64(2+i), fmt.Sprintf("crash-%d", i)
		m.Attachments, m.CreatedAt = []inbox.Attachment{}, at.Add(time.Duration(i+1)*time.Second)
		if err := st.InsertMessage(f.ctx, &m); err != nil {
			t.Fatal(err)
		}
	}
	next, err := inbox.Connect(f.ctx, engine.URI(), st.Database().Name(), inbox.StoreOptions{Exclusive: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := next.WarmUp(f.ctx); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*inbox.Store{"working set": next, "store": directStore(t, st)} {
		got, err := s.ConversationByID(f.ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Seq != 3 || got.Status != inbox.StatusWaitingAgain || got.Dates.Answered == nil || got.LastMessage == nil || got.LastMessage.Text != "and a question" {
			t.Errorf("%s after the restart: seq %d, status %s, answered %v, last %+v; want seq 3, waiting_again, answered, the question",
				name, got.Seq, got.Status, got.Dates.Answered, got.LastMessage)
		}
	}
	if err := next.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// directStore is a shared-mode store on st's database: it reads what is
// stored, not a working set.
func directStore(t *testing.T, st *inbox.Store) *inbox.Store {
	t.Helper()
	d, err := inbox.Connect(context.Background(), engine.URI(), st.Database().Name(), inbox.StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close(context.Background()) })
	return d
}
