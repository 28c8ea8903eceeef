package inbox_test

import (
	"testing"

	"github.com/switchboard-chat/switchboard/inbox"
)

// MailReceive threads by In-Reply-To, then References, then the reply
// address's token; stores a mail once by its id (or hash); and opens a
// new conversation for a mail to a deleted or closed one.
func TestMailThreading(t *testing.T) {
	f := newChannelFixture(t)
	recv := func(in inbox.MailMessage) *inbox.Message {
		t.Helper()
		in.LineID = f.line.ID
		if in.From.Email == "" {
			in.From = inbox.MailAddress{Name: "Olga", Email: "Olga@Customer.example"}
		}
		m, _, err := f.svc.MailReceive(f.ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	first := recv(inbox.MailMessage{MailID: "a@x", Text: "first", Meta: inbox.MailMeta{Subject: "Order 1"}})
	conv, err := f.svc.Conversation(f.ctx, inbox.System, first.ConversationID)
	if err != nil || conv.Subject != "Order 1" || conv.Channel != inbox.ChannelEmail || conv.MailToken == "" {
		t.Fatalf("conversation %+v %v", conv, err)
	}
	if again, dup, _ := f.svc.MailReceive(f.ctx, inbox.MailMessage{LineID: f.line.ID, From: inbox.MailAddress{Email: "olga@customer.example"}, MailID: "a@x", Text: "first"}); !dup || again.ID != first.ID {
		t.Errorf("the same mail again: dup %v", dup)
	}
	byReply := recv(inbox.MailMessage{MailID: "b@x", Thread: []string{"a@x"}, Text: "second"})
	ours := inbox.MailIDOf(conv.MailToken, "m1", "shop.example")
	byRefs := recv(inbox.MailMessage{MailID: "c@x", Thread: []string{"unknown@y", ours}, Text: "third"})
	byToken := recv(inbox.MailMessage{MailID: "d@x", Token: conv.MailToken, Text: "fourth"})
	noID := recv(inbox.MailMessage{MailID: "hash:abc", Thread: []string{"a@x"}, Text: "fifth"})
	for _, m := range []*inbox.Message{byReply, byRefs, byToken, noID} {
		if m.ConversationID != conv.ID {
			t.Errorf("%q opened %s, want the thread %s", m.Text, m.ConversationID, conv.ID)
		}
	}
	fresh := recv(inbox.MailMessage{MailID: "e@x", Thread: []string{"nobody@y"}, Text: "new topic", Meta: inbox.MailMeta{Subject: "Other"}})
	if fresh.ConversationID == conv.ID {
		t.Error("a mail answering nothing we know joined the thread")
	}
	if err := f.svc.DeleteConversation(f.ctx, inbox.System, conv.ID); err != nil {
		t.Fatal(err)
	}
	after := recv(inbox.MailMessage{MailID: "f@x", Thread: []string{"a@x"}, Text: "after the delete"})
	if after.ConversationID == conv.ID || after.ConversationID == fresh.ConversationID {
		t.Errorf("a mail to a deleted conversation went to %s", after.ConversationID)
	}
	ct, err := f.svc.Contact(f.ctx, inbox.System, first.AuthorID)
	if err != nil || ct.Email != "olga@customer.example" || ct.Name != "Olga" {
		t.Errorf("contact %+v %v", ct, err)
	}
}
