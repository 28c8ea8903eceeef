package widget

import (
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/gobwas/ws"
)

// polled counts the sockets in the Widget's poller.
func polled(w *Widget) int {
	w.poll.mu.Lock()
	defer w.poll.mu.Unlock()
	return len(w.poll.conns)
}

// TestSilentPolledSocketsAreClosed: no read deadline watches a socket the
// poller holds, so the ping wheel ends one whose client has said nothing
// (no frame, no pong) for readTimeout — with a close frame — and leaves
// one it heard from alone.
func TestSilentPolledSocketsAreClosed(t *testing.T) {
	w := New(nil, nil, nil, Config{Secret: make([]byte, 32)}, slog.New(slog.DiscardHandler))
	w.detach = true
	defer w.shutdown()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	open := func(id string) (client net.Conn, c *conn) {
		t.Helper()
		client, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = client.Close() })
		server, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		w.serveConn(server, visitor{ID: id, LineID: "line"})
		w.conns.mu.RLock()
		defer w.conns.mu.RUnlock()
		for i := range w.conns.slots {
			for c := range w.conns.slots[i] {
				if c.v.ID == id {
					return client, c
				}
			}
		}
		t.Fatal("the socket is not registered")
		return nil, nil
	}
	silentClient, silent := open("silent")
	heardClient, heard := open("heard")
	if silent.rc == nil || heard.rc == nil || polled(w) != 2 {
		t.Fatalf("the sockets are not polled (%d registered)", polled(w))
	}
	later := time.Now().Add(readTimeout + time.Second)
	silent.heard.Store(time.Now().Add(-time.Second).UnixNano())
	heard.heard.Store(later.Add(-time.Second).UnixNano())
	w.pingSlot(int(silent.slot), later)
	if heard.slot != silent.slot {
		w.pingSlot(int(heard.slot), later)
	}

	// The silent one: a close frame, and the end.
	_ = silentClient.SetReadDeadline(time.Now().Add(5 * time.Second))
	var ops []ws.OpCode
	for {
		f, err := ws.ReadFrame(silentClient)
		if err != nil {
			if err != io.EOF {
				t.Fatalf("after %v: %v, want the end of the connection", ops, err)
			}
			break
		}
		ops = append(ops, f.Header.OpCode)
	}
	if len(ops) == 0 || ops[len(ops)-1] != ws.OpClose {
		t.Fatalf("the silent socket got %v, want a close frame last", ops)
	}
	// The other: its ping, and it stays open and polled.
	_ = heardClient.SetReadDeadline(time.Now().Add(5 * time.Second))
	if f, err := ws.ReadFrame(heardClient); err != nil || f.Header.OpCode != ws.OpPing {
		t.Fatalf("the socket heard from got %v, %v; want a ping", f.Header.OpCode, err)
	}
	_ = heardClient.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if f, err := ws.ReadFrame(heardClient); err == nil {
		t.Fatalf("the socket heard from got %v after its ping", f.Header.OpCode)
	}
	if n := w.OpenSockets(); n != 1 {
		t.Fatalf("%d sockets open, want 1", n)
	}
	if n := polled(w); n != 1 {
		t.Fatalf("%d sockets polled, want 1", n)
	}
}
