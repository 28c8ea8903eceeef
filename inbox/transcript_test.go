package inbox_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
)

// A visitor's transcript request queues the transcript by e-mail from the
// line's mailbox — once per conversation and address, and at most
// MaxAutoMailsPerHour to one address an hour; a line without a mailbox
// (and a gateway without a mail server) queues nothing.
func TestVisitorTranscriptsAreQueuedOnceAndBraked(t *testing.T) {
	f := newFixture(t)
	ask := func(name string) {
		t.Helper()
		ct, err := f.svc.StartVisitor(f.ctx, f.line.ID, name, inbox.VisitorIdentity{})
		if err != nil {
			t.Fatal(err)
		}
		v := inbox.Visitor{ContactID: ct.ID, LineID: f.line.ID}
		if _, err := f.svc.VisitorSend(f.ctx, v, inbox.VisitorMessage{ClientID: "c1", Text: "Hello from " + name}); err != nil {
			t.Fatal(err)
		}
		for range 2 { // asking twice sends once
			if err := f.svc.VisitorTranscript(f.ctx, v, "same@customer.example"); err != nil {
				t.Fatal(err)
			}
		}
	}
	ask("No mailbox")
	if n, _ := f.store.CountOutboxTo(f.ctx, "same@customer.example", time.Time{}); n != 0 {
		t.Fatalf("%d mails queued for a line that cannot send any", n)
	}
	mb := inbox.LineChannels{Email: inbox.EmailChannel{Enabled: true, Address: "support@shop.example",
		IMAP: inbox.MailServer{Host: "127.0.0.1"}, SMTP: inbox.MailServer{Host: "127.0.0.1"}}}
	if _, err := f.svc.UpdateLine(f.ctx, inbox.System, f.line.ID, inbox.LineInput{Channels: &mb}); err != nil {
		t.Fatal(err)
	}
	for i := range inbox.MaxAutoMailsPerHour + 2 {
		ask(fmt.Sprintf("Visitor %d", i))
	}
	if n, _ := f.store.CountOutboxTo(f.ctx, "same@customer.example", time.Time{}); n != inbox.MaxAutoMailsPerHour {
		t.Errorf("%d transcripts queued to one address, want %d", n, inbox.MaxAutoMailsPerHour)
	}
	f.clock.Advance(61 * time.Minute)
	ask("An hour later")
	if n, _ := f.store.CountOutboxTo(f.ctx, "same@customer.example", time.Time{}); n != inbox.MaxAutoMailsPerHour+1 {
		t.Errorf("%d transcripts after an hour, want %d", n, inbox.MaxAutoMailsPerHour+1)
	}
}
