package email

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/mail"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
)

// Router sends the mail the gateway writes on its own (the outbox's
// transcripts): a line's mail from the line's mailbox when it has one,
// the rest through the gateway's mail server (SWITCHBOARD_SMTP_URL).
type Router struct {
	// Default is the gateway's server; nil when there is none.
	Default *Sender
	// Line loads a line (inbox.Service.Line).
	Line func(ctx context.Context, id string) (*inbox.Line, error)
}

var _ inbox.LineMailer = Router{}

// errNoServer: nothing can send this mail.
var errNoServer = errors.New("email: no mail server: set SWITCHBOARD_SMTP_URL or give the line a mailbox")

// Send sends through the gateway's server.
func (r Router) Send(ctx context.Context, to, subject, body string) error {
	if r.Default == nil {
		return errNoServer
	}
	return r.Default.Send(ctx, to, subject, body)
}

// SendForLine sends from the line's mailbox, or through the gateway's
// server when the line has none.
func (r Router) SendForLine(ctx context.Context, lineID, to, subject, body string) error {
	l, err := r.Line(ctx, lineID)
	if err != nil && !errors.Is(err, inbox.ErrNotFound) {
		return err
	}
	if err != nil || !l.Channels.Email.Enabled || l.Channels.Email.SMTP.Host == "" {
		return r.Send(ctx, to, subject, body)
	}
	m := l.Channels.Email
	rcpt, err := mail.ParseAddress(to)
	if err != nil {
		return fmt.Errorf("email: recipient %q: %w", to, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	c, err := dialSMTP(ctx, m.SMTP, false)
	if err != nil {
		return err
	}
	defer c.Close()
	from := mail.Address{Name: m.FromName, Address: m.Address}
	if err := c.SendMail(m.Address, []string{rcpt.Address}, bytes.NewReader(compose(from, *rcpt, subject, body, time.Now()))); err != nil {
		return fmt.Errorf("email: send from %s: %w", m.Address, err)
	}
	_ = c.Quit()
	return nil
}
