package dovecottest

import "testing"

func TestStartAppendRestart(t *testing.T) {
	s := Start(t, map[string]string{"support@example.com": "secret"})
	s.Append("support@example.com", "secret", "INBOX", []byte("From: a@b.c\r\nSubject: hi\r\nMessage-ID: <1@b.c>\r\n\r\nhello\r\n"))
	if seen := s.Seen("support@example.com", "secret", "INBOX"); len(seen) != 1 {
		t.Fatalf("seen %v", seen)
	}
	s.Restart()
	s.Append("support@example.com", "secret", "Support", []byte("From: a@b.c\r\nSubject: hi\r\n\r\nhello\r\n"))
	s.Recreate("support@example.com", "secret", "Support")
}
