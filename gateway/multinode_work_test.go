package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/switchboard-chat/switchboard/connectors/email/dovecottest"
	"github.com/switchboard-chat/switchboard/connectors/email/smtptest"
	"github.com/switchboard-chat/switchboard/connectors/telegram/tgfake"
)

// leaseHeld says whether node s holds the lease name, by its /metrics.
func leaseHeld(s *server, name string) bool {
	resp, err := http.Get(s.base + "/metrics")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return strings.Contains(string(body), fmt.Sprintf("switchboard_lease_held{lease=%q} 1", name))
}

// waitLease waits until s holds the lease name.
func waitLease(t *testing.T, s *server, name string, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for !leaseHeld(s, name) {
		if time.Since(start) > within {
			t.Fatalf("%s did not take the lease %q within %s", s.base, name, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return time.Since(start)
}

// missedWatch counts, per conversation, the times an agent's websocket
// saw it turn missed (missedAt from unset to set): the moments the inbox
// raises its missed alert.
type missedWatch struct {
	marks chan string // conversation id, at each turn
}

func watchMissed(events <-chan json.RawMessage) *missedWatch {
	w := &missedWatch{marks: make(chan string, 64)}
	go func() {
		missed := map[string]bool{}
		for raw := range events {
			var ev struct {
				Type         string `json:"type"`
				Conversation *struct {
					ID       string     `json:"id"`
					MissedAt *time.Time `json:"missedAt"`
				} `json:"conversation"`
			}
			if json.Unmarshal(raw, &ev) != nil || ev.Conversation == nil {
				continue
			}
			now := ev.Conversation.MissedAt != nil
			if now && !missed[ev.Conversation.ID] {
				w.marks <- ev.Conversation.ID
			}
			missed[ev.Conversation.ID] = now
		}
	}()
	return w
}

// next waits for the next conversation turning missed.
func (w *missedWatch) next(t *testing.T, within time.Duration) string {
	t.Helper()
	select {
	case id := <-w.marks:
		return id
	case <-time.After(within):
		t.Fatalf("no conversation turned missed within %s", within)
	}
	return ""
}

// TestWorkMovesWhenANodeDies: two gateways on one store. Node A, started
// first, holds the scheduler's lease (the missed watcher, business hours,
// the outbox) and the Telegram bot's polling lease; node B serves the
// agent and the visitors. A conversation goes missed on time (A marks it;
// B's agent sees it once). A is killed (SIGKILL) while a second
// conversation waits and while Telegram updates keep coming: B takes both
// leases within the lease time, marks the second conversation missed at
// its own deadline — once — and stores every Telegram update exactly
// once, including those A had fetched but not confirmed.
func TestWorkMovesWhenANodeDies(t *testing.T) {
	bin := buildBinary(t)
	uri := startStoreServer(t)
	fake, err := tgfake.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	fake.AddBot(tgToken, tgfake.User{ID: 700100, IsBot: true, FirstName: "Shop", Username: "shop_bot"})
	const ttl = 3 * time.Second // tgEnv's SWITCHBOARD_LEASE_TTL
	env := append([]string{"MONGODB_URI=" + uri}, tgEnv(fake)...)
	a := startServerWith(t, bin, t.TempDir(), false, env...)
	boot := a.welcome(t)
	adminA := newClient(t, "admin@A", a.base)
	me := adminA.login(boot.adminEmail, boot.adminPassword)
	var line, bot lineJSON
	adminA.expect("POST", "/api/v1/lines", map[string]any{
		"name": "Shop", "agentIds": []string{me.ID}, "settings": map[string]any{"missedAfterSeconds": 5},
		"channels": map[string]any{"widget": map[string]any{"enabled": true, "allowedOrigins": []string{shopOrigin}}},
	}, http.StatusCreated, &line)
	adminA.expect("POST", "/api/v1/lines", map[string]any{"name": "Bot", "agentIds": []string{me.ID},
		"channels": map[string]any{"widget": map[string]any{"enabled": false}, "telegram": map[string]any{"enabled": true, "botToken": tgToken, "mode": "polling"}}},
		http.StatusCreated, &bot)
	botLease := "telegram:" + bot.ID
	waitLease(t, a, "scheduler", 2*ttl)
	waitLease(t, a, botLease, 2*ttl)

	b := startServerWith(t, bin, t.TempDir(), false, env...)
	adminB := newClient(t, "admin@B", b.base)
	adminB.login(boot.adminEmail, boot.adminPassword)
	adminB.expect("PATCH", "/api/v1/me", map[string]any{"presence": "online"}, http.StatusOK, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, events := dialAgentEvents(ctx, t, b.base, adminB)
	missed := watchMissed(events)
	if leaseHeld(b, "scheduler") || leaseHeld(b, botLease) {
		t.Fatal("node B holds a lease node A holds")
	}

	// Telegram updates arrive through A's polling.
	update := 0
	push := func(n int) {
		for range n {
			update++
			fake.PushUpdate(tgToken, tgMsg(update, map[string]any{"text": fmt.Sprintf("tg-%02d", update)}))
		}
	}
	push(1)
	tgMessages(t, adminB, 1, 15*time.Second)

	visit := func(clientID string) (conv string, acked time.Time) {
		t.Helper()
		sess, err := newWidgetSession(ctx, b.base, line.ID, shopOrigin)
		if err != nil {
			t.Fatal(err)
		}
		v, _, err := dialVisitor(ctx, b.base, sess.Token, originOfBase(b.base), shopOrigin)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(v.close)
		if err := v.hello(0, ""); err != nil {
			t.Fatal(err)
		}
		if err := v.sendMessage(clientID, "Is anybody there?"); err != nil {
			t.Fatal(err)
		}
		ack, err := v.nextOf(ctx, "ack")
		if err != nil {
			t.Fatal(err)
		}
		return ack.ConversationID, time.Now()
	}
	// The first conversation goes missed while A runs the watcher.
	first, _ := visit("work-1")
	if got := missed.next(t, 10*time.Second); got != first {
		t.Fatalf("conversation %s turned missed, want %s", got, first)
	}

	// The second waits when A dies; Telegram keeps sending.
	second, sent := visit("work-2")
	push(4)
	time.Sleep(time.Until(sent.Add(time.Second)))
	if err := a.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-a.done
	killed := time.Now()
	push(5)
	took := waitLease(t, b, "scheduler", ttl+2*time.Second)
	t.Logf("node B took the scheduler's lease %s after node A was killed (lease %s)", took.Round(time.Millisecond), ttl)
	waitLease(t, b, botLease, ttl+2*time.Second)
	if since := time.Since(killed); since > ttl+2*time.Second {
		t.Errorf("node B took the bot's polling lease %s after the kill, lease %s", since.Round(time.Millisecond), ttl)
	}
	t.Logf("node B held the bot's polling lease by %s after the kill", time.Since(killed).Round(time.Millisecond))

	if got := missed.next(t, 10*time.Second); got != second {
		t.Fatalf("conversation %s turned missed, want %s", got, second)
	}
	var view struct {
		Conversation struct {
			MissedAt *time.Time `json:"missedAt"`
		} `json:"conversation"`
	}
	adminB.expect("GET", "/api/v1/conversations/"+second, nil, http.StatusOK, &view)
	if at := view.Conversation.MissedAt; at == nil {
		t.Error("the second conversation has no missedAt")
	} else if d := at.Sub(sent); d < 4*time.Second || d > 6*time.Second {
		t.Errorf("the second conversation's missedAt is %s after its message; want its own deadline, 5 s", d)
	}

	// Every update once, in order, although A may have fetched some of
	// them without confirming.
	msgs := tgMessages(t, adminB, update, 20*time.Second)
	for i, m := range msgs {
		if want := fmt.Sprintf("tg-%02d", i+1); m.Text != want {
			t.Errorf("Telegram message %d is %q, want %q (all: %v)", i, m.Text, want, texts(msgs))
			break
		}
	}
	// No alert fires twice: nothing more turns missed.
	select {
	case id := <-missed.marks:
		t.Errorf("conversation %s turned missed again", id)
	case <-time.After(2 * time.Second):
	}
	if extra := tgMessagesNow(t, adminB); len(extra) != update {
		t.Errorf("%d Telegram messages stored, want %d: %v", len(extra), update, texts(extra))
	}
	b.stop(t)
	noErrorLogs(t, b)
}

// tgMessagesNow lists the messages of the one Telegram conversation.
func tgMessagesNow(t *testing.T, admin *client) []tgMessage {
	t.Helper()
	var l listOf[convJSON]
	admin.expect("GET", "/api/v1/conversations?channel=telegram", nil, http.StatusOK, &l)
	if len(l.Items) > 1 {
		t.Fatalf("%d Telegram conversations, want one", len(l.Items))
	}
	if len(l.Items) == 0 {
		return nil
	}
	var m struct {
		Items []tgMessage `json:"items"`
	}
	admin.expect("GET", "/api/v1/conversations/"+l.Items[0].ID+"/messages", nil, http.StatusOK, &m)
	return m.Items
}

// tgMessages waits until the Telegram conversation has n messages.
func tgMessages(t *testing.T, admin *client, n int, within time.Duration) []tgMessage {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		msgs := tgMessagesNow(t, admin)
		if len(msgs) >= n {
			return msgs
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d Telegram messages after %s, want %d: %v", len(msgs), within, n, texts(msgs))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func texts(msgs []tgMessage) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Text
	}
	return out
}

// TestPresenceAcrossNodes: an agent whose only agent websocket is on node
// B stays online although node A sees no socket of theirs for many times
// the grace period (each node shares its sockets through the store); when
// B dies with the socket, A sets the agent offline once B's share has
// gone stale and the grace has passed.
func TestPresenceAcrossNodes(t *testing.T) {
	bin := buildBinary(t)
	uri := startStoreServer(t)
	const grace = 3 * time.Second
	env := []string{"MONGODB_URI=" + uri, "SWITCHBOARD_PRESENCE_GRACE=3s"}
	a := startServerWith(t, bin, t.TempDir(), false, env...)
	boot := a.welcome(t)
	b := startServerWith(t, bin, t.TempDir(), false, env...)
	adminA, adminB := newClient(t, "admin@A", a.base), newClient(t, "admin@B", b.base)
	adminA.login(boot.adminEmail, boot.adminPassword)
	adminB.login(boot.adminEmail, boot.adminPassword)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dialAgentEvents(ctx, t, b.base, adminB)
	adminB.expect("PATCH", "/api/v1/me", map[string]any{"presence": "online"}, http.StatusOK, nil)
	presence := func() string {
		var me struct {
			Agent struct {
				Presence string `json:"presence"`
			} `json:"agent"`
		}
		adminA.expect("GET", "/api/v1/me", nil, http.StatusOK, &me)
		return me.Agent.Presence
	}
	for start := time.Now(); time.Since(start) < 4*grace; time.Sleep(250 * time.Millisecond) {
		if p := presence(); p != "online" {
			t.Fatalf("the agent connected to node B is %s on node A after %s; want online", p, time.Since(start).Round(time.Millisecond))
		}
	}
	if err := b.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-b.done
	killed := time.Now()
	// B's share is stale after 3 sweeps + 2 s (5 s with this grace), then
	// the grace runs; A sweeps every second.
	for presence() != "offline" {
		if time.Since(killed) > 5*time.Second+grace+6*time.Second {
			t.Fatalf("the agent whose node died is still %s %s later", presence(), time.Since(killed).Round(time.Millisecond))
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("set offline %s after the node with their socket died (grace %s)", time.Since(killed).Round(time.Millisecond), grace)
	a.stop(t)
	noErrorLogs(t, a)
}

// TestTwoNodesStartTogether: two gateways started at the same moment on
// a fresh store (as a deployment's replicas are) both come up, and the
// store ends with one admin and one demo line.
func TestTwoNodesStartTogether(t *testing.T) {
	bin := buildBinary(t)
	uri := startStoreServer(t)
	env := []string{"MONGODB_URI=" + uri, "SWITCHBOARD_ADMIN_PASSWORD=together-password-1"}
	nodes := make([]*server, 2)
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nodes[i] = startServerWith(t, bin, t.TempDir(), false, env...)
		}()
	}
	wg.Wait()
	if nodes[0] == nil || nodes[1] == nil {
		t.Fatal("a node did not start")
	}
	for _, s := range nodes {
		admin := newClient(t, "admin", s.base)
		admin.login("admin@example.com", "together-password-1")
		var agents listOf[agentJSON]
		admin.expect("GET", "/api/v1/agents", nil, http.StatusOK, &agents)
		var lines listOf[lineJSON]
		admin.expect("GET", "/api/v1/lines", nil, http.StatusOK, &lines)
		if len(agents.Items) != 1 || len(lines.Items) != 1 {
			t.Errorf("%s: %d agents and %d lines, want the one admin and the one demo line", s.base, len(agents.Items), len(lines.Items))
		}
	}
	for _, s := range nodes {
		s.stop(t)
	}
	noErrorLogs(t, nodes...)
}

// TestMailboxMovesWhenANodeDies: two gateways on one store; node A, started
// first, reads the line's mailbox (IMAP IDLE under the line's lease). A is
// killed; mail that arrives meanwhile is read by node B once it holds the
// lease — within the lease time — and every mail is stored exactly once.
func TestMailboxMovesWhenANodeDies(t *testing.T) {
	dv := dovecottest.Start(t, map[string]string{mbAddr: mbPass})
	sm, err := smtptest.Start("mailer", "smtp-secret")
	if err != nil {
		t.Fatal(err)
	}
	defer sm.Close()
	c := dv.Client(mbAddr, mbPass)
	if err := c.Create("Done", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	c.Close()
	bin := buildBinary(t)
	uri := startStoreServer(t)
	const ttl = 3 * time.Second
	env := []string{"MONGODB_URI=" + uri, "SWITCHBOARD_LEASE_TTL=3s"}
	a := startServerWith(t, bin, t.TempDir(), false, env...)
	boot := a.welcome(t)
	adminA := newClient(t, "admin@A", a.base)
	me := adminA.login(boot.adminEmail, boot.adminPassword)
	ih, ip := hostPort(t, dv.Addr())
	sh, sp := hostPort(t, sm.Addr)
	var line lineJSON
	adminA.expect("POST", "/api/v1/lines", map[string]any{"name": "Mail", "agentIds": []string{me.ID},
		"channels": map[string]any{"widget": map[string]any{"enabled": false}, "email": map[string]any{
			"enabled": true, "address": mbAddr, "fromName": "Shop support", "folder": "INBOX", "afterStore": "move", "moveTo": "Done",
			"imap": map[string]any{"host": ih, "port": ip, "security": "none", "username": mbAddr, "password": mbPass},
			"smtp": map[string]any{"host": sh, "port": sp, "security": "none", "username": "mailer", "password": "smtp-secret"}}}},
		http.StatusCreated, &line)
	mailLease := "email:" + line.ID
	waitLease(t, a, mailLease, 2*ttl)
	b := startServerWith(t, bin, t.TempDir(), false, env...)
	adminB := newClient(t, "admin@B", b.base)
	adminB.login(boot.adminEmail, boot.adminPassword)

	mail := func(n int) {
		dv.Append(mbAddr, mbPass, "INBOX", rawMail(fmt.Sprintf(`"Customer %d" <c%d@customer.example>`, n, n), fmt.Sprintf("Question %d", n),
			fmt.Sprintf("Mail number %d", n), fmt.Sprintf("Message-ID: <m%d@customer.example>", n)))
	}
	mail(1)
	emailMessages(t, adminB, 1, 15*time.Second)
	sigkillGateway(t, a)
	killed := time.Now()
	mail(2)
	mail(3)
	waitLease(t, b, mailLease, ttl+2*time.Second)
	t.Logf("node B held the mailbox's lease %s after node A was killed (lease %s)", time.Since(killed).Round(time.Millisecond), ttl)
	emailMessages(t, adminB, 3, 20*time.Second)
	time.Sleep(2 * time.Second) // anything read twice would be stored by now
	got := emailMessages(t, adminB, 3, time.Second)
	var texts []string
	for _, msgs := range got {
		for _, m := range msgs {
			texts = append(texts, m.Text)
		}
	}
	slices.Sort(texts)
	if want := []string{"Mail number 1", "Mail number 2", "Mail number 3"}; !slices.Equal(texts, want) {
		t.Errorf("stored mails %q, want each once: %q", texts, want)
	}
	b.stop(t)
	noErrorLogs(t, b)
}

// TestSignOutEndsSocketsOnEveryNode: an agent signed in twice, both
// sessions' agent websockets on node B. Signing one session out on node A
// closes that session's socket on B at once (1008, as a session check
// does), leaves the other open, and keeps the agent online: the other
// session is still connected, on another node.
func TestSignOutEndsSocketsOnEveryNode(t *testing.T) {
	bin := buildBinary(t)
	uri := startStoreServer(t)
	env := []string{"MONGODB_URI=" + uri}
	a := startServerWith(t, bin, t.TempDir(), false, env...)
	boot := a.welcome(t)
	b := startServerWith(t, bin, t.TempDir(), false, env...)
	first, second := newClient(t, "first@A", a.base), newClient(t, "second@B", b.base)
	first.login(boot.adminEmail, boot.adminPassword)
	second.login(boot.adminEmail, boot.adminPassword)
	second.expect("PATCH", "/api/v1/me", map[string]any{"presence": "online"}, http.StatusOK, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// The first session's socket goes to node B, as a load balancer may send it.
	onB := newClient(t, "first@B", b.base)
	onB.http.Jar.SetCookies(mustURL(t, b.base), first.http.Jar.Cookies(mustURL(t, a.base)))
	firstWS, secondWS := dialAgentSocket(ctx, t, b.base, onB), dialAgentSocket(ctx, t, b.base, second)
	time.Sleep(1500 * time.Millisecond) // node B has written its sockets (it does when a session first connects)

	first.expect("POST", "/api/v1/auth/logout", nil, http.StatusNoContent, nil)
	signedOut := time.Now()
	if !closes(firstWS.events, 5*time.Second, 5*time.Second) {
		t.Fatal("the signed-out session's websocket on node B is still open 5 s after signing out on node A")
	}
	if code := closeCode(firstWS.err); code != websocket.ClosePolicyViolation {
		t.Errorf("it closed with %v (code %d), want 1008", firstWS.err, code)
	}
	t.Logf("closed on node B %s after signing out on node A", time.Since(signedOut).Round(time.Millisecond))
	if closes(secondWS.events, time.Second, time.Second) {
		t.Errorf("the other session's websocket closed too: %v", secondWS.err)
	}
	var me struct {
		Agent struct {
			Presence string `json:"presence"`
		} `json:"agent"`
	}
	second.expect("GET", "/api/v1/me", nil, http.StatusOK, &me)
	if me.Agent.Presence != "online" {
		t.Errorf("the agent is %s after signing out one of two connected sessions, want online", me.Agent.Presence)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
