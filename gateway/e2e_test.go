package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestEndToEnd builds the real binary, runs it on the embedded store and
// drives it over HTTP as its users would: the admin sets up a line, a
// group and people; agents and a supervisor sign in; an agent's
// conversation stays private to them; and everything survives a graceful
// restart on the same data directory.
func TestEndToEnd(t *testing.T) {
	start := time.Now()
	bin := buildBinary(t)
	dataDir := t.TempDir()

	// ---- First start: empty data dir, generated admin password. ----
	srv := startServer(t, bin, dataDir)
	boot := srv.welcome(t)
	adminEmail, adminPassword := boot.adminEmail, boot.adminPassword
	if adminPassword == "" {
		t.Fatalf("first start printed no generated admin password:\n%s", srv.stdout)
	}
	if boot.demoLineID == "" {
		t.Fatalf("first start printed no demo line:\n%s", srv.stdout)
	}

	// Unauthenticated requests are refused with the JSON error shape.
	anon := newClient(t, "anonymous", srv.base)
	anon.expectError("GET", "/api/v1/me", nil, http.StatusUnauthorized, "unauthorized")
	anon.expectError("GET", "/api/v1/conversations", nil, http.StatusUnauthorized, "unauthorized")
	anon.expectError("POST", "/api/v1/lines", map[string]any{"name": "Anon"}, http.StatusUnauthorized, "unauthorized")
	anon.expectError("POST", "/api/v1/auth/login", map[string]any{"email": adminEmail, "password": "wrong-password"}, http.StatusUnauthorized, "unauthorized")

	admin := newClient(t, "admin", srv.base)
	adminMe := admin.login(adminEmail, adminPassword)
	if adminMe.Role != "admin" {
		t.Fatalf("admin signed in with role %q, want admin", adminMe.Role)
	}

	// The demo line exists and is listed.
	var demo lineJSON
	admin.expect("GET", "/api/v1/lines/"+boot.demoLineID, nil, http.StatusOK, &demo)
	if demo.Name != "Demo line" {
		t.Fatalf("demo line is named %q", demo.Name)
	}

	// ---- The admin sets up a line, a group and three people. ----
	var line lineJSON
	admin.expect("POST", "/api/v1/lines", map[string]any{"name": "Support"}, http.StatusCreated, &line)
	var group groupJSON
	admin.expect("POST", "/api/v1/groups", map[string]any{"name": "Tier 1"}, http.StatusCreated, &group)

	const pwA, pwB, pwS = "agent-a-password", "agent-b-password", "supervisor-password"
	agentA := admin.createAgent("Alice Agent", "alice@example.com", pwA, "agent")
	agentB := admin.createAgent("Bob Agent", "bob@example.com", pwB, "agent")
	super := admin.createAgent("Sue Supervisor", "sue@example.com", pwS, "supervisor")

	var patchedLine lineJSON
	admin.expect("PATCH", "/api/v1/lines/"+line.ID, map[string]any{"agentIds": []string{agentA.ID, agentB.ID}}, http.StatusOK, &patchedLine)
	if !sameSet(patchedLine.AgentIDs, []string{agentA.ID, agentB.ID}) {
		t.Fatalf("line queue after PATCH = %v, want A and B", patchedLine.AgentIDs)
	}
	var patchedA agentJSON
	admin.expect("PATCH", "/api/v1/agents/"+agentA.ID, map[string]any{"groupIds": []string{group.ID}}, http.StatusOK, &patchedA)
	if !sameSet(patchedA.GroupIDs, []string{group.ID}) {
		t.Fatalf("agent A's groups after PATCH = %v, want [%s]", patchedA.GroupIDs, group.ID)
	}

	// ---- Everyone signs in. ----
	cliA := newClient(t, "agent A", srv.base)
	if me := cliA.login("alice@example.com", pwA); me.ID != agentA.ID || me.Role != "agent" || !slices.Contains(me.GroupIDs, group.ID) {
		t.Fatalf("agent A signed in as %+v", me)
	}
	cliB := newClient(t, "agent B", srv.base)
	if me := cliB.login("bob@example.com", pwB); me.ID != agentB.ID || me.Role != "agent" {
		t.Fatalf("agent B signed in as %+v", me)
	}
	cliS := newClient(t, "supervisor", srv.base)
	if me := cliS.login("sue@example.com", pwS); me.ID != super.ID || me.Role != "supervisor" {
		t.Fatalf("supervisor signed in as %+v", me)
	}

	// ---- B opens an outgoing conversation on the line (B is in its queue). ----
	// B is not in the demo line's queue, so B may not open one there.
	cliB.expectError("POST", "/api/v1/conversations", map[string]any{
		"type": "outgoing", "lineId": boot.demoLineID,
		"contact": map[string]any{"name": "Mallory"}, "message": map[string]any{"text": "hi"},
	}, http.StatusForbidden, "forbidden")

	var opened convView
	cliB.expect("POST", "/api/v1/conversations", map[string]any{
		"type": "outgoing", "lineId": line.ID,
		"contact": map[string]any{"name": "Carol"}, "message": map[string]any{"text": "hello"},
	}, http.StatusCreated, &opened)
	conv := opened.Conversation
	switch {
	case conv.ID == "":
		t.Fatalf("opened conversation has no id: %+v", opened)
	case conv.AgentID != agentB.ID:
		t.Fatalf("outgoing conversation belongs to %q, want agent B %q", conv.AgentID, agentB.ID)
	case conv.Type != "outgoing" || conv.LineID != line.ID || conv.ContactName != "Carol":
		t.Fatalf("opened conversation = %+v", conv)
	case conv.Status != "answered":
		t.Fatalf("outgoing conversation with the agent's first message has status %q, want answered", conv.Status)
	}
	if len(opened.Messages) != 1 || opened.Messages[0].Text != "hello" || opened.Messages[0].AuthorKind != "agent" || opened.Messages[0].AuthorID != agentB.ID {
		t.Fatalf("opened conversation's messages = %+v, want B's \"hello\"", opened.Messages)
	}
	convPath := "/api/v1/conversations/" + conv.ID

	// ---- Permissions. ----
	// A is in the same line's queue, but the conversation is B's.
	cliA.expectError("GET", convPath, nil, http.StatusForbidden, "forbidden")
	cliA.expectError("GET", convPath+"/messages", nil, http.StatusForbidden, "forbidden")
	cliA.expectError("POST", convPath+"/messages", map[string]any{"text": "let me butt in"}, http.StatusForbidden, "forbidden")
	cliA.expectError("POST", convPath+"/accept", nil, http.StatusForbidden, "forbidden")
	cliA.expectError("POST", convPath+"/assign", map[string]any{"agentId": agentA.ID}, http.StatusForbidden, "forbidden")
	cliA.expectError("POST", convPath+"/close", nil, http.StatusForbidden, "forbidden")
	if ids := cliA.conversationIDs(""); slices.Contains(ids, conv.ID) {
		t.Fatalf("agent A's conversation list %v includes B's conversation %s", ids, conv.ID)
	}
	if ids := cliA.conversationIDs("agent=" + agentB.ID); slices.Contains(ids, conv.ID) {
		t.Fatalf("agent A's list filtered by agent B %v includes B's conversation", ids)
	}
	// A is not an admin.
	cliA.expectError("POST", "/api/v1/lines", map[string]any{"name": "A's line"}, http.StatusForbidden, "forbidden")
	cliA.expectError("POST", "/api/v1/groups", map[string]any{"name": "A's group"}, http.StatusForbidden, "forbidden")
	cliA.expectError("POST", "/api/v1/agents", map[string]any{"name": "Eve", "email": "eve@example.com", "password": "eve-password", "role": "admin"}, http.StatusForbidden, "forbidden")
	cliA.expectError("PATCH", "/api/v1/lines/"+line.ID, map[string]any{"agentIds": []string{agentA.ID}}, http.StatusForbidden, "forbidden")
	cliA.expectError("PATCH", "/api/v1/agents/"+agentA.ID, map[string]any{"role": "admin"}, http.StatusForbidden, "forbidden")
	admin.expectAbsent("/api/v1/lines", "A's line")
	admin.expectAbsent("/api/v1/groups", "A's group")
	admin.expectAbsent("/api/v1/agents", "eve@example.com")
	var lineNow lineJSON
	admin.expect("GET", "/api/v1/lines/"+line.ID, nil, http.StatusOK, &lineNow)
	if !sameSet(lineNow.AgentIDs, []string{agentA.ID, agentB.ID}) {
		t.Fatalf("line queue changed by a refused request: %v", lineNow.AgentIDs)
	}
	var aNow agentJSON
	admin.expect("GET", "/api/v1/agents/"+agentA.ID, nil, http.StatusOK, &aNow)
	if aNow.Role != "agent" {
		t.Fatalf("agent A's role changed by a refused request: %q", aNow.Role)
	}

	// The supervisor sees every conversation.
	var seen convView
	cliS.expect("GET", convPath, nil, http.StatusOK, &seen)
	if seen.Conversation.ID != conv.ID || len(seen.Messages) != 1 {
		t.Fatalf("supervisor's view of the conversation = %+v", seen)
	}
	if ids := cliS.conversationIDs(""); !slices.Contains(ids, conv.ID) {
		t.Fatalf("supervisor's conversation list %v lacks %s", ids, conv.ID)
	}
	if ids := cliB.conversationIDs(""); !slices.Contains(ids, conv.ID) {
		t.Fatalf("agent B's conversation list %v lacks their own conversation %s", ids, conv.ID)
	}
	// The supervisor is not an admin either.
	cliS.expectError("POST", "/api/v1/lines", map[string]any{"name": "S's line"}, http.StatusForbidden, "forbidden")

	// Writes without the CSRF header (or with another session's token) are
	// refused and change nothing.
	admin.expectErrorNoCSRF("POST", "/api/v1/lines", map[string]any{"name": "Forged line"}, http.StatusForbidden, "csrf")
	admin.expectErrorNoCSRF("PATCH", "/api/v1/lines/"+line.ID, map[string]any{"name": "Forged name"}, http.StatusForbidden, "csrf")
	cliB.expectErrorNoCSRF("POST", convPath+"/messages", map[string]any{"text": "forged"}, http.StatusForbidden, "csrf")
	cliB.expectErrorNoCSRF("POST", convPath+"/close", nil, http.StatusForbidden, "csrf")
	cliB.expectErrorWithCSRF(cliA.csrf, "POST", convPath+"/messages", map[string]any{"text": "forged with A's token"}, http.StatusForbidden, "csrf")
	admin.expectAbsent("/api/v1/lines", "Forged")
	var afterForgery convView
	cliB.expect("GET", convPath, nil, http.StatusOK, &afterForgery)
	if afterForgery.Conversation.Status != "answered" || len(afterForgery.Messages) != 1 || afterForgery.Conversation.Seq != 1 {
		t.Fatalf("refused writes changed the conversation: status %q, %d messages, seq %d",
			afterForgery.Conversation.Status, len(afterForgery.Messages), afterForgery.Conversation.Seq)
	}

	// ---- The conversation goes on. ----
	// The contact answers (the admin writes as the contact, as an integration would).
	var posted postedMsg
	admin.expect("POST", convPath+"/messages", map[string]any{"text": "I have a question", "as": "contact"}, http.StatusCreated, &posted)
	if posted.Message.AuthorKind != "contact" || posted.Message.Seq != 2 {
		t.Fatalf("contact's message = %+v", posted.Message)
	}
	if c := cliB.conversation(conv.ID).Conversation; c.Status != "waiting_again" || c.General != "waiting" {
		t.Fatalf("after the contact's question: status %q/%q, want waiting_again/waiting", c.Status, c.General)
	}
	// B presses Answer: it stays theirs and still waits.
	var accepted convJSON
	cliB.expect("POST", convPath+"/accept", nil, http.StatusOK, &accepted)
	if accepted.AgentID != agentB.ID || accepted.Status != "waiting_again" {
		t.Fatalf("after B accepts: agent %q status %q", accepted.AgentID, accepted.Status)
	}
	// B replies; a retry with the same client id is not stored twice.
	reply := map[string]any{"text": "Here is the answer", "clientId": "bob-reply-1"}
	cliB.expect("POST", convPath+"/messages", reply, http.StatusCreated, &posted)
	replyID := posted.Message.ID
	if posted.Duplicate || posted.Message.AuthorID != agentB.ID || posted.Message.Seq != 3 {
		t.Fatalf("B's reply = %+v", posted)
	}
	cliB.expect("POST", convPath+"/messages", reply, http.StatusOK, &posted)
	if !posted.Duplicate || posted.Message.ID != replyID {
		t.Fatalf("retried reply = %+v, want the stored message %s as a duplicate", posted, replyID)
	}
	cliB.expect("POST", convPath+"/messages", map[string]any{"text": "customer was happy", "comment": true}, http.StatusCreated, &posted)
	if !posted.Message.Comment || posted.Message.Seq != 4 {
		t.Fatalf("B's comment = %+v", posted.Message)
	}
	if c := cliS.conversation(conv.ID).Conversation; c.Status != "answered" || c.General != "answered" || c.Seq != 4 {
		t.Fatalf("after B's reply the supervisor sees status %q/%q seq %d, want answered/answered seq 4", c.Status, c.General, c.Seq)
	}
	// Agents may not rate; the admin does.
	cliB.expectError("PUT", convPath+"/rating", map[string]any{"rating": 5, "comment": "I was great"}, http.StatusForbidden, "forbidden")
	var rated convJSON
	admin.expect("PUT", convPath+"/rating", map[string]any{"rating": 4, "comment": "Good answer"}, http.StatusOK, &rated)
	if rated.SupervisorRating != 4 || rated.SupervisorComment != "Good answer" {
		t.Fatalf("after rating: %d %q", rated.SupervisorRating, rated.SupervisorComment)
	}
	// B closes it; it no longer takes messages, but still takes comments.
	var closed convJSON
	cliB.expect("POST", convPath+"/close", nil, http.StatusOK, &closed)
	if closed.Status != "closed" || closed.General != "closed" || closed.Dates.Closed == nil || closed.Dates.ClosedByAgent == nil {
		t.Fatalf("after close: %+v", closed)
	}
	cliB.expectError("POST", convPath+"/messages", map[string]any{"text": "one more thing"}, http.StatusConflict, "conflict")
	cliB.expectError("POST", convPath+"/close", nil, http.StatusConflict, "conflict")
	// The list filters find it as what it now is.
	if ids := admin.conversationIDs("status=closed&supervisorRating=4&line=" + line.ID); !slices.Contains(ids, conv.ID) {
		t.Fatalf("closed, rated conversation missing from the filtered list: %v", ids)
	}
	if ids := admin.conversationIDs("active=true&line=" + line.ID); slices.Contains(ids, conv.ID) {
		t.Fatalf("closed conversation is listed as active: %v", ids)
	}
	wantMsgs := []string{"hello", "I have a question", "Here is the answer", "customer was happy"}
	checkConversation := func(who *client) {
		t.Helper()
		v := who.conversation(conv.ID)
		c := v.Conversation
		if c.Status != "closed" || c.AgentID != agentB.ID || c.LineID != line.ID || c.SupervisorRating != 4 ||
			c.SupervisorComment != "Good answer" || c.ContactName != "Carol" || c.Number != conv.Number || c.Seq != 4 {
			t.Fatalf("%s sees conversation %+v", who.name, c)
		}
		var texts []string
		for i, m := range v.Messages {
			texts = append(texts, m.Text)
			if m.Seq != int64(i+1) {
				t.Fatalf("%s: message %d has seq %d", who.name, i, m.Seq)
			}
		}
		if !slices.Equal(texts, wantMsgs) {
			t.Fatalf("%s sees messages %q, want %q", who.name, texts, wantMsgs)
		}
		var page listOf[msgJSON]
		who.expect("GET", convPath+"/messages?after=2", nil, http.StatusOK, &page)
		if len(page.Items) != 2 || page.Items[0].Seq != 3 || page.Items[0].ID != replyID {
			t.Fatalf("%s: messages after seq 2 = %+v", who.name, page.Items)
		}
	}
	checkConversation(admin)
	checkConversation(cliS)
	cliA.expectError("GET", convPath, nil, http.StatusForbidden, "forbidden")

	// ---- Graceful stop. ----
	srv.stop(t)

	// ---- Second start on the same data dir, on a new port. ----
	srv2 := startServer(t, bin, dataDir)
	boot2 := srv2.welcome(t)
	if boot2.adminPassword != "" || strings.Contains(srv2.stdout.String(), adminPassword) {
		t.Fatalf("second start printed a password although the admin exists:\n%s", srv2.stdout)
	}
	if !strings.Contains(srv2.stdout.String(), "Admin login:   "+adminEmail+"  (password as set at first start)") {
		t.Fatalf("second start does not name the existing admin:\n%s", srv2.stdout)
	}
	if boot2.demoLineID != boot.demoLineID {
		t.Fatalf("demo line id changed across restart: %q then %q", boot.demoLineID, boot2.demoLineID)
	}

	// Sessions live in the store: B's session from before the restart still works.
	cliB.base = srv2.base
	if ids := cliB.conversationIDs(""); !slices.Contains(ids, conv.ID) {
		t.Fatalf("agent B's list after restart lacks %s: %v", conv.ID, ids)
	}

	admin2 := newClient(t, "admin (after restart)", srv2.base)
	if me := admin2.login(adminEmail, adminPassword); me.ID != adminMe.ID {
		t.Fatalf("after restart the admin is %q, was %q", me.ID, adminMe.ID)
	}
	var line2 lineJSON
	admin2.expect("GET", "/api/v1/lines/"+line.ID, nil, http.StatusOK, &line2)
	if line2.Name != "Support" || !sameSet(line2.AgentIDs, []string{agentA.ID, agentB.ID}) {
		t.Fatalf("line after restart = %+v", line2)
	}
	var lines listOf[lineJSON]
	admin2.expect("GET", "/api/v1/lines", nil, http.StatusOK, &lines)
	if !slices.ContainsFunc(lines.Items, func(l lineJSON) bool { return l.ID == boot.demoLineID }) {
		t.Fatalf("demo line %s missing after restart: %+v", boot.demoLineID, lines.Items)
	}
	if len(lines.Items) != 2 {
		t.Fatalf("after restart there are %d lines, want the demo line and Support: %+v", len(lines.Items), lines.Items)
	}
	var group2 groupJSON
	admin2.expect("GET", "/api/v1/groups/"+group.ID, nil, http.StatusOK, &group2)
	if group2.Name != "Tier 1" {
		t.Fatalf("group after restart = %+v", group2)
	}
	var agents listOf[agentJSON]
	admin2.expect("GET", "/api/v1/agents", nil, http.StatusOK, &agents)
	byID := map[string]agentJSON{}
	for _, a := range agents.Items {
		byID[a.ID] = a
	}
	for _, want := range []agentJSON{adminMe, agentA, agentB, super} {
		got, ok := byID[want.ID]
		if !ok || got.Email != want.Email || got.Role != want.Role || got.Name != want.Name {
			t.Fatalf("after restart agent %s (%s) = %+v (present %v)", want.ID, want.Email, got, ok)
		}
	}
	if len(agents.Items) != 4 {
		t.Fatalf("after restart there are %d agents, want 4: %+v", len(agents.Items), agents.Items)
	}
	if !sameSet(byID[agentA.ID].GroupIDs, []string{group.ID}) {
		t.Fatalf("agent A's groups after restart = %v", byID[agentA.ID].GroupIDs)
	}
	checkConversation(admin2)

	// Permissions hold after the restart too.
	cliA2 := newClient(t, "agent A (after restart)", srv2.base)
	cliA2.login("alice@example.com", pwA)
	cliA2.expectError("GET", convPath, nil, http.StatusForbidden, "forbidden")
	if ids := cliA2.conversationIDs(""); slices.Contains(ids, conv.ID) {
		t.Fatalf("agent A's list after restart includes B's conversation: %v", ids)
	}

	srv2.stop(t)
	for _, s := range []*server{srv, srv2} {
		if errs := errorLogLines(s.stderr.String()); len(errs) > 0 {
			t.Errorf("the gateway logged errors:\n%s", strings.Join(errs, "\n"))
		}
	}
	t.Logf("end-to-end run took %s", time.Since(start).Round(time.Millisecond))
}

