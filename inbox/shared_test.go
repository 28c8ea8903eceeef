package inbox_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/inbox/inboxtest"
)

// twoNodes is one database written by two services, as two gateways on
// one MongoDB: each has its own in-process locks, so only the store's
// version checks and unique indexes can order them.
func twoNodes(t *testing.T) (a, b *inbox.Service, line *inbox.Line) {
	t.Helper()
	stores := engine.Stores(t, 2, false)
	clock := inboxtest.NewClock(t0)
	a = inbox.NewService(stores[0], inbox.Options{Clock: clock.Now, PasswordCost: 4})
	b = inbox.NewService(stores[1], inbox.Options{Clock: clock.Now, PasswordCost: 4})
	name := "Shared"
	line, err := a.CreateLine(context.Background(), inbox.System, inbox.LineInput{Name: &name, Settings: &inbox.LineSettings{}})
	if err != nil {
		t.Fatal(err)
	}
	return a, b, line
}

// TestSharedStoreAppendsFromTwoNodes: messages appended to one
// conversation from two nodes at once all get stored once, with strictly
// increasing seq, and the conversation's seq and counters end up with the
// last of them (version-checked updates, no lost update).
func TestSharedStoreAppendsFromTwoNodes(t *testing.T) {
	a, b, line := twoNodes(t)
	ctx := context.Background()
	name := "Sam"
	conv, _, err := a.Open(ctx, inbox.System, inbox.OpenInput{LineID: line.ID, Contact: &inbox.ContactInput{Name: &name},
		Message: &inbox.MessageInput{Text: "hello", ClientID: "first"}})
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 10, 5
	var wg sync.WaitGroup
	for w := range writers {
		svc := a
		if w%2 == 1 {
			svc = b
		}
		wg.Go(func() {
			for i := range each {
				if _, _, err := svc.Append(ctx, inbox.System, conv.ID, inbox.MessageInput{
					AuthorKind: inbox.AuthorContact, Text: "m", ClientID: fmt.Sprintf("w%d-%d", w, i)}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	// A retry of one message from both nodes at once is stored once.
	for _, svc := range []*inbox.Service{a, b, a, b} {
		wg.Go(func() {
			if _, _, err := svc.Append(ctx, inbox.System, conv.ID, inbox.MessageInput{
				AuthorKind: inbox.AuthorContact, Text: "retried", ClientID: "retry"}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	msgs, err := a.VisibleMessages(ctx, conv.ID, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if want := writers*each + 2; len(msgs) != want {
		t.Fatalf("stored %d messages, want %d", len(msgs), want)
	}
	seen := map[string]bool{}
	for i, m := range msgs {
		if seen[m.ClientID] {
			t.Fatalf("client id %s stored twice", m.ClientID)
		}
		seen[m.ClientID] = true
		if i > 0 && m.Seq <= msgs[i-1].Seq {
			t.Fatalf("seq not strictly increasing at %d: %d after %d", i, m.Seq, msgs[i-1].Seq)
		}
	}
	got, err := b.Conversation(ctx, inbox.System, conv.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Seq != msgs[len(msgs)-1].Seq {
		t.Fatalf("conversation seq %d, last message seq %d: an update was lost", got.Seq, msgs[len(msgs)-1].Seq)
	}
}

// TestSharedStoreNumbersFromTwoNodes: conversations opened on two nodes at
// once get distinct numbers.
func TestSharedStoreNumbersFromTwoNodes(t *testing.T) {
	a, b, line := twoNodes(t)
	ctx := context.Background()
	const each = 10
	var mu sync.Mutex
	numbers := map[int64]bool{}
	var wg sync.WaitGroup
	for _, svc := range []*inbox.Service{a, b} {
		for i := range each {
			wg.Go(func() {
				name := fmt.Sprintf("c%d", i)
				c, _, err := svc.Open(ctx, inbox.System, inbox.OpenInput{LineID: line.ID, Contact: &inbox.ContactInput{Name: &name},
					Message: &inbox.MessageInput{Text: "hi"}})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if numbers[c.Number] {
					t.Errorf("number %d given twice", c.Number)
				}
				numbers[c.Number] = true
			})
		}
	}
	wg.Wait()
	if len(numbers) != 2*each {
		t.Fatalf("%d distinct numbers for %d conversations", len(numbers), 2*each)
	}
}
