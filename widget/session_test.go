package widget_test

import (
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/widget"
)

func TestSessionReturnsTheSameVisitorWithHistory(t *testing.T) {
	h := newHarness(t)
	first := h.session(nil)
	if first.VisitorID == "" || first.Mode != "messenger" || first.Conversation != nil || len(first.Messages) != 0 {
		t.Fatalf("new session: %+v", first)
	}
	ct, err := h.svc.Contact(h.ctx, inbox.System, first.VisitorID)
	if err != nil || ct.Name != "" || ct.VisitorNumber < 1000 || ct.VisitorNumber > 9999 {
		t.Fatalf("visitor contact: %v %+v", err, ct)
	}
	c, _ := h.connect(first.Token, nil)
	ack := c.sendMessage("c-1", "Hello there")

	again := h.session(map[string]any{"token": first.Token})
	if again.VisitorID != first.VisitorID {
		t.Fatalf("stored token gave visitor %s, want %s", again.VisitorID, first.VisitorID)
	}
	if again.Conversation == nil || again.Conversation.ID != ack.ConversationID || len(again.Messages) != 1 || again.Messages[0].Text != "Hello there" {
		t.Fatalf("returning visitor's history: %+v", again)
	}
	conv, err := h.svc.Conversation(h.ctx, inbox.System, ack.ConversationID)
	if err != nil || conv.SitePage != shopOrigin+"/pricing" || conv.Channel != inbox.ChannelLiveChat || conv.Type != inbox.Incoming {
		t.Fatalf("conversation: %v %+v", err, conv)
	}

	// A forged signature, a token of another line, an expired token: a new visitor each.
	forged := first.Token[:len(first.Token)-2] + "AA"
	if s := h.session(map[string]any{"token": forged}); s.VisitorID == first.VisitorID {
		t.Fatal("a forged token was accepted")
	}
	if s := h.session(map[string]any{"token": "garbage"}); s.VisitorID == first.VisitorID {
		t.Fatal("a garbage token was accepted")
	}
	other := h.createLine("Other", shopOrigin)
	if s := h.session(map[string]any{"token": first.Token, "lineId": other.ID}); s.VisitorID == first.VisitorID {
		t.Fatal("a token of another line was accepted")
	}
	h.clock.Advance(widget.DefaultTokenTTL + time.Minute)
	if s := h.session(map[string]any{"token": again.Token}); s.VisitorID == first.VisitorID {
		t.Fatal("an expired token was accepted")
	}
	// A forged Bearer token reads nothing.
	if resp := h.call("GET", "/widget/v1/history", bearer(forged), nil, nil); resp.StatusCode != http.StatusUnauthorized || errorCode(resp) != "token" {
		t.Fatalf("history with a forged token: %d", resp.StatusCode)
	}
}

func TestSessionInputIsChecked(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		fields map[string]any
		status int
		field  string
	}{
		{map[string]any{"lineId": ""}, http.StatusBadRequest, "lineId"},
		{map[string]any{"lineId": "000000000000000000000000"}, http.StatusNotFound, ""},
		{map[string]any{"page": "not a url"}, http.StatusBadRequest, "page"},
		{map[string]any{"language": "xx"}, http.StatusBadRequest, "language"},
		{map[string]any{"user": map[string]any{"name": "No id"}}, http.StatusBadRequest, "user.id"},
		{map[string]any{"user": map[string]any{"id": "u1", "email": "not-an-email"}}, http.StatusBadRequest, "user.email"},
		{map[string]any{"lineId": 7}, http.StatusBadRequest, "lineId"},
	}
	for _, tc := range cases {
		var out struct {
			Error struct{ Code, Field string }
		}
		resp := h.postSession(tc.fields, &out)
		if resp.StatusCode != tc.status || out.Error.Field != tc.field {
			t.Errorf("%v: %d %+v, want %d field %q", tc.fields, resp.StatusCode, out, tc.status, tc.field)
		}
	}
	// Refused sessions leave nothing behind.
	if _, n, err := h.svc.Contacts(h.ctx, inbox.System, inbox.ContactFilter{}); err != nil || n != 0 {
		t.Fatalf("refused sessions created %d contacts (%v)", n, err)
	}
}