// ---- JSON shapes, as a client reads them. ----

type agentJSON struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Email    string   `json:"email"`
	Role     string   `json:"role"`
	GroupIDs []string `json:"groupIds"`
}

type lineJSON struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	AgentIDs []string `json:"agentIds"`
	GroupIDs []string `json:"groupIds"`
}

type groupJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type convJSON struct {
	ID                string `json:"id"`
	Number            int64  `json:"number"`
	LineID            string `json:"lineId"`
	Type              string `json:"type"`
	Status            string `json:"status"`
	General           string `json:"general"`
	ContactName       string `json:"contactName"`
	AgentID           string `json:"agentId"`
	SupervisorRating  int    `json:"supervisorRating"`
	SupervisorComment string `json:"supervisorComment"`
	Seq               int64  `json:"seq"`
	Dates             struct {
		Closed        *time.Time `json:"closed"`
		ClosedByAgent *time.Time `json:"closedByAgent"`
	} `json:"dates"`
}

type msgJSON struct {
	ID         string `json:"id"`
	Seq        int64  `json:"seq"`
	AuthorKind string `json:"authorKind"`
	AuthorID   string `json:"authorId"`
	Text       string `json:"text"`
	Comment    bool   `json:"comment"`
}

type convView struct {
	Conversation convJSON  `json:"conversation"`
	Messages     []msgJSON `json:"messages"`
}

