package api_test

import (
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/inbox/api"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// TestCSRF sends cookie-authenticated writes without the X-CSRF-Token
// header, with a wrong one and with another session's: 403 "csrf", nothing
// written. Reads need no token; the right token passes.
func TestCSRF(t *testing.T) {
	h := newHarness(t)
	other := h.agentSession("Ann Agent", inbox.RoleAgent)
	l := h.seedLine("Main", other.agent.ID)
	g := h.seedGroup("Sales")
	conv := h.openIncoming(l.ID, "Client", "hello")

	writes := []struct {
		method, path string
		body         any
	}{
		{http.MethodPost, "/api/v1/groups", map[string]any{"name": "Support"}},
		{http.MethodPatch, "/api/v1/groups/" + g.ID, map[string]any{"name": "Renamed"}},
		{http.MethodDelete, "/api/v1/groups/" + g.ID, nil},
		{http.MethodPatch, "/api/v1/me", map[string]any{"name": "Hijacked"}},
		{http.MethodPost, "/api/v1/agents", map[string]any{"name": "Eve", "email": "eve@example.com", "password": "long-enough-1", "role": "admin"}},
		{http.MethodDelete, "/api/v1/agents/" + other.agent.ID, nil},
		{http.MethodDelete, "/api/v1/lines/" + l.ID + "?confirm=true", nil},
		{http.MethodPost, "/api/v1/conversations/" + conv.ID + "/messages", map[string]any{"text": "hi"}},
		{http.MethodPost, "/api/v1/conversations/" + conv.ID + "/close", nil},
		{http.MethodDelete, "/api/v1/conversations/" + conv.ID, nil},
		{http.MethodPut, "/api/v1/conversations/" + conv.ID + "/rating", map[string]any{"rating": 5}},
		{http.MethodPost, "/api/v1/auth/logout", nil},
		// Even a malformed body or an unknown id is refused for CSRF first.
		{http.MethodPost, "/api/v1/groups", `{"name":`},
		{http.MethodDelete, "/api/v1/agents/" + missingID, nil},
	}
	tokens := []struct {
		name string
		opt  reqOpt
	}{
		{"missing", noCSRF},
		{"empty", csrf("")},
		{"wrong", csrf("not-the-token")},
		{"other session's", csrf(other.csrf)},
		{"session cookie as token", csrf(h.admin.cookie)},
	}
	before := h.snap()
	for _, w := range writes {
		for _, tok := range tokens {
			t.Run(w.method+" "+w.path+"/"+tok.name, func(t *testing.T) {
				r := h.do(w.method, w.path, w.body, h.admin, tok.opt)
				r.t = t
				r.wantError(http.StatusForbidden, "csrf", "")
			})
		}
	}
	h.unchanged(before, "writes without a valid CSRF token")

	// The session survived the refused logouts, reads need no token.
	var me api.Me
	h.do(http.MethodGet, "/api/v1/me", nil, h.admin, noCSRF).want(http.StatusOK).decode(&me)
	if me.Agent.ID != h.admin.agent.ID || me.CSRFToken != h.admin.csrf {
		t.Errorf("GET /me = %+v, want the admin with the login's CSRF token", me)
	}
	// With the right token the same write goes through.
	h.do(http.MethodPatch, "/api/v1/groups/"+g.ID, map[string]any{"name": "Renamed"}, h.admin).want(http.StatusOK)
	var got inbox.Group
	h.get("/api/v1/groups/"+g.ID, h.admin, &got)
	if got.Name != "Renamed" {
		t.Errorf("group name %q after an accepted rename", got.Name)
	}
}

// TestUnauthenticated sends requests without a session or with a dead one:
// 401 "unauthorized", nothing written. Logout ends only its own session.
func TestUnauthenticated(t *testing.T) {
	h := newHarness(t)
	l := h.seedLine("Main")
	conv := h.openIncoming(l.ID, "Client", "hello")

	anonymous := []struct {
		method, path string
		body         any
	}{
		{http.MethodGet, "/api/v1/me", nil},
		{http.MethodGet, "/api/v1/agents", nil},
		{http.MethodGet, "/api/v1/conversations", nil},
		{http.MethodGet, "/api/v1/conversations/" + conv.ID, nil},
		{http.MethodPost, "/api/v1/groups", map[string]any{"name": "G"}},
		{http.MethodPost, "/api/v1/conversations/" + conv.ID + "/close", nil},
		{http.MethodDelete, "/api/v1/lines/" + l.ID + "?confirm=true", nil},
		{http.MethodPost, "/api/v1/auth/logout", nil},
		{http.MethodGet, "/api/v1/no-such-endpoint", nil},
	}
	bogus := &session{cookie: "bogus-token", csrf: h.admin.csrf}
	before := h.snap()
	for _, c := range anonymous {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			r := h.do(c.method, c.path, c.body, nil, csrf(h.admin.csrf))
			r.t = t
			r.wantError(http.StatusUnauthorized, "unauthorized", "")
			r = h.do(c.method, c.path, c.body, bogus)
			r.t = t
			r.wantError(http.StatusUnauthorized, "unauthorized", "")
		})
	}
	h.unchanged(before, "anonymous requests")

	// Two sessions of the admin; logging out one kills it, not the other.
	second := h.login(adminEmail, adminPassword)
	h.do(http.MethodGet, "/api/v1/me", nil, second).want(http.StatusOK)
	sessions := h.count("sessions", bson.M{})
	r := h.do(http.MethodPost, "/api/v1/auth/logout", nil, second).want(http.StatusNoContent)
	cleared := false
	for _, c := range r.resp.Cookies() {
		if c.Name == api.SessionCookie && c.Value == "" {
			cleared = true
		}
	}
	if !cleared {
		t.Errorf("logout did not clear the %s cookie: %v", api.SessionCookie, r.resp.Header["Set-Cookie"])
	}
	if n := h.count("sessions", bson.M{}); n != sessions-1 {
		t.Errorf("sessions after logout = %d, want %d", n, sessions-1)
	}
	before = h.snap()
	h.do(http.MethodGet, "/api/v1/me", nil, second).wantError(http.StatusUnauthorized, "unauthorized", "")
	h.do(http.MethodPost, "/api/v1/groups", map[string]any{"name": "G"}, second).wantError(http.StatusUnauthorized, "unauthorized", "")
	h.do(http.MethodPost, "/api/v1/auth/logout", nil, second).wantError(http.StatusUnauthorized, "unauthorized", "")
	h.unchanged(before, "requests with a logged-out session")
	h.do(http.MethodGet, "/api/v1/me", nil, h.admin).want(http.StatusOK)

	// A session past its TTL is dead too.
	h.clock.Advance(8 * 24 * time.Hour)
	h.do(http.MethodGet, "/api/v1/me", nil, h.admin).wantError(http.StatusUnauthorized, "unauthorized", "")
}

