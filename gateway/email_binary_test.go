package main

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/connectors/email/dovecottest"
	"github.com/switchboard-chat/switchboard/connectors/email/smtptest"
)

// The e-mail connector on the real binary, against a real Dovecot and a
// real SMTP server.

const (
	mbAddr = "support@shop.example"
	mbPass = "imap-secret"
)

func hostPort(t *testing.T, addr string) (string, int) {
	t.Helper()
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(p)
	return h, n
}

func rawMail(from, subject, body string, headers ...string) []byte {
	var b strings.Builder
	b.WriteString("From: " + from + "\r\nTo: " + mbAddr + "\r\nSubject: " + subject + "\r\nDate: " + time.Now().Format(time.RFC1123Z) + "\r\n")
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n")
	return []byte(b.String())
}

type mailMsg struct {
	ID       string `json:"id"`
	Text     string `json:"text"`
	Delivery *struct {
		State string `json:"state"`
	} `json:"delivery"`
}

// emailMessages waits until the e-mail conversations hold n messages and
// returns them by conversation.
func emailMessages(t *testing.T, admin *client, n int, within time.Duration) map[string][]mailMsg {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		var l listOf[convJSON]
		admin.expect("GET", "/api/v1/conversations?channel=email", nil, http.StatusOK, &l)
		out, total := map[string][]mailMsg{}, 0
		for _, c := range l.Items {
			var ms struct {
				Items []mailMsg `json:"items"`
			}
			admin.expect("GET", "/api/v1/conversations/"+c.ID+"/messages", nil, http.StatusOK, &ms)
			out[c.ID], total = ms.Items, total+len(ms.Items)
		}
		if total >= n {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d e-mail messages after %s, want %d", total, within, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestEmailOnTheRealBinary: mail in → conversation → the agent's reply
// captured with In-Reply-To and References → the customer's Outlook-style
// answer (References only) joins the conversation; an auto-reply shows
// nothing and is answered by nothing; killed while a stored mail could
// not be moved out of the folder, the gateway comes back without
// storing it twice.
func TestEmailOnTheRealBinary(t *testing.T) {
	dv := dovecottest.Start(t, map[string]string{mbAddr: mbPass})
	sm, err := smtptest.Start("mailer", "smtp-secret")
	if err != nil {
		t.Fatal(err)
	}
	defer sm.Close()
	bin := buildBinary(t)
	dir, addr := t.TempDir(), freePort(t)
	env := []string{"SWITCHBOARD_LEASE_TTL=3s"}
	srv := launchGateway(t, bin, dir, addr, env...)
	boot := srv.welcome(t)
	admin := newClient(t, "admin", srv.base)
	me := admin.login(boot.adminEmail, boot.adminPassword)
	admin.expect("PATCH", "/api/v1/me", map[string]any{"presence": "online"}, http.StatusOK, nil)
	ih, ip := hostPort(t, dv.Addr())
	sh, sp := hostPort(t, sm.Addr)
	mailbox := map[string]any{"enabled": true, "address": mbAddr, "fromName": "Shop support", "folder": "INBOX", "afterStore": "move", "moveTo": "Done",
		"imap": map[string]any{"host": ih, "port": ip, "security": "none", "username": mbAddr, "password": mbPass},
		"smtp": map[string]any{"host": sh, "port": sp, "security": "none", "username": "mailer", "password": "smtp-secret"}}
	// A wrong password is refused in the server's words, nothing saved.
	bad := map[string]any{}
	for k, v := range mailbox {
		bad[k] = v
	}
	bad["imap"] = map[string]any{"host": ih, "port": ip, "security": "none", "username": mbAddr, "password": "wrong"}
	st, body := admin.do("POST", "/api/v1/lines", map[string]any{"name": "Mail", "agentIds": []string{me.ID},
		"channels": map[string]any{"widget": map[string]any{"enabled": false}, "email": bad}}, csrfDefault)
	if code, field := errorCode(body); st != http.StatusBadRequest || code != "invalid" || field != "channels.email.imap" {
		t.Fatalf("a wrong IMAP password: %d %s", st, body)
	}
	var line struct {
		ID       string `json:"id"`
		Channels struct {
			Email struct {
				IMAP struct {
					Password    string `json:"password"`
					HasPassword bool   `json:"hasPassword"`
				} `json:"imap"`
			} `json:"email"`
		} `json:"channels"`
	}
	admin.expect("POST", "/api/v1/lines", map[string]any{"name": "Mail", "agentIds": []string{me.ID},
		"channels": map[string]any{"widget": map[string]any{"enabled": false}, "email": mailbox}}, http.StatusCreated, &line)
	if line.Channels.Email.IMAP.Password != "" || !line.Channels.Email.IMAP.HasPassword {
		t.Errorf("the IMAP password is shown: %+v", line.Channels.Email.IMAP)
	}

	// The folder mail is moved to does not exist yet: the first mail is
	// stored, cannot be moved, and is read again and again — then the
	// gateway is killed.
	dv.Append(mbAddr, mbPass, "INBOX", rawMail(`"Olga Ivanova" <olga@customer.example>`, "Order 4711 is late", "Where is my order?", "Message-ID: <first@customer.example>"))
	msgs := emailMessages(t, admin, 1, 15*time.Second)
	time.Sleep(3 * time.Second) // read again at least once
	sigkillGateway(t, srv)
	c := dv.Client(mbAddr, mbPass)
	if err := c.Create("Done", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	c.Close()
	srv = launchGateway(t, bin, dir, addr, env...)
	admin.base = srv.base
	deadline := time.Now().Add(30 * time.Second)
	for len(dv.Seen(mbAddr, mbPass, "Done")) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the stored mail was not moved to Done after the restart")
		}
		time.Sleep(100 * time.Millisecond)
	}
	msgs = emailMessages(t, admin, 1, time.Second)
	if len(msgs) != 1 {
		t.Fatalf("%d conversations, want 1", len(msgs))
	}
	var convID string
	for id, ms := range msgs {
		convID = id
		if len(ms) != 1 || ms[0].Text != "Where is my order?" {
			t.Fatalf("after the restart: %+v, want the mail once", ms)
		}
	}

	// The agent answers; the SMTP server gets a threaded reply.
	var posted struct {
		Message mailMsg `json:"message"`
	}
	admin.expect("POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"text": "It left our warehouse today."}, http.StatusCreated, &posted)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got, err := sm.Wait(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	h := got[0].Header()
	if h.Get("In-Reply-To") != "<first@customer.example>" || !strings.Contains(h.Get("References"), "<first@customer.example>") ||
		h.Get("Subject") != "Re: Order 4711 is late" || got[0].To[0] != "olga@customer.example" {
		t.Errorf("the reply's headers: %v to %v", h, got[0].To)
	}
	ourID := h.Get("Message-ID")

	// Outlook answers with References only; an out-of-office answers too.
	dv.Append(mbAddr, mbPass, "INBOX", rawMail("olga@customer.example", "AW: Re: Order 4711 is late", "Thank you!", "Message-ID: <second@customer.example>",
		"References: <first@customer.example> "+ourID))
	dv.Append(mbAddr, mbPass, "INBOX", rawMail("olga@customer.example", "Automatic reply: Re: Order 4711 is late", "I am on holiday.",
		"Message-ID: <ooo@customer.example>", "In-Reply-To: "+ourID, "Auto-Submitted: auto-replied"))
	msgs = emailMessages(t, admin, 3, 20*time.Second)
	time.Sleep(2 * time.Second)
	msgs = emailMessages(t, admin, 3, time.Second)
	if len(msgs) != 1 || len(msgs[convID]) != 3 || msgs[convID][2].Text != "Thank you!" {
		t.Errorf("the thread: %+v", msgs)
	}
	if n := len(sm.Mails()); n != 1 {
		t.Errorf("%d mails sent, want only the agent's reply (nothing answers the auto-reply)", n)
	}
	// A visitor of the line's widget asks for the transcript: it comes by
	// e-mail from the line's mailbox, marked automatic.
	admin.expect("PATCH", "/api/v1/lines/"+line.ID, map[string]any{"channels": map[string]any{
		"widget": map[string]any{"enabled": true, "allowedOrigins": []string{shopOrigin}}, "email": mailbox}}, http.StatusOK, nil)
	sess, err := newWidgetSession(ctx, srv.base, line.ID, shopOrigin)
	if err != nil {
		t.Fatal(err)
	}
	visitor, _, err := dialVisitor(ctx, srv.base, sess.Token, originOfBase(srv.base), shopOrigin)
	if err != nil {
		t.Fatal(err)
	}
	defer visitor.close()
	if err := visitor.hello(0, ""); err != nil {
		t.Fatal(err)
	}
	if err := visitor.sendMessage("v-1", "Do you ship to Latvia?"); err != nil {
		t.Fatal(err)
	}
	vack, err := visitor.nextOf(ctx, "ack")
	if err != nil {
		t.Fatal(err)
	}
	if err := visitor.send(map[string]any{"type": "transcript", "email": "visitor@customer.example"}); err != nil {
		t.Fatal(err)
	}
	got, err = sm.Wait(ctx, 2)
	if err != nil {
		t.Fatalf("no transcript reached the SMTP server: %v\n%s", err, srv.stderr)
	}
	tr := got[1]
	if th := tr.Header(); tr.To[0] != "visitor@customer.example" || tr.From != mbAddr || th.Get("Auto-Submitted") != "auto-generated" ||
		!strings.Contains(string(tr.Raw), "Do you ship to Latvia?") {
		t.Errorf("the transcript: from %s to %v: %s", tr.From, tr.To, tr.Raw)
	}

	// The visitor leaves; the agent's answer goes to them by e-mail, and
	// their e-mail reply lands in the same live chat.
	visitor.close()
	time.Sleep(time.Second)
	admin.expect("POST", "/api/v1/conversations/"+vack.ConversationID+"/messages", map[string]any{"text": "Yes, we ship to Riga and Daugavpils."}, http.StatusCreated, nil)
	got, err = sm.Wait(ctx, 3)
	if err != nil {
		t.Fatalf("the answer did not reach the absent visitor: %v\n%s", err, srv.stderr)
	}
	ans := got[2]
	ah := ans.Header()
	if ans.To[0] != "visitor@customer.example" || !strings.Contains(ah.Get("Reply-To"), "support+") || ah.Get("Subject") != "Our answer to your message on Mail" ||
		!strings.Contains(string(ans.Raw), "Riga and Daugavpils") {
		t.Errorf("the answer by e-mail: to %v: %s", ans.To, ans.Raw)
	}
	dv.Append(mbAddr, mbPass, "INBOX", rawMail("visitor@customer.example", "Re: Our answer to your message on Mail", "Great, Riga then.",
		"Message-ID: <visitor-2@customer.example>", "In-Reply-To: "+ah.Get("Message-ID")))
	deadline = time.Now().Add(20 * time.Second)
	for {
		var ms struct {
			Items []mailMsg `json:"items"`
		}
		admin.expect("GET", "/api/v1/conversations/"+vack.ConversationID+"/messages", nil, http.StatusOK, &ms)
		if n := len(ms.Items); n > 0 && ms.Items[n-1].Text == "Great, Riga then." {
			if d := ms.Items[n-2].Delivery; d == nil || d.State != "sent" {
				t.Errorf("the e-mailed answer's delivery %+v, want sent", d)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the visitor's e-mail reply did not reach their live chat: %+v", ms.Items)
		}
		time.Sleep(100 * time.Millisecond)
	}

	_, metrics := admin.do("GET", "/metrics", nil, "")
	for _, want := range []string{`switchboard_email_total{line="` + line.ID + `",what="loops"} 1`, `switchboard_email_total{line="` + line.ID + `",what="sent"} 2`} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
