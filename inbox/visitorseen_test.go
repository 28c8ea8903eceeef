package inbox_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/inbox"
)

func TestParseUserAgent(t *testing.T) {
	cases := []struct {
		ua, browser, os string
		mobile          bool
	}{
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", "Chrome", "Windows", false},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", "Safari", "macOS", false},
		{"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox", "Linux", false},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "Safari", "iOS", true},
		{"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36", "Chrome", "Android", true},
	}
	for _, c := range cases {
		got := inbox.ParseUserAgent(c.ua)
		if !strings.HasPrefix(got.Browser, c.browser) || !strings.HasPrefix(got.OS, c.os) || got.Mobile != c.mobile || got.UserAgent != c.ua {
			t.Errorf("ParseUserAgent(%q) = %+v; want browser %s…, OS %s…, mobile %v", c.ua, got, c.browser, c.os, c.mobile)
		}
	}
	if got := inbox.ParseUserAgent("  \x00\u202e "); got != (inbox.ClientInfo{}) {
		t.Errorf("blank header: %+v", got)
	}
	long := inbox.ParseUserAgent("Mozilla/5.0 " + strings.Repeat("x", 2000) + "\n\u202eevil")
	if n := len([]rune(long.UserAgent)); n > inbox.MaxUserAgentChars || strings.ContainsAny(long.UserAgent, "\n\u202e") {
		t.Errorf("long header kept %d characters or controls: %q", n, long.UserAgent[:40])
	}
}

func TestVisitorSeenNumbersNamelessVisitorsAndRecordsTheBrowser(t *testing.T) {
	f := newFixture(t)
	const ua = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
	ct, err := f.svc.StartVisitor(f.ctx, f.line.ID, "", inbox.VisitorIdentity{})
	if err != nil {
		t.Fatal(err)
	}
	f.svc.VisitorSeen(f.ctx, ct.ID, ua)
	got, err := f.svc.Contact(f.ctx, inbox.System, ct.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "" || got.VisitorNumber < 1000 || got.VisitorNumber > 9999 || got.Client == nil || !strings.HasPrefix(got.Client.Browser, "Firefox") {
		t.Fatalf("nameless visitor after a session: %+v %+v", got, got.Client)
	}
	// Another session keeps the number; the conversation carries it.
	f.svc.VisitorSeen(f.ctx, ct.ID, ua)
	again, _ := f.svc.Contact(f.ctx, inbox.System, ct.ID)
	if again.VisitorNumber != got.VisitorNumber {
		t.Fatalf("number changed: %d → %d", got.VisitorNumber, again.VisitorNumber)
	}
	m, err := f.svc.VisitorSend(f.ctx, inbox.Visitor{ContactID: ct.ID, LineID: f.line.ID}, inbox.VisitorMessage{ClientID: "c1", Text: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	conv, err := f.svc.Conversation(f.ctx, inbox.System, m.ConversationID)
	if err != nil || conv.VisitorNumber != got.VisitorNumber || conv.ContactName != "" {
		t.Fatalf("conversation of a nameless visitor: %v %+v", err, conv)
	}
	// A named visitor gets no number.
	named, err := f.svc.StartVisitor(f.ctx, f.line.ID, "", inbox.VisitorIdentity{UserID: "u1", Name: "Nina"})
	if err != nil {
		t.Fatal(err)
	}
	f.svc.VisitorSeen(f.ctx, named.ID, "")
	if n, _ := f.svc.Contact(f.ctx, inbox.System, named.ID); n.VisitorNumber != 0 || n.Client != nil {
		t.Fatalf("named visitor: %+v", n)
	}
}

// TestClientFilterFindsVisitorNumbers: a nameless visitor, shown as
// "Visitor 1234" in any language, is found by the list's client filter
// with that text or the bare number; other numbers find nothing.
func TestClientFilterFindsVisitorNumbers(t *testing.T) {
	f := newFixture(t)
	ct, err := f.svc.StartVisitor(f.ctx, f.line.ID, "", inbox.VisitorIdentity{})
	if err != nil {
		t.Fatal(err)
	}
	f.svc.VisitorSeen(f.ctx, ct.ID, "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
	v := inbox.Visitor{ContactID: ct.ID, LineID: f.line.ID}
	if _, err := f.svc.VisitorSend(f.ctx, v, inbox.VisitorMessage{ClientID: "c-1", Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	conv, err := f.svc.VisitorCurrent(f.ctx, v)
	if err != nil || conv == nil || conv.VisitorNumber == 0 {
		t.Fatalf("the visitor's conversation: %+v, %v; want one with a visitor number", conv, err)
	}
	n := strconv.Itoa(conv.VisitorNumber)
	other := strconv.Itoa(1000 + (conv.VisitorNumber-999)%9000)
	for q, want := range map[string]int{"Visitor " + n: 1, "Besucher " + n: 1, n: 1, "Visitor " + other: 0} {
		got, total, err := f.svc.Conversations(f.ctx, inbox.System, inbox.ConversationFilter{Client: q})
		if err != nil || int(total) != want || len(got) != want {
			t.Errorf("client filter %q: %d (total %d), %v; want %d", q, len(got), total, err, want)
		}
	}
}