type postedMsg struct {
	Message   msgJSON `json:"message"`
	Duplicate bool    `json:"duplicate"`
}

type listOf[T any] struct {
	Items []T   `json:"items"`
	Total int64 `json:"total"`
}

type errorJSON struct {
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// ---- HTTP client: one cookie jar per user. ----

type client struct {
	t    *testing.T
	name string
	base string
	http *http.Client
	csrf string
}

func newClient(t *testing.T, name, base string) *client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &client{t: t, name: name, base: base, http: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

// csrfDefault sends the client's own CSRF token on writes.
const csrfDefault = "\x00default"

// do sends a request and returns the status and the raw body. Writes carry
// csrf as X-CSRF-Token: the client's own token for csrfDefault, none for "".
func (c *client) do(method, path string, body any, csrf string) (int, []byte) {
	c.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if csrf == csrfDefault {
		csrf = c.csrf
	}
	if csrf != "" && method != "GET" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s: %s %s: %v", c.name, method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s: %s %s: read body: %v", c.name, method, path, err)
	}
	return resp.StatusCode, b
}

// expect sends a request, requires status want and decodes the JSON body into out.
func (c *client) expect(method, path string, body any, want int, out any) {
	c.t.Helper()
	c.expectWith(csrfDefault, method, path, body, want, out)
}

