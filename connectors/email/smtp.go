// Package email is the e-mail connector. So far it holds the SMTP sender
// the gateway's own notices go out through (transcripts of missed and
// unanswered conversations, inbox/outbox.go); the per-line mailbox (IMAP
// in, SMTP out) is to come.
package email

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/url"
	"strings"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
)

// Sender sends plain-text mail through one SMTP server, given as a URL:
// smtp://user:password@host:587 (STARTTLS, required unless the host is a
// loopback address) or smtps://user:password@host:465 (TLS from the
// start). A user in the URL signs in with PLAIN, which net/smtp allows
// only over TLS or to a loopback host.
type Sender struct {
	u    *url.URL
	from mail.Address
	// Timeout bounds one message's whole exchange.
	Timeout time.Duration
}

// NewSender checks the server URL and the from address.
func NewSender(rawURL, from string) (*Sender, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" || u.Port() == "" {
		return nil, fmt.Errorf("email: server %q is not smtp://host:port or smtps://host:port", redact(rawURL))
	}
	a, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("email: from address %q: %w", from, err)
	}
	return &Sender{u: u, from: *a, Timeout: time.Minute}, nil
}

func redact(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		u.User = url.User(u.User.Username())
		return u.String()
	}
	return raw
}

// Send delivers one plain-text message to one address.
func (s *Sender) Send(ctx context.Context, to, subject, body string) error {
	rcpt, err := mail.ParseAddress(to)
	if err != nil {
		return fmt.Errorf("email: recipient %q: %w", to, err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	host := s.u.Hostname()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.u.Host)
	if err != nil {
		return fmt.Errorf("email: connect %s: %w", s.u.Host, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	tlsConf := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if s.u.Scheme == "smtps" {
		conn = tls.Client(conn, tlsConf)
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		_ = conn.Close()
		return fmt.Errorf("email: %s: %w", s.u.Host, err)
	}
	defer func() { _ = c.Close() }()
	if s.u.Scheme == "smtp" {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(tlsConf); err != nil {
				return fmt.Errorf("email: STARTTLS with %s: %w", s.u.Host, err)
			}
		} else if !inbox.LoopbackHost(host) {
			return fmt.Errorf("email: %s offers no STARTTLS; refusing to send in the clear", s.u.Host)
		}
	}
	if s.u.User != nil {
		pw, _ := s.u.User.Password()
		if err := c.Auth(smtp.PlainAuth("", s.u.User.Username(), pw, host)); err != nil {
			return fmt.Errorf("email: sign in to %s: %w", s.u.Host, err)
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return fmt.Errorf("email: MAIL FROM: %w", err)
	}
	if err := c.Rcpt(rcpt.Address); err != nil {
		return fmt.Errorf("email: RCPT TO %s: %w", rcpt.Address, err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("email: DATA: %w", err)
	}
	if _, err := w.Write(compose(s.from, *rcpt, subject, body, time.Now())); err != nil {
		return fmt.Errorf("email: write message: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("email: message refused: %w", err)
	}
	_ = c.Quit() // delivered once the server accepted the data
	return nil
}

// compose builds a plain-text UTF-8 message, quoted-printable.
func compose(from, to mail.Address, subject, body string, now time.Time) []byte {
	var id [12]byte
	_, _ = rand.Read(id[:])
	domain := "switchboard.invalid"
	if at := strings.LastIndexByte(from.Address, '@'); at >= 0 {
		domain = from.Address[at+1:]
	}
	var b strings.Builder
	hdr := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	hdr("From", from.String())
	hdr("To", to.String())
	hdr("Subject", mime.QEncoding.Encode("utf-8", subject))
	hdr("Date", now.Format(time.RFC1123Z))
	hdr("Message-ID", "<"+hex.EncodeToString(id[:])+"@"+domain+">")
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "text/plain; charset=utf-8")
	hdr("Content-Transfer-Encoding", "quoted-printable")
	hdr("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&crlf{&b})
	_, _ = qp.Write([]byte(strings.ReplaceAll(body, "\r\n", "\n")))
	_ = qp.Close()
	return []byte(b.String())
}

// crlf writes text with bare line feeds as CRLF.
type crlf struct{ b *strings.Builder }

func (c *crlf) Write(p []byte) (int, error) {
	c.b.WriteString(strings.ReplaceAll(strings.ReplaceAll(string(p), "\r\n", "\n"), "\n", "\r\n"))
	return len(p), nil
}