func TestOriginIsEnforced(t *testing.T) {
	h := newHarness(t)
	post := func(origin string, claimed any) *http.Response {
		hdr := map[string]string{}
		if origin != "" {
			hdr["Origin"] = origin
		}
		return h.call("POST", "/widget/v1/session", hdr, map[string]any{"lineId": h.line.ID, "origin": claimed}, nil)
	}
	for _, tc := range []struct {
		name, origin string
		claimed      any
	}{
		{"foreign site", evilOrigin, nil},
		{"foreign site claiming the shop", evilOrigin, shopOrigin},
		{"iframe for a foreign host page", gatewayOrigin, evilOrigin},
		{"iframe naming no host page", gatewayOrigin, nil},
		{"no Origin header", "", shopOrigin},
	} {
		if resp := post(tc.origin, tc.claimed); resp.StatusCode != http.StatusForbidden || errorCode(resp) != "origin" {
			t.Errorf("%s: %d, want 403 origin", tc.name, resp.StatusCode)
		}
	}
	// The shop itself may call directly, and may read the answer (CORS).
	resp := post(shopOrigin, nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != shopOrigin {
		t.Fatalf("shop calling directly: %d %v", resp.StatusCode, resp.Header)
	}
	if resp := h.call("OPTIONS", "/widget/v1/session", map[string]string{"Origin": shopOrigin, "Access-Control-Request-Method": "POST"}, nil, nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("preflight from the shop: %d", resp.StatusCode)
	}
	if resp := h.call("OPTIONS", "/widget/v1/session", map[string]string{"Origin": evilOrigin, "Access-Control-Request-Method": "POST"}, nil, nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("preflight from a foreign site: %d", resp.StatusCode)
	}

	s := h.session(nil)
	// Token-bound requests: the token's line's allowlist, again.
	if resp := h.call("GET", "/widget/v1/history", map[string]string{"Authorization": "Bearer " + s.Token, "Origin": evilOrigin}, nil, nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("history from a foreign site: %d", resp.StatusCode)
	}
	// Browsers send no Origin on same-origin GETs: the token suffices.
	if resp := h.call("GET", "/widget/v1/history", map[string]string{"Authorization": "Bearer " + s.Token}, nil, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("same-origin history: %d", resp.StatusCode)
	}
	if resp := h.call("POST", "/widget/v1/contact", map[string]string{"Authorization": "Bearer " + s.Token, "Origin": evilOrigin}, map[string]any{"name": "X"}, nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("contact form from a foreign site: %d", resp.StatusCode)
	}
	// The websocket is refused before the upgrade.
	for _, o := range []string{evilOrigin, ""} {
		_, resp, err := h.dial(s.Token, o)
		if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("websocket from %q: %v %v", o, err, resp)
		}
	}
	if _, resp, err := h.dial("forged", gatewayOrigin); err == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("websocket with a forged token: %v %v", err, resp)
	}
	if _, _, err := h.dial(s.Token, shopOrigin); err != nil {
		t.Fatalf("websocket from the shop: %v", err)
	}
}

func TestIdentityVerification(t *testing.T) {
	h := newHarness(t)
	ch := h.line.Channels
	ch.Widget.IdentitySecret = "line-secret"
	if _, err := h.svc.UpdateLine(h.ctx, inbox.System, h.line.ID, inbox.LineInput{Channels: &ch}); err != nil {
		t.Fatal(err)
	}
	// The secret is write-only: kept when saved empty, never shown.
	ch.Widget.IdentitySecret = ""
	l, err := h.svc.UpdateLine(h.ctx, inbox.System, h.line.ID, inbox.LineInput{Channels: &ch})
	if err != nil || l.Channels.Widget.IdentitySecret != "line-secret" || l.Redacted().Channels.Widget.IdentitySecret != "" {
		t.Fatalf("secret after an empty update: %v %+v", err, l.Channels.Widget)
	}

	user := func(id, hash string) map[string]any {
		return map[string]any{"user": map[string]any{"id": id, "name": "Ada", "email": "ada@example.com", "hash": hash}}
	}
	for _, hash := range []string{"", "00ff", widget.IdentityHash("wrong-secret", "u-17"), widget.IdentityHash("line-secret", "u-18")} {
		if resp := h.postSession(user("u-17", hash), nil); resp.StatusCode != http.StatusForbidden || errorCode(resp) != "identity" {
			t.Fatalf("hash %q: %d, want 403 identity", hash, resp.StatusCode)
		}
	}
	anon := h.session(nil)
	fields := user("u-17", strings.ToUpper(widget.IdentityHash("line-secret", "u-17")))
	fields["token"] = anon.Token
	ok := h.session(fields)
	if ok.VisitorID != anon.VisitorID {
		t.Fatal("identifying lost the anonymous visitor's chat")
	}
	ct, err := h.svc.Contact(h.ctx, inbox.System, ok.VisitorID)
	if err != nil || ct.Name != "Ada" || ct.Email != "ada@example.com" || ct.CustomFields["userId"] != "u-17" || ct.CustomFields["userVerified"] != "true" {
		t.Fatalf("identified contact: %v %+v", err, ct)
	}
	// Another user on the same browser gets a visitor of their own.
	fields = user("u-18", widget.IdentityHash("line-secret", "u-18"))
	fields["token"] = ok.Token
	if other := h.session(fields); other.VisitorID == ok.VisitorID {
		t.Fatal("two users shared one visitor")
	}
}

