package email_test

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/switchboard-chat/switchboard/connectors/email"
	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/inbox/inboxtest"
)

var engine *inboxtest.Engine

func TestMain(m *testing.M) { inboxtest.Main(m, &engine) }

// mailServer is a real SMTP server (emersion/go-smtp) on loopback that
// keeps what it receives; refuse > 0 refuses that many messages first.
type mailServer struct {
	addr   string
	mu     sync.Mutex
	got    []received
	refuse int
}

type received struct {
	from, to string
	msg      *mail.Message
	body     string
}

func (s *mailServer) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{srv: s}, nil }

type session struct {
	srv      *mailServer
	from, to string
}

func (x *session) Reset()        {}
func (x *session) Logout() error { return nil }
func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	x.from = from
	return nil
}
func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = to
	return nil
}
func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.srv.mu.Lock()
	defer x.srv.mu.Unlock()
	if x.srv.refuse > 0 {
		x.srv.refuse--
		return &smtp.SMTPError{Code: 451, Message: "try again later"}
	}
	m, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		return err
	}
	body, err := io.ReadAll(quotedprintable.NewReader(m.Body))
	if err != nil {
		return err
	}
	x.srv.got = append(x.srv.got, received{from: x.from, to: x.to, msg: m, body: string(body)})
	return nil
}

func startMailServer(t *testing.T) *mailServer {
	t.Helper()
	ms := &mailServer{}
	srv := smtp.NewServer(ms)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ms.addr = ln.Addr().String()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ms
}

func (s *mailServer) received() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...)
}

// TestSenderDeliversPlainTextUTF8: a message with non-ASCII subject and
// body arrives as it was written.
func TestSenderDeliversPlainTextUTF8(t *testing.T) {
	ms := startMailServer(t)
	s, err := email.NewSender("smtp://"+ms.addr, "Switchboard <noreply@example.com>")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), "agent@example.com", "Пропущенный диалог #7", "Grüße\nline two — ok\n"); err != nil {
		t.Fatal(err)
	}
	got := ms.received()
	if len(got) != 1 {
		t.Fatalf("%d messages arrived, want 1", len(got))
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(got[0].msg.Header.Get("Subject"))
	if got[0].from != "noreply@example.com" || got[0].to != "agent@example.com" || subject != "Пропущенный диалог #7" ||
		got[0].body != "Grüße\r\nline two — ok\r\n" || got[0].msg.Header.Get("Auto-Submitted") != "auto-generated" {
		t.Errorf("arrived: from %q to %q subject %q body %q", got[0].from, got[0].to, subject, got[0].body)
	}
	for _, bad := range []string{"http://x:25", "smtp://nohost", "smtp://:25"} {
		if _, err := email.NewSender(bad, "a@example.com"); err == nil {
			t.Errorf("NewSender(%q) accepted", bad)
		}
	}
	if _, err := email.NewSender("smtp://127.0.0.1:25", "not an address"); err == nil {
		t.Error("a bad from address was accepted")
	}
}

// TestTranscriptsOfMissedConversations: an agent who asked for them gets
// the transcript of a missed conversation of their line by e-mail, once,
// in their language, through the durable outbox, which retries a refused
// send later; an agent who did not ask gets nothing.
func TestTranscriptsOfMissedConversations(t *testing.T) {
	ms := startMailServer(t)
	sender, err := email.NewSender("smtp://"+ms.addr, "Switchboard <noreply@example.com>")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st := engine.Store(t)
	clock := inboxtest.NewClock(time.Date(2026, 5, 5, 9, 0, 0, 0, time.UTC))
	svc := inbox.NewService(st, inbox.Options{Clock: clock.Now, PasswordCost: 4, Transcripts: true})
	sys := inbox.System
	agent := func(name, email, lang string, transcripts bool) *inbox.Agent {
		pw := "password1"
		ag, err := svc.CreateAgent(ctx, sys, inbox.AgentInput{Name: &name, Email: &email, Password: &pw, Language: &lang, EmailTranscripts: &transcripts})
		if err != nil {
			t.Fatal(err)
		}
		return ag
	}
	dora := agent("Dora", "dora@example.com", "de", true)
	eve := agent("Eve", "eve@example.com", "en", false)
	lname := "Shop"
	line, err := svc.CreateLine(ctx, sys, inbox.LineInput{Name: &lname, AgentIDs: &[]string{dora.ID, eve.ID}})
	if err != nil {
		t.Fatal(err)
	}
	client := "Kunde"
	c, _, err := svc.Open(ctx, sys, inbox.OpenInput{LineID: line.ID, Contact: &inbox.ContactInput{Name: &client},
		Message: &inbox.MessageInput{Text: "Hallo, ist jemand da?"}})
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(31 * time.Second)
	if ok, err := svc.MarkMissed(ctx, c.ID); err != nil || !ok {
		t.Fatalf("mark missed: %v %v", ok, err)
	}
	if _, err := svc.Close(ctx, sys, c.ID); err != nil {
		t.Fatal(err)
	}
	out := inbox.NewOutbox(st, sender, clock.Now, nil)
	ms.refuse = 1
	if n, err := out.SendDue(ctx); err != nil || n != 0 {
		t.Fatalf("first send: %d sent (%v), want the server's refusal", n, err)
	}
	if n, _ := out.SendDue(ctx); n != 0 {
		t.Fatal("a refused mail was tried again before its pause")
	}
	clock.Advance(31 * time.Second)
	if n, err := out.SendDue(ctx); err != nil || n != 1 {
		t.Fatalf("after the pause: %d sent (%v), want 1", n, err)
	}
	got := ms.received()
	if len(got) != 1 || got[0].to != dora.Email {
		t.Fatalf("arrived: %+v, want one mail to Dora", got)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(got[0].msg.Header.Get("Subject"))
	if !strings.HasPrefix(subject, "Verpasste Konversation #") || !strings.Contains(subject, client) ||
		!strings.Contains(got[0].body, "Hallo, ist jemand da?") {
		t.Errorf("the transcript: subject %q, body %q", subject, got[0].body)
	}
	// Sent once: nothing more is due, and the same notice is not queued again.
	clock.Advance(time.Hour)
	if n, _ := out.SendDue(ctx); n != 0 {
		t.Errorf("%d more mails went out", n)
	}
	// Without a mail server nobody can ask for transcripts.
	plain := inbox.NewService(st, inbox.Options{Clock: clock.Now, PasswordCost: 4})
	yes := true
	var fe *inbox.FieldError
	if _, err := plain.UpdateAgent(ctx, sys, eve.ID, inbox.AgentInput{EmailTranscripts: &yes}); !errors.As(err, &fe) || fe.Field != "emailTranscripts" {
		t.Errorf("transcripts without a mail server: %v, want an emailTranscripts field error", err)
	}
}
