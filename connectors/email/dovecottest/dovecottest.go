// Package dovecottest starts a real Dovecot IMAP server for tests
// (Debian's dovecot-imapd): its own configuration, users and mail in a
// temporary directory, listening on a free loopback port without TLS.
// Without Dovecot the test is skipped with a clear message, unless
// SWITCHBOARD_REQUIRE_DOVECOT=1 (CI), where it fails.
package dovecottest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// Server is a running Dovecot.
type Server struct {
	Host string
	Port int
	dir  string
	cmd  *exec.Cmd
	t    testing.TB
}

// Binary is Dovecot's path, "" when it is not installed.
func Binary() string {
	for _, p := range []string{"/usr/sbin/dovecot", "/usr/local/sbin/dovecot"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	p, _ := exec.LookPath("dovecot")
	return p
}

// Start runs Dovecot with users (name → password) until the test ends.
func Start(t testing.TB, users map[string]string) *Server {
	t.Helper()
	bin := Binary()
	if bin == "" {
		if os.Getenv("SWITCHBOARD_REQUIRE_DOVECOT") == "1" {
			t.Fatal("Dovecot is required (SWITCHBOARD_REQUIRE_DOVECOT=1) but not installed: apt-get install dovecot-imapd")
		}
		t.Skip("Dovecot is not installed (apt-get install dovecot-imapd); skipping the IMAP tests")
	}
	// Dovecot's own users must reach the directory: not t.TempDir (0700).
	dir, err := os.MkdirTemp("", "switchboard-dovecot-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	for _, d := range []string{dir, filepath.Join(dir, "mail"), filepath.Join(dir, "run")} {
		if err := os.MkdirAll(d, 0o777); err != nil {
			t.Fatal(err)
		}
		_ = os.Chmod(d, 0o777)
	}
	var pw strings.Builder
	for u, p := range users {
		fmt.Fprintf(&pw, "%s:{PLAIN}%s\n", u, p)
	}
	if err := os.WriteFile(filepath.Join(dir, "passwd"), []byte(pw.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &Server{Host: "127.0.0.1", Port: freePort(t), dir: dir, t: t}
	internal, login := "dovecot", "dovenull"
	if os.Geteuid() != 0 {
		me, err := user.Current()
		if err != nil {
			t.Fatal(err)
		}
		internal, login = me.Username, me.Username
	}
	conf := fmt.Sprintf(`base_dir = %[1]s/run
state_dir = %[1]s/run/state
log_path = %[1]s/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = %[3]s
default_internal_group = %[3]s
default_login_user = %[4]s
first_valid_uid = 0
mail_location = maildir:%[1]s/mail/%%u
mail_uid = %[3]s
mail_gid = %[3]s
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %[1]s/passwd
}
userdb {
  driver = static
  args = uid=%[3]s gid=%[3]s home=%[1]s/mail/%%u
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = %[2]d
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
`, dir, s.Port, internal, login)
	if err := os.WriteFile(filepath.Join(dir, "dovecot.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	s.start()
	t.Cleanup(s.Stop)
	return s
}

func freePort(t testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Addr is host:port.
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

func (s *Server) start() {
	s.t.Helper()
	s.cmd = exec.Command(Binary(), "-F", "-c", filepath.Join(s.dir, "dovecot.conf"))
	out, _ := os.Create(filepath.Join(s.dir, "stdout.log"))
	s.cmd.Stdout, s.cmd.Stderr = out, out
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start Dovecot: %v", err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		if c, err := net.DialTimeout("tcp", s.Addr(), time.Second); err == nil {
			_ = c.Close()
			return
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(s.dir, "dovecot.log"))
			so, _ := os.ReadFile(filepath.Join(s.dir, "stdout.log"))
			s.t.Fatalf("Dovecot did not listen on %s within 15 s:\n%s\n%s", s.Addr(), log, so)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop ends Dovecot and every connection to it.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
	s.cmd = nil
	// Its children (imap, imap-login) go with it; wait for the port.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", s.Addr(), 200*time.Millisecond)
		if err != nil {
			return
		}
		_ = c.Close()
		time.Sleep(50 * time.Millisecond)
	}
}

// Restart stops Dovecot, dropping every session, and starts it again.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.start()
}

// Client signs in as user.
func (s *Server) Client(user, password string) *imapclient.Client {
	s.t.Helper()
	c, err := imapclient.DialInsecure(s.Addr(), nil)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := c.Login(user, password).Wait(); err != nil {
		s.t.Fatal(err)
	}
	return c
}

// Append puts a raw mail into a folder of user's, creating the folder.
func (s *Server) Append(user, password, folder string, raw []byte) {
	s.t.Helper()
	c := s.Client(user, password)
	defer c.Close()
	if folder != "INBOX" {
		_ = c.Create(folder, nil).Wait()
	}
	cmd := c.Append(folder, int64(len(raw)), nil)
	if _, err := cmd.Write(raw); err != nil {
		s.t.Fatal(err)
	}
	if err := cmd.Close(); err != nil {
		s.t.Fatal(err)
	}
	if _, err := cmd.Wait(); err != nil {
		s.t.Fatalf("append: %v", err)
	}
}

// Seen lists whether each mail of the folder is flagged seen, by UID.
func (s *Server) Seen(user, password, folder string) map[imap.UID]bool {
	s.t.Helper()
	c := s.Client(user, password)
	defer c.Close()
	if _, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		s.t.Fatal(err)
	}
	msgs, err := c.Fetch(imap.SeqSet{imap.SeqRange{Start: 1, Stop: 0}}, &imap.FetchOptions{UID: true, Flags: true}).Collect()
	if err != nil {
		return map[imap.UID]bool{}
	}
	out := map[imap.UID]bool{}
	for _, m := range msgs {
		seen := false
		for _, f := range m.Flags {
			seen = seen || f == imap.FlagSeen
		}
		out[m.UID] = seen
	}
	return out
}

// Recreate deletes and creates a folder again: it gets a new UIDVALIDITY.
func (s *Server) Recreate(user, password, folder string) {
	s.t.Helper()
	c := s.Client(user, password)
	defer c.Close()
	if err := c.Delete(folder).Wait(); err != nil {
		s.t.Fatalf("delete %s: %v", folder, err)
	}
	if err := c.Create(folder, nil).Wait(); err != nil {
		s.t.Fatalf("create %s: %v", folder, err)
	}
}
