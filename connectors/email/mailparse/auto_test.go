package mailparse

import "testing"

func TestAuto(t *testing.T) {
	cases := []struct{ header, want string }{
		{"From: ann@example.com\r\n", ""},
		{"From: ann@example.com\r\nAuto-Submitted: no\r\n", ""},
		{"From: ann@example.com\r\nAuto-Submitted: auto-replied; owner-email=\"x@example.com\"\r\n", "auto-submitted"},
		{"From: ann@example.com\r\nAuto-Submitted: auto-generated\r\n", "auto-submitted"},
		{"From: ann@example.com\r\nPrecedence: junk\r\n", "precedence"},
		{"From: ann@example.com\r\nPrecedence: list\r\n", "precedence"},
		{"From: ann@example.com\r\nPrecedence: first-class\r\n", ""},
		{"From: ann@example.com\r\nX-Autoreply: yes\r\n", "autoreply-header"},
		{"From: ann@example.com\r\nX-Autorespond: Vacation\r\n", "autoreply-header"},
		{"From: ann@example.com\r\nX-Auto-Response-Suppress: All\r\n", "autoreply-header"},
		{"From: ann@example.com\r\nList-Id: <dev.lists.example.com>\r\n", "list"},
		{"From: ann@example.com\r\nList-Unsubscribe: <mailto:u@example.com>\r\n", "list"},
		{"From: MAILER-DAEMON@example.com\r\n", "mailer-daemon"},
		{"From: Mail System <mailer_daemon@example.com>\r\n", "mailer-daemon"},
		{"From: postmaster@example.com\r\n", "postmaster"},
		{"From: noreply@example.com\r\n", "no-reply"},
		{"From: No Reply <no_reply@example.com>\r\n", "no-reply"},
		{"From: do-not-reply@example.com\r\n", "no-reply"},
		{"From: DoNotReply@example.com\r\n", "no-reply"},
		{"From: noreply-billing+42@example.com\r\n", "no-reply"},
		{"From: reply@example.com\r\n", ""},
		{"From: ann@example.com\r\nReturn-Path: <>\r\n", "bounce"},
		{"From: ann@example.com\r\nReturn-Path: <ann@example.com>\r\n", ""},
	}
	for _, c := range cases {
		raw := c.header + "Subject: x\r\nContent-Type: text/plain\r\n\r\nHello\r\n"
		m := mustParse(t, []byte(raw), Limits{})
		if m.Auto != c.want || m.IsAutomatic() != (c.want != "") {
			t.Errorf("%q: Auto %q, want %q", c.header, m.Auto, c.want)
		}
	}
}

func TestClassicBounceNeedsQuotedHeaders(t *testing.T) {
	raw := "From: MAILER-DAEMON@example.com\r\nSubject: Undelivered Mail\r\n\r\nSorry, it failed.\r\n"
	if m := mustParse(t, []byte(raw), Limits{}); m.Bounce != nil || m.Auto != "mailer-daemon" {
		t.Errorf("bounce %+v, auto %q", m.Bounce, m.Auto)
	}
	raw = "From: MAILER-DAEMON@example.com\r\nSubject: failure notice\r\n\r\n" +
		"Hi. This is the qmail-send program at mx.example.com.\r\n" +
		"I'm afraid I wasn't able to deliver your message to the following addresses.\r\n" +
		"This is a permanent error; I've given up. Sorry it didn't work out.\r\n\r\n" +
		"<gone@example.org>:\r\n550 sorry, no mailbox here by that name. (#5.1.1)\r\n\r\n" +
		"--- Below this line is a copy of the message.\r\n\r\n" +
		"Message-ID: <orig-1@switchboard.example>\r\nSubject: hello\r\n"
	m := mustParse(t, []byte(raw), Limits{})
	want := Bounce{OriginalMessageID: "orig-1@switchboard.example", Recipient: "gone@example.org", Status: "5.1.1",
		Reason: "550 sorry, no mailbox here by that name. (#5.1.1)", Permanent: true}
	if m.Bounce == nil || *m.Bounce != want || m.Auto != "bounce" {
		t.Errorf("bounce %+v, auto %q", m.Bounce, m.Auto)
	}
}

func TestReadReceiptIsAutomatic(t *testing.T) {
	raw := "From: ann@example.com\r\nSubject: Read: hello\r\n" +
		"Content-Type: multipart/report; report-type=disposition-notification; boundary=R\r\n\r\n" +
		"--R\r\nContent-Type: text/plain\r\n\r\nYour message was read.\r\n" +
		"--R\r\nContent-Type: message/disposition-notification\r\n\r\nDisposition: manual-action/MDN-sent-manually; displayed\r\n" +
		"--R--\r\n"
	m := mustParse(t, []byte(raw), Limits{})
	if m.Auto != "auto-submitted" || m.Bounce != nil || m.Text != "Your message was read." {
		t.Errorf("auto %q, bounce %+v, text %q", m.Auto, m.Bounce, m.Text)
	}
}
