package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// shopOrigin is the host page that embeds the test lines' widget.
const shopOrigin = "https://shop.example.com"

// createWidgetLine creates a line whose widget the shop may embed.
func createWidgetLine(admin *client, name string) lineJSON {
	admin.t.Helper()
	var line lineJSON
	admin.expect("POST", "/api/v1/lines", map[string]any{
		"name":     name,
		"channels": map[string]any{"widget": map[string]any{"enabled": true, "allowedOrigins": []string{shopOrigin}}},
	}, http.StatusCreated, &line)
	if line.ID == "" {
		admin.t.Fatalf("created line has no id")
	}
	return line
}

// crashConvJSON is a conversation as the list shows it, with its contact.
type crashConvJSON struct {
	ID        string `json:"id"`
	Number    int64  `json:"number"`
	ContactID string `json:"contactId"`
	LineID    string `json:"lineId"`
	Seq       int64  `json:"seq"`
	Status    string `json:"status"`
	Dates     struct {
		Created time.Time `json:"created"`
	} `json:"dates"`
}

// storedMsg is a message as the agent API stores and shows it.
type storedMsg struct {
	ID             string    `json:"id"`
	ConversationID string    `json:"conversationId"`
	Seq            int64     `json:"seq"`
	AuthorKind     string    `json:"authorKind"`
	AuthorID       string    `json:"authorId"`
	Text           string    `json:"text"`
	ClientID       string    `json:"clientId"`
	CreatedAt      time.Time `json:"createdAt"`
}

// allMessages reads every message of a conversation, page by page.
func allMessages(admin *client, convID string, page int) []storedMsg {
	admin.t.Helper()
	var out []storedMsg
	after := int64(0)
	for {
		var l listOf[storedMsg]
		admin.expect("GET", fmt.Sprintf("/api/v1/conversations/%s/messages?limit=%d&after=%d", convID, page, after), nil, http.StatusOK, &l)
		out = append(out, l.Items...)
		if len(l.Items) < page {
			return out
		}
		after = l.Items[len(l.Items)-1].Seq
	}
}

// crashAck is what a client learned from an ack.
type crashAck struct {
	id, conversationID string
	seq                int64
	createdAt          time.Time
}

// crashVisitor is one simulated visitor: 20 messages, each with its own
// client id, sent with a bounded window of unacknowledged sends; the
// outbox keeps every send until its ack, and a reconnect sends the outbox
// again with the same client ids.
type crashVisitor struct {
	idx       int
	token     string
	visitorID string
	clientIDs []string
	next      int      // clientIDs[:next] were sent at least once
	outbox    []string // sent, not yet acknowledged, in sending order
	acks      map[string]crashAck
	sends     map[string]int // times each client id was sent
	lastSeq   int64          // the highest message seq seen
	convID    string
	// otherConvs are further conversations messages were acknowledged in.
	otherConvs               []string
	errFrames                []string
	problems                 []string
	reconnects, dialFailures int
	// resent counts sends of client ids that were sent before: the
	// outbox after a reconnect, or a send refused with an error frame.
	resent, resentAfterError int
}

type crashShared struct {
	// base is the gateway the clients dial; failover moves them.
	base     string
	acked    atomic.Int64 // acks received by all clients (first ack per client id)
	window   int
	mu       sync.Mutex
	killedAt time.Time // zero until the process is killed
}

// target is the gateway to dial now.
func (s *crashShared) target() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.base
}

// failover sends the clients' next dials to base.
func (s *crashShared) failover(base string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.base = base
}

func (s *crashShared) killTime() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.killedAt
}

func (v *crashVisitor) problem(format string, args ...any) {
	v.problems = append(v.problems, fmt.Sprintf("visitor %d: ", v.idx)+fmt.Sprintf(format, args...))
}

