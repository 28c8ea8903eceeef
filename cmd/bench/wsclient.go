package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/switchboard-chat/switchboard/cmd/internal/gatewayproc"
)

// dialer opens every websocket of the bench, with small buffers so that
// 10,000 idle clients stay cheap on the bench's side.
var dialer = &websocket.Dialer{
	NetDialContext:   (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
	HandshakeTimeout: 15 * time.Second,
	ReadBufferSize:   2048,
	WriteBufferSize:  1024,
}

// bus is where every reader reports what it sees; the phases register
// what they wait for.
type bus struct {
	toAgent   *pending // visitor send → agent websocket message.created
	acked     *pending // visitor send → ack
	toVisitor *pending // agent POST → visitor websocket message

	visitorErrors atomic.Int64
	refusedSends  atomic.Int64
	agentResyncs  atomic.Int64
	closedEarly   atomic.Int64
	mu            sync.Mutex
	lastError     string
	refusedIDs    []string
}

func newBus() *bus {
	return &bus{toAgent: newPending(), acked: newPending(), toVisitor: newPending()}
}

func (b *bus) noteError(s string) {
	b.visitorErrors.Add(1)
	b.mu.Lock()
	b.lastError = s
	b.mu.Unlock()
}

func (b *bus) lastErr() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.lastError
}

// pending maps ids to the time they were sent; done records the latency
// of an id seen for the first time, also under the id's tag if it has one
// (with -nodes: same-node or cross-node).
type pending struct {
	mu     sync.Mutex
	m      map[string]pendingEntry
	rec    *recorder
	tagged map[string]*recorder
	// finished holds the ids seen; dups counts ids seen again after that
	// (the same message delivered twice).
	finished map[string]bool
	dups     int
}

type pendingEntry struct {
	at  time.Time
	tag string
}

func newPending() *pending {
	return &pending{m: map[string]pendingEntry{}, rec: &recorder{}, tagged: map[string]*recorder{}, finished: map[string]bool{}}
}

func (p *pending) add(id string, at time.Time) { p.addTagged(id, at, "") }

// addTagged is add with a tag ("" for none).
func (p *pending) addTagged(id string, at time.Time, tag string) {
	p.mu.Lock()
	p.m[id] = pendingEntry{at: at, tag: tag}
	p.mu.Unlock()
}

func (p *pending) done(id string, now time.Time) {
	p.mu.Lock()
	e, ok := p.m[id]
	rec, tr := p.rec, (*recorder)(nil)
	if !ok && p.finished[id] {
		p.dups++
	}
	if ok {
		delete(p.m, id)
		p.finished[id] = true
		if e.tag != "" {
			if tr = p.tagged[e.tag]; tr == nil {
				tr = &recorder{}
				p.tagged[e.tag] = tr
			}
		}
	}
	p.mu.Unlock()
	if ok {
		rec.add(now.Sub(e.at))
		if tr != nil {
			tr.add(now.Sub(e.at))
		}
	}
}

// tagSummary is the figures of the ids tagged tag seen so far.
func (p *pending) tagSummary(tag string) summary {
	p.mu.Lock()
	r := p.tagged[tag]
	p.mu.Unlock()
	if r == nil {
		return summary{}
	}
	return r.summary()
}

// duplicates counts the ids seen again after their first sighting.
func (p *pending) duplicates() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.dups
}

// outstandingTag counts the outstanding ids tagged tag.
func (p *pending) outstandingTag(tag string) (n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.m {
		if e.tag == tag {
			n++
		}
	}
	return n
}

// drop forgets id without a sample (the send failed).
func (p *pending) drop(id string) {
	p.mu.Lock()
	delete(p.m, id)
	p.mu.Unlock()
}

// ids lists the outstanding ids.
func (p *pending) ids() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]string, 0, len(p.m))
	for id := range p.m {
		out = append(out, id)
	}
	return out
}

func (p *pending) has(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.m[id]
	return ok
}

func (p *pending) outstanding() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.m)
}

