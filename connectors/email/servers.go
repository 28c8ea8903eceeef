package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/switchboard-chat/switchboard/inbox"
)

// Reaching a line's mail servers: IMAP and SMTP with implicit TLS,
// STARTTLS or (for a server on this machine, or where allowed) none.

// dialTimeout bounds connecting and signing in.
const dialTimeout = 20 * time.Second

func addrOf(s inbox.MailServer) string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

func tlsConfig(s inbox.MailServer, insecure bool) *tls.Config {
	return &tls.Config{ServerName: s.Host, MinVersion: tls.VersionTLS12, InsecureSkipVerify: insecure} //nolint:gosec // tests' self-signed servers only
}

// dialIMAP connects to and signs in to an IMAP server.
func dialIMAP(ctx context.Context, s inbox.MailServer, insecureTLS bool, o *imapclient.Options) (*imapclient.Client, error) {
	if o == nil {
		o = &imapclient.Options{}
	}
	o.TLSConfig = tlsConfig(s, insecureTLS)
	o.Dialer = &net.Dialer{Timeout: dialTimeout}
	var c *imapclient.Client
	var err error
	switch s.Security {
	case "tls":
		c, err = imapclient.DialTLS(addrOf(s), o)
	case "starttls":
		c, err = imapclient.DialStartTLS(addrOf(s), o)
	default:
		c, err = imapclient.DialInsecure(addrOf(s), o)
	}
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", addrOf(s), err)
	}
	stop := context.AfterFunc(ctx, func() { _ = c.Close() })
	defer stop()
	if err := c.Login(s.Username, s.Password).Wait(); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("sign in to %s: %w", addrOf(s), err)
	}
	return c, nil
}

// dialSMTP connects to and signs in to an SMTP server.
func dialSMTP(ctx context.Context, s inbox.MailServer, insecureTLS bool) (*smtp.Client, error) {
	d := net.Dialer{Timeout: dialTimeout}
	conn, err := d.DialContext(ctx, "tcp", addrOf(s))
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", addrOf(s), err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	} else {
		_ = conn.SetDeadline(time.Now().Add(2 * time.Minute))
	}
	var c *smtp.Client
	switch s.Security {
	case "tls":
		c = smtp.NewClient(tls.Client(conn, tlsConfig(s, insecureTLS)))
	case "starttls":
		c, err = smtp.NewClientStartTLS(conn, tlsConfig(s, insecureTLS))
	default:
		c = smtp.NewClient(conn)
	}
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("%s: %w", addrOf(s), err)
	}
	if err := c.Hello("localhost"); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("%s: %w", addrOf(s), err)
	}
	if s.Username != "" {
		if err := c.Auth(sasl.NewPlainClient("", s.Username, s.Password)); err != nil {
			_ = c.Close()
			return nil, fmt.Errorf("sign in to %s: %w", addrOf(s), err)
		}
	}
	return c, nil
}

// Checker signs in to a line's servers when its mailbox is saved
// (inbox.MailboxSetup).
type Checker struct {
	// InsecureTLS accepts any certificate: for tests' self-signed servers
	// only, never set by the gateway.
	InsecureTLS bool
}

var _ inbox.MailboxSetup = Checker{}

// CheckMailbox signs in to the IMAP server and opens the folder, and
// signs in to the SMTP server; a refusal is a field error in the
// server's own words.
func (ch Checker) CheckMailbox(ctx context.Context, _ string, m inbox.EmailChannel) error {
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	c, err := dialIMAP(ctx, m.IMAP, ch.InsecureTLS, nil)
	if err != nil {
		return &inbox.FieldError{Field: "channels.email.imap", Message: serverSays(err)}
	}
	_, err = c.Select(m.Folder, &imap.SelectOptions{ReadOnly: true}).Wait()
	_ = c.Logout().Wait()
	_ = c.Close()
	if err != nil {
		return &inbox.FieldError{Field: "channels.email.folder", Message: serverSays(err)}
	}
	sc, err := dialSMTP(ctx, m.SMTP, ch.InsecureTLS)
	if err != nil {
		return &inbox.FieldError{Field: "channels.email.smtp", Message: serverSays(err)}
	}
	_ = sc.Quit()
	return nil
}

// serverSays words a failed connection for the admin: the server's own
// words where it answered.
func serverSays(err error) string {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return fmt.Sprintf("the server says: %d %s", se.Code, se.Message)
	}
	var ie *imap.Error
	if errors.As(err, &ie) {
		return "the server says: " + ie.Text
	}
	return err.Error()
}
