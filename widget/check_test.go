package widget_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/widget"
)

// errorAnswer is the JSON error body every refusal has.
type errorAnswer struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

type checkAnswer struct {
	OK   bool   `json:"ok"`
	Mode string `json:"mode"`
}

// getCheck asks GET /widget/v1/check for line as the loader does: from a
// page whose Origin header is header ("" for none, as on a same-origin
// GET), naming claimed as its origin ("" leaves the parameter out).
func (h *harness) getCheck(lineID, header, claimed string, out any) *http.Response {
	h.t.Helper()
	q := url.Values{"lineId": {lineID}}
	if claimed != "" {
		q.Set("origin", claimed)
	}
	hdr := map[string]string{}
	if header != "" {
		hdr["Origin"] = header
	}
	return h.call("GET", "/widget/v1/check?"+q.Encode(), hdr, nil, out)
}

func TestCheckAllowedOrigin(t *testing.T) {
	h := newHarness(t)
	for _, c := range []struct{ name, header, claimed string }{
		{"cross-origin fetch from the host page", shopOrigin, shopOrigin},
		{"Origin header only", shopOrigin, ""},
		{"no Origin header (same-origin GET): the named origin counts", "", shopOrigin},
		{"from the gateway's own origin for the host page", gatewayOrigin, shopOrigin},
	} {
		var out checkAnswer
		resp := h.getCheck(h.line.ID, c.header, c.claimed, &out)
		if resp.StatusCode != http.StatusOK || !out.OK || out.Mode != "messenger" {
			t.Fatalf("%s: %d %+v, want 200 ok in messenger mode (Alice is offline)", c.name, resp.StatusCode, out)
		}
		if c.header != "" && resp.Header.Get("Access-Control-Allow-Origin") != c.header {
			t.Errorf("%s: Access-Control-Allow-Origin %q, want %q", c.name, resp.Header.Get("Access-Control-Allow-Origin"), c.header)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s: Cache-Control %q, want no-store: the mode changes", c.name, cc)
		}
	}

	// The mode follows presence, as the session's does.
	if _, err := h.svc.SetPresence(h.ctx, inbox.System, h.agent.AgentID, inbox.PresenceOnline); err != nil {
		t.Fatal(err)
	}
	var out checkAnswer
	if resp := h.getCheck(h.line.ID, shopOrigin, shopOrigin, &out); resp.StatusCode != http.StatusOK || out.Mode != "live" {
		t.Fatalf("with Alice online: %d %+v, want live", resp.StatusCode, out)
	}
}

func TestCheckForeignOrigin(t *testing.T) {
	h := newHarness(t)
	for _, c := range []struct{ name, header, claimed string }{
		{"a foreign page", evilOrigin, evilOrigin},
		{"a foreign page claiming an allowed origin", evilOrigin, shopOrigin},
		{"no Origin header, a foreign origin named", "", evilOrigin},
		{"the gateway's own origin naming a foreign page", gatewayOrigin, evilOrigin},
		{"the gateway's own origin naming no page", gatewayOrigin, ""},
		{"no origin at all", "", ""},
	} {
		resp := h.getCheck(h.line.ID, c.header, c.claimed, nil)
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("%s: %d, want 403", c.name, resp.StatusCode)
		}
		// The loader must be able to read the refusal to explain it.
		if c.header != "" && resp.Header.Get("Access-Control-Allow-Origin") != c.header {
			t.Errorf("%s: refusal without Access-Control-Allow-Origin for %s", c.name, c.header)
		}
		var e errorAnswer
		_ = json.NewDecoder(resp.Body).Decode(&e)
		if e.Error.Code != "origin" {
			t.Errorf("%s: error code %q, want origin", c.name, e.Error.Code)
		}
		// The loader prints the message: it names the origin to allow.
		page := c.header
		if page == "" || page == gatewayOrigin {
			page = c.claimed
		}
		if page != "" && !strings.HasPrefix(e.Error.Message, page+" is not among the allowed origins of line "+h.line.ID) {
			t.Errorf("%s: message %q does not name %s as the origin to allow", c.name, e.Error.Message, page)
		}
	}
	// A line that allows the gateway's own origin (the demo line) is
	// checked like any other: its own pages pass.
	demo := h.createLine("Demo", gatewayOrigin)
	if resp := h.getCheck(demo.ID, "", gatewayOrigin, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("a page on the gateway for a line that allows it: %d", resp.StatusCode)
	}
	if resp := h.getCheck(h.line.ID, "", gatewayOrigin, nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a page on the gateway for a line that does not allow it: %d, want 403", resp.StatusCode)
	}
}

func TestCheckUnknownLine(t *testing.T) {
	h := newHarness(t)
	var e errorAnswer
	resp := h.getCheck("no-such-line", shopOrigin, shopOrigin, &e)
	if resp.StatusCode != http.StatusNotFound || e.Error.Code != "not_found" || !strings.Contains(e.Error.Message, `"no-such-line"`) {
		t.Fatalf("unknown line: %d %+v, want 404 not_found naming the line", resp.StatusCode, e)
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != shopOrigin {
		t.Error("a 404 without Access-Control-Allow-Origin: the loader cannot read it")
	}
	ch := inbox.LineChannels{Widget: inbox.WidgetChannel{Enabled: false, AllowedOrigins: []string{shopOrigin}}}
	if _, err := h.svc.UpdateLine(h.ctx, inbox.System, h.line.ID, inbox.LineInput{Channels: &ch}); err != nil {
		t.Fatal(err)
	}
	if resp := h.getCheck(h.line.ID, shopOrigin, shopOrigin, nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("a line whose widget is disabled: %d, want 404", resp.StatusCode)
	}
	if resp := h.getCheck("", shopOrigin, shopOrigin, nil); resp.StatusCode != http.StatusBadRequest || errorCode(resp) != "invalid" {
		t.Fatalf("no lineId: %d, want 400 invalid", resp.StatusCode)
	}
}

func TestCheckRateLimit(t *testing.T) {
	h := newHarness(t, func(c *widget.Config) { c.SessionsPerMinute = 3 })
	for i := range 3 {
		if resp := h.getCheck(h.line.ID, shopOrigin, shopOrigin, nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("check %d: %d", i+1, resp.StatusCode)
		}
	}
	resp := h.getCheck(h.line.ID, shopOrigin, shopOrigin, nil)
	if resp.StatusCode != http.StatusTooManyRequests || errorCode(resp) != "rate_limited" {
		t.Fatalf("4th check in a minute: %d, want 429 rate_limited", resp.StatusCode)
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != shopOrigin {
		t.Error("a 429 without Access-Control-Allow-Origin: the loader cannot tell it from a network error")
	}
	// Checks have buckets of their own: the sessions' allowance is untouched.
	h.session(nil)
}
