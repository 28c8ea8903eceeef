package email_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
)

// TestMailThreadsBothWays: a customer's mail reaches the inbox through
// IDLE within 2 s and is flagged seen once stored; the agent's reply goes
// out with its threading headers; the customer's Outlook-style answer
// (References only) and an answer to the reply address alone join the
// same conversation; the same mail delivered twice is stored once; an
// auto-reply shows nothing; a bounce fails the reply it names.
func TestMailThreadsBothWays(t *testing.T) {
	r := newMailRig(t, "INBOX")
	time.Sleep(time.Second) // the worker is idling
	sent := time.Now()
	r.dv.Append(box, boxPass, "INBOX", mailOf(`"Olga Ivanova" <olga@customer.example>`, "Order 4711 is late", "Where is my order?", "Message-ID: <first@customer.example>"))
	msgs := r.waitMessages(t, 1, 2*time.Second)
	t.Logf("mail in the inbox %s after it was appended", time.Since(sent).Round(time.Millisecond))
	convs := r.conversations(t)
	if len(convs) != 1 || convs[0].Subject != "Order 4711 is late" || convs[0].ContactName != "Olga Ivanova" {
		t.Fatalf("conversations %+v", convs)
	}
	conv := convs[0]
	first := msgs[conv.ID][0]
	if first.Text != "Where is my order?" || first.Email == nil || first.Email.From.Email != "olga@customer.example" || first.Refs.EmailMessageID != "first@customer.example" {
		t.Errorf("first message %+v %+v", first, first.Email)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !r.dv.Seen(box, boxPass, "INBOX")[1] {
		if time.Now().After(deadline) {
			t.Fatal("the stored mail was not flagged seen")
		}
		time.Sleep(50 * time.Millisecond)
	}

	// The agent answers.
	reply, _, err := r.svc.Append(r.ctx, r.agent, conv.ID, inbox.MessageInput{AuthorKind: inbox.AuthorAgent, Text: "It left our warehouse today."})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(r.ctx, 15*time.Second)
	defer cancel()
	got, err := r.smtp.Wait(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	h := got[0].Header()
	msgID := strings.Trim(h.Get("Message-ID"), "<>")
	if got[0].To[0] != "olga@customer.example" || h.Get("Subject") != "Re: Order 4711 is late" ||
		h.Get("In-Reply-To") != "<first@customer.example>" || !strings.Contains(h.Get("References"), "<first@customer.example>") ||
		inbox.MessageOfMailID(msgID) != reply.ID || !strings.HasPrefix(h.Get("Reply-To"), `"Shop support" <support+`) {
		t.Errorf("reply headers: To %v, %v", got[0].To, h)
	}
	if !strings.Contains(string(got[0].Raw), "It left our warehouse today.") {
		t.Errorf("reply body %s", got[0].Raw)
	}
	waitDelivery(t, r, reply.ID, inbox.DeliverySent)

	// Outlook answers with References only; another client to the reply
	// address only.
	r.dv.Append(box, boxPass, "INBOX", mailOf("olga@customer.example", "AW: Order 4711 is late", "Thanks!", "Message-ID: <second@customer.example>",
		"References: <first@customer.example> <"+msgID+">"))
	replyTo := strings.TrimSuffix(strings.SplitN(h.Get("Reply-To"), "<", 2)[1], ">")
	r.dv.Append(box, boxPass, "INBOX", []byte(strings.Replace(string(mailOf("olga@customer.example", "one more thing", "And the invoice?", "Message-ID: <third@customer.example>")),
		"To: "+box, "To: "+replyTo, 1)))
	// The first mail again (delivered twice), an auto-reply and a newcomer.
	r.dv.Append(box, boxPass, "INBOX", mailOf(`"Olga Ivanova" <olga@customer.example>`, "Order 4711 is late", "Where is my order?", "Message-ID: <first@customer.example>"))
	r.dv.Append(box, boxPass, "INBOX", mailOf("olga@customer.example", "Out of office", "I am away.", "Message-ID: <auto@customer.example>", "Auto-Submitted: auto-replied"))
	r.dv.Append(box, boxPass, "INBOX", mailOf("new@customer.example", "Hello", "A new question", "Message-ID: <new@customer.example>"))
	msgs = r.waitMessages(t, 5, 10*time.Second)
	time.Sleep(time.Second)
	msgs = r.waitMessages(t, 5, time.Second)
	if n := len(msgs[conv.ID]); n != 4 {
		for _, m := range msgs[conv.ID] {
			t.Logf("  %s: %q", m.AuthorKind, m.Text)
		}
		t.Fatalf("%d messages in the thread, want 4 (first, reply, Outlook answer, reply-address answer)", n)
	}
	if len(msgs) != 2 {
		t.Errorf("%d conversations, want 2 (the thread and the newcomer)", len(msgs))
	}
	for _, m := range msgs[conv.ID] {
		if strings.Contains(m.Text, "I am away") {
			t.Error("the auto-reply is shown as the customer's")
		}
	}

	// A bounce of the reply fails it with the reason.
	bounce := "From: MAILER-DAEMON@shop.example\r\nTo: " + box + "\r\nSubject: Undelivered Mail Returned to Sender\r\nMessage-ID: <bounce1@shop.example>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n" +
		"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; shop.example\r\n\r\nFinal-Recipient: rfc822; olga@customer.example\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\r\n" +
		"--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <" + msgID + ">\r\nSubject: Re: Order 4711 is late\r\n\r\n--b--\r\n"
	r.dv.Append(box, boxPass, "INBOX", []byte(bounce))
	m := waitDelivery(t, r, reply.ID, inbox.DeliveryFailed)
	if !strings.Contains(m.Delivery.Error, "5.1.1") {
		t.Errorf("bounced reply's error %q", m.Delivery.Error)
	}
}

func waitDelivery(t *testing.T, r *mailRig, id string, want inbox.DeliveryState) *inbox.Message {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		m, err := r.store.MessageByID(r.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if m.Delivery != nil && m.Delivery.State == want {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery of %s is %+v, want %s", id, m.Delivery, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestMailboxSurvivesUIDValidityAndRestarts: a folder recreated (a new
// UIDVALIDITY) is read again without storing anything twice, and a
// Dovecot restarted mid-session leaves the worker carrying on.
func TestMailboxSurvivesUIDValidityAndRestarts(t *testing.T) {
	r := newMailRig(t, "Support")
	time.Sleep(time.Second)
	r.dv.Append(box, boxPass, "Support", mailOf("a@customer.example", "one", "first question", "Message-ID: <one@customer.example>"))
	r.waitMessages(t, 1, 5*time.Second)
	r.dv.Restart()
	r.dv.Append(box, boxPass, "Support", mailOf("b@customer.example", "two", "second question", "Message-ID: <two@customer.example>"))
	r.waitMessages(t, 2, 30*time.Second)
	// The folder is recreated: both mails come back, with a new UIDVALIDITY.
	r.dv.Recreate(box, boxPass, "Support")
	r.dv.Append(box, boxPass, "Support", mailOf("a@customer.example", "one", "first question", "Message-ID: <one@customer.example>"))
	r.dv.Append(box, boxPass, "Support", mailOf("b@customer.example", "two", "second question", "Message-ID: <two@customer.example>"))
	r.dv.Append(box, boxPass, "Support", mailOf("c@customer.example", "three", "third question", "Message-ID: <three@customer.example>"))
	msgs := r.waitMessages(t, 3, 30*time.Second)
	time.Sleep(2 * time.Second)
	msgs = r.waitMessages(t, 3, time.Second)
	total := 0
	for _, ms := range msgs {
		total += len(ms)
	}
	if total != 3 || len(msgs) != 3 {
		t.Errorf("%d messages in %d conversations after the folder was recreated, want 3 in 3", total, len(msgs))
	}
}

// TestSMTPRefusals: a temporary refusal (451) is tried again and the
// reply goes out; a permanent one (550) fails the reply with the
// server's words, for the agent to see.
func TestSMTPRefusals(t *testing.T) {
	r := newMailRig(t, "INBOX")
	r.dv.Append(box, boxPass, "INBOX", mailOf("olga@customer.example", "Question", "Hello?", "Message-ID: <q1@customer.example>"))
	msgs := r.waitMessages(t, 1, 10*time.Second)
	var convID string
	for id := range msgs {
		convID = id
	}
	r.smtp.Refuse(451, "Greylisted, try again later")
	first, _, err := r.svc.Append(r.ctx, r.agent, convID, inbox.MessageInput{AuthorKind: inbox.AuthorAgent, Text: "after a greylisting"})
	if err != nil {
		t.Fatal(err)
	}
	m := waitDelivery(t, r, first.ID, inbox.DeliverySent)
	if m.Delivery.Attempts != 2 || len(r.smtp.Mails()) != 1 {
		t.Errorf("after a 451: %+v, %d mails", m.Delivery, len(r.smtp.Mails()))
	}
	r.smtp.Refuse(550, "No such user here")
	second, _, err := r.svc.Append(r.ctx, r.agent, convID, inbox.MessageInput{AuthorKind: inbox.AuthorAgent, Text: "to nobody"})
	if err != nil {
		t.Fatal(err)
	}
	m = waitDelivery(t, r, second.ID, inbox.DeliveryFailed)
	if !strings.Contains(m.Delivery.Error, "550") || !strings.Contains(m.Delivery.Error, "No such user here") {
		t.Errorf("after a 550: %q", m.Delivery.Error)
	}
}
