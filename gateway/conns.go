package main

import (
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// connTracker knows, for every open HTTP connection, its state and the
// request it is serving, so that a shutdown that runs out of time can say
// which requests held it up.
type connTracker struct {
	mu    sync.Mutex
	conns map[net.Conn]*connInfo
}

type connInfo struct {
	state fasthttp.ConnState
	since time.Time
	req   string // method and path of the request being served or last served
	// handling: a handler runs for the connection's request now.
	handling bool
}

func newConnTracker() *connTracker { return &connTracker{conns: map[net.Conn]*connInfo{}} }

// hook is the server's ConnState hook.
func (t *connTracker) hook(c net.Conn, s fasthttp.ConnState) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch s {
	case fasthttp.StateClosed, fasthttp.StateHijacked:
		delete(t.conns, c)
	default:
		ci := t.conns[c]
		if ci == nil {
			ci = &connInfo{}
			t.conns[c] = ci
		}
		ci.state, ci.since = s, time.Now()
	}
}

// middleware records the request each connection serves.
func (t *connTracker) middleware(c *fiber.Ctx) error {
	conn := c.Context().Conn()
	req := c.Method() + " " + c.Path()
	t.mu.Lock()
	ci := t.conns[conn]
	if ci != nil {
		ci.req, ci.handling = req, true
	}
	t.mu.Unlock()
	defer func() {
		t.mu.Lock()
		if ci != nil {
			ci.handling = false
		}
		t.mu.Unlock()
	}()
	return c.Next()
}

// closeUnstarted closes the connections that have been reading a request
// for longer than after without it reaching a handler: at shutdown, such a
// client (one reconnecting just then, or a slow one) holds the server
// open until its read timeout, though no work of it has begun — it
// retries elsewhere or later. It says how many it closed.
func (t *connTracker) closeUnstarted(after time.Duration) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for c, ci := range t.conns {
		if ci.state == fasthttp.StateActive && !ci.handling && time.Since(ci.since) > after {
			_ = c.Close()
			delete(t.conns, c)
			n++
		}
	}
	return n
}

// busy describes the connections that are not idle, longest first.
func (t *connTracker) busy() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	type row struct {
		d    time.Duration
		desc string
	}
	var rows []row
	for c, ci := range t.conns {
		if ci.state == fasthttp.StateIdle {
			continue
		}
		d := time.Since(ci.since)
		rows = append(rows, row{d, fmt.Sprintf("%s %s for %s (%s)", c.RemoteAddr(), ci.state, d.Round(time.Millisecond), ci.req)})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].d > rows[j].d })
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.desc
	}
	return strings.Join(out, "; ")
}
