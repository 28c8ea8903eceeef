package inbox_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/inbox/inboxtest"
)

// channelFixture is an inbox whose Telegram replies go out through a
// connector (Outbound), with one online agent in the line's queue.
type channelFixture struct {
	ctx    context.Context
	svc    *inbox.Service
	store  *inbox.Store
	agent  inbox.Actor
	line   *inbox.Line
	events *inbox.Recorder
	woken  chan string
	clock  *inboxtest.Clock
}

func newChannelFixture(t *testing.T) *channelFixture {
	t.Helper()
	f := &channelFixture{ctx: context.Background(), store: engine.Store(t), events: &inbox.Recorder{}, woken: make(chan string, 100), clock: inboxtest.NewClock(t0)}
	f.svc = inbox.NewService(f.store, inbox.Options{Clock: f.clock.Now, Events: f.events, PasswordCost: 4, Outbound: []inbox.Channel{inbox.ChannelTelegram},
		OnDelivery: func(line string, ch inbox.Channel) { f.woken <- line + "/" + string(ch) }})
	name, email, pw := "Alice", "alice@example.com", "password1"
	ag, err := f.svc.CreateAgent(f.ctx, inbox.System, inbox.AgentInput{Name: &name, Email: &email, Password: &pw})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SetPresence(f.ctx, inbox.System, ag.ID, inbox.PresenceOnline); err != nil {
		t.Fatal(err)
	}
	f.agent = inbox.ActorFor(ag)
	lname := "Support"
	if f.line, err = f.svc.CreateLine(f.ctx, inbox.System, inbox.LineInput{Name: &lname, AgentIDs: &[]string{ag.ID}, Settings: &inbox.LineSettings{}}); err != nil {
		t.Fatal(err)
	}
	return f
}

var anna = inbox.ChannelContact{TelegramUserID: 42, Username: "anna_k", Name: "Anna Kowalska"}