// TestLoginThrottle fails LoginMaxFailures sign-ins: the next attempt, even
// with the right password, is 429 with Retry-After and opens no session.
// After the window it works again.
func TestLoginThrottle(t *testing.T) {
	h := newHarness(t)
	h.seedAgent("Ann", "ann@example.com", password, inbox.RoleAgent)
	login := func(email, pw string) *response {
		return h.do(http.MethodPost, "/api/v1/auth/login", map[string]string{"email": email, "password": pw}, nil)
	}
	before := h.snap()
	for i := 0; i < maxFailures; i++ {
		login("ann@example.com", "wrong-password").wantError(http.StatusUnauthorized, "unauthorized", "")
	}
	for _, pw := range []string{"wrong-password", password} {
		r := login("ann@example.com", pw)
		r.wantError(http.StatusTooManyRequests, "throttled", "")
		ra, err := strconv.Atoi(r.resp.Header.Get("Retry-After"))
		if err != nil || ra < 1 || ra > 61 {
			t.Errorf("%v: Retry-After %q, want 1 to 61 seconds", r, r.resp.Header.Get("Retry-After"))
		}
		if len(r.resp.Cookies()) != 0 {
			t.Errorf("%v: a throttled login set cookies %v", r, r.resp.Cookies())
		}
	}
	h.unchanged(before, "failed and throttled logins")

	// Half the window later it is still locked, with a shorter wait.
	h.clock.Advance(30 * time.Second)
	r := login("ann@example.com", password)
	r.wantError(http.StatusTooManyRequests, "throttled", "")
	if ra, _ := strconv.Atoi(r.resp.Header.Get("Retry-After")); ra < 1 || ra > 31 {
		t.Errorf("Retry-After %q half-way through the window, want 1 to 31", r.resp.Header.Get("Retry-After"))
	}
	h.unchanged(before, "throttled login")

	// The window passes: the right password opens a session.
	h.clock.Advance(31 * time.Second)
	s := h.login("ann@example.com", password)
	h.do(http.MethodGet, "/api/v1/me", nil, s).want(http.StatusOK)

	// Unknown e-mails count as failures too.
	for i := 0; i < maxFailures; i++ {
		login("nobody@example.com", "whatever-pw").wantError(http.StatusUnauthorized, "unauthorized", "")
	}
	login("nobody@example.com", "whatever-pw").wantError(http.StatusTooManyRequests, "throttled", "")
}