func (c *client) expectWith(csrf, method, path string, body any, want int, out any) {
	c.t.Helper()
	status, b := c.do(method, path, body, csrf)
	if status != want {
		c.t.Fatalf("%s: %s %s: status %d, want %d; body: %s", c.name, method, path, status, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s: %s %s: decode %T: %v; body: %s", c.name, method, path, out, err, b)
		}
	}
}

// expectError requires an error status with the JSON body {"error":{"code":code,...}}.
func (c *client) expectError(method, path string, body any, want int, code string) {
	c.t.Helper()
	c.expectErrorWithCSRF(csrfDefault, method, path, body, want, code)
}

func (c *client) expectErrorNoCSRF(method, path string, body any, want int, code string) {
	c.t.Helper()
	c.expectErrorWithCSRF("", method, path, body, want, code)
}

func (c *client) expectErrorWithCSRF(csrf, method, path string, body any, want int, code string) {
	c.t.Helper()
	var e errorJSON
	c.expectWith(csrf, method, path, body, want, &e)
	if e.Error == nil || e.Error.Code != code || e.Error.Message == "" {
		c.t.Fatalf("%s: %s %s: error body %s, want code %q with a message", c.name, method, path, mustJSON(e), code)
	}
}

// expectAbsent requires that the list at path does not mention text.
func (c *client) expectAbsent(path, text string) {
	c.t.Helper()
	status, b := c.do("GET", path, nil, "")
	if status != http.StatusOK {
		c.t.Fatalf("%s: GET %s: status %d; body: %s", c.name, path, status, b)
	}
	if bytes.Contains(b, []byte(text)) {
		c.t.Fatalf("%s: GET %s mentions %q after a refused write; body: %s", c.name, path, text, b)
	}
}

