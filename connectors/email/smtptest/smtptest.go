// Package smtptest runs a real SMTP server (emersion/go-smtp) on loopback
// for tests: it keeps every message it accepts, raw, and can refuse the
// next ones with a temporary or permanent error.
package smtptest

import (
	"context"
	"errors"
	"io"
	"net"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Mail is one accepted message.
type Mail struct {
	From string
	To   []string
	Raw  []byte
}

// Header parses the message's header.
func (m Mail) Header() mail.Header {
	msg, err := mail.ReadMessage(strings.NewReader(string(m.Raw)))
	if err != nil {
		return mail.Header{}
	}
	return msg.Header
}

// Server is a running SMTP server.
type Server struct {
	Addr string
	srv  *smtp.Server
	mu   sync.Mutex
	got  []Mail
	// refusals are the errors the next DATA commands get, in order.
	refusals []*smtp.SMTPError
	user, pw string
	changed  chan struct{}
}

// Start listens on a free loopback port; with user set, clients must
// sign in (PLAIN) as user with password pw.
func Start(user, pw string) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{Addr: ln.Addr().String(), user: user, pw: pw, changed: make(chan struct{})}
	s.srv = smtp.NewServer(s)
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = true
	s.srv.ReadTimeout, s.srv.WriteTimeout = 30*time.Second, 30*time.Second
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Close stops the server.
func (s *Server) Close() { _ = s.srv.Close() }

// Refuse makes the next message get err (e.g. 451 try later, 550 no such user).
func (s *Server) Refuse(code int, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refusals = append(s.refusals, &smtp.SMTPError{Code: code, Message: msg})
}

// Mails is everything accepted, in order.
func (s *Server) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.got...)
}

// Wait waits until at least n messages were accepted.
func (s *Server) Wait(ctx context.Context, n int) ([]Mail, error) {
	for {
		s.mu.Lock()
		got, ch := append([]Mail(nil), s.got...), s.changed
		s.mu.Unlock()
		if len(got) >= n {
			return got, nil
		}
		select {
		case <-ctx.Done():
			return got, ctx.Err()
		case <-ch:
		}
	}
}

// NewSession is smtp.Backend.
func (s *Server) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }

type session struct {
	s      *Server
	authed bool
	from   string
	to     []string
}

func (x *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (x *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pw string) error {
		if user != x.s.user || pw != x.s.pw {
			return errors.New("invalid credentials")
		}
		x.authed = true
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if x.s.user != "" && !x.authed {
		return smtp.ErrAuthRequired
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	if len(x.s.refusals) > 0 {
		e := x.s.refusals[0]
		x.s.refusals = x.s.refusals[1:]
		return e
	}
	x.s.got = append(x.s.got, Mail{From: x.from, To: x.to, Raw: raw})
	close(x.s.changed)
	x.s.changed = make(chan struct{})
	return nil
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }
