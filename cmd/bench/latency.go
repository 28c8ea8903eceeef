package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-chat/switchboard/cmd/internal/gatewayproc"
)

// messageText is what every bench message says: about the size of a
// typical chat line.
const messageText = "Hello, I have a question about my order #12345 — when will it ship? Thanks!"

// latencyResult is part (a).
type latencyResult struct {
	visitors, agents               int
	rate                           float64
	duration                       time.Duration
	sessions, connect, warmup      time.Duration
	warmed                         int
	assigned                       int
	v2a, ack, a2v, post            summary
	v2aSent, v2aLost               int
	a2vSent, a2vLost, a2vFailed    int
	skipped                        int64
	visitorErrors, resyncs, closed int64
	lastError                      string
	cpu, warmCPU                   *cpuMeter
	drain                          time.Duration
	// Why deliveries were missing: refused sends (error frame), sends
	// acknowledged but never pushed to an agent, agent messages stored
	// (in the visitor's history) but never pushed to the visitor.
	refused, ackedNotPushed, storedNotPushed, checked int
	// Of storedNotPushed, those whose visitor socket got a later seq of
	// the same conversation: the widget sends only seqs above the last it
	// sent, so these will not come on that socket.
	overtaken int
	// Deliveries of a message already delivered: message.created on the
	// agents' sockets, message frames on the visitors'.
	v2aDups, a2vDups int
	// Refused sends found stored anyway (in the visitor's history).
	refusedStored, refusedChecked int
	details                       []string
	// With -nodes > 1: the same figures split by whether the visitor and
	// the conversation's agent are on the same gateway, and each node's
	// cross-node event figures from its /metrics.
	nodes int
	split map[string]*splitResult
	lag   []nodeLag
}

// splitResult is one subset (same-node, cross-node) of the deliveries.
type splitResult struct {
	v2a, a2v                 summary
	v2aSent, v2aLost         int
	a2vSent, a2vLost, failed int
}

// population is the connected visitors and the agents they talk to.
type population struct {
	visitors []*visitorClient
	owner    map[string]*agentConn // conversation id → its agent
	convs    []string              // assigned conversations, in a fixed order
	gwPids   []int                 // of each node
	bases    []string              // of each node
}

// Tags of the deliveries with -nodes > 1.
const (
	tagSame  = "same-node"
	tagCross = "cross-node"
)

// nodeTag says whether a visitor on node vn and an agent on node an are
// on the same gateway; "" with one gateway or no agent.
func (p *population) nodeTag(vn int, a *agentConn) string {
	switch {
	case len(p.bases) < 2 || a == nil:
		return ""
	case a.node == vn:
		return tagSame
	default:
		return tagCross
	}
}

// openVisitors creates n sessions and opens their websockets (hello sent,
// welcome received): visitor i on node i mod len(nodes).
func openVisitors(ctx context.Context, nodes []*gatewayproc.Process, lineID, origin string, n int, b *bus) ([]*visitorClient, time.Duration, time.Duration, error) {
	vs := make([]*visitorClient, n)
	start := time.Now()
	err := parallel(ctx, n, 16, func(i int) error {
		node := i % len(nodes)
		tok, id, err := newSession(ctx, nodes[node].BaseURL(), lineID, origin)
		if err != nil {
			return err
		}
		vs[i] = &visitorClient{idx: i, node: node, token: tok, id: id}
		return nil
	})
	sessions := time.Since(start)
	if err != nil {
		return nil, sessions, 0, fmt.Errorf("sessions: %w", err)
	}
	start = time.Now()
	err = parallel(ctx, n, 32, func(i int) error {
		if err := connectVisitor(ctx, nodes[vs[i].node].Addr(), origin, vs[i], b); err != nil {
			return err
		}
		select {
		case <-vs[i].welcome:
			return nil
		case <-time.After(30 * time.Second):
			return fmt.Errorf("visitor %d: no welcome within 30s", i)
		}
	})
	return vs, sessions, time.Since(start), err
}

