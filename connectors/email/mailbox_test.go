package email_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/connectors/email"
	"github.com/switchboard-chat/switchboard/connectors/email/dovecottest"
	"github.com/switchboard-chat/switchboard/connectors/email/smtptest"
	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/inbox/files"
)

const (
	box      = "support@shop.example"
	boxPass  = "imap-secret"
	smtpUser = "mailer"
	smtpPass = "smtp-secret"
)

// mailRig is a line's mailbox on a real Dovecot and a real SMTP server,
// with the connector on the real inbox and store.
type mailRig struct {
	ctx   context.Context
	dv    *dovecottest.Server
	smtp  *smtptest.Server
	svc   *inbox.Service
	store *inbox.Store
	line  *inbox.Line
	agent inbox.Actor
}

func testLog() *slog.Logger {
	if os.Getenv("SWITCHBOARD_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func newMailRig(t *testing.T, folder string) *mailRig {
	t.Helper()
	dv := dovecottest.Start(t, map[string]string{box: boxPass})
	if folder != "INBOX" {
		dv.Append(box, boxPass, folder, []byte("From: setup@example.com\r\nSubject: setup\r\nAuto-Submitted: auto-generated\r\n\r\nfolder created\r\n"))
	}
	sm, err := smtptest.Start(smtpUser, smtpPass)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sm.Close)
	ctx, cancel := context.WithCancel(context.Background())
	r := &mailRig{ctx: ctx, dv: dv, smtp: sm, store: engine.Store(t)}
	log := testLog()
	wake := email.NewWaker()
	r.svc = inbox.NewService(r.store, inbox.Options{PasswordCost: 4, Logger: log, Outbound: []inbox.Channel{inbox.ChannelEmail},
		OnDelivery: wake.Wake, Mailboxes: email.Checker{}})
	fs := files.New(r.store.Database(), 10<<20)
	conn := email.New(email.Config{Node: "node-1", LeaseTTL: 3 * time.Second, PollEvery: time.Second}, r.svc, r.store, fs, wake, email.Counters{}, log)
	name, addr, pw := "Alice", "alice@example.com", "password1"
	ag, err := r.svc.CreateAgent(ctx, inbox.System, inbox.AgentInput{Name: &name, Email: &addr, Password: &pw})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.SetPresence(ctx, inbox.System, ag.ID, inbox.PresenceOnline); err != nil {
		t.Fatal(err)
	}
	r.agent = inbox.ActorFor(ag)
	host, port := splitAddr(t, dv.Addr())
	shost, sport := splitAddr(t, sm.Addr)
	lname := "Shop"
	r.line, err = r.svc.CreateLine(ctx, inbox.System, inbox.LineInput{Name: &lname, AgentIDs: &[]string{ag.ID}, Settings: &inbox.LineSettings{},
		Channels: &inbox.LineChannels{Email: inbox.EmailChannel{Enabled: true, Address: box, FromName: "Shop support", Folder: folder,
			IMAP: inbox.MailServer{Host: host, Port: port, Security: "none", Username: box, Password: boxPass},
			SMTP: inbox.MailServer{Host: shost, Port: sport, Security: "none", Username: smtpUser, Password: smtpPass}}}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = conn.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return r
}

func splitAddr(t *testing.T, addr string) (string, int) {
	t.Helper()
	i := strings.LastIndexByte(addr, ':')
	var port int
	if _, err := fmt.Sscan(addr[i+1:], &port); err != nil {
		t.Fatal(err)
	}
	return addr[:i], port
}

// mailOf builds a raw mail; extra headers are "Key: value" lines.
func mailOf(from, subject, body string, extra ...string) []byte {
	var b strings.Builder
	b.WriteString("From: " + from + "\r\nTo: " + box + "\r\nSubject: " + subject + "\r\nDate: " + time.Now().Format(time.RFC1123Z) + "\r\n")
	for _, h := range extra {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n")
	return []byte(b.String())
}

// conversations lists the line's e-mail conversations.
func (r *mailRig) conversations(t *testing.T) []inbox.Conversation {
	t.Helper()
	cs, _, err := r.svc.Conversations(r.ctx, inbox.System, inbox.ConversationFilter{Channels: []inbox.Channel{inbox.ChannelEmail}})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// waitMessages waits until the conversations hold n messages in all.
func (r *mailRig) waitMessages(t *testing.T, n int, within time.Duration) map[string][]inbox.Message {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		out, total := map[string][]inbox.Message{}, 0
		for _, c := range r.conversations(t) {
			ms, err := r.svc.Messages(r.ctx, inbox.System, c.ID, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			out[c.ID], total = ms, total+len(ms)
		}
		if total >= n {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages after %s, want %d", total, within, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
