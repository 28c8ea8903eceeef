package main

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"time"
)

// storeTracer is an optional MongoDB wire-protocol proxy between the
// gateway and the store (-trace-store): it times every command by name and
// collection, to show where a message's time goes. It adds one loopback
// hop to every store call.
type storeTracer struct {
	ln       net.Listener
	upstream string
	mu       sync.Mutex
	stats    map[string]*opStat
}

type opStat struct {
	n          int
	total, max time.Duration
}

func startTracer(upstream string) (*storeTracer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	t := &storeTracer{ln: ln, upstream: upstream, stats: map[string]*opStat{}}
	go t.accept()
	return t, nil
}

func (t *storeTracer) addr() string { return t.ln.Addr().String() }

func (t *storeTracer) close() { _ = t.ln.Close() }

func (t *storeTracer) accept() {
	for {
		c, err := t.ln.Accept()
		if err != nil {
			return
		}
		go t.serve(c)
	}
}

type sent struct {
	key string
	at  time.Time
}

func (t *storeTracer) serve(client net.Conn) {
	defer client.Close()
	server, err := net.Dial("tcp", t.upstream)
	if err != nil {
		return
	}
	defer server.Close()
	var mu sync.Mutex
	inflight := map[int32]sent{}
	done := make(chan struct{}, 2)
	go func() { // client → server
		defer func() { done <- struct{}{} }()
		for {
			msg, err := readWireMsg(client)
			if err != nil {
				return
			}
			reqID := int32(binary.LittleEndian.Uint32(msg[4:8]))
			mu.Lock()
			inflight[reqID] = sent{key: commandKey(msg), at: time.Now()}
			mu.Unlock()
			if _, err := server.Write(msg); err != nil {
				return
			}
		}
	}()
	go func() { // server → client
		defer func() { done <- struct{}{} }()
		for {
			msg, err := readWireMsg(server)
			if err != nil {
				return
			}
			respTo := int32(binary.LittleEndian.Uint32(msg[8:12]))
			mu.Lock()
			s, ok := inflight[respTo]
			delete(inflight, respTo)
			mu.Unlock()
			if ok {
				t.record(s.key, time.Since(s.at))
			}
			if _, err := client.Write(msg); err != nil {
				return
			}
		}
	}()
	<-done
}

func readWireMsg(r io.Reader) ([]byte, error) {
	var hdr [16]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := int(binary.LittleEndian.Uint32(hdr[0:4]))
	if n < 16 || n > 64<<20 {
		return nil, fmt.Errorf("bad message length %d", n)
	}
	msg := make([]byte, n)
	copy(msg, hdr[:])
	_, err := io.ReadFull(r, msg[16:])
	return msg, err
}

// commandKey is "command collection" of an OP_MSG, from the first element
// of its body document.
func commandKey(msg []byte) string {
	if binary.LittleEndian.Uint32(msg[12:16]) != 2013 || len(msg) < 26 || msg[20] != 0 {
		return "legacy op"
	}
	doc := msg[21:]
	if len(doc) < 6 {
		return "?"
	}
	typ := doc[4]
	rest := doc[5:]
	i := slices.Index(rest, 0)
	if i < 0 {
		return "?"
	}
	name, val := string(rest[:i]), rest[i+1:]
	if typ == 0x02 && len(val) > 4 { // string: int32 length, bytes, NUL
		l := int(binary.LittleEndian.Uint32(val[:4]))
		if l > 0 && 4+l <= len(val) {
			return name + " " + string(val[4:4+l-1])
		}
	}
	return name
}

func (t *storeTracer) record(key string, d time.Duration) {
	t.mu.Lock()
	s := t.stats[key]
	if s == nil {
		s = &opStat{}
		t.stats[key] = s
	}
	s.n++
	s.total += d
	s.max = max(s.max, d)
	t.mu.Unlock()
}

// take returns the statistics so far and starts afresh.
func (t *storeTracer) take() map[string]*opStat {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.stats
	t.stats = map[string]*opStat{}
	return s
}

// traceReport lists the commands by total time; per is the number of
// messages the window handled, to show the calls per message.
func traceReport(title string, stats map[string]*opStat, per int, wall time.Duration) string {
	var sb strings.Builder
	keys := make([]string, 0, len(stats))
	var total time.Duration
	calls := 0
	for k, s := range stats {
		keys = append(keys, k)
		total += s.total
		calls += s.n
	}
	slices.SortFunc(keys, func(a, b string) int { return int(stats[b].total - stats[a].total) })
	fmt.Fprintf(&sb, "  store calls during %s: %d calls (%.1f per message), %.1f s of store time in %.1f s wall (%.1f calls in flight on average)\n",
		title, calls, float64(calls)/float64(max(1, per)), total.Seconds(), wall.Seconds(), total.Seconds()/max(wall.Seconds(), 0.001))
	for i, k := range keys {
		if i == 12 {
			break
		}
		s := stats[k]
		fmt.Fprintf(&sb, "    %-34s %6d calls (%5.2f/msg)  mean %8s  max %8s  total %6.1f s (%4.1f%%)\n", k, s.n,
			float64(s.n)/float64(max(1, per)), ms(s.total/time.Duration(s.n)), ms(s.max), s.total.Seconds(), 100*float64(s.total)/float64(max(1, total)))
	}
	return sb.String()
}
