package inbox_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/inbox/inboxtest"
)

var engine *inboxtest.Engine

func TestMain(m *testing.M) { inboxtest.Main(m, &engine) }

type fixture struct {
	svc    *inbox.Service
	clock  *inboxtest.Clock
	events *inbox.Recorder
	log    *inbox.EventLog
	line   *inbox.Line
	agent  inbox.Actor
	ctx    context.Context
	store  *inbox.Store
}

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func newFixture(t testing.TB) *fixture {
	t.Helper()
	store := engine.Store(t)
	f := &fixture{clock: inboxtest.NewClock(t0), events: &inbox.Recorder{}, ctx: context.Background(), store: store}
	// Events go to the store's event log, as in production, and to a recorder.
	f.log = inbox.NewEventLog(store, inbox.EventLogOptions{}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = f.log.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	f.svc = inbox.NewService(store, inbox.Options{Clock: f.clock.Now, Events: inbox.MultiSink{f.log, f.events}, PasswordCost: 4})
	name, email, pw := "Alice", "alice@example.com", "password1"
	ag, err := f.svc.CreateAgent(f.ctx, inbox.System, inbox.AgentInput{Name: &name, Email: &email, Password: &pw})
	if err != nil {
		t.Fatal(err)
	}
	f.agent = inbox.ActorFor(ag)
	// The line asks for no client rating: closing closes at once.
	lname := "Support"
	f.line, err = f.svc.CreateLine(f.ctx, inbox.System, inbox.LineInput{Name: &lname, AgentIDs: &[]string{ag.ID}, Settings: &inbox.LineSettings{}})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// open starts an incoming conversation with a first client message.
func (f *fixture) open(t testing.TB, client string) *inbox.Conversation {
	t.Helper()
	c, _, err := f.svc.Open(f.ctx, inbox.System, inbox.OpenInput{
		LineID: f.line.ID, Contact: &inbox.ContactInput{Name: &client},
		Message: &inbox.MessageInput{Text: "Hello from " + client},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *fixture) messages(t testing.TB, convID string) []inbox.Message {
	t.Helper()
	ms, err := f.svc.Messages(f.ctx, inbox.System, convID, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func TestAppendIsIdempotentByClientID(t *testing.T) {
	f := newFixture(t)
	c := f.open(t, "Carol")
	in := inbox.MessageInput{AuthorKind: inbox.AuthorContact, Text: "Are you there?", ClientID: "c-42"}
	m1, dup1, err := f.svc.Append(f.ctx, inbox.System, c.ID, in)
	if err != nil || dup1 {
		t.Fatalf("first append: dup=%v err=%v", dup1, err)
	}
	m2, dup2, err := f.svc.Append(f.ctx, inbox.System, c.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	if !dup2 || m2.ID != m1.ID || m2.Seq != m1.Seq || m2.Text != "Are you there?" {
		t.Fatalf("retry returned dup=%v %+v, want the stored message %+v", dup2, m2, m1)
	}
	// The same id with another text is no retry: refused, nothing stored.
	in.Text = "my card number is 4111 1111 1111 1111"
	if m, _, err := f.svc.Append(f.ctx, inbox.System, c.ID, in); !errors.Is(err, inbox.ErrClientIDReused) {
		t.Fatalf("same clientId, other text: %+v, %v; want ErrClientIDReused", m, err)
	}
	ms := f.messages(t, c.ID)
	if len(ms) != 2 { // the opening message and one "Are you there?"
		t.Fatalf("stored %d messages, want 2", len(ms))
	}
}

func TestConcurrentRetriesOfOneMessageStoreItOnce(t *testing.T) {
	f := newFixture(t)
	c := f.open(t, "Dan")
	var wg sync.WaitGroup
	ids := make([]string, 10)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, _, err := f.svc.Append(f.ctx, inbox.System, c.ID, inbox.MessageInput{AuthorKind: inbox.AuthorContact, Text: "once", ClientID: "same"})
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = m.ID
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("retries got different messages: %v", ids)
		}
	}
	if n := len(f.messages(t, c.ID)); n != 2 {
		t.Fatalf("stored %d messages, want 2", n)
	}
}

func TestSeqStrictlyIncreasesUnderConcurrentAppends(t *testing.T) {
	f := newFixture(t)
	c := f.open(t, "Erin")
	const writers, each = 20, 5
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				kind := inbox.AuthorContact
				if w%2 == 1 {
					kind = inbox.AuthorBot
				}
				_, _, err := f.svc.Append(f.ctx, inbox.System, c.ID, inbox.MessageInput{
					AuthorKind: kind, Text: "m", ClientID: fmt.Sprintf("w%d-%d", w, i)})
				if err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	ms := f.messages(t, c.ID)
	if len(ms) != writers*each+1 {
		t.Fatalf("stored %d messages, want %d", len(ms), writers*each+1)
	}
	for i := 1; i < len(ms); i++ {
		if ms[i].Seq <= ms[i-1].Seq {
			t.Fatalf("seq not strictly increasing at %d: %d after %d", i, ms[i].Seq, ms[i-1].Seq)
		}
	}
	got, err := f.svc.Conversation(f.ctx, inbox.System, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Seq != ms[len(ms)-1].Seq {
		t.Fatalf("conversation seq %d, last message seq %d", got.Seq, ms[len(ms)-1].Seq)
	}
}

func TestConversationNumbersAreUniqueUnderConcurrency(t *testing.T) {
	f := newFixture(t)
	const n = 30
	nums := make([]int64, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("client %d", i)
			c, _, err := f.svc.Open(f.ctx, inbox.System, inbox.OpenInput{LineID: f.line.ID, Contact: &inbox.ContactInput{Name: &name}})
			if err != nil {
				t.Error(err)
				return
			}
			nums[i] = c.Number
		}()
	}
	wg.Wait()
	slices.Sort(nums)
	for i := range nums {
		if nums[i] != int64(i+1) {
			t.Fatalf("numbers %v, want 1..%d once each", nums, n)
		}
	}
}

func TestDeleteLineDeletesItsConversationsAndMessages(t *testing.T) {
	f := newFixture(t)
	name := "Sales"
	other, err := f.svc.CreateLine(f.ctx, inbox.System, inbox.LineInput{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	doomed := []*inbox.Conversation{f.open(t, "A"), f.open(t, "B")}
	client := "C"
	kept, _, err := f.svc.Open(f.ctx, inbox.System, inbox.OpenInput{LineID: other.ID, Contact: &inbox.ContactInput{Name: &client}, Message: &inbox.MessageInput{Text: "hi"}})
	if err != nil {
		t.Fatal(err)
	}
	n, err := f.svc.DeleteLine(f.ctx, inbox.System, f.line.ID)
	if err != nil || n != 2 {
		t.Fatalf("DeleteLine = %d, %v; want 2 deleted", n, err)
	}
	for _, c := range doomed {
		if _, err := f.svc.Conversation(f.ctx, inbox.System, c.ID); !errors.Is(err, inbox.ErrNotFound) {
			t.Fatalf("conversation of deleted line: err = %v, want not found", err)
		}
		left, err := f.svc.Store().Database().Collection("messages").CountDocuments(f.ctx, map[string]any{"conversationId": c.ID})
		if err != nil || left != 0 {
			t.Fatalf("%d messages left of deleted conversation (err %v)", left, err)
		}
	}
	if _, err := f.svc.Line(f.ctx, f.line.ID); !errors.Is(err, inbox.ErrNotFound) {
		t.Fatalf("line still there: %v", err)
	}
	if ms := f.messages(t, kept.ID); len(ms) != 1 {
		t.Fatalf("other line's conversation lost messages: %d", len(ms))
	}
}

func TestBlockedContactOpensNothingAndReachesNobody(t *testing.T) {
	f := newFixture(t)
	c := f.open(t, "Mallory")
	if _, err := f.svc.BlockContact(f.ctx, inbox.System, c.ContactID, true); err != nil {
		t.Fatal(err)
	}
	_, _, err := f.svc.Append(f.ctx, inbox.System, c.ID, inbox.MessageInput{AuthorKind: inbox.AuthorContact, Text: "spam"})
	if !errors.Is(err, inbox.ErrBlocked) {
		t.Fatalf("append from blocked contact: %v", err)
	}
	_, _, err = f.svc.Open(f.ctx, inbox.System, inbox.OpenInput{LineID: f.line.ID, ContactID: c.ContactID, Message: &inbox.MessageInput{Text: "again"}})
	if !errors.Is(err, inbox.ErrBlocked) {
		t.Fatalf("open by blocked contact: %v", err)
	}
	_, total, err := f.svc.Conversations(f.ctx, inbox.System, inbox.ConversationFilter{})
	if err != nil || total != 1 {
		t.Fatalf("conversations = %d (%v), want just the first", total, err)
	}
	if n := len(f.messages(t, c.ID)); n != 1 {
		t.Fatalf("blocked message stored: %d messages", n)
	}
}

func TestStoredTimingsFollowTheClock(t *testing.T) {
	f := newFixture(t)
	c := f.open(t, "Frank") // client writes at t0
	f.clock.Advance(10 * time.Second)
	if _, err := f.svc.Accept(f.ctx, f.agent, c.ID); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(30 * time.Second)
	if _, _, err := f.svc.Append(f.ctx, f.agent, c.ID, inbox.MessageInput{AuthorKind: inbox.AuthorAgent, Text: "Hi Frank"}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(60 * time.Second)
	if _, err := f.svc.Close(f.ctx, f.agent, c.ID); err != nil {
		t.Fatal(err)
	}
	list, _, err := f.svc.Conversations(f.ctx, inbox.System, inbox.ConversationFilter{Sort: "-waitingForAnswer"})
	if err != nil || len(list) != 1 {
		t.Fatalf("list: %v %v", list, err)
	}
	got := list[0]
	want := map[string]*int64{"accept": ptr(10_000), "answer": ptr(40_000), "close": ptr(100_000), "duration": ptr(40_000), "first": ptr(40_000)}
	have := map[string]*int64{"accept": got.Timings.TimeToAcceptMs, "answer": got.Timings.WaitingForAnswerMs,
		"close": got.Timings.TimeToCloseByAgentMs, "duration": got.Timings.DurationMs, "first": got.Timings.FirstReactionMs}
	for k, w := range want {
		if have[k] == nil || *have[k] != *w {
			t.Errorf("%s: got %v, want %d", k, deref(have[k]), *w)
		}
	}
	if got.Status != inbox.StatusClosed || got.AgentID != f.agent.AgentID {
		t.Errorf("status %s agent %s", got.Status, got.AgentID)
	}
}

func TestEveryChangePublishesAnEvent(t *testing.T) {
	f := newFixture(t)
	before := len(f.events.Events())
	c := f.open(t, "Gina")
	if _, err := f.svc.Accept(f.ctx, f.agent, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Close(f.ctx, f.agent, c.ID); err != nil {
		t.Fatal(err)
	}
	var types []inbox.EventType
	for _, ev := range f.events.Events()[before:] {
		types = append(types, ev.Type)
	}
	for _, want := range []inbox.EventType{inbox.EventContactChanged, inbox.EventConversationOpened, inbox.EventMessageCreated, inbox.EventConversationUpdated} {
		if !slices.Contains(types, want) {
			t.Errorf("no %s event in %v", want, types)
		}
	}
	last := f.events.Events()[len(f.events.Events())-1]
	if last.Type != inbox.EventConversationUpdated || last.Conversation == nil || last.Conversation.Status != inbox.StatusClosed {
		t.Errorf("last event %+v, want conversation.updated with the closed conversation", last)
	}
}

func TestEventLogKeepsEveryEventInBatches(t *testing.T) {
	f := newFixture(t)
	c := f.open(t, "Hal")
	for i := range 20 {
		if _, _, err := f.svc.Append(f.ctx, inbox.System, c.ID, inbox.MessageInput{AuthorKind: inbox.AuthorContact, Text: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	want := len(f.events.Events())
	deadline := time.Now().Add(10 * time.Second)
	for {
		batches, err := f.svc.Store().RecentEvents(f.ctx, 1000)
		if err != nil {
			t.Fatal(err)
		}
		got, messages := 0, 0
		for _, b := range batches {
			got += len(b.Events)
			for _, ev := range b.Events {
				if ev.Type == inbox.EventMessageCreated && ev.ConversationID == c.ID {
					messages++
				}
			}
		}
		if got == want && messages == 21 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("event log holds %d events (%d message.created), want %d (21)", got, messages, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func ptr(v int64) *int64 { return &v }

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

// A crash between storing a message and moving the conversation's status
// leaves a message the conversation has not seen; the next append applies it.
func TestNextAppendRepairsAMessageStoredBeforeACrash(t *testing.T) {
	f := newFixture(t)
	c := f.open(t, "Ivy") // seq 1, status new
	f.clock.Advance(5 * time.Second)
	// What a crash leaves: the agent's answer stored with seq 2, the
	// conversation still at seq 1 and "new".
	orphan := map[string]any{"_id": "orphan", "conversationId": c.ID, "seq": int64(2), "authorKind": "agent",
		"authorId": f.agent.AgentID, "text": "answer before the crash", "clientId": "a-1", "attachments": []any{}, "createdAt": f.clock.Now()}
	if _, err := f.svc.Store().Database().Collection("messages").InsertOne(f.ctx, orphan); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(5 * time.Second)
	m, _, err := f.svc.Append(f.ctx, inbox.System, c.ID, inbox.MessageInput{AuthorKind: inbox.AuthorContact, Text: "thanks, one more question"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Seq != 3 {
		t.Fatalf("new message seq %d, want 3", m.Seq)
	}
	got, err := f.svc.Conversation(f.ctx, inbox.System, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var announced []string
	for _, ev := range f.events.Events() {
		if ev.Type == inbox.EventMessageCreated && ev.ConversationID == c.ID {
			announced = append(announced, ev.Message.ID)
		}
	}
	if !slices.Contains(announced, "orphan") {
		t.Errorf("the repaired message was never announced: message.created for %v", announced)
	}
	if got.Seq != 3 || got.Status != inbox.StatusWaitingAgain || got.Dates.Answered == nil || got.Timings.WaitingForAnswerMs == nil || *got.Timings.WaitingForAnswerMs != 5000 {
		t.Fatalf("after repair: seq %d status %s answered %v waiting %v; want 3, waiting_again, answered at +5s",
			got.Seq, got.Status, got.Dates.Answered, deref(got.Timings.WaitingForAnswerMs))
	}
}
