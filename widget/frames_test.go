package widget_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/switchboard-chat/switchboard/widget"
)

// rawClient speaks websocket frame by frame, to send what a browser never
// would: fragments, control frames between them, broken frames.
type rawClient struct {
	t  *testing.T
	nc net.Conn
	r  io.Reader
}

func (h *harness) dialRaw(token string) *rawClient {
	h.t.Helper()
	d := ws.Dialer{Header: ws.HandshakeHeaderHTTP(http.Header{"Origin": {gatewayOrigin}}), Timeout: wait}
	nc, br, _, err := d.Dial(context.Background(), "ws://"+h.addr+"/widget/v1/ws?token="+url.QueryEscape(token))
	if err != nil {
		h.t.Fatalf("dial: %v", err)
	}
	h.t.Cleanup(func() { _ = nc.Close() })
	c := &rawClient{t: h.t, nc: nc, r: nc}
	if br != nil {
		c.r = io.MultiReader(br, nc)
	}
	return c
}

// send writes one masked frame.
func (c *rawClient) send(op ws.OpCode, fin bool, payload string) {
	c.t.Helper()
	if err := ws.WriteFrame(c.nc, ws.MaskFrame(ws.NewFrame(op, fin, []byte(payload)))); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// next reads the server's next frame.
func (c *rawClient) next() (ws.Frame, error) {
	_ = c.nc.SetReadDeadline(time.Now().Add(wait))
	return ws.ReadFrame(c.r)
}

// closedWith reads until the server's close frame and returns its code;
// the connection must end after it.
func (c *rawClient) closedWith() ws.StatusCode {
	c.t.Helper()
	for {
		f, err := c.next()
		if err != nil {
			c.t.Fatalf("no close frame: %v", err)
		}
		if f.Header.OpCode == ws.OpClose {
			code, _ := ws.ParseCloseFrameData(f.Payload)
			_ = c.nc.SetReadDeadline(time.Now().Add(wait))
			if _, err := c.nc.Read(make([]byte, 1)); err == nil {
				c.t.Fatal("the server sent more after its close frame")
			}
			return code
		}
	}
}

// TestFragmentsAndControlFrames: a hello in three fragments with a ping
// between them is one hello (welcome), the ping is answered with its
// payload, and a close from the client is answered with its own code.
func TestFragmentsAndControlFrames(t *testing.T) {
	h := newHarness(t)
	c := h.dialRaw(h.session(nil).Token)
	c.send(ws.OpText, false, `{"type":"hel`)
	c.send(ws.OpPing, true, "are you there")
	c.send(ws.OpContinuation, false, `lo","lastS`)
	c.send(ws.OpContinuation, true, `eq":0}`)
	pong, welcome := false, false
	for !pong || !welcome {
		f, err := c.next()
		if err != nil {
			t.Fatalf("pong %v, welcome %v: %v", pong, welcome, err)
		}
		switch f.Header.OpCode {
		case ws.OpPong:
			if string(f.Payload) != "are you there" {
				t.Fatalf("pong payload %q", f.Payload)
			}
			pong = true
		case ws.OpText:
			var fr struct{ Type string }
			if err := json.Unmarshal(f.Payload, &fr); err != nil {
				t.Fatal(err)
			}
			welcome = welcome || fr.Type == "welcome"
		}
	}
	c.send(ws.OpClose, true, string(ws.NewCloseFrameBody(4001, "bye")))
	if code := c.closedWith(); code != 4001 {
		t.Fatalf("close answered with %d, want the client's 4001", code)
	}
}

// TestBrokenFramesClose: frames that break the websocket protocol close
// the socket with 1002, a frame far over the limit with 1009 at once
// (its payload is not read), and the socket is gone afterwards.
func TestBrokenFramesClose(t *testing.T) {
	h := newHarness(t, func(c *widget.Config) { c.MaxFrameBytes = 1 << 10 })
	cases := []struct {
		name  string
		write func(c *rawClient)
		want  ws.StatusCode
	}{
		{"unmasked", func(c *rawClient) {
			_ = ws.WriteFrame(c.nc, ws.NewTextFrame([]byte(`{"type":"hello"}`)))
		}, ws.StatusProtocolError},
		{"continuation first", func(c *rawClient) { c.send(ws.OpContinuation, true, "x") }, ws.StatusProtocolError},
		{"reserved opcode", func(c *rawClient) { c.send(ws.OpCode(0x3), true, "x") }, ws.StatusProtocolError},
		{"text inside a fragmented text", func(c *rawClient) {
			c.send(ws.OpText, false, `{"type":`)
			c.send(ws.OpText, true, `"hello"}`)
		}, ws.StatusProtocolError},
		{"fragmented ping", func(c *rawClient) { c.send(ws.OpPing, false, "x") }, ws.StatusProtocolError},
		{"close with a bad code", func(c *rawClient) { c.send(ws.OpClose, true, string(ws.NewCloseFrameBody(1005, ""))) }, ws.StatusProtocolError},
		{"far too large", func(c *rawClient) {
			hdr := ws.Header{Fin: true, OpCode: ws.OpText, Masked: true, Mask: ws.NewMask(), Length: 1 << 30}
			_ = ws.WriteHeader(c.nc, hdr)
		}, ws.StatusMessageTooBig},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := h.dialRaw(h.session(nil).Token)
			c.t = t
			tc.write(c)
			if code := c.closedWith(); code != tc.want {
				t.Fatalf("closed with %d, want %d", code, tc.want)
			}
		})
	}
}

// TestDataBeforeTheHandshakeAnswer: a client that sends a frame with its
// upgrade request, before it had the answer (RFC 6455 forbids it), gets
// the 101 and then a close with 1002: the frame is not lost silently.
func TestDataBeforeTheHandshakeAnswer(t *testing.T) {
	h := newHarness(t)
	tok := h.session(nil).Token
	nc, err := net.Dial("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	var req strings.Builder
	req.WriteString("GET /widget/v1/ws?token=" + url.QueryEscape(tok) + " HTTP/1.1\r\n")
	req.WriteString("Host: " + h.addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n")
	req.WriteString("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n")
	req.WriteString("Origin: " + gatewayOrigin + "\r\n\r\n")
	var frame strings.Builder
	_ = ws.WriteFrame(&frame, ws.MaskFrame(ws.NewTextFrame([]byte(`{"type":"hello","lastSeq":0}`))))
	if _, err := nc.Write([]byte(req.String() + frame.String())); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(nc)
	_ = nc.SetReadDeadline(time.Now().Add(wait))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d, want 101", resp.StatusCode)
	}
	c := &rawClient{t: t, nc: nc, r: br}
	if code := c.closedWith(); code != ws.StatusProtocolError {
		t.Fatalf("closed with %d, want 1002", code)
	}
}