// reset forgets the outstanding ids and starts a new recorder.
func (p *pending) reset() {
	p.mu.Lock()
	p.m = map[string]pendingEntry{}
	p.rec = &recorder{}
	p.tagged = map[string]*recorder{}
	p.finished = map[string]bool{}
	p.dups = 0
	p.mu.Unlock()
}

func (p *pending) recorder() *recorder {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rec
}

// ---- Visitors. ----

type visitorClient struct {
	idx     int
	node    int // index of the gateway (-nodes) it is connected to
	token   string
	id      string
	ws      *websocket.Conn
	wmu     sync.Mutex
	welcome chan struct{}
	once    sync.Once
	acks    chan string // client ids acknowledged ("!" prefix: refused)
	conv    atomic.Value
	closing atomic.Bool
	ended   atomic.Bool
	seqMu   sync.Mutex
	seqs    []int64 // seqs of the message frames received, in order
}

// seen lists the seqs of the message frames the visitor received.
func (v *visitorClient) seen() []int64 {
	v.seqMu.Lock()
	defer v.seqMu.Unlock()
	return slices.Clone(v.seqs)
}

func (v *visitorClient) convID() string {
	s, _ := v.conv.Load().(string)
	return s
}

// newSession is POST /widget/v1/session from the allowed origin.
func newSession(ctx context.Context, base, lineID, origin string) (token, visitorID string, err error) {
	body, _ := json.Marshal(map[string]any{"lineId": lineID})
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/widget/v1/session", bytes.NewReader(body))
	if err != nil {
		return "", "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", origin)
	resp, err := (&http.Client{Transport: sharedTransport, Timeout: 60 * time.Second}).Do(req)
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", "", fmt.Errorf("POST /widget/v1/session: status %d: %.300s", resp.StatusCode, b)
	}
	var s struct {
		Token     string `json:"token"`
		VisitorID string `json:"visitorId"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return "", "", err
	}
	return s.Token, s.VisitorID, nil
}

// connectVisitor opens the visitor websocket and sends hello; when light
// is set the reader only answers pings (idle connections).
func connectVisitor(ctx context.Context, addr, origin string, v *visitorClient, b *bus) error {
	u := "ws://" + addr + "/widget/v1/ws?token=" + url.QueryEscape(v.token)
	h := http.Header{"Origin": {origin}}
	ws, resp, err := dialer.DialContext(ctx, u, h)
	if err != nil {
		if resp != nil {
			body, _ := io.ReadAll(resp.Body)
			return fmt.Errorf("visitor websocket: %w (status %d: %.200s)", err, resp.StatusCode, body)
		}
		return fmt.Errorf("visitor websocket: %w", err)
	}
	v.ws = ws
	v.welcome = make(chan struct{})
	v.acks = make(chan string, 16)
	go v.read(b)
	return v.write(map[string]any{"type": "hello", "lastSeq": 0})
}

func (v *visitorClient) write(frame any) error {
	data, err := json.Marshal(frame)
	if err != nil {
		return err
	}
	v.wmu.Lock()
	defer v.wmu.Unlock()
	_ = v.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return v.ws.WriteMessage(websocket.TextMessage, data)
}

type visitorFrame struct {
	Type           string          `json:"type"`
	ClientID       string          `json:"clientId"`
	ConversationID string          `json:"conversationId"`
	Code           string          `json:"code"`
	Message        json.RawMessage `json:"message"`
}

func (v *visitorClient) read(b *bus) {
	for {
		_, data, err := v.ws.ReadMessage()
		if err != nil {
			v.ended.Store(true)
			if !v.closing.Load() {
				b.closedEarly.Add(1)
				b.noteError(fmt.Sprintf("visitor %d websocket ended: %v", v.idx, err))
			}
			v.once.Do(func() { close(v.welcome) })
			return
		}
		now := time.Now()
		var f visitorFrame
		if json.Unmarshal(data, &f) != nil {
			continue
		}
		switch f.Type {
		case "welcome":
			if f.ConversationID != "" {
				v.conv.Store(f.ConversationID)
			}
			v.once.Do(func() { close(v.welcome) })
		case "ack":
			b.acked.done(f.ClientID, now)
			if f.ConversationID != "" {
				v.conv.Store(f.ConversationID)
			}
			select {
			case v.acks <- f.ClientID:
			default:
			}
		case "message":
			var m struct {
				ClientID string `json:"clientId"`
				Seq      int64  `json:"seq"`
			}
			if json.Unmarshal(f.Message, &m) == nil && m.ClientID != "" {
				b.toVisitor.done(m.ClientID, now)
				v.seqMu.Lock()
				if len(v.seqs) < 1000 {
					v.seqs = append(v.seqs, m.Seq)
				}
				v.seqMu.Unlock()
			}
		case "error":
			b.noteError(fmt.Sprintf("visitor %d got error %s: %s", v.idx, f.Code, f.Message))
			if f.ClientID != "" {
				// A refused send is not waited for; it counts as refused.
				b.toAgent.drop(f.ClientID)
				b.acked.drop(f.ClientID)
				b.refusedSends.Add(1)
				b.mu.Lock()
				if len(b.refusedIDs) < 10000 {
					b.refusedIDs = append(b.refusedIDs, f.ClientID)
				}
				b.mu.Unlock()
				select {
				case v.acks <- "!" + f.ClientID:
				default:
				}
			}
		}
	}
}

func (v *visitorClient) close() {
	if v.ws == nil {
		return
	}
	v.closing.Store(true)
	v.wmu.Lock()
	_ = v.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	v.wmu.Unlock()
	_ = v.ws.Close()
}

// waitAck waits for the ack (or refusal) of clientID.
func (v *visitorClient) waitAck(clientID string, timeout time.Duration) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		select {
		case id := <-v.acks:
			switch id {
			case clientID:
				return nil
			case "!" + clientID:
				return fmt.Errorf("send %s refused", clientID)
			}
		case <-t.C:
			return fmt.Errorf("no ack for %s within %s", clientID, timeout)
		}
	}
}

// ---- Agents. ----

type agentConn struct {
	node  int // index of the gateway (-nodes) its websocket and REST calls go to
	cl    *gatewayproc.Client
	ws    *websocket.Conn
	ready chan struct{}
	once  sync.Once
	b     *bus
}

func dialAgent(ctx context.Context, g *gatewayproc.Process, cl *gatewayproc.Client) (*agentConn, error) {
	d := *dialer
	d.Jar = cl.Jar()
	d.ReadBufferSize, d.WriteBufferSize = 16<<10, 4<<10
	ws, resp, err := d.DialContext(ctx, "ws://"+g.Addr()+"/api/v1/ws", http.Header{"Origin": {g.BaseURL()}})
	if err != nil {
		if resp != nil {
			body, _ := io.ReadAll(resp.Body)
			return nil, fmt.Errorf("agent websocket: %w (status %d: %.200s)", err, resp.StatusCode, body)
		}
		return nil, fmt.Errorf("agent websocket: %w", err)
	}
	return &agentConn{cl: cl, ws: ws, ready: make(chan struct{})}, nil
}

// start reads the agent's frames, reporting to b.
func (a *agentConn) start(b *bus) {
	a.b = b
	go func() {
		for {
			_, data, err := a.ws.ReadMessage()
			if err != nil {
				a.once.Do(func() { close(a.ready) })
				return
			}
			now := time.Now()
			var f struct {
				Type  string `json:"type"`
				Event *struct {
					Type    string `json:"type"`
					Message *struct {
						ClientID string `json:"clientId"`
					} `json:"message"`
				} `json:"event"`
			}
			if json.Unmarshal(data, &f) != nil {
				continue
			}
			switch f.Type {
			case "ready":
				a.once.Do(func() { close(a.ready) })
			case "resync":
				b.agentResyncs.Add(1)
			case "event":
				if f.Event != nil && f.Event.Type == "message.created" && f.Event.Message != nil && f.Event.Message.ClientID != "" {
					b.toAgent.done(f.Event.Message.ClientID, now)
				}
			}
		}
	}()
}

func (a *agentConn) close() {
	_ = a.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	_ = a.ws.Close()
}