// run sends all messages, reconnecting with backoff, until each is acked
// or ctx ends.
func (v *crashVisitor) run(ctx context.Context, sh *crashShared) error {
	const minBackoff, maxBackoff = 50 * time.Millisecond, time.Second
	backoff := minBackoff
	wait := func() error {
		d := backoff/2 + time.Duration(rand.Int64N(int64(backoff)))
		backoff = min(2*backoff, maxBackoff)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
			return nil
		}
	}
	for len(v.acks) < len(v.clientIDs) {
		if err := ctx.Err(); err != nil {
			return err
		}
		base := sh.target()
		ws, _, err := dialVisitor(ctx, base, v.token, originOfBase(base), shopOrigin)
		if err != nil {
			v.dialFailures++
			if err := wait(); err != nil {
				return err
			}
			continue
		}
		// A connection that fails is simply opened again.
		_ = v.session(ctx, ws, sh)
		ws.drop()
		if len(v.acks) == len(v.clientIDs) {
			break
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		v.reconnects++
		if err := wait(); err != nil {
			return err
		}
	}
	return nil
}

// session runs one connection: hello, the outbox again, then new sends
// within the window; it returns when the connection fails or all is acked.
func (v *crashVisitor) session(ctx context.Context, ws *visitorWS, sh *crashShared) error {
	if err := ws.hello(v.lastSeq, v.convID); err != nil {
		return err
	}
	sendOne := func(id string) error {
		if v.sends[id] > 0 {
			v.resent++
		}
		v.sends[id]++
		return ws.sendMessage(id, fmt.Sprintf("visitor %d message %s", v.idx, id))
	}
	// Everything unacknowledged goes again, with its client id.
	for _, id := range v.outbox {
		if err := sendOne(id); err != nil {
			return err
		}
	}
	for len(v.acks) < len(v.clientIDs) {
		for len(v.outbox) < sh.window && v.next < len(v.clientIDs) {
			id := v.clientIDs[v.next]
			v.next++
			v.outbox = append(v.outbox, id)
			if err := sendOne(id); err != nil {
				return err
			}
		}
		f, err := ws.next(ctx)
		if err != nil {
			return err
		}
		switch f.Type {
		case "ack":
			v.onAck(f, sh)
		case "message":
			m, err := f.message()
			if err != nil {
				v.problem("undecodable message frame: %v", err)
				continue
			}
			if m.Comment {
				v.problem("a comment reached the visitor: %+v", m)
			}
			if m.ConversationID == v.convID || v.convID == "" {
				v.lastSeq = max(v.lastSeq, m.Seq)
			}
		case "error":
			v.errFrames = append(v.errFrames, f.Code)
			if f.ClientID == "" {
				continue
			}
			// Keep it in the outbox; send it again after a pause.
			time.Sleep(100 * time.Millisecond)
			if slices.Contains(v.outbox, f.ClientID) {
				v.resentAfterError++
				if err := sendOne(f.ClientID); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (v *crashVisitor) onAck(f visitorFrame, sh *crashShared) {
	if v.sends[f.ClientID] == 0 {
		v.problem("ack for client id %q that was never sent", f.ClientID)
		return
	}
	a := crashAck{id: f.ID, conversationID: f.ConversationID, seq: f.Seq, createdAt: f.CreatedAt}
	if a.id == "" || a.conversationID == "" || a.seq <= 0 {
		v.problem("incomplete ack %+v", f)
	}
	if old, ok := v.acks[f.ClientID]; ok {
		// A retry of an acknowledged client id gets the same ack again.
		if old.id != a.id || old.seq != a.seq || old.conversationID != a.conversationID {
			v.problem("client id %s acknowledged twice differently: %+v then %+v", f.ClientID, old, a)
		}
		return
	}
	v.acks[f.ClientID] = a
	sh.acked.Add(1)
	v.outbox = slices.DeleteFunc(v.outbox, func(id string) bool { return id == f.ClientID })
	if v.convID == "" {
		v.convID = a.conversationID
	} else if v.convID != a.conversationID && !slices.Contains(v.otherConvs, a.conversationID) {
		// Judged with the store's state at the end.
		v.otherConvs = append(v.otherConvs, a.conversationID)
	}
}

// TestCrashLosesNoAcknowledgedMessage kills the gateway with SIGKILL while
// 50 visitors send 1,000 messages, restarts it on the same data dir and
// port, lets every visitor reconnect and send its outbox again, and then
// checks in the store (through the agent API) that every acknowledged
// message is stored exactly once and nothing was stored twice.
func TestCrashLosesNoAcknowledgedMessage(t *testing.T) {
	const (
		visitors    = 50
		perVisitor  = 20
		window      = 4
		killAfter   = 300
		testTimeout = 120 * time.Second
	)
	begin := time.Now()
	bin := buildBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	dataDir := t.TempDir()
	addr := freePort(t)
	settings := []string{
		"SWITCHBOARD_WIDGET_SESSION_RATE=100000",
		"SWITCHBOARD_WIDGET_MESSAGE_RATE=100000",
	}
	srv := launchGateway(t, bin, dataDir, addr, settings...)
	boot := srv.welcome(t)
	if boot.adminPassword == "" {
		t.Fatalf("first start printed no admin password:\n%s", srv.stdout)
	}
	admin := newClient(t, "admin", srv.base)
	admin.login(boot.adminEmail, boot.adminPassword)
	line := createWidgetLine(admin, "Crash line")

	// Sessions first, so the clients start together.
	sh := &crashShared{base: srv.base, window: window}
	vs := make([]*crashVisitor, visitors)
	for i := range vs {
		sess, err := newWidgetSession(ctx, srv.base, line.ID, shopOrigin)
		if err != nil {
			t.Fatalf("visitor %d: %v", i, err)
		}
		v := &crashVisitor{idx: i, token: sess.Token, visitorID: sess.VisitorID,
			acks: map[string]crashAck{}, sends: map[string]int{}}
		for j := range perVisitor {
			v.clientIDs = append(v.clientIDs, fmt.Sprintf("crash-v%02d-m%02d", i, j))
		}
		vs[i] = v
	}
	t.Logf("gateway up and %d visitor sessions in %s", visitors, time.Since(begin).Round(time.Millisecond))

	// The clients.
	sendStart := time.Now()
	var wg sync.WaitGroup
	runErrs := make([]error, visitors)
	for i, v := range vs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runErrs[i] = v.run(ctx, sh)
		}()
	}
	allDone := make(chan struct{})
	go func() { wg.Wait(); close(allDone) }()

	// The crash, after killAfter acks.
	var ackedAtKill, ackedAfterDeath int64
	for sh.acked.Load() < killAfter {
		select {
		case <-allDone:
			t.Fatalf("all clients finished before %d acks (%d acked): the kill never happened", killAfter, sh.acked.Load())
		case <-ctx.Done():
			t.Fatalf("only %d acks within the time limit before the kill\nstderr:\n%s", sh.acked.Load(), srv.stderr)
		case <-time.After(2 * time.Millisecond):
		}
	}
	ackedAtKill = sh.acked.Load()
	sh.mu.Lock()
	sh.killedAt = time.Now()
	sh.mu.Unlock()
	sigkillGateway(t, srv)
	ackedAfterDeath = sh.acked.Load()
	t.Logf("SIGKILL after %s of sending: %d acks when the signal went, %d once the process was gone",
		time.Since(sendStart).Round(time.Millisecond), ackedAtKill, ackedAfterDeath)

	// Let the clients hammer a closed port for a moment, then restart.
	time.Sleep(300 * time.Millisecond)
	restartAt := time.Now()
	srv2 := launchGateway(t, bin, dataDir, addr, settings...)
	t.Logf("restarted on %s in %s", addr, time.Since(restartAt).Round(time.Millisecond))

	select {
	case <-allDone:
	case <-ctx.Done():
		<-allDone
	}
	sendTime := time.Since(sendStart)
	for i, err := range runErrs {
		if err != nil {
			v := vs[i]
			t.Errorf("visitor %d did not finish: %v (%d of %d acked, outbox %v, errors %v)", i, err, len(v.acks), perVisitor, v.outbox, v.errFrames)
		}
	}

	// Counts.
	var resent, resentAfterError, reconnects, dialFailures, errFrames int
	var retriedIDs []string
	for _, v := range vs {
		resent += v.resent
		resentAfterError += v.resentAfterError
		reconnects += v.reconnects
		dialFailures += v.dialFailures
		errFrames += len(v.errFrames)
		for _, p := range v.problems {
			t.Error(p)
		}
		for id, n := range v.sends {
			if n > 1 {
				retriedIDs = append(retriedIDs, id)
			}
		}
	}
	killedAt := sh.killTime()
	storedBeforeKill := 0 // retried client ids whose message turned out stored before the crash
	for _, v := range vs {
		for id, n := range v.sends {
			if a, ok := v.acks[id]; ok && n > 1 && a.createdAt.Before(killedAt) {
				storedBeforeKill++
			}
		}
	}
	t.Logf("sending took %s: %d acks in all; %d acked before the kill; %d sends retried from the outbox after reconnecting "+
		"and %d after an error frame (%d client ids sent more than once), %d of them already stored before the crash "+
		"(the ack died with the process); %d reconnects, %d failed dials, %d error frames",
		sendTime.Round(time.Millisecond), sh.acked.Load(), ackedAfterDeath, resent-resentAfterError, resentAfterError,
		len(retriedIDs), storedBeforeKill, reconnects, dialFailures, errFrames)
	// Every error is a failure — an overloaded store too (SQLITE_BUSY, a
	// missed 15 s frame deadline): a test that finds the system
	// overloaded has found a fault of the system.
	var otherErrs []string
	for _, s := range []*server{srv, srv2} {
		otherErrs = append(otherErrs, errorLogLines(s.stderr.String())...)
	}
	if len(otherErrs) > 0 {
		t.Errorf("the gateway logged errors:\n%s", strings.Join(otherErrs, "\n"))
	}
	for _, v := range vs {
		if len(v.errFrames) > 0 {
			t.Errorf("visitor %d got error frames %v", v.idx, v.errFrames)
		}
		if len(v.otherConvs) > 0 {
			t.Logf("visitor %d: messages acknowledged in conversation %s and in %v", v.idx, v.convID, v.otherConvs)
		}
	}
	finishedBeforeKill := 0
	for _, v := range vs {
		if v.reconnects == 0 && v.dialFailures == 0 {
			finishedBeforeKill++
		}
	}
	t.Logf("%d visitors had all their messages acknowledged before the kill", finishedBeforeKill)

	// ---- What the store holds, read by the admin. ----
	admin2 := newClient(t, "admin (after restart)", srv2.base)
	admin2.login(boot.adminEmail, boot.adminPassword)
	var convs listOf[crashConvJSON]
	admin2.expect("GET", "/api/v1/conversations?limit=200&line="+line.ID, nil, http.StatusOK, &convs)
	if convs.Total > int64(len(convs.Items)) {
		t.Fatalf("the line has %d conversations, more than one page of %d", convs.Total, len(convs.Items))
	}
	// gatewayLines are the gateway's log lines that mention any of ids.
	gatewayLines := func(ids ...string) string {
		var out string
		for _, srvLog := range []string{srv.stderr.String(), srv2.stderr.String()} {
			for _, l := range strings.Split(srvLog, "\n") {
				if slices.ContainsFunc(ids, func(id string) bool { return strings.Contains(l, id) }) {
					out += "\n\tgateway: " + l
				}
			}
		}
		return out
	}
	byClientID := map[string][]storedMsg{}
	convOf := map[string]string{} // contact → the conversation holding their messages
	byContact := map[string][]crashConvJSON{}
	convMsgs := map[string][]storedMsg{}
	stored := 0
	for _, c := range convs.Items {
		if c.LineID != line.ID {
			t.Errorf("conversation %s of line %s in the list filtered by line %s", c.ID, c.LineID, line.ID)
		}
		msgs := allMessages(admin2, c.ID, 7)
		byContact[c.ContactID] = append(byContact[c.ContactID], c)
		convMsgs[c.ID] = msgs
		if len(msgs) > 0 || convOf[c.ContactID] == "" {
			convOf[c.ContactID] = c.ID
		}
		var last int64
		for _, m := range msgs {
			if m.Seq <= last {
				t.Errorf("conversation %s: seq %d after seq %d: seqs do not strictly increase", c.ID, m.Seq, last)
			}
			last = m.Seq
			if m.ConversationID != c.ID {
				t.Errorf("conversation %s lists message %s of conversation %s", c.ID, m.ID, m.ConversationID)
			}
			if m.AuthorKind != "contact" || m.AuthorID != c.ContactID {
				t.Errorf("conversation %s: message %s by %s %s, want the contact %s", c.ID, m.ID, m.AuthorKind, m.AuthorID, c.ContactID)
			}
			byClientID[m.ClientID] = append(byClientID[m.ClientID], m)
			stored++
		}
		// A message stored just before the crash whose conversation update
		// was lost is applied when it is sent again: the conversation's seq
		// (what welcome reports and replay cursors are checked against)
		// catches up with its messages.
		if c.Seq != last {
			msg := fmt.Sprintf("conversation %s: seq %d, but its highest message seq is %d", c.ID, c.Seq, last)
			if n := len(msgs); n > 0 {
				lm := msgs[n-1]
				msg += fmt.Sprintf(" (%s, message %s created %s)", lm.ClientID, lm.ID, lm.CreatedAt.Format("15:04:05.000"))
				msg += gatewayLines(lm.ClientID, lm.ID, c.ID)
			}
			t.Error(msg)
		}
		if int64(len(msgs)) != last {
			t.Logf("note: conversation %s: %d messages up to seq %d (gaps are no loss)", c.ID, len(msgs), last)
		}
	}
	// Every visitor's messages belong in one conversation.
	splitAfterErrors := 0
	for contact, cs := range byContact {
		if len(cs) < 2 {
			continue
		}
		holding := 0
		var desc []string
		for _, c := range cs {
			n := len(convMsgs[c.ID])
			if n > 0 {
				holding++
			}
			desc = append(desc, fmt.Sprintf("%s (number %d, %s, seq %d, created %s, %d messages)",
				c.ID, c.Number, c.Status, c.Seq, c.Dates.Created.Format("15:04:05.000"), n))
		}
		msg := fmt.Sprintf("visitor %s has %d conversations: %s", contact, len(cs), strings.Join(desc, "; "))
		for _, c := range cs {
			msg += gatewayLines(c.ID)
		}
		if holding > 1 {
			splitAfterErrors++
		}
		t.Error(msg)
	}
	var dups []string
	for id, ms := range byClientID {
		if len(ms) > 1 {
			dups = append(dups, fmt.Sprintf("%s ×%d", id, len(ms)))
		}
	}
	sort.Strings(dups)
	if len(dups) > 0 {
		t.Errorf("%d client ids are stored more than once: %v", len(dups), dups)
	}
	lost, ackMismatch := 0, 0
	for _, v := range vs {
		if _, ok := convOf[v.visitorID]; !ok {
			t.Errorf("visitor %d (%s) has no conversation on the line", v.idx, v.visitorID)
		}
		for _, id := range v.clientIDs {
			ms := byClientID[id]
			a, acked := v.acks[id]
			switch {
			case len(ms) == 0 && acked:
				lost++
				t.Errorf("visitor %d: acknowledged message %s (ack %+v) is not stored", v.idx, id, a)
			case len(ms) == 0:
				t.Errorf("visitor %d: message %s is not stored", v.idx, id)
			case !acked:
				t.Errorf("visitor %d: message %s is stored but was never acknowledged", v.idx, id)
			case ms[0].ID != a.id || ms[0].Seq != a.seq || ms[0].ConversationID != a.conversationID:
				ackMismatch++
				t.Errorf("visitor %d: %s acknowledged as %s seq %d in %s, stored as %s seq %d in %s",
					v.idx, id, a.id, a.seq, a.conversationID, ms[0].ID, ms[0].Seq, ms[0].ConversationID)
			}
		}
	}
	for id := range byClientID {
		if !strings.HasPrefix(id, "crash-v") {
			t.Errorf("a message with client id %q that no visitor sent is stored", id)
		}
	}
	if stored != visitors*perVisitor {
		t.Errorf("%d messages stored, want %d", stored, visitors*perVisitor)
	}
	t.Logf("store: %d conversations, %d messages, %d distinct client ids, %d duplicates, %d acknowledged but lost, %d acks not matching the store, %d visitors split",
		len(convs.Items), stored, len(byClientID), len(dups), lost, ackMismatch, splitAfterErrors)

	srv2.stop(t)
	for _, l := range errorLogLines(srv2.stderr.String()) {
		if !slices.Contains(otherErrs, l) {
			t.Errorf("the restarted gateway logged an error: %s", l)
		}
	}
	t.Logf("crash test took %s", time.Since(begin).Round(time.Millisecond))
}

// TestReconnectReplaysMissedAgentMessages: a visitor opens a conversation
// and goes away; the agent answers 20 times meanwhile; the visitor comes
// back with hello{lastSeq} and gets exactly the 20 missed messages, in
// order, once each — then live messages go on arriving on the new socket.
func TestReconnectReplaysMissedAgentMessages(t *testing.T) {
	const missed = 20
	begin := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	bin := buildBinary(t)
	srv := launchGateway(t, bin, t.TempDir(), freePort(t))
	boot := srv.welcome(t)
	admin := newClient(t, "admin", srv.base)
	admin.login(boot.adminEmail, boot.adminPassword)
	line := createWidgetLine(admin, "Replay line")

	sess, err := newWidgetSession(ctx, srv.base, line.ID, shopOrigin)
	if err != nil {
		t.Fatal(err)
	}
	if sess.Conversation != nil {
		t.Fatalf("a new visitor has a conversation: %+v", sess.Conversation)
	}

	// The visitor opens the conversation.
	ws, _, err := dialVisitor(ctx, srv.base, sess.Token, originOfBase(srv.base), shopOrigin)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	if err := ws.hello(0, ""); err != nil {
		t.Fatal(err)
	}
	if f, err := ws.nextOf(ctx, "welcome"); err != nil || f.ConversationID != "" {
		t.Fatalf("welcome = %+v, %v; want one without a conversation", f, err)
	}
	if err := ws.sendMessage("replay-first", "Hello, anybody there?"); err != nil {
		t.Fatal(err)
	}
	// The ack and the visitor's own message (as a message frame) come in
	// either order.
	var ack visitorFrame
	var own *visitorMessage
	for ack.Type == "" || own == nil {
		f, err := ws.next(ctx)
		if err != nil {
			t.Fatalf("waiting for the ack and the own message: %v", err)
		}
		switch f.Type {
		case "ack":
			ack = f
		case "message":
			m, err := f.message()
			if err != nil {
				t.Fatalf("message frame %s: %v", f.Message, err)
			}
			own = &m
		case "error":
			t.Fatalf("error frame: %s %s", f.Code, f.Message)
		}
	}
	if ack.ClientID != "replay-first" || ack.Seq != 1 || ack.ConversationID == "" {
		t.Fatalf("ack = %+v", ack)
	}
	convID := ack.ConversationID
	if own.ClientID != "replay-first" || own.Seq != 1 || own.ID != ack.ID {
		t.Fatalf("own message frame = %+v, ack %+v", *own, ack)
	}
	lastSeq := int64(1)
	ws.close()

	// The agent takes the conversation and answers 20 times.
	convPath := "/api/v1/conversations/" + convID
	var accepted convJSON
	admin.expect("POST", convPath+"/accept", nil, http.StatusOK, &accepted)
	if accepted.ID != convID {
		t.Fatalf("accepted %+v", accepted)
	}
	want := make([]string, missed)
	for i := range missed {
		want[i] = fmt.Sprintf("agent answer %02d", i+1)
		var posted postedMsg
		admin.expect("POST", convPath+"/messages", map[string]any{"text": want[i], "clientId": fmt.Sprintf("agent-%02d", i+1)}, http.StatusCreated, &posted)
		if posted.Message.Seq != int64(i+2) {
			t.Fatalf("agent message %d has seq %d, want %d", i+1, posted.Message.Seq, i+2)
		}
	}
	// An internal comment in between is never replayed to the visitor.
	var comment postedMsg
	admin.expect("POST", convPath+"/messages", map[string]any{"text": "internal note", "comment": true}, http.StatusCreated, &comment)

	// The visitor comes back.
	ws2, _, err := dialVisitor(ctx, srv.base, sess.Token, originOfBase(srv.base), shopOrigin)
	if err != nil {
		t.Fatalf("redial: %v", err)
	}
	defer ws2.close()
	if err := ws2.hello(lastSeq, convID); err != nil {
		t.Fatal(err)
	}
	welcome, err := ws2.nextOf(ctx, "welcome")
	if err != nil {
		t.Fatalf("waiting for welcome: %v", err)
	}
	if welcome.ConversationID != convID || welcome.Seq != int64(missed+2) {
		t.Fatalf("welcome = %+v, want conversation %s at seq %d", welcome, convID, missed+2)
	}
	var got []string
	seen := map[int64]bool{}
	for len(got) < missed {
		f, err := ws2.next(ctx)
		if err != nil {
			t.Fatalf("after %d replayed messages: %v", len(got), err)
		}
		if f.Type != "message" {
			if f.Type == "error" {
				t.Fatalf("error frame during the replay: %s %s", f.Code, f.Message)
			}
			continue
		}
		m, err := f.message()
		if err != nil {
			t.Fatalf("message frame %s: %v", f.Message, err)
		}
		switch {
		case m.Comment || m.Text == "internal note":
			t.Fatalf("the replay holds the internal comment: %+v", m)
		case seen[m.Seq]:
			t.Fatalf("message seq %d replayed twice", m.Seq)
		case m.Seq <= lastSeq:
			t.Fatalf("replayed seq %d, which the client already had (lastSeq %d)", m.Seq, lastSeq)
		case m.Seq != lastSeq+1:
			t.Fatalf("replay jumps from seq %d to %d", lastSeq, m.Seq)
		case m.ConversationID != convID || m.AuthorKind != "agent":
			t.Fatalf("replayed %+v", m)
		}
		seen[m.Seq] = true
		lastSeq = m.Seq
		got = append(got, m.Text)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("replayed %q, want %q", got, want)
	}

	// Live from here: one more answer arrives once, and nothing of the
	// replay comes again.
	var posted postedMsg
	admin.expect("POST", convPath+"/messages", map[string]any{"text": "are you still there?"}, http.StatusCreated, &posted)
	liveCtx, liveCancel := context.WithTimeout(ctx, 10*time.Second)
	defer liveCancel()
	for {
		f, err := ws2.next(liveCtx)
		if err != nil {
			t.Fatalf("waiting for the live message: %v", err)
		}
		if f.Type != "message" {
			continue
		}
		m, _ := f.message()
		if m.Seq != posted.Message.Seq || m.Text != "are you still there?" {
			t.Fatalf("after the replay got message seq %d %q, want the live one seq %d", m.Seq, m.Text, posted.Message.Seq)
		}
		break
	}
	quiet, quietCancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer quietCancel()
	for {
		f, err := ws2.next(quiet)
		if err != nil {
			break
		}
		if f.Type == "message" {
			m, _ := f.message()
			t.Fatalf("an extra message frame after the live one: seq %d %q", m.Seq, m.Text)
		}
	}
	srv.stop(t)
	if errs := errorLogLines(srv.stderr.String()); len(errs) > 0 {
		t.Errorf("the gateway logged errors:\n%s", strings.Join(errs, "\n"))
	}
	t.Logf("reconnect test took %s", time.Since(begin).Round(time.Millisecond))
}