func (f *channelFixture) receive(t *testing.T, m inbox.ChannelMessage) (*inbox.Message, bool) {
	t.Helper()
	if m.LineID == "" {
		m.LineID, m.Channel = f.line.ID, inbox.ChannelTelegram
	}
	if m.From == (inbox.ChannelContact{}) {
		m.From = anna
	}
	got, dup, err := f.svc.ChannelReceive(f.ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	return got, dup
}

func TestChannelMessageIsStoredOnceEvenWhenDeliveredConcurrently(t *testing.T) {
	f := newChannelFixture(t)
	var wg sync.WaitGroup
	ids := make([]string, 3)
	errs := make([]error, 3)
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, _, err := f.svc.ChannelReceive(f.ctx, inbox.ChannelMessage{LineID: f.line.ID, Channel: inbox.ChannelTelegram, From: anna,
				ClientID: "tg:42:7", Text: "Hello", StartParam: "crm-4711"})
			if err == nil {
				ids[i] = m.ID
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if ids[0] != ids[1] || ids[1] != ids[2] {
		t.Fatalf("three deliveries made messages %v", ids)
	}
	convs, total, err := f.svc.Conversations(f.ctx, inbox.System, inbox.ConversationFilter{})
	if err != nil || total != 1 {
		t.Fatalf("%d conversations (%v), want 1", total, err)
	}
	c := convs[0]
	if c.Channel != inbox.ChannelTelegram || c.ContactHandle != "@anna_k" || c.StartParam != "crm-4711" || c.ContactName != "Anna Kowalska" || c.AgentID != f.agent.AgentID {
		t.Errorf("conversation %+v", c)
	}
	msgs, err := f.svc.Messages(f.ctx, inbox.System, c.ID, 0, 100)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("%d messages (%v), want 1", len(msgs), err)
	}
	ct, err := f.svc.Contact(f.ctx, inbox.System, c.ContactID)
	if err != nil || ct.TelegramUserID != 42 || ct.TelegramUsername != "anna_k" {
		t.Fatalf("contact %+v (%v)", ct, err)
	}
	// The next message joins the open conversation.
	if m, dup := f.receive(t, inbox.ChannelMessage{ClientID: "tg:42:8", Text: "Are you there?"}); dup || m.ConversationID != c.ID {
		t.Errorf("second message: dup %v in %s, want new in %s", dup, m.ConversationID, c.ID)
	}
}

func TestChannelAlbumsEditsRepliesAndBlockedContacts(t *testing.T) {
	f := newChannelFixture(t)
	att := func(id string) []inbox.Attachment {
		return []inbox.Attachment{{FileID: id, Name: id + ".jpg", ContentType: "image/jpeg", Size: 10}}
	}
	first, _ := f.receive(t, inbox.ChannelMessage{ClientID: "tg-album:42:g1", AlbumPart: 10, Attachments: att("a"), Text: "two photos",
		Refs: inbox.ChannelRefs{TelegramParts: []int{10}}})
	second, dup := f.receive(t, inbox.ChannelMessage{ClientID: "tg-album:42:g1", AlbumPart: 11, Attachments: att("b"), Refs: inbox.ChannelRefs{TelegramParts: []int{11}}})
	if dup || second.ID != first.ID || len(second.Attachments) != 2 || second.Text != "two photos" {
		t.Fatalf("album part: dup %v %+v", dup, second)
	}
	again, dup := f.receive(t, inbox.ChannelMessage{ClientID: "tg-album:42:g1", AlbumPart: 11, Attachments: att("b2")})
	if !dup || len(again.Attachments) != 2 {
		t.Fatalf("redelivered album part: dup %v, %d attachments", dup, len(again.Attachments))
	}
	if n := countEvents(f.events, inbox.EventMessageUpdated); n != 1 {
		t.Errorf("%d message.updated events for the album, want 1", n)
	}

	orig, _ := f.receive(t, inbox.ChannelMessage{ClientID: "tg:42:12", Text: "My order is 123"})
	reply, _ := f.receive(t, inbox.ChannelMessage{ClientID: "tg:42:13", Text: "see above", ReplyTo: "tg:42:12"})
	if reply.ReplyTo == nil || reply.ReplyTo.MessageID != orig.ID || reply.ReplyTo.Text != "My order is 123" {
		t.Errorf("reply quotes %+v", reply.ReplyTo)
	}
	f.clock.Advance(time.Minute)
	edited, err := f.svc.ChannelEdit(f.ctx, f.line.ID, inbox.ChannelTelegram, anna, "tg:42:12", "My order is 124", f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if edited.Text != "My order is 124" || edited.EditedAt == nil || len(edited.Edits) != 1 || edited.Edits[0].Text != "My order is 123" {
		t.Errorf("edited %+v", edited)
	}
	if n := countEvents(f.events, inbox.EventMessageUpdated); n != 2 {
		t.Errorf("%d message.updated events after the edit, want 2", n)
	}
	if _, err := f.svc.ChannelEdit(f.ctx, f.line.ID, inbox.ChannelTelegram, anna, "tg:42:999", "x", f.clock.Now()); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("edit of an unknown message: %v, want not found", err)
	}

	conv, err := f.svc.LatestConversation(f.ctx, edited.AuthorID, f.line.ID, inbox.ChannelTelegram)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.BlockContact(f.ctx, f.agent, conv.ContactID, true); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.ChannelReceive(f.ctx, inbox.ChannelMessage{LineID: f.line.ID, Channel: inbox.ChannelTelegram, From: anna, ClientID: "tg:42:20", Text: "hi"}); !errors.Is(err, inbox.ErrBlocked) {
		t.Errorf("blocked contact's message: %v, want ErrBlocked", err)
	}
}

func countEvents(r *inbox.Recorder, typ inbox.EventType) int {
	n := 0
	for _, ev := range r.Events() {
		if ev.Type == typ {
			n++
		}
	}
	return n
}

func TestRepliesOnAConnectorChannelAreQueuedAndTracked(t *testing.T) {
	f := newChannelFixture(t)
	m, _ := f.receive(t, inbox.ChannelMessage{ClientID: "tg:42:1", Text: "Hello"})
	reply, _, err := f.svc.Append(f.ctx, f.agent, m.ConversationID, inbox.MessageInput{AuthorKind: inbox.AuthorAgent, Text: "Hi Anna", ClientID: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	if reply.Delivery == nil || reply.Delivery.State != inbox.DeliveryPending {
		t.Fatalf("reply delivery %+v, want pending", reply.Delivery)
	}
	if w := <-f.woken; w != f.line.ID+"/telegram" {
		t.Errorf("woke %s", w)
	}
	if _, _, err := f.svc.Append(f.ctx, f.agent, m.ConversationID, inbox.MessageInput{AuthorKind: inbox.AuthorAgent, Text: "note", Comment: true}); err != nil {
		t.Fatal(err)
	}
	jobs, err := f.svc.PendingDeliveries(f.ctx, f.line.ID, inbox.ChannelTelegram)
	if err != nil || len(jobs) != 1 || jobs[0].ID != reply.ID {
		t.Fatalf("jobs %+v (%v), want the reply's only (no comment)", jobs, err)
	}
	// A retried append queues nothing more.
	if _, dup, err := f.svc.Append(f.ctx, f.agent, m.ConversationID, inbox.MessageInput{AuthorKind: inbox.AuthorAgent, Text: "Hi Anna", ClientID: "r1"}); err != nil || !dup {
		t.Fatalf("retry: dup %v %v", dup, err)
	}
	j := jobs[0]
	if err := f.svc.ClaimDelivery(f.ctx, &j, "node-a", f.clock.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	stale := jobs[0]
	if err := f.svc.ClaimDelivery(f.ctx, &stale, "node-b", f.clock.Now().Add(time.Minute)); !errors.Is(err, inbox.ErrConflict) {
		t.Errorf("second claim of one job: %v, want a conflict", err)
	}
	if err := f.svc.DeliveryRetry(f.ctx, &j, "Bad Gateway", f.clock.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	got := f.message(t, reply.ID)
	if got.Delivery.State != inbox.DeliveryPending || got.Delivery.Error != "Bad Gateway" || got.Delivery.Attempts != 1 {
		t.Errorf("after a retry: %+v", got.Delivery)
	}
	j.Sent, j.PartsDone = []int{501}, 1
	if err := f.svc.DeliverySent(f.ctx, &j); err != nil {
		t.Fatal(err)
	}
	got = f.message(t, reply.ID)
	if got.Delivery.State != inbox.DeliverySent || got.Delivery.SentAt == nil || got.Refs.TelegramMessageID != 501 {
		t.Errorf("after sending: %+v %+v", got.Delivery, got.Refs)
	}
	if jobs, _ := f.svc.PendingDeliveries(f.ctx, f.line.ID, inbox.ChannelTelegram); len(jobs) != 0 {
		t.Errorf("%d jobs left after sending", len(jobs))
	}
	if _, err := f.svc.RetryDelivery(f.ctx, f.agent, m.ConversationID, reply.ID); !errors.Is(err, inbox.ErrConflict) {
		t.Errorf("retry of a sent reply: %v, want a conflict", err)
	}

	// Blocked by the user: failed with Telegram's reason, the contact flagged.
	second, _, err := f.svc.Append(f.ctx, f.agent, m.ConversationID, inbox.MessageInput{AuthorKind: inbox.AuthorAgent, Text: "Still there?"})
	if err != nil {
		t.Fatal(err)
	}
	jobs, _ = f.svc.PendingDeliveries(f.ctx, f.line.ID, inbox.ChannelTelegram)
	if len(jobs) != 1 {
		t.Fatalf("%d jobs", len(jobs))
	}
	if err := f.svc.DeliveryFailed(f.ctx, &jobs[0], "Forbidden: bot was blocked by the user", true); err != nil {
		t.Fatal(err)
	}
	if got := f.message(t, second.ID); got.Delivery.State != inbox.DeliveryFailed || got.Delivery.Error != "Forbidden: bot was blocked by the user" {
		t.Errorf("failed reply %+v", got.Delivery)
	}
	ct, _ := f.svc.Contact(f.ctx, inbox.System, m.AuthorID)
	if ct.Unreachable != "Forbidden: bot was blocked by the user" {
		t.Errorf("contact unreachable %q", ct.Unreachable)
	}
	// Somebody else's agent may not retry; the conversation's agent may.
	name, email, pw := "Eve", "eve@example.com", "password1"
	eve, err := f.svc.CreateAgent(f.ctx, inbox.System, inbox.AgentInput{Name: &name, Email: &email, Password: &pw})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.RetryDelivery(f.ctx, inbox.ActorFor(eve), m.ConversationID, second.ID); err == nil {
		t.Error("another agent retried the reply")
	}
	if _, err := f.svc.RetryDelivery(f.ctx, f.agent, m.ConversationID, "nope"); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("retry of an unknown message: %v", err)
	}
	again, err := f.svc.RetryDelivery(f.ctx, f.agent, m.ConversationID, second.ID)
	if err != nil || again.Delivery.State != inbox.DeliveryPending {
		t.Fatalf("retry: %v %+v", err, again)
	}
	if jobs, _ := f.svc.PendingDeliveries(f.ctx, f.line.ID, inbox.ChannelTelegram); len(jobs) != 1 || jobs[0].ID != second.ID {
		t.Errorf("jobs after retry %+v", jobs)
	}
	// The contact writes again: reachable.
	f.receive(t, inbox.ChannelMessage{ClientID: "tg:42:2", Text: "unblocked you"})
	if ct, _ := f.svc.Contact(f.ctx, inbox.System, m.AuthorID); ct.Unreachable != "" {
		t.Errorf("contact still unreachable: %q", ct.Unreachable)
	}
}

func (f *channelFixture) message(t *testing.T, id string) *inbox.Message {
	t.Helper()
	m, err := f.store.MessageByID(f.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
