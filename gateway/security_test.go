package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// Limits the security test runs the gateway with.
const (
	secMaxFrame  = 4 << 10  // SWITCHBOARD_WIDGET_MAX_FRAME
	secMaxFile   = 64 << 10 // SWITCHBOARD_MAX_FILE_SIZE
	secBodyLimit = 16 << 10 // SWITCHBOARD_BODY_LIMIT
)

const evilOrigin = "https://evil.example.net"

// as is the client acting in (sub)test t, so that its failures end t.
func as(c *client, t *testing.T) *client {
	cp := *c
	cp.t = t
	return &cp
}

// agentUpload posts a multipart upload to /api/v1/files with the client's
// cookie and CSRF token.
func agentUpload(c *client, body *multipartBody) (int, []byte) {
	c.t.Helper()
	req, err := http.NewRequest("POST", c.base+"/api/v1/files", bytes.NewReader(body.data))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", body.contentType)
	req.Header.Set("X-CSRF-Token", c.csrf)
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s: upload: %v", c.name, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// agentDownload fetches /api/v1/files/id as the client.
func agentDownload(c *client, id string) (int, []byte) {
	c.t.Helper()
	return c.do("GET", "/api/v1/files/"+id, nil, "")
}

// sessionCookie is the client's sb_session cookie header, "" if none.
func sessionCookie(c *client) string {
	u, _ := url.Parse(c.base)
	var parts []string
	for _, ck := range c.http.Jar.Cookies(u) {
		parts = append(parts, ck.Name+"="+ck.Value)
	}
	return strings.Join(parts, "; ")
}

// dialAgentWS opens /api/v1/ws with the given cookie and Origin headers.
func dialAgentWS(ctx context.Context, base, cookie, origin string) (*websocket.Conn, *http.Response, error) {
	hdr := http.Header{}
	if cookie != "" {
		hdr.Set("Cookie", cookie)
	}
	if origin != "" {
		hdr.Set("Origin", origin)
	}
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	return d.DialContext(ctx, wsURL(base, "/api/v1/ws", nil), hdr)
}

// wantRefusal requires status want (or one of also) and a JSON error body
// with code ("" accepts any code).
func wantRefusal(t *testing.T, what string, status int, body []byte, code string, want int, also ...int) {
	t.Helper()
	ok := status == want
	for _, a := range also {
		ok = ok || status == a
	}
	if !ok {
		t.Errorf("%s: status %d, want %d%v; body: %.300s", what, status, want, also, body)
		return
	}
	got, _ := errorCode(body)
	if got == "" || (code != "" && got != code) {
		t.Errorf("%s: body %.300s, want a JSON error with code %q", what, body, code)
	}
}

// TestSecurityBoundaries drives the real binary across its trust
// boundaries: origins, one visitor against another, identity
// verification, frame, file and body limits, file access between agents,
// and the agent websocket's handshake.
func TestSecurityBoundaries(t *testing.T) {
	begin := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()

	bin := buildBinary(t)
	addr := freePort(t)
	srv := launchGateway(t, bin, t.TempDir(), addr,
		fmt.Sprintf("SWITCHBOARD_WIDGET_MAX_FRAME=%d", secMaxFrame),
		"SWITCHBOARD_MAX_FILE_SIZE=64KiB",
		"SWITCHBOARD_BODY_LIMIT=16KiB",
		"SWITCHBOARD_WIDGET_SESSION_RATE=100000",
		"SWITCHBOARD_WIDGET_MESSAGE_RATE=100000",
	)
	base, self := srv.base, originOfBase(srv.base)
	boot := srv.welcome(t)
	admin := newClient(t, "admin", base)
	admin.login(boot.adminEmail, boot.adminPassword)
	agentA := admin.createAgent("Alice Agent", "alice@example.com", "agent-a-password", "agent")
	agentB := admin.createAgent("Bob Agent", "bob@example.com", "agent-b-password", "agent")
	admin.createAgent("Sue Supervisor", "sue@example.com", "supervisor-password", "supervisor")
	line := createWidgetLine(admin, "Secure line")
	admin.expect("PATCH", "/api/v1/lines/"+line.ID, map[string]any{"agentIds": []string{agentA.ID, agentB.ID}}, http.StatusOK, nil)
	cliA := newClient(t, "agent A", base)
	cliA.login("alice@example.com", "agent-a-password")
	cliB := newClient(t, "agent B", base)
	cliB.login("bob@example.com", "agent-b-password")
	cliS := newClient(t, "supervisor", base)
	cliS.login("sue@example.com", "supervisor-password")

	sessionURL := base + "/widget/v1/session"

	t.Run("Origin", func(t *testing.T) {
		for _, c := range []struct {
			name, header, claim string
			want                int
		}{
			{"foreign Origin", evilOrigin, "", http.StatusForbidden},
			{"foreign Origin claiming the shop", evilOrigin, shopOrigin, http.StatusForbidden},
			{"iframe claiming a foreign page", self, evilOrigin, http.StatusForbidden},
			{"iframe naming no page", self, "", http.StatusForbidden},
			{"no Origin", "", shopOrigin, http.StatusForbidden},
			{"allowed Origin", shopOrigin, "", http.StatusOK},
			{"iframe for the allowed page", self, shopOrigin, http.StatusOK},
		} {
			body := map[string]any{"lineId": line.ID}
			if c.claim != "" {
				body["origin"] = c.claim
			}
			status, b, err := visitorRequest(ctx, "POST", sessionURL, c.header, "", body)
			if err != nil {
				t.Fatal(err)
			}
			if c.want != http.StatusOK {
				wantRefusal(t, "session: "+c.name, status, b, "origin", c.want)
			} else if status != http.StatusOK {
				t.Errorf("session: %s: status %d, want 200; body %s", c.name, status, b)
			}
		}

		sess, err := newWidgetSession(ctx, base, line.ID, shopOrigin)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name, header, claim string
			want                int
		}{
			{"foreign Origin", evilOrigin, "", http.StatusForbidden},
			{"iframe claiming a foreign page", self, evilOrigin, http.StatusForbidden},
			{"no Origin", "", "", http.StatusForbidden},
			{"allowed Origin", shopOrigin, "", http.StatusSwitchingProtocols},
			{"iframe for the allowed page", self, shopOrigin, http.StatusSwitchingProtocols},
		} {
			ws, resp, err := dialVisitor(ctx, base, sess.Token, c.header, c.claim)
			status, b := handshakeStatus(resp)
			if c.want == http.StatusSwitchingProtocols {
				if err != nil || status != c.want {
					t.Errorf("websocket: %s: %v, status %d; body %s", c.name, err, status, b)
					continue
				}
				if err := ws.hello(0, ""); err != nil {
					t.Errorf("websocket: %s: hello: %v", c.name, err)
				} else if _, err := ws.nextOf(ctx, "welcome"); err != nil {
					t.Errorf("websocket: %s: no welcome: %v", c.name, err)
				}
				ws.close()
				continue
			}
			if err == nil {
				ws.close()
				t.Errorf("websocket: %s: upgraded, want %d", c.name, c.want)
				continue
			}
			wantRefusal(t, "websocket: "+c.name, status, b, "origin", c.want)
		}

		// A token-authorised GET from a foreign page is refused too; without
		// an Origin header (an image load) the token decides.
		status, b, _ := visitorRequest(ctx, "GET", base+"/widget/v1/history", evilOrigin, sess.Token, nil)
		wantRefusal(t, "history from a foreign Origin", status, b, "origin", http.StatusForbidden)
		if status, b, _ := visitorRequest(ctx, "GET", base+"/widget/v1/history", "", sess.Token, nil); status != http.StatusOK {
			t.Errorf("history without Origin: status %d; body %s", status, b)
		}
		// CORS preflights only for origins some line allows.
		status, b, _ = visitorRequest(ctx, "OPTIONS", base+"/widget/v1/session", evilOrigin, "", nil)
		wantRefusal(t, "preflight from a foreign Origin", status, b, "origin", http.StatusForbidden)
		if status, b, _ := visitorRequest(ctx, "OPTIONS", base+"/widget/v1/session", shopOrigin, "", nil); status != http.StatusNoContent {
			t.Errorf("preflight from the allowed Origin: status %d; body %s", status, b)
		}
	})

	t.Run("VisitorIsolation", func(t *testing.T) {
		sa, err := newWidgetSession(ctx, base, line.ID, shopOrigin)
		if err != nil {
			t.Fatal(err)
		}
		sb, err := newWidgetSession(ctx, base, line.ID, shopOrigin)
		if err != nil {
			t.Fatal(err)
		}
		if sa.VisitorID == sb.VisitorID {
			t.Fatalf("two sessions without a token share visitor %s", sa.VisitorID)
		}
		// B uploads a file and sends it with a message.
		const secretText = "B's private message"
		upload := fileUpload("b-secret.txt", 1000)
		status, body, err := visitorRequest(ctx, "POST", base+"/widget/v1/files?origin="+url.QueryEscape(shopOrigin), self, sb.Token, upload)
		if err != nil || status != http.StatusOK {
			t.Fatalf("B's upload: %v, status %d: %s", err, status, body)
		}
		var up uploadedFiles
		if err := json.Unmarshal(body, &up); err != nil || len(up.Files) != 1 || up.Files[0].FileID == "" {
			t.Fatalf("B's upload answered %s (%v)", body, err)
		}
		fileB := up.Files[0].FileID
		wsB, _, err := dialVisitor(ctx, base, sb.Token, self, shopOrigin)
		if err != nil {
			t.Fatal(err)
		}
		defer wsB.close()
		if err := wsB.sendMessage("b-1", secretText, map[string]any{"fileId": fileB}); err != nil {
			t.Fatal(err)
		}
		ackB, err := wsB.nextOf(ctx, "ack")
		if err != nil {
			t.Fatalf("B's send: %v", err)
		}
		convB := ackB.ConversationID

		wsA, _, err := dialVisitor(ctx, base, sa.Token, self, shopOrigin)
		if err != nil {
			t.Fatal(err)
		}
		defer wsA.close()
		if err := wsA.sendMessage("a-1", "A's own message"); err != nil {
			t.Fatal(err)
		}
		ackA, err := wsA.nextOf(ctx, "ack")
		if err != nil {
			t.Fatalf("A's send: %v", err)
		}
		if ackA.ConversationID == convB {
			t.Fatalf("A's message went into B's conversation %s", convB)
		}
		// A cannot attach B's file either.
		if err := wsA.sendMessage("a-steal", "look", map[string]any{"fileId": fileB}); err != nil {
			t.Fatal(err)
		}
		f, err := wsA.nextOf(ctx, "ack")
		if err == nil || f.Type != "error" || f.Code != "invalid" || f.ClientID != "a-steal" {
			t.Errorf("A attaching B's file: %+v, %v; want an invalid error frame", f, err)
		}

		// B reads their own history and file.
		histB := base + "/widget/v1/history?conversationId=" + url.QueryEscape(convB)
		status, body, _ = visitorRequest(ctx, "GET", histB, "", sb.Token, nil)
		if status != http.StatusOK || !strings.Contains(string(body), secretText) {
			t.Errorf("B's own history: status %d; body %.300s", status, body)
		}
		fileURL := func(tok string) string {
			return base + "/widget/v1/files/" + url.PathEscape(fileB) + "?token=" + url.QueryEscape(tok)
		}
		status, body, _ = visitorRequest(ctx, "GET", fileURL(sb.Token), "", "", nil)
		if status != http.StatusOK || len(body) != 1000 {
			t.Errorf("B's own file: status %d, %d bytes", status, len(body))
		}

		// A gets neither.
		for _, tc := range []struct{ name, url, token string }{
			{"A reads B's history (Bearer)", histB, sa.Token},
			{"A reads B's history (after=0)", histB + "&after=0", sa.Token},
			{"A downloads B's file (?token=)", fileURL(sa.Token), ""},
			{"A downloads B's file (Bearer)", base + "/widget/v1/files/" + url.PathEscape(fileB), sa.Token},
		} {
			status, body, err := visitorRequest(ctx, "GET", tc.url, "", tc.token, nil)
			if err != nil {
				t.Fatal(err)
			}
			wantRefusal(t, tc.name, status, body, "", http.StatusNotFound, http.StatusForbidden)
			if strings.Contains(string(body), secretText) || strings.Contains(string(body), "switchboard test file") {
				t.Errorf("%s: the answer leaks B's data: %.300s", tc.name, body)
			}
		}
		// A's websocket cannot resume in B's conversation.
		wsA2, _, err := dialVisitor(ctx, base, sa.Token, self, shopOrigin)
		if err != nil {
			t.Fatal(err)
		}
		defer wsA2.close()
		if err := wsA2.hello(0, convB); err != nil {
			t.Fatal(err)
		}
		welcome, err := wsA2.nextOf(ctx, "welcome")
		if err != nil || welcome.ConversationID != ackA.ConversationID {
			t.Errorf("A's hello naming B's conversation: welcome %+v, %v", welcome, err)
		}
		quiet, qc := context.WithTimeout(ctx, 700*time.Millisecond)
		defer qc()
		for {
			f, err := wsA2.next(quiet)
			if err != nil {
				break
			}
			if f.ConversationID == convB || strings.Contains(string(f.Message), secretText) || strings.Contains(string(f.Message), convB) {
				t.Errorf("A's websocket got a frame of B's conversation: %+v %s", f, f.Message)
			}
		}
		// A forged token is a 401.
		forged := sa.Token[:len(sa.Token)-2] + "AA"
		if forged == sa.Token {
			forged = sa.Token[:len(sa.Token)-2] + "BB"
		}
		status, body, _ = visitorRequest(ctx, "GET", histB, "", forged, nil)
		wantRefusal(t, "history with a forged token", status, body, "token", http.StatusUnauthorized)
	})

	t.Run("IdentityVerification", func(t *testing.T) {
		admin := as(admin, t)
		const secret = "identity-secret-of-the-shop-0123456789"
		admin.expect("PATCH", "/api/v1/lines/"+line.ID, map[string]any{"channels": map[string]any{
			"widget": map[string]any{"enabled": true, "allowedOrigins": []string{shopOrigin}, "identitySecret": secret},
		}}, http.StatusOK, nil)
		status, body := admin.do("GET", "/api/v1/lines/"+line.ID, nil, "")
		if status != http.StatusOK || strings.Contains(string(body), secret) {
			t.Errorf("GET line: status %d; the identity secret must never be shown: %s", status, body)
		}
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte("u-17"))
		right := hex.EncodeToString(mac.Sum(nil))
		session := func(user map[string]any) (int, []byte) {
			status, body, err := visitorRequest(ctx, "POST", sessionURL, self, "",
				map[string]any{"lineId": line.ID, "origin": shopOrigin, "user": user})
			if err != nil {
				t.Fatal(err)
			}
			return status, body
		}
		wrongMAC := hmac.New(sha256.New, []byte("another secret"))
		wrongMAC.Write([]byte("u-17"))
		for _, c := range []struct {
			name string
			user map[string]any
		}{
			{"a wrong hash", map[string]any{"id": "u-17", "name": "Ada", "hash": hex.EncodeToString(wrongMAC.Sum(nil))}},
			{"garbage as hash", map[string]any{"id": "u-17", "hash": "wrong"}},
			{"no hash", map[string]any{"id": "u-17"}},
			{"another user's hash", map[string]any{"id": "u-18", "hash": right}},
		} {
			status, body := session(c.user)
			wantRefusal(t, "session with "+c.name, status, body, "identity", http.StatusForbidden)
		}
		status, body = session(map[string]any{"id": "u-17", "name": "Ada Lovelace", "email": "ada@example.com", "hash": right})
		if status != http.StatusOK {
			t.Fatalf("session with the right hash: status %d; body %s", status, body)
		}
		var sess widgetSession
		if err := json.Unmarshal(body, &sess); err != nil || sess.Token == "" {
			t.Fatalf("session answer %s (%v)", body, err)
		}
		var contact struct {
			Name         string            `json:"name"`
			CustomFields map[string]string `json:"customFields"`
		}
		admin.expect("GET", "/api/v1/contacts/"+sess.VisitorID, nil, http.StatusOK, &contact)
		if contact.Name != "Ada Lovelace" || contact.CustomFields["userId"] != "u-17" || contact.CustomFields["userVerified"] != "true" {
			t.Errorf("verified visitor's contact = %+v", contact)
		}
		// Upper-case hex is the same hash.
		if status, body := session(map[string]any{"id": "u-17", "hash": strings.ToUpper(right)}); status != http.StatusOK {
			t.Errorf("session with the hash in upper case: status %d; body %s", status, body)
		}
	})

	t.Run("FrameLimit", func(t *testing.T) {
		sess, err := newWidgetSession(ctx, base, line.ID, shopOrigin)
		if err != nil {
			t.Fatal(err)
		}
		ws, _, err := dialVisitor(ctx, base, sess.Token, self, shopOrigin)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.drop()
		// Just under the limit is fine.
		if err := ws.sendMessage("fits", strings.Repeat("a", secMaxFrame-200)); err != nil {
			t.Fatal(err)
		}
		if f, err := ws.nextOf(ctx, "ack"); err != nil || f.ClientID != "fits" {
			t.Fatalf("a frame under the limit: %+v, %v", f, err)
		}
		if err := ws.sendMessage("too-big", strings.Repeat("b", secMaxFrame+100)); err != nil {
			t.Fatal(err)
		}
		sawError := false
		for {
			f, err := ws.next(ctx)
			if err != nil {
				var ce *websocket.CloseError
				if !errors.As(err, &ce) || ce.Code != websocket.CloseMessageTooBig {
					t.Errorf("after an oversize frame the connection ended with %v, want close code 1009", err)
				}
				break
			}
			switch f.Type {
			case "ack":
				t.Errorf("an oversize frame was stored: %+v", f)
			case "error":
				if f.Code != "frame_too_large" {
					t.Errorf("error frame %s %s, want frame_too_large", f.Code, f.Message)
				}
				sawError = true
			}
		}
		if !sawError {
			t.Errorf("no frame_too_large error frame before the close")
		}

		// Far over the limit (past the hard read limit): closed with 1009 too.
		ws2, _, err := dialVisitor(ctx, base, sess.Token, self, shopOrigin)
		if err != nil {
			t.Fatal(err)
		}
		defer ws2.drop()
		// The client library sends a long message as several fragments; the
		// server may close before the last one, so the write may fail.
		if err := ws2.sendMessage("huge", strings.Repeat("c", 16*secMaxFrame)); err != nil {
			t.Logf("writing the huge frame: %v (the server closed first)", err)
		}
		for {
			f, err := ws2.next(ctx)
			if err != nil {
				var ce *websocket.CloseError
				if !errors.As(err, &ce) || ce.Code != websocket.CloseMessageTooBig {
					t.Errorf("after a huge frame the connection ended with %v, want close code 1009", err)
				}
				break
			}
			if f.Type == "ack" {
				t.Errorf("a huge frame was stored: %+v", f)
			}
		}
		// Nothing of either was stored.
		status, body, _ := visitorRequest(ctx, "GET", base+"/widget/v1/history?after=0", "", sess.Token, nil)
		var h struct {
			Messages []msgJSON `json:"messages"`
		}
		if err := json.Unmarshal(body, &h); status != http.StatusOK || err != nil || len(h.Messages) != 1 {
			t.Errorf("history after the oversize frames: status %d, %d messages, want only the one that fit; %.200s", status, len(h.Messages), body)
		}
	})

	t.Run("FileSizeLimit", func(t *testing.T) {
		cliA := as(cliA, t)
		sess, err := newWidgetSession(ctx, base, line.ID, shopOrigin)
		if err != nil {
			t.Fatal(err)
		}
		upURL := base + "/widget/v1/files?origin=" + url.QueryEscape(shopOrigin)
		status, body, err := visitorRequest(ctx, "POST", upURL, self, sess.Token, fileUpload("big.bin", secMaxFile+1))
		if err != nil {
			t.Fatal(err)
		}
		wantRefusal(t, "visitor upload over the file limit", status, body, "too_large", http.StatusRequestEntityTooLarge)
		status, body, _ = visitorRequest(ctx, "POST", upURL, self, sess.Token, fileUpload("exact.bin", secMaxFile))
		if status != http.StatusOK {
			t.Errorf("visitor upload of exactly the file limit: status %d; body %s", status, body)
		}
		status, body = agentUpload(cliA, fileUpload("big.bin", secMaxFile+1))
		wantRefusal(t, "agent upload over the file limit", status, body, "too_large", http.StatusRequestEntityTooLarge)
		status, body = agentUpload(cliA, fileUpload("exact.bin", secMaxFile))
		if status != http.StatusCreated {
			t.Errorf("agent upload of exactly the file limit: status %d; body %s", status, body)
		}
		// One good and one oversize file: the whole upload is refused.
		status, body, _ = visitorRequest(ctx, "POST", upURL, self, sess.Token, filesUpload(1000, secMaxFile+1))
		wantRefusal(t, "visitor upload with one file over the limit", status, body, "too_large", http.StatusRequestEntityTooLarge)
	})

	t.Run("AgentFiles", func(t *testing.T) {
		admin, cliA, cliB, cliS := as(admin, t), as(cliA, t), as(cliB, t), as(cliS, t)
		status, body := agentUpload(cliA, fileUpload("a-notes.txt", 2000))
		var up uploadedFiles
		if err := json.Unmarshal(body, &up); status != http.StatusCreated || err != nil || len(up.Files) != 1 {
			t.Fatalf("A's upload: status %d; body %s", status, body)
		}
		fileA := up.Files[0].FileID
		var openedA convView
		cliA.expect("POST", "/api/v1/conversations", map[string]any{
			"type": "outgoing", "lineId": line.ID, "contact": map[string]any{"name": "Carol"},
			"message": map[string]any{"text": "hello Carol"},
		}, http.StatusCreated, &openedA)
		convA := "/api/v1/conversations/" + openedA.Conversation.ID
		cliA.expect("POST", convA+"/messages", map[string]any{"text": "here are the notes", "attachments": []map[string]any{{"fileId": fileA}}}, http.StatusCreated, nil)

		status, body = agentDownload(cliB, fileA)
		wantRefusal(t, "agent B downloads A's file", status, body, "forbidden", http.StatusForbidden)
		for _, who := range []*client{cliA, cliS, admin} {
			if status, body := agentDownload(who, fileA); status != http.StatusOK || len(body) != 2000 {
				t.Errorf("%s downloads A's file: status %d, %d bytes", who.name, status, len(body))
			}
		}
		status, body = agentDownload(cliB, "000000000000000000000000")
		wantRefusal(t, "an unknown file", status, body, "not_found", http.StatusNotFound)

		// B cannot attach A's file to their own conversation.
		var openedB convView
		cliB.expect("POST", "/api/v1/conversations", map[string]any{
			"type": "outgoing", "lineId": line.ID, "contact": map[string]any{"name": "Dave"},
			"message": map[string]any{"text": "hello Dave"},
		}, http.StatusCreated, &openedB)
		convB := "/api/v1/conversations/" + openedB.Conversation.ID
		status, body = cliB.do("POST", convB+"/messages", map[string]any{"text": "look what I found", "attachments": []map[string]any{{"fileId": fileA}}}, csrfDefault)
		wantRefusal(t, "B attaches A's file", status, body, "invalid", http.StatusBadRequest)
		if _, field := errorCode(body); field != "attachments[0].fileId" {
			t.Errorf("B attaches A's file: field %q, want attachments[0].fileId; body %s", field, body)
		}
		status, body = cliB.do("POST", convB+"/messages", map[string]any{"text": "note", "comment": true, "attachments": []map[string]any{{"fileId": fileA}}}, csrfDefault)
		wantRefusal(t, "B attaches A's file to a comment", status, body, "invalid", http.StatusBadRequest)
		// Nor open a conversation whose first message carries it.
		status, body = cliB.do("POST", "/api/v1/conversations", map[string]any{
			"type": "outgoing", "lineId": line.ID, "contact": map[string]any{"name": "Eve"},
			"message": map[string]any{"text": "hello Eve", "attachments": []map[string]any{{"fileId": fileA, "name": "a-notes.txt", "size": 2000}}},
		}, csrfDefault)
		wantRefusal(t, "B opens a conversation with A's file", status, body, "invalid", http.StatusBadRequest)
		if _, field := errorCode(body); field != "message.attachments[0].fileId" {
			t.Errorf("B opens a conversation with A's file: field %q, want message.attachments[0].fileId; body %.300s", field, body)
		}
		admin.expectAbsent("/api/v1/conversations?limit=200", `"contactName":"Eve"`)
		// So B still cannot read it.
		status, body = agentDownload(cliB, fileA)
		wantRefusal(t, "agent B downloads A's file after trying to attach it", status, body, "forbidden", http.StatusForbidden)
	})

	t.Run("BodyLimit", func(t *testing.T) {
		admin, cliA := as(admin, t), as(cliA, t)
		big := strings.Repeat("x", secBodyLimit+1000)
		status, body := admin.do("POST", "/api/v1/lines", map[string]any{"name": "Oversize " + big}, csrfDefault)
		wantRefusal(t, "an over-limit JSON body to POST /api/v1/lines", status, body, "", http.StatusRequestEntityTooLarge)
		admin.expectAbsent("/api/v1/lines", "Oversize")
		status, body, _ = visitorRequest(ctx, "POST", sessionURL, self, "",
			map[string]any{"lineId": line.ID, "origin": shopOrigin, "language": big})
		wantRefusal(t, "an over-limit JSON body to POST /widget/v1/session", status, body, "", http.StatusRequestEntityTooLarge)

		// A multipart upload larger than the body limit (a normal file)
		// still works, for agents and visitors.
		normal := secBodyLimit * 2
		status, body = agentUpload(cliA, fileUpload("normal.pdf", normal))
		if status != http.StatusCreated {
			t.Errorf("agent upload of a %d-byte file with a %d-byte body limit: status %d; body %s", normal, secBodyLimit, status, body)
		}
		sess, err := newWidgetSession(ctx, base, line.ID, shopOrigin)
		if err != nil {
			t.Fatal(err)
		}
		status, body, _ = visitorRequest(ctx, "POST", base+"/widget/v1/files?origin="+url.QueryEscape(shopOrigin), self, sess.Token, fileUpload("normal.pdf", normal))
		if status != http.StatusOK {
			t.Errorf("visitor upload of a %d-byte file with a %d-byte body limit: status %d; body %s", normal, secBodyLimit, status, body)
		}
	})

	t.Run("AgentWebsocket", func(t *testing.T) {
		cookie := sessionCookie(cliA)
		if !strings.Contains(cookie, "sb_session=") {
			t.Fatalf("agent A has no session cookie: %q", cookie)
		}
		for _, c := range []struct {
			name, cookie, origin string
			want                 int
			code                 string
		}{
			{"a foreign Origin", cookie, evilOrigin, http.StatusForbidden, "origin"},
			{"the shop's Origin", cookie, shopOrigin, http.StatusForbidden, "origin"},
			{"no Origin", cookie, "", http.StatusForbidden, "origin"},
			{"no cookie", "", self, http.StatusUnauthorized, "unauthorized"},
			{"a forged cookie", "sb_session=forged", self, http.StatusUnauthorized, "unauthorized"},
		} {
			conn, resp, err := dialAgentWS(ctx, base, c.cookie, c.origin)
			if err == nil {
				conn.Close()
				t.Errorf("agent websocket with %s: upgraded, want %d", c.name, c.want)
				continue
			}
			status, body := handshakeStatus(resp)
			wantRefusal(t, "agent websocket with "+c.name, status, body, c.code, c.want)
		}
		conn, resp, err := dialAgentWS(ctx, base, cookie, self)
		if err != nil {
			status, body := handshakeStatus(resp)
			t.Fatalf("agent websocket with the cookie from its own origin: %v, status %d; body %s", err, status, body)
		}
		defer conn.Close()
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, data, err := conn.ReadMessage()
		if err != nil || !strings.Contains(string(data), `"ready"`) {
			t.Errorf("agent websocket's first frame: %s, %v; want ready", data, err)
		}
	})

	srv.stop(t)
	if errs := errorLogLines(srv.stderr.String()); len(errs) > 0 {
		t.Errorf("the gateway logged errors:\n%s", strings.Join(errs, "\n"))
	}
	t.Logf("security test took %s", time.Since(begin).Round(time.Millisecond))
}