func (c *client) login(email, password string) agentJSON {
	c.t.Helper()
	var me struct {
		Agent     agentJSON `json:"agent"`
		CSRFToken string    `json:"csrfToken"`
	}
	c.expectWith("", "POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password}, http.StatusOK, &me)
	if me.CSRFToken == "" || me.Agent.ID == "" {
		c.t.Fatalf("%s: login answered %+v", c.name, me)
	}
	c.csrf = me.CSRFToken
	var again struct {
		Agent     agentJSON `json:"agent"`
		CSRFToken string    `json:"csrfToken"`
	}
	c.expect("GET", "/api/v1/me", nil, http.StatusOK, &again)
	if again.Agent.ID != me.Agent.ID || again.CSRFToken != me.CSRFToken {
		c.t.Fatalf("%s: /me after login = %+v, login said %+v", c.name, again, me)
	}
	return me.Agent
}

func (c *client) createAgent(name, email, password, role string) agentJSON {
	c.t.Helper()
	var ag agentJSON
	c.expect("POST", "/api/v1/agents", map[string]any{"name": name, "email": email, "password": password, "role": role}, http.StatusCreated, &ag)
	if ag.ID == "" || ag.Email != email || ag.Role != role {
		c.t.Fatalf("%s: created agent %+v", c.name, ag)
	}
	return ag
}

func (c *client) conversation(id string) convView {
	c.t.Helper()
	var v convView
	c.expect("GET", "/api/v1/conversations/"+id, nil, http.StatusOK, &v)
	return v
}

// conversationIDs lists the ids of the conversations the user sees.
func (c *client) conversationIDs(query string) []string {
	c.t.Helper()
	var l listOf[convJSON]
	path := "/api/v1/conversations"
	if query != "" {
		path += "?" + query
	}
	c.expect("GET", path, nil, http.StatusOK, &l)
	ids := make([]string, len(l.Items))
	for i, cv := range l.Items {
		ids[i] = cv.ID
	}
	return ids
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func sameSet(got, want []string) bool {
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	return slices.Equal(g, w)
}

// ---- The binary. ----

func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "switchboard")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type server struct {
	cmd            *exec.Cmd
	base           string
	stdout, stderr *lockedBuffer
	done           chan struct{}
	waitErr        error
}

// shutdownDeadline is the gateway's default SWITCHBOARD_SHUTDOWN_TIMEOUT.
const shutdownDeadline = 15 * time.Second

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// startServer starts the binary on a free port and waits until it is
// ready. The port was free when freePort closed it, but another process's
// outgoing connection can take it before the gateway binds it: then it
// starts again on another.
func startServer(t *testing.T, bin, dataDir string) *server {
	t.Helper()
	return startServerWith(t, bin, dataDir, false)
}

// startServerWith is startServer with a public URL (the gateway's own
// address) when publicURL is set, and the extra KEY=VALUE settings.
func startServerWith(t *testing.T, bin, dataDir string, publicURL bool, extra ...string) *server {
	t.Helper()
	for attempt := 1; ; attempt++ {
		s, busy := spawnGateway(t, bin, dataDir, freePort(t), publicURL, extra...)
		if !busy {
			return s
		}
		if attempt == 5 {
			t.Fatalf("no free port after %d attempts:\n%s", attempt, s.stderr)
		}
	}
}

type welcome struct {
	adminEmail, adminPassword, demoLineID string
}

var (
	adminLoginRE = regexp.MustCompile(`(?m)^\s*Admin login:\s+(\S+)\s+(?:password: (\S+)|\(password as set at first start\))\s*$`)
	demoLineRE   = regexp.MustCompile(`(?m)^\s*Demo line:\s+(\S+)\s*$`)
)

// welcome parses the start-up banner. The banner is written before the
// server accepts connections, but the pipe may lag a little behind.
func (s *server) welcome(t *testing.T) welcome {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		out := s.stdout.String()
		login, demo := adminLoginRE.FindStringSubmatch(out), demoLineRE.FindStringSubmatch(out)
		if login != nil && demo != nil {
			return welcome{adminEmail: login[1], adminPassword: login[2], demoLineID: demo[1]}
		}
		if time.Now().After(deadline) {
			t.Fatalf("start-up banner lacks the admin login or demo line:\n%s", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends SIGTERM and requires a clean exit within the shutdown deadline.
func (s *server) stop(t *testing.T) {
	t.Helper()
	begin := time.Now()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	// A shutdown that needs its whole deadline ends in an error exit,
	// which fails below with the gateway's own words; waiting longer than
	// the deadline tells that apart from a gateway that does not stop.
	wait := shutdownDeadline + 10*time.Second
	select {
	case <-s.done:
	case <-time.After(wait):
		t.Fatalf("gateway still running %s after SIGTERM\nstderr:\n%s", wait, s.stderr)
	}
	if s.waitErr != nil {
		t.Fatalf("gateway exited with %v after SIGTERM\nstderr:\n%s", s.waitErr, s.stderr)
	}
	if code := s.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("gateway exit code %d after SIGTERM\nstderr:\n%s", code, s.stderr)
	}
	t.Logf("gateway on %s stopped in %s", s.base, time.Since(begin).Round(time.Millisecond))
}

// getBody GETs url and returns its body.
func getBody(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// closes reads ch until it is closed (true), or until nothing came on it
// for quiet or within has passed (false).
func closes[T any](ch <-chan T, quiet, within time.Duration) bool {
	for end := time.After(within); ; {
		select {
		case _, ok := <-ch:
			if !ok {
				return true
			}
		case <-time.After(quiet):
			return false
		case <-end:
			return false
		}
	}
}

// noErrorLogs fails the test with every ERROR line the (stopped) servers
// logged.
func noErrorLogs(t *testing.T, servers ...*server) {
	t.Helper()
	for _, s := range servers {
		if errs := errorLogLines(s.stderr.String()); len(errs) > 0 {
			t.Errorf("%s logged errors:\n%s", s.base, strings.Join(errs, "\n"))
		}
	}
}

// errorLogLines returns the ERROR lines of the gateway's text log.
func errorLogLines(stderr string) []string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.Contains(l, "level=ERROR") {
			out = append(out, l)
		}
	}
	return out
}