// TestLoginThrottleEmailVariants fails sign-ins for one account from one
// address, writing the e-mail differently each time (case, spaces). Login
// treats them all as the same account, so the throttle must too: otherwise
// the limit is bypassed by changing the case.
func TestLoginThrottleEmailVariants(t *testing.T) {
	h := newHarness(t)
	h.seedAgent("Ann", "ann@example.com", password, inbox.RoleAgent)
	login := func(email, pw string) *response {
		return h.do(http.MethodPost, "/api/v1/auth/login", map[string]string{"email": email, "password": pw}, nil)
	}
	variants := []string{"Ann@example.com", "ANN@EXAMPLE.COM", " ann@example.com "}
	for _, e := range variants {
		// Each variant signs in to the same account.
		var me api.Me
		login(e, password).want(http.StatusOK).decode(&me)
		if me.Agent.Email != "ann@example.com" {
			t.Fatalf("%q signed in as %q", e, me.Agent.Email)
		}
	}
	for _, e := range variants[:maxFailures] {
		login(e, "wrong-password").wantError(http.StatusUnauthorized, "unauthorized", "")
	}
	before := h.snap()
	login("ann@example.com", password).wantError(http.StatusTooManyRequests, "throttled", "")
	h.unchanged(before, "a throttled login")
}