// warmUp lets every visitor open its conversation with one message, 8 at
// a time, reporting progress; after limit it stops sending and returns how
// many were acknowledged.
func warmUp(ctx context.Context, vs []*visitorClient, limit time.Duration) (acked int, err error) {
	wctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	var n atomic.Int64
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(15 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				progress("warm-up: %d of %d acknowledged", n.Load(), len(vs))
			}
		}
	}()
	var failed atomic.Int64
	err = parallel(wctx, len(vs), 8, func(i int) error {
		v := vs[i]
		id := fmt.Sprintf("w-%d", i)
		// As the protocol asks: a send that is refused or not acknowledged
		// is sent again with the same client id; the server stores it once.
		for attempt := 0; attempt < 4 && wctx.Err() == nil; attempt++ {
			if err := v.write(map[string]any{"type": "send", "clientId": id, "text": messageText}); err != nil {
				return err
			}
			if v.waitAck(id, 60*time.Second) == nil {
				n.Add(1)
				return nil
			}
		}
		failed.Add(1)
		return nil
	})
	if f := failed.Load(); f > 0 {
		progress("warm-up: %d visitors got no ack after 4 tries", f)
	}
	close(done)
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		err = nil // cut short by the limit: go on with what is warm
	}
	return int(n.Load()), err
}

// assignments asks which agent each conversation of the line went to.
func assignments(ctx context.Context, s *setup) (map[string]*agentConn, []string, error) {
	byAgent := map[string]*agentConn{}
	for _, a := range s.agents {
		byAgent[a.cl.AgentID()] = a
	}
	owner := map[string]*agentConn{}
	var order []string
	for offset := 0; ; {
		var page struct {
			Items []struct {
				ID      string `json:"id"`
				AgentID string `json:"agentId"`
			} `json:"items"`
			Total int `json:"total"`
		}
		path := fmt.Sprintf("/api/v1/conversations?line=%s&active=true&limit=200&offset=%d", s.lineID, offset)
		if err := s.admin.Call(ctx, "GET", path, nil, http.StatusOK, &page); err != nil {
			return nil, nil, err
		}
		for _, it := range page.Items {
			if a := byAgent[it.AgentID]; a != nil {
				owner[it.ID] = a
				order = append(order, it.ID)
			}
		}
		offset += len(page.Items)
		if len(page.Items) == 0 || offset >= page.Total {
			break
		}
	}
	return owner, order, nil
}

