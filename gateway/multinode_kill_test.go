package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestKillANodeUnderLoad: two gateways on one store; 100 visitors connected
// to node A send 500 messages; node A is killed with SIGKILL in the middle
// and the visitors reconnect to node B with the same tokens, sending what
// was not acknowledged again with the same client ids. Every acknowledged
// message is stored exactly once, nothing is stored twice, and every
// message sent is acknowledged in the end.
func TestKillANodeUnderLoad(t *testing.T) {
	const (
		visitors   = 100
		perVisitor = 5
		window     = 1 // each visitor sends its next message once the last is acknowledged, as a person does
		killAfter  = 150
	)
	bin := buildBinary(t)
	uri := startStoreServer(t)
	settings := []string{"MONGODB_URI=" + uri, "SWITCHBOARD_WIDGET_SESSION_RATE=100000", "SWITCHBOARD_WIDGET_MESSAGE_RATE=100000"}
	start := func() *server { return startServerWith(t, bin, t.TempDir(), true, settings...) }
	a := start()
	boot := a.welcome(t)
	b := start()
	adminA := newClient(t, "admin@A", a.base)
	adminA.login(boot.adminEmail, boot.adminPassword)
	line := createWidgetLine(adminA, "Failover line")

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// The agent watches from node B the whole time.
	adminB := newClient(t, "admin@B", b.base)
	adminB.login(boot.adminEmail, boot.adminPassword)
	_, agentEvents := dialAgentEvents(ctx, t, b.base, adminB)
	var seenMu sync.Mutex
	seenByAgent := map[string]bool{}
	go func() {
		for raw := range agentEvents {
			var ev struct {
				Type    string `json:"type"`
				Message *struct {
					ID string `json:"id"`
				} `json:"message"`
			}
			if json.Unmarshal(raw, &ev) == nil && ev.Type == "message.created" && ev.Message != nil {
				seenMu.Lock()
				seenByAgent[ev.Message.ID] = true
				seenMu.Unlock()
			}
		}
	}()
	sh := &crashShared{base: a.base, window: window}
	vs := make([]*crashVisitor, visitors)
	for i := range vs {
		sess, err := newWidgetSession(ctx, a.base, line.ID, shopOrigin)
		if err != nil {
			t.Fatalf("visitor %d: %v", i, err)
		}
		v := &crashVisitor{idx: i, token: sess.Token, visitorID: sess.VisitorID, acks: map[string]crashAck{}, sends: map[string]int{}}
		for j := range perVisitor {
			v.clientIDs = append(v.clientIDs, fmt.Sprintf("kill-v%02d-m%02d", i, j))
		}
		vs[i] = v
	}
	var wg sync.WaitGroup
	runErrs := make([]error, visitors)
	for i, v := range vs {
		wg.Go(func() { runErrs[i] = v.run(ctx, sh) })
	}
	allDone := make(chan struct{})
	go func() { wg.Wait(); close(allDone) }()
	for sh.acked.Load() < killAfter {
		select {
		case <-allDone:
			t.Fatalf("all clients finished before %d acks: the kill never happened", killAfter)
		case <-ctx.Done():
			t.Fatalf("only %d acks before the time limit\nstderr A:\n%s", sh.acked.Load(), a.stderr)
		case <-time.After(2 * time.Millisecond):
		}
	}
	sh.failover(b.base)
	sh.mu.Lock()
	sh.killedAt = time.Now()
	sh.mu.Unlock()
	sigkillGateway(t, a)
	t.Logf("node A killed after %d acks; the visitors go on with node B", sh.acked.Load())
	select {
	case <-allDone:
	case <-ctx.Done():
		<-allDone
	}
	for i, err := range runErrs {
		if err != nil {
			v := vs[i]
			t.Errorf("visitor %d did not finish: %v (%d of %d acked, outbox %v, errors %v)", i, err, len(v.acks), perVisitor, v.outbox, v.errFrames)
		}
	}
	reconnects := 0
	for _, v := range vs {
		reconnects += v.reconnects + v.dialFailures
		for _, p := range v.problems {
			t.Error(p)
		}
		if len(v.errFrames) > 0 {
			t.Errorf("visitor %d got error frames %v", v.idx, v.errFrames)
		}
	}
	t.Logf("%d acks in all; %d reconnects and failed dials", sh.acked.Load(), reconnects)

	// The agent on B saw every acknowledged message live: those node A
	// stored came through the event log (written before each ack), and a
	// retry on B of one A stored but never announced announces it.
	unseen := func() []string {
		seenMu.Lock()
		defer seenMu.Unlock()
		var out []string
		for _, v := range vs {
			for id, a := range v.acks {
				if !seenByAgent[a.id] {
					out = append(out, id)
				}
			}
		}
		return out
	}
	for deadline := time.Now().Add(5 * time.Second); len(unseen()) > 0 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	if u := unseen(); len(u) > 0 {
		_, metrics := adminB.do("GET", "/metrics", nil, "")
		t.Errorf("the agent on node B never saw %d acknowledged messages: %v\nnode B's event metrics:\n%s\nnode B's log:\n%s",
			len(u), u, grepLines(string(metrics), "switchboard_event"), b.stderr)
	}

	// What the store holds, read through node B.
	var convs listOf[crashConvJSON]
	adminB.expect("GET", "/api/v1/conversations?limit=200&line="+line.ID, nil, http.StatusOK, &convs)
	byClientID := map[string][]storedMsg{}
	for _, c := range convs.Items {
		for _, m := range allMessages(adminB, c.ID, 50) {
			byClientID[m.ClientID] = append(byClientID[m.ClientID], m)
		}
	}
	for _, v := range vs {
		for _, id := range v.clientIDs {
			a, acked := v.acks[id]
			got := byClientID[id]
			switch {
			case !acked:
				t.Errorf("visitor %d: %s was never acknowledged", v.idx, id)
			case len(got) != 1:
				t.Errorf("visitor %d: %s is stored %d times", v.idx, id, len(got))
			case got[0].ID != a.id || got[0].Seq != a.seq:
				t.Errorf("visitor %d: %s acknowledged as %s seq %d, stored as %s seq %d", v.idx, id, a.id, a.seq, got[0].ID, got[0].Seq)
			}
		}
	}
	if n := len(byClientID); n != visitors*perVisitor {
		t.Errorf("%d distinct client ids stored, want %d", n, visitors*perVisitor)
	}
	b.stop(t)
	noErrorLogs(t, a, b)
}
