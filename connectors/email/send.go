package email

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"strings"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-smtp"
	"github.com/switchboard-chat/switchboard/connectors/linework"
	"github.com/switchboard-chat/switchboard/inbox"
)

// Outbound: agents' replies in e-mail conversations go out from the
// inbox's delivery queue through the line's SMTP server, each chat's in
// order, as proper replies: a Message-ID carrying the conversation's
// token, In-Reply-To and References of the thread, a Reply-To with the
// token, the subject, text and HTML alternatives and the attachments. A
// temporary failure (4xx, network) is tried again with a growing pause; a
// permanent one (5xx) fails the reply with the server's words.

// MaxSendAttempts: a reply failing this often for temporary reasons is
// marked failed; agents may retry it.
const MaxSendAttempts = 10

func (b *mailbox) sendLoop(ctx context.Context) error {
	s := linework.Sender{Queue: b.c.inbox, LineID: b.lineID, Channel: inbox.ChannelEmail, Node: b.c.cfg.Node, Claim: 2 * time.Minute, Log: b.c.log,
		Send: func(ctx context.Context, j *inbox.DeliveryJob) linework.Outcome {
			if b.deliver(ctx, j) {
				return linework.Done
			}
			return linework.Later
		}}
	for {
		d, _ := s.Pass(ctx)
		if !b.c.wake.w.Wait(ctx, b.lineID, d) {
			return nil
		}
	}
}

// deliver sends one claimed reply; true when it is done with (sent or
// failed).
func (b *mailbox) deliver(ctx context.Context, j *inbox.DeliveryJob) bool {
	m, c, ct, err := b.c.inbox.DeliveryItem(ctx, j)
	switch {
	case errors.Is(err, inbox.ErrNotFound):
		_ = b.c.inbox.DropDelivery(ctx, j)
		return true
	case err != nil:
		return false
	}
	if ct.Email == "" {
		return b.fail(ctx, j, "the contact has no e-mail address")
	}
	if c.MailToken == "" {
		if c, err = b.c.inbox.EnsureMailToken(ctx, c.ID); err != nil {
			return false
		}
	}
	raw, err := b.compose(ctx, m, c, ct)
	if err != nil {
		return b.fail(ctx, j, err.Error())
	}
	err = b.smtpSend(ctx, ct.Email, raw)
	if err == nil {
		linework.Count(b.c.count.Sent, b.lineID)
		if err := b.c.inbox.DeliverySent(ctx, j); err != nil {
			b.c.log.Error("email: mark reply sent", "line", b.lineID, "message", j.ID, "err", err)
			return false
		}
		return true
	}
	if ctx.Err() != nil {
		return false
	}
	var se *smtp.SMTPError
	if errors.As(err, &se) && se.Code >= 500 {
		return b.fail(ctx, j, fmt.Sprintf("%d %s", se.Code, se.Message))
	}
	if j.Attempts+1 >= MaxSendAttempts {
		return b.fail(ctx, j, err.Error())
	}
	next := time.Now().Add(backoff(j.Attempts + 1))
	b.c.log.Warn("email: reply not sent; trying again", "line", b.lineID, "message", j.ID, "next", next, "err", err)
	if err := b.c.inbox.DeliveryRetry(ctx, j, err.Error(), next); err != nil {
		b.c.log.Error("email: record retry", "line", b.lineID, "message", j.ID, "err", err)
	}
	return false
}

func (b *mailbox) fail(ctx context.Context, j *inbox.DeliveryJob, reason string) bool {
	linework.Count(b.c.count.Failures, b.lineID)
	b.c.log.Warn("email: reply failed", "line", b.lineID, "message", j.ID, "reason", reason)
	if err := b.c.inbox.DeliveryFailed(ctx, j, reason, false); err != nil {
		b.c.log.Error("email: record failure", "line", b.lineID, "message", j.ID, "err", err)
		return false
	}
	return true
}

func (b *mailbox) smtpSend(ctx context.Context, to string, raw []byte) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	c, err := dialSMTP(ctx, b.conf.SMTP, b.c.cfg.InsecureTLS)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SendMail(b.conf.Address, []string{to}, bytes.NewReader(raw)); err != nil {
		return err
	}
	_ = c.Quit()
	return nil
}

// compose builds the reply's MIME message.
func (b *mailbox) compose(ctx context.Context, m *inbox.Message, c *inbox.Conversation, ct *inbox.Contact) ([]byte, error) {
	domain := "switchboard.invalid"
	if _, d, ok := strings.Cut(b.conf.Address, "@"); ok {
		domain = d
	}
	var h mail.Header
	h.SetDate(m.CreatedAt)
	h.SetAddressList("From", []*mail.Address{{Name: b.conf.FromName, Address: b.conf.Address}})
	h.SetAddressList("To", []*mail.Address{{Name: ct.Name, Address: ct.Email}})
	h.SetAddressList("Reply-To", []*mail.Address{{Name: b.conf.FromName, Address: replyAddress(b.conf.Address, c.MailToken)}})
	subject := ""
	if m.Email != nil {
		subject = m.Email.Subject
	}
	h.SetSubject(subject)
	h.SetMessageID(inbox.MailIDOf(c.MailToken, m.ID, domain))
	if n := len(c.MailThread); n > 0 {
		h.SetMsgIDList("In-Reply-To", []string{c.MailThread[n-1]})
		h.SetMsgIDList("References", c.MailThread)
	}
	var buf bytes.Buffer
	w, err := mail.CreateWriter(&buf, h)
	if err != nil {
		return nil, fmt.Errorf("compose: %w", err)
	}
	alt, err := w.CreateInline()
	if err != nil {
		return nil, fmt.Errorf("compose: %w", err)
	}
	for _, part := range []struct{ ctype, body string }{
		{"text/plain", m.Text},
		{"text/html", "<div>" + strings.ReplaceAll(html.EscapeString(m.Text), "\n", "<br>\n") + "</div>"},
	} {
		var ph mail.InlineHeader
		ph.Set("Content-Type", part.ctype+"; charset=utf-8")
		pw, err := alt.CreatePart(ph)
		if err != nil {
			return nil, fmt.Errorf("compose: %w", err)
		}
		_, _ = io.WriteString(pw, part.body)
		_ = pw.Close()
	}
	_ = alt.Close()
	for _, a := range m.Attachments {
		rc, _, err := b.c.files.Open(ctx, a.FileID)
		if err != nil {
			return nil, fmt.Errorf("attachment %s: %w", a.Name, err)
		}
		var ah mail.AttachmentHeader
		ah.Set("Content-Type", a.ContentType)
		ah.SetFilename(a.Name)
		aw, err := w.CreateAttachment(ah)
		if err == nil {
			_, err = io.Copy(aw, rc)
			_ = aw.Close()
		}
		_ = rc.Close()
		if err != nil {
			return nil, fmt.Errorf("attachment %s: %w", a.Name, err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("compose: %w", err)
	}
	return buf.Bytes(), nil
}