// runLatency measures both directions at rate messages a second each,
// open loop: a send is started on schedule whether or not earlier ones
// are answered.
func runLatency(ctx context.Context, p *population, b *bus, rate float64, dur time.Duration) latencyResult {
	res := latencyResult{visitors: len(p.visitors), rate: rate, duration: dur, assigned: len(p.convs), nodes: len(p.bases)}
	visitorOf := map[string]*visitorClient{}
	for _, v := range p.visitors {
		visitorOf[v.convID()] = v
	}
	var tagMu sync.Mutex
	sentBy := map[string]int{}   // "v2a "+tag, "a2v "+tag → messages sent
	failedBy := map[string]int{} // tag → agent POSTs failed
	count := func(m map[string]int, key string) {
		tagMu.Lock()
		m[key]++
		tagMu.Unlock()
	}
	b.toAgent.reset()
	b.acked.reset()
	b.toVisitor.reset()
	postRec := &recorder{}
	refused0 := b.refusedSends.Load()
	b.mu.Lock()
	b.refusedIDs = nil
	b.mu.Unlock()
	a2vConv := sync.Map{} // client id → conversation, both directions
	var (
		wg                 sync.WaitGroup
		inflight           = make(chan struct{}, 4096)
		v2aSent, a2vSent   atomic.Int64
		a2vFailed, skipped atomic.Int64
		mu                 sync.Mutex
		postErr            string
	)
	meter := startCPU(p.gwPids...)
	mctx, cancel := context.WithTimeout(ctx, dur)
	defer cancel()
	interval := time.Duration(float64(time.Second) / rate)
	launch := func(fn func()) {
		select {
		case inflight <- struct{}{}:
			wg.Go(func() {
				defer func() { <-inflight }()
				fn()
			})
		default:
			skipped.Add(1)
		}
	}
	var loops sync.WaitGroup
	// Visitors → agents.
	loops.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for n := 0; ; n++ {
			select {
			case <-mctx.Done():
				return
			case <-t.C:
			}
			v := p.visitors[n%len(p.visitors)]
			id := fmt.Sprintf("v-%d-%d", v.idx, n)
			tag := p.nodeTag(v.node, p.owner[v.convID()])
			launch(func() {
				now := time.Now()
				a2vConv.Store(id, v.convID())
				count(sentBy, "v2a "+tag)
				b.toAgent.addTagged(id, now, tag)
				b.acked.add(id, now)
				v2aSent.Add(1)
				if err := v.write(map[string]any{"type": "send", "clientId": id, "text": messageText}); err != nil {
					b.noteError(fmt.Sprintf("visitor %d send: %v", v.idx, err))
				}
			})
		}
	})
	// Agents → visitors.
	loops.Go(func() {
		if len(p.convs) == 0 {
			return
		}
		t := time.NewTicker(interval)
		defer t.Stop()
		for n := 0; ; n++ {
			select {
			case <-mctx.Done():
				return
			case <-t.C:
			}
			conv := p.convs[n%len(p.convs)]
			a := p.owner[conv]
			id := fmt.Sprintf("a-%d", n)
			tag := ""
			if v := visitorOf[conv]; v != nil {
				tag = p.nodeTag(v.node, a)
			}
			launch(func() {
				start := time.Now()
				count(sentBy, "a2v "+tag)
				b.toVisitor.addTagged(id, start, tag)
				a2vConv.Store(id, conv)
				a2vSent.Add(1)
				err := a.cl.Call(ctx, "POST", "/api/v1/conversations/"+conv+"/messages",
					map[string]any{"text": "Thanks for waiting — it ships tomorrow.", "clientId": id}, http.StatusCreated, nil)
				if err != nil {
					a2vFailed.Add(1)
					count(failedBy, tag)
					b.toVisitor.drop(id)
					mu.Lock()
					postErr = err.Error()
					mu.Unlock()
					return
				}
				postRec.add(time.Since(start))
			})
		}
	})
	loops.Wait()
	res.cpu = meter.stop()
	wg.Wait()
	// Let the last deliveries arrive (the next phase needs a quiet gateway).
	drainStart := time.Now()
	for time.Since(drainStart) < 90*time.Second && b.toAgent.outstanding()+b.toVisitor.outstanding()+b.acked.outstanding() > 0 && ctx.Err() == nil {
		time.Sleep(50 * time.Millisecond)
	}
	res.drain = time.Since(drainStart)
	res.v2a, res.ack, res.post = b.toAgent.recorder().summary(), b.acked.recorder().summary(), postRec.summary()
	res.a2v = b.toVisitor.recorder().summary()
	res.v2aSent, res.v2aLost = int(v2aSent.Load()), b.toAgent.outstanding()
	res.a2vSent, res.a2vLost, res.a2vFailed = int(a2vSent.Load()), b.toVisitor.outstanding(), int(a2vFailed.Load())
	if res.a2vFailed > 0 {
		res.lastError = "agent POST failed: " + postErr
	}
	if res.nodes > 1 {
		res.split = map[string]*splitResult{}
		for _, tag := range []string{tagSame, tagCross} {
			res.split[tag] = &splitResult{v2a: b.toAgent.tagSummary(tag), a2v: b.toVisitor.tagSummary(tag),
				v2aSent: sentBy["v2a "+tag], v2aLost: b.toAgent.outstandingTag(tag),
				a2vSent: sentBy["a2v "+tag], a2vLost: b.toVisitor.outstandingTag(tag), failed: failedBy[tag]}
		}
	}
	res.refused = int(b.refusedSends.Load() - refused0)
	for _, id := range b.toAgent.ids() {
		if !b.acked.has(id) {
			res.ackedNotPushed++
		}
	}
	res.storedNotPushed, res.checked, res.overtaken, res.details = checkHistory(ctx, p, b.toVisitor.ids(), &a2vConv)
	b.mu.Lock()
	refusedIDs := slices.Clone(b.refusedIDs)
	b.mu.Unlock()
	res.refusedStored, res.refusedChecked, _, _ = checkHistory(ctx, p, refusedIDs, &a2vConv)
	res.v2aDups, res.a2vDups = b.toAgent.duplicates(), b.toVisitor.duplicates()
	res.skipped = skipped.Load()
	res.visitorErrors, res.resyncs, res.closed = b.visitorErrors.Load(), b.agentResyncs.Load(), b.closedEarly.Load()
	if res.lastError == "" {
		res.lastError = b.lastErr()
	}
	return res
}