// TestRoles checks what agents and supervisors may not do.
func TestRoles(t *testing.T) {
	h := newHarness(t)
	ann := h.agentSession("Ann Agent", inbox.RoleAgent)
	bob := h.agentSession("Bob Agent", inbox.RoleAgent)
	sue := h.agentSession("Sue Visor", inbox.RoleSupervisor)
	l := h.seedLine("Main", ann.agent.ID, bob.agent.ID)
	g := h.seedGroup("Sales")

	mine := h.openIncoming(l.ID, "Ann's Client", "hello")
	h.do(http.MethodPost, "/api/v1/conversations/"+mine.ID+"/accept", nil, ann).want(http.StatusOK)
	h.do(http.MethodPost, "/api/v1/conversations/"+mine.ID+"/messages", map[string]any{"text": "how can I help?"}, ann).want(http.StatusCreated)
	queued := h.openIncoming(l.ID, "Queued Client", "anyone?")

	t.Run("agent manages nothing", func(t *testing.T) {
		cases := []struct {
			method, path string
			body         any
		}{
			{http.MethodPost, "/api/v1/lines", map[string]any{"name": "Mine"}},
			{http.MethodPatch, "/api/v1/lines/" + l.ID, map[string]any{"name": "Renamed"}},
			{http.MethodDelete, "/api/v1/lines/" + l.ID, nil},
			{http.MethodDelete, "/api/v1/lines/" + l.ID + "?confirm=true", nil},
			{http.MethodPost, "/api/v1/groups", map[string]any{"name": "Mine"}},
			{http.MethodPatch, "/api/v1/groups/" + g.ID, map[string]any{"name": "Renamed"}},
			{http.MethodDelete, "/api/v1/groups/" + g.ID, nil},
			{http.MethodPost, "/api/v1/agents", map[string]any{"name": "Eve", "email": "eve@example.com", "password": "long-enough-1"}},
			{http.MethodPatch, "/api/v1/agents/" + bob.agent.ID, map[string]any{"name": "Renamed"}},
			{http.MethodPatch, "/api/v1/agents/" + bob.agent.ID, map[string]any{"disabled": true}},
			{http.MethodDelete, "/api/v1/agents/" + bob.agent.ID, nil},
			{http.MethodDelete, "/api/v1/agents/" + h.admin.agent.ID, nil},
			// No promoting oneself, by id or through /me.
			{http.MethodPatch, "/api/v1/agents/" + ann.agent.ID, map[string]any{"role": "admin"}},
			{http.MethodPatch, "/api/v1/me", map[string]any{"role": "admin"}},
			{http.MethodPatch, "/api/v1/me", map[string]any{"groupIds": []string{g.ID}}},
			{http.MethodGet, "/api/v1/contacts", nil},
		}
		before := h.snap()
		for _, c := range cases {
			r := h.do(c.method, c.path, c.body, ann)
			r.t = t
			r.wantError(http.StatusForbidden, "forbidden", "")
		}
		// A supervisor does not manage lines, groups or agents either.
		for _, c := range cases[:12] {
			r := h.do(c.method, c.path, c.body, sue)
			r.t = t
			r.wantError(http.StatusForbidden, "forbidden", "")
		}
		h.unchanged(before, "forbidden management")
	})

	t.Run("agent cannot see another agent's conversation", func(t *testing.T) {
		before := h.snap()
		id := mine.ID
		cases := []struct {
			method, path string
			body         any
		}{
			{http.MethodGet, "/api/v1/conversations/" + id, nil},
			{http.MethodGet, "/api/v1/conversations/" + id + "/messages", nil},
			{http.MethodPost, "/api/v1/conversations/" + id + "/messages", map[string]any{"text": "mine now"}},
			{http.MethodPost, "/api/v1/conversations/" + id + "/messages", map[string]any{"text": "note", "comment": true}},
			{http.MethodPost, "/api/v1/conversations/" + id + "/accept", nil},
			{http.MethodPost, "/api/v1/conversations/" + id + "/close", nil},
			{http.MethodPost, "/api/v1/conversations/" + id + "/spam", nil},
			{http.MethodPost, "/api/v1/conversations/" + id + "/forward", map[string]any{"agentId": bob.agent.ID}},
			{http.MethodPost, "/api/v1/conversations/" + id + "/assign", map[string]any{"agentId": bob.agent.ID}},
		}
		for _, c := range cases {
			r := h.do(c.method, c.path, c.body, bob)
			r.t = t
			r.wantError(http.StatusForbidden, "forbidden", "")
		}
		// Bulk actions skip what the agent cannot see.
		var res api.BulkResults
		for _, act := range []string{"close", "spam"} {
			r := h.do(http.MethodPost, "/api/v1/conversations/bulk", map[string]any{"ids": []string{id, missingID}, "action": act}, bob)
			r.t = t
			r.want(http.StatusOK).decode(&res)
			if len(res.Results) != 2 || res.Results[0].OK || res.Results[1].OK || res.Results[0].Error == "" {
				t.Errorf("bulk %s by another agent = %+v, want two failures", act, res.Results)
			}
		}
		h.unchanged(before, "another agent's conversation")

		ids := func(l api.List[inbox.Conversation]) []string {
			var out []string
			for _, c := range l.Items {
				out = append(out, c.ID)
			}
			return out
		}
		if got := ids(h.conversations(bob, "")); !slices.Equal(got, []string{queued.ID}) {
			t.Errorf("Bob's list = %v, want only the queued conversation %s", got, queued.ID)
		}
		if l := h.conversations(bob, q("number", strconv.FormatInt(mine.Number, 10))); l.Total != 0 || len(l.Items) != 0 {
			t.Errorf("Bob finds Ann's conversation by number: %+v", l)
		}
		if got := ids(h.conversations(ann, "sort=number")); !slices.Equal(got, []string{mine.ID, queued.ID}) {
			t.Errorf("Ann's list = %v, want %s and %s", got, mine.ID, queued.ID)
		}
		// A supervisor reads it, and it is in their list.
		var v api.ConversationView
		h.get("/api/v1/conversations/"+id, sue, &v)
		if v.Conversation.ID != id || len(v.Messages) != 2 {
			t.Errorf("supervisor read %+v with %d messages, want %s with 2", v.Conversation, len(v.Messages), id)
		}
		if got := ids(h.conversations(sue, "sort=number")); !slices.Equal(got, []string{mine.ID, queued.ID}) {
			t.Errorf("supervisor's list = %v", got)
		}
	})

	t.Run("ratings, pins and deletion are for staff", func(t *testing.T) {
		before := h.snap()
		for _, c := range []struct {
			method, path string
			body         any
		}{
			{http.MethodPut, "/api/v1/conversations/" + mine.ID + "/rating", map[string]any{"rating": 5, "comment": "great"}},
			{http.MethodPost, "/api/v1/conversations/" + mine.ID + "/client-rating", map[string]any{"rating": 5}},
			{http.MethodPost, "/api/v1/conversations/" + mine.ID + "/pin", map[string]any{"pinned": true}},
			{http.MethodDelete, "/api/v1/conversations/" + mine.ID, nil},
			{http.MethodDelete, "/api/v1/conversations/" + queued.ID, nil},
		} {
			r := h.do(c.method, c.path, c.body, ann)
			r.t = t
			r.wantError(http.StatusForbidden, "forbidden", "")
		}
		h.unchanged(before, "an agent rating, pinning or deleting")

		var c inbox.Conversation
		h.do(http.MethodPut, "/api/v1/conversations/"+mine.ID+"/rating", map[string]any{"rating": 5, "comment": "great"}, sue).
			want(http.StatusOK).decode(&c)
		var v api.ConversationView
		h.get("/api/v1/conversations/"+mine.ID, ann, &v)
		if v.Conversation.SupervisorRating != 5 || v.Conversation.SupervisorComment != "great" {
			t.Errorf("after the supervisor's rating: %d %q", v.Conversation.SupervisorRating, v.Conversation.SupervisorComment)
		}
		h.do(http.MethodDelete, "/api/v1/conversations/"+queued.ID, nil, sue).want(http.StatusNoContent)
		h.do(http.MethodGet, "/api/v1/conversations/"+queued.ID, nil, sue).wantError(http.StatusNotFound, "not_found", "")
	})

	t.Run("only admins open incoming conversations", func(t *testing.T) {
		before := h.snap()
		body := map[string]any{"lineId": l.ID, "type": "incoming", "contact": map[string]any{"name": "Fake"}, "message": map[string]any{"text": "hi"}}
		for _, s := range []*session{ann, sue} {
			r := h.do(http.MethodPost, "/api/v1/conversations", body, s)
			r.t = t
			r.wantError(http.StatusForbidden, "forbidden", "")
		}
		// Nor write as the contact.
		r := h.do(http.MethodPost, "/api/v1/conversations/"+mine.ID+"/messages", map[string]any{"text": "I am the client", "as": "contact"}, ann)
		r.t = t
		r.wantError(http.StatusForbidden, "forbidden", "")
		h.unchanged(before, "non-admins opening incoming conversations")
	})
}
