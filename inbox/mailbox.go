package inbox

import (
	"context"
	"net"
	"strings"
)

// A line's mailbox (EmailChannel): its settings are checked here, its
// servers by the e-mail connector when they are saved (MailboxSetup).

// MailboxSetup signs in to a line's IMAP and SMTP servers when its
// mailbox is saved (connectors/email), and answers a field error in the
// server's own words when one refuses.
type MailboxSetup interface {
	CheckMailbox(ctx context.Context, lineID string, m EmailChannel) error
}

// Mailbox limits.
const (
	maxMailHostChars   = 253
	maxMailSecretChars = 1000
)

// checkMailbox validates and completes a mailbox's settings: defaults for
// the folder, what happens after a mail is stored, ports.
func (s *Service) checkMailbox(m *EmailChannel) error {
	if m.Folder == "" {
		m.Folder = "INBOX"
	}
	switch m.AfterStore {
	case "":
		m.AfterStore = "seen"
	case "seen", "move":
	default:
		return invalid("channels.email.afterStore", "must be seen or move")
	}
	if err := s.checkText("channels.email.fromName", m.FromName, s.limits.NameChars); err != nil {
		return err
	}
	if len(m.Folder) > 200 {
		return invalid("channels.email.folder", "at most 200 characters")
	}
	if len(m.MoveTo) > 200 {
		return invalid("channels.email.moveTo", "at most 200 characters")
	}
	if !m.Enabled && m.Address == "" {
		return nil
	}
	a, err := normalEmail("channels.email.address", m.Address)
	if err != nil {
		return err
	}
	m.Address = a
	if m.AfterStore == "move" && strings.TrimSpace(m.MoveTo) == "" {
		return invalid("channels.email.moveTo", "names the folder mail is moved to")
	}
	for _, srv := range []struct {
		name  string
		s     *MailServer
		ports [3]int // tls, starttls, none
	}{{"imap", &m.IMAP, [3]int{993, 143, 143}}, {"smtp", &m.SMTP, [3]int{465, 587, 25}}} {
		if err := s.checkMailServer("channels.email."+srv.name, srv.s, srv.ports, m.Enabled); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) checkMailServer(field string, srv *MailServer, ports [3]int, required bool) error {
	srv.Host = strings.TrimSpace(srv.Host)
	if srv.Host == "" {
		if required {
			return invalid(field+".host", "is required")
		}
		return nil
	}
	if len(srv.Host) > maxMailHostChars || strings.ContainsAny(srv.Host, " /@") || (strings.Contains(srv.Host, ":") && net.ParseIP(srv.Host) == nil) {
		return invalid(field+".host", "is not a host name or address")
	}
	switch srv.Security {
	case "":
		srv.Security = "tls"
		if strings.HasSuffix(field, "smtp") {
			srv.Security = "starttls"
		}
	case "tls", "starttls":
	case "none":
		if !s.allowPlainMail && !LoopbackHost(srv.Host) {
			return invalid(field+".security", "none is allowed only for a server on this machine; use tls or starttls")
		}
	default:
		return invalid(field+".security", "must be tls, starttls or none")
	}
	if srv.Port == 0 {
		srv.Port = map[string]int{"tls": ports[0], "starttls": ports[1], "none": ports[2]}[srv.Security]
	}
	if srv.Port < 1 || srv.Port > 65535 {
		return invalid(field+".port", "must be 1 to 65535")
	}
	if len(srv.Username) > maxMailSecretChars {
		return invalid(field+".username", "at most %d characters", maxMailSecretChars)
	}
	if len(srv.Password) > maxMailSecretChars {
		return invalid(field+".password", "at most %d characters", maxMailSecretChars)
	}
	return nil
}

// LoopbackHost reports whether host is this machine.
func LoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// setupMailbox signs in to a changed, enabled mailbox's servers.
func (s *Service) setupMailbox(ctx context.Context, l *Line, old EmailChannel) error {
	now := l.Channels.Email
	if s.mailboxes == nil || !now.Enabled || (old.Enabled && sameServers(old, now)) {
		return nil
	}
	return s.mailboxes.CheckMailbox(ctx, l.ID, now)
}

func sameServers(a, b EmailChannel) bool {
	return a.Address == b.Address && a.Folder == b.Folder && a.IMAP == b.IMAP && a.SMTP == b.SMTP &&
		a.AfterStore == b.AfterStore && a.MoveTo == b.MoveTo
}