// checkHistory looks up undelivered agent messages in their visitor's
// history: stored but never pushed on the websocket is a delivery bug;
// overtaken counts those whose socket got a later seq of the conversation.
func checkHistory(ctx context.Context, p *population, ids []string, convOf *sync.Map) (stored, checked, overtaken int, details []string) {
	byConv := map[string]*visitorClient{}
	for _, v := range p.visitors {
		byConv[v.convID()] = v
	}
	for _, id := range ids {
		c, _ := convOf.Load(id)
		conv, _ := c.(string)
		v := byConv[conv]
		if v == nil || checked == 50 {
			continue
		}
		checked++
		req, err := http.NewRequestWithContext(ctx, "GET", p.bases[v.node]+"/widget/v1/history?conversationId="+conv, nil)
		if err != nil {
			continue
		}
		req.Header.Set("Authorization", "Bearer "+v.token)
		resp, err := (&http.Client{Transport: sharedTransport, Timeout: 30 * time.Second}).Do(req)
		if err != nil {
			continue
		}
		var h struct {
			Messages []struct {
				ClientID   string `json:"clientId"`
				Seq        int64  `json:"seq"`
				AuthorKind string `json:"authorKind"`
			} `json:"messages"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&h)
		resp.Body.Close()
		for _, m := range h.Messages {
			if m.ClientID == id {
				stored++
				if slices.ContainsFunc(v.seen(), func(s int64) bool { return s > m.Seq }) {
					overtaken++
				}
				if len(details) < 5 {
					var hist []string
					for _, x := range h.Messages {
						hist = append(hist, fmt.Sprintf("%d:%s", x.Seq, x.AuthorKind))
					}
					details = append(details, fmt.Sprintf("%s stored as seq %d in %s (history %v); the visitor's socket got seqs %v",
						id, m.Seq, conv, hist, v.seen()))
				}
				break
			}
		}
	}
	return stored, checked, overtaken, details
}

func (r latencyResult) report() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "latency: %d visitors, %d agents, %.0f msg/s each way for %s (%d conversations assigned)\n",
		r.visitors, r.agents, r.rate, r.duration, r.assigned)
	fmt.Fprintf(&sb, "  sessions %s, websockets %s, warm-up (one message each) %s: %d of %d acknowledged\n",
		r.sessions.Round(time.Millisecond), r.connect.Round(time.Millisecond), r.warmup.Round(time.Millisecond), r.warmed, r.visitors)
	if r.warmCPU != nil {
		fmt.Fprintf(&sb, "  warm-up %s\n", r.warmCPU)
	}
	fmt.Fprintf(&sb, "  visitor→agent  %s  (sent %d, refused with an error frame %d, undelivered %d of which %d were acked)\n",
		r.v2a, r.v2aSent, r.refused, r.v2aLost, r.ackedNotPushed)
	if r.refused > 0 {
		fmt.Fprintf(&sb, "    of the refused sends, %d checked: %d are stored all the same (in the visitor's history)\n", r.refusedChecked, r.refusedStored)
	}
	fmt.Fprintf(&sb, "  visitor ack    %s\n", r.ack)
	fmt.Fprintf(&sb, "  agent→visitor  %s  (sent %d, POST failed %d, undelivered %d; of %d checked, %d are in the visitor's history)\n",
		r.a2v, r.a2vSent, r.a2vFailed, r.a2vLost, r.checked, r.storedNotPushed)
	if r.overtaken > 0 {
		fmt.Fprintf(&sb, "    of those, %d were overtaken: the visitor's socket got a later seq of the same conversation, and the widget sends only seqs above the last it sent\n", r.overtaken)
	}
	for _, d := range r.details {
		fmt.Fprintf(&sb, "    undelivered: %s\n", d)
	}
	fmt.Fprintf(&sb, "  agent POST     %s\n", r.post)
	if r.v2aDups+r.a2vDups > 0 {
		fmt.Fprintf(&sb, "  delivered twice: %d visitor messages (message.created again on an agent's socket), %d agent messages (again on the visitor's socket)\n", r.v2aDups, r.a2vDups)
	}
	sb.WriteString(r.nodesReport())
	fmt.Fprintf(&sb, "  measurement %s; the backlog took %s to drain after it\n", r.cpu, r.drain.Round(100*time.Millisecond))
	if r.skipped > 0 || r.visitorErrors > 0 || r.resyncs > 0 || r.closed > 0 {
		fmt.Fprintf(&sb, "  trouble: %d sends skipped (too many in flight), %d visitor errors, %d agent resyncs, %d visitor sockets closed; last: %s\n",
			r.skipped, r.visitorErrors, r.resyncs, r.closed, r.lastError)
	}
	return sb.String()
}
