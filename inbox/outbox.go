package inbox

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// The durable outbox: mail the product sends on its own (today the
// transcripts below) is first stored, keyed by what it is about, so a
// notice is queued once however often its cause is seen; a worker in the
// one process holding the scheduler's lease sends what is due, marks it
// sent, and retries a failure later with a growing pause. A crash between
// sending and marking can send a mail twice; nothing queued is lost.

// Mailer sends one plain-text mail (connectors/email.Sender).
type Mailer interface {
	Send(ctx context.Context, to, subject, body string) error
}

// LineMailer also sends from a line's own mailbox (connectors/email.Router).
type LineMailer interface {
	Mailer
	SendForLine(ctx context.Context, lineID, to, subject, body string) error
}

// Outbox limits.
const (
	// OutboxMaxAttempts: a mail that failed this often is given up (logged).
	OutboxMaxAttempts = 12
	outboxBatch       = 50
	outboxEvery       = 5 * time.Second
)

// Outbox sends the queued mail.
type Outbox struct {
	store  *Store
	mailer Mailer
	now    func() time.Time
	log    *slog.Logger
}

// NewOutbox builds the worker; now is the clock, log slog.Default when nil.
func NewOutbox(st *Store, m Mailer, now func() time.Time, log *slog.Logger) *Outbox {
	if log == nil {
		log = slog.Default()
	}
	return &Outbox{store: st, mailer: m, now: now, log: log}
}

// Run sends what is due every few seconds until ctx ends.
func (o *Outbox) Run(ctx context.Context) error {
	t := time.NewTicker(outboxEvery)
	defer t.Stop()
	for {
		if _, err := o.SendDue(ctx); err != nil && ctx.Err() == nil {
			o.log.Error("outbox", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// retryAfter is the pause after the n-th failed attempt: 30 s, doubling,
// at most an hour.
func retryAfter(n int) time.Duration {
	d := 30 * time.Second << min(n-1, 7)
	return min(d, time.Hour)
}

// SendDue sends every mail due now and says how many went out.
func (o *Outbox) SendDue(ctx context.Context) (int, error) {
	due, err := o.store.DueOutbox(ctx, o.now(), outboxBatch)
	if err != nil {
		return 0, err
	}
	sent := 0
	for i := range due {
		m := &due[i]
		var err error
		if lm, ok := o.mailer.(LineMailer); ok && m.LineID != "" {
			err = lm.SendForLine(ctx, m.LineID, m.To, m.Subject, m.Body)
		} else {
			err = o.mailer.Send(ctx, m.To, m.Subject, m.Body)
		}
		now := o.now()
		switch {
		case err == nil:
			m.SentAt, m.LastError = &now, ""
			sent++
		case ctx.Err() != nil:
			return sent, nil // stopping: it is sent next time
		default:
			m.Attempts++
			m.LastError = err.Error()
			if m.Attempts >= OutboxMaxAttempts {
				m.FailedAt = &now
				o.log.Error("outbox: mail given up", "mail", m.ID, "attempts", m.Attempts, "err", err)
			} else {
				m.NextAt = now.Add(retryAfter(m.Attempts))
				o.log.Warn("outbox: mail failed; trying again later", "mail", m.ID, "attempt", m.Attempts, "next", m.NextAt, "err", err)
			}
		}
		if err := o.store.SaveOutbox(ctx, m); err != nil {
			return sent, err
		}
	}
	return sent, nil
}

// Transcripts (the Brevo seed): when a conversation that was missed, or
// that no agent ever answered, ends (not as spam), the agents of its line who asked for
// it (Agent.EmailTranscripts) get its transcript by e-mail, in their
// language.

type transcriptText struct{ subject, intro, by string }

var transcriptTexts = map[string]transcriptText{
	"en": {"Missed conversation #%d with %s", "This conversation ended without a timely answer. Its messages:", "agent"},
	"de": {"Verpasste Konversation #%d mit %s", "Diese Konversation endete ohne rechtzeitige Antwort. Ihre Nachrichten:", "Mitarbeiter"},
	"pl": {"Nieodebrana rozmowa #%d z %s", "Ta rozmowa zakończyła się bez odpowiedzi na czas. Jej wiadomości:", "pracownik"},
	"ru": {"Пропущенный диалог #%d с %s", "Этот диалог завершился без своевременного ответа. Его сообщения:", "сотрудник"},
}

// queueTranscripts queues the transcript of c, which just ended, for the
// agents of its line who asked for transcripts.
func (s *Service) queueTranscripts(ctx context.Context, c *Conversation) error {
	if !s.transcripts || c.Status == StatusSpam || (c.MissedAt == nil && c.Dates.Answered != nil) {
		return nil // nobody wants spam by e-mail
	}
	l, err := s.Line(ctx, c.LineID)
	if err != nil {
		return err
	}
	agents, err := s.store.EnabledAgentsOfLine(ctx, l)
	if err != nil {
		return err
	}
	var msgs []Message
	for _, ag := range agents {
		if !ag.EmailTranscripts || ag.Email == "" {
			continue
		}
		if msgs == nil {
			if msgs, err = s.store.MessagesAfter(ctx, c.ID, 0, s.limits.ListMax*5); err != nil {
				return err
			}
		}
		tx, ok := transcriptTexts[ag.Language]
		if !ok {
			tx = transcriptTexts["en"]
		}
		client := c.ContactName
		if client == "" {
			client = fmt.Sprintf("#%d", c.VisitorNumber)
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%s\n%s · %s\n\n", tx.intro, l.Name, c.Dates.Created.UTC().Format("2006-01-02 15:04 MST"))
		for _, m := range msgs {
			who := m.AuthorName
			if who == "" {
				who = client
			}
			if m.AuthorKind == AuthorAgent {
				who += " (" + tx.by + ")"
			}
			fmt.Fprintf(&b, "[%s] %s: %s\n", m.CreatedAt.UTC().Format("15:04"), who, m.Text)
			for _, at := range m.Attachments {
				fmt.Fprintf(&b, "    📎 %s\n", at.Name)
			}
		}
		mail := &OutboxMail{ID: "transcript:" + c.ID + ":" + ag.ID, To: ag.Email,
			Subject: fmt.Sprintf(tx.subject, c.Number, client), Body: b.String(), CreatedAt: s.Now(), NextAt: s.Now()}
		if _, err := s.store.QueueOutbox(ctx, mail); err != nil {
			return err
		}
	}
	return nil
}

// SendsMail says the gateway can send mail: agents may ask for transcripts.
func (s *Service) SendsMail() bool { return s.transcripts }