func TestSessionRateLimit(t *testing.T) {
	h := newHarness(t, func(c *widget.Config) { c.SessionsPerMinute = 3 })
	for i := 0; i < 3; i++ {
		h.session(nil)
	}
	resp := h.postSession(nil, nil)
	if resp.StatusCode != http.StatusTooManyRequests || errorCode(resp) != "rate_limited" {
		t.Fatalf("4th session in a minute: %d", resp.StatusCode)
	}
}

func TestFrameAndAssets(t *testing.T) {
	h := newHarness(t)
	resp := h.call("GET", "/widget/frame?line="+h.line.ID+"&origin="+evilOrigin, nil, nil, nil)
	if resp.StatusCode != http.StatusForbidden || errorCode(resp) != "origin" {
		t.Fatalf("frame for a foreign origin: %d", resp.StatusCode)
	}
	if resp := h.call("GET", "/widget/frame?line=nope&origin="+shopOrigin, nil, nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("frame of an unknown line: %d", resp.StatusCode)
	}
	if _, err := os.Stat("assets/frame.html"); err == nil {
		resp := h.call("GET", "/widget/frame?line="+h.line.ID+"&origin="+shopOrigin, nil, nil, nil)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Frame-Options") != "" ||
			resp.Header.Get("Content-Security-Policy") != "frame-ancestors "+shopOrigin {
			t.Fatalf("frame: %d %v", resp.StatusCode, resp.Header)
		}
		// Its scripts and styles are referred to by content-hashed URL.
		body, _ := io.ReadAll(resp.Body)
		// (The import map's keys are the plain URLs it redirects.)
		refs := regexp.MustCompile(`/widget/assets/([^"'?]+)(?:\?v=([0-9a-f]+))?("?:?)`).FindAllStringSubmatch(string(body), -1)
		if len(refs) == 0 {
			t.Fatalf("the frame refers to no assets: %s", body)
		}
		for _, r := range refs {
			if r[3] == `":` {
				continue
			}
			a := h.call("GET", "/widget/assets/"+r[1], nil, nil, nil)
			if r[2] == "" || `"`+r[2]+`"` != a.Header.Get("ETag") {
				t.Fatalf("frame refers to %s with version %q; the asset's ETag is %s", r[1], r[2], a.Header.Get("ETag"))
			}
		}
	}
	if _, err := os.Stat("assets/widget.js"); err == nil {
		resp := h.call("GET", "/widget.js", nil, nil, nil)
		etag := resp.Header.Get("ETag")
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "public, max-age=300" || etag == "" ||
			!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") {
			t.Fatalf("widget.js: %d %v", resp.StatusCode, resp.Header)
		}
		if resp := h.call("GET", "/widget.js", map[string]string{"If-None-Match": etag}, nil, nil); resp.StatusCode != http.StatusNotModified {
			t.Fatalf("widget.js revalidation: %d", resp.StatusCode)
		}
	}
	entries, _ := os.ReadDir("assets")
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		resp := h.call("GET", "/widget/assets/"+e.Name(), nil, nil, nil)
		etag := strings.Trim(resp.Header.Get("ETag"), `"`)
		if resp.StatusCode != http.StatusOK || etag == "" || resp.Header.Get("Cache-Control") != "no-cache" {
			t.Fatalf("asset %s: %d %v", e.Name(), resp.StatusCode, resp.Header)
		}
		resp = h.call("GET", "/widget/assets/"+e.Name()+"?v="+etag, nil, nil, nil)
		if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") {
			t.Fatalf("versioned asset %s: cache %q", e.Name(), cc)
		}
	}
	if resp := h.call("GET", "/widget/assets/../widget.go", nil, nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("path outside the assets: %d", resp.StatusCode)
	}
}
