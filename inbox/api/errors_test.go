package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/inbox"
)

// TestMalformedBodies sends bodies that are not the endpoint's JSON object:
// each is a 400 "invalid" naming the field (or "body"), and nothing is stored.
func TestMalformedBodies(t *testing.T) {
	h := newHarness(t)
	g := h.seedGroup("Sales")
	l := h.seedLine("Main")
	ag := h.seedAgent("Ann", "ann@example.com", password, inbox.RoleAgent)

	endpoints := []struct{ method, path string }{
		{http.MethodPost, "/api/v1/groups"},
		{http.MethodPatch, "/api/v1/groups/" + g.ID},
		{http.MethodPost, "/api/v1/lines"},
		{http.MethodPatch, "/api/v1/lines/" + l.ID},
		{http.MethodPost, "/api/v1/agents"},
		{http.MethodPatch, "/api/v1/agents/" + ag.ID},
		{http.MethodPatch, "/api/v1/me"},
		{http.MethodPost, "/api/v1/contacts"},
	}
	bodies := []struct {
		name, body, field string
	}{
		{"malformed", `{"name":`, "body"},
		{"malformed syntax", `{"name" "x"}`, "body"},
		{"wrong type", `{"name": 5}`, "name"},
		{"wrong type bool", `{"name": true}`, "name"},
		{"unknown field", `{"name":"X","nmae":"Y"}`, "nmae"},
		{"trailing object", `{"name":"X"} {"name":"Y"}`, "body"},
		{"trailing garbage", `{"name":"X"} garbage`, "body"},
		{"array", `[{"name":"X"}]`, "body"},
		{"empty", ``, "body"},
		{"blank", " \n\t ", "body"},
	}
	before := h.snap()
	for _, e := range endpoints {
		for _, b := range bodies {
			t.Run(e.method+" "+e.path+"/"+b.name, func(t *testing.T) {
				r := h.do(e.method, e.path, b.body, h.admin)
				r.t = t
				r.wantError(http.StatusBadRequest, "invalid", b.field)
			})
		}
	}
	// Nested wrong types name the whole path.
	nested := []struct{ method, path, body, field string }{
		{http.MethodPost, "/api/v1/lines", `{"name":"L","channels":{"widget":{"allowedOrigins":"https://a.example"}}}`, "channels.widget.allowedOrigins"},
		{http.MethodPost, "/api/v1/lines", `{"name":"L","settings":{"ratingTimeoutSeconds":"soon"}}`, "settings.ratingTimeoutSeconds"},
		{http.MethodPost, "/api/v1/agents", `{"name":"B","email":"b@example.com","password":"long-enough","role":5}`, "role"},
		{http.MethodPost, "/api/v1/agents", `{"name":"B","email":"b@example.com","password":"long-enough","groupIds":"g1"}`, "groupIds"},
		{http.MethodPost, "/api/v1/conversations", `{"lineId":"` + l.ID + `","contact":{"name":7},"message":{"text":"hi"}}`, "contact.name"},
		{http.MethodPost, "/api/v1/auth/login", `{"email":"admin@example.com","password":12345678}`, "password"},
		{http.MethodPut, "/api/v1/conversations/" + missingID + "/rating", `{"rating":"5"}`, "rating"},
	}
	for _, n := range nested {
		t.Run(n.method+" "+n.path+"/nested "+n.field, func(t *testing.T) {
			r := h.do(n.method, n.path, n.body, h.admin)
			r.t = t
			r.wantError(http.StatusBadRequest, "invalid", n.field)
		})
	}
	h.unchanged(before, "malformed bodies")
}

// TestBodyTooLarge sends a body over the app's BodyLimit: 413 in the API's
// JSON error shape, nothing stored.
func TestBodyTooLarge(t *testing.T) {
	h := newHarness(t)
	h.serve()
	before := h.snap()
	big := `{"name":"` + strings.Repeat("x", bodyLimit+1) + `"}`
	for _, path := range []string{"/api/v1/groups", "/api/v1/contacts", "/api/v1/auth/login"} {
		r := h.do(http.MethodPost, path, big, h.admin)
		r.wantError(http.StatusRequestEntityTooLarge, "request_entity_too_large", "")
	}
	h.unchanged(before, "oversized bodies")
	// Just under the limit is read (and refused for its content, not its size).
	under := `{"name":"` + strings.Repeat("x", bodyLimit-100) + `"}`
	h.do(http.MethodPost, "/api/v1/groups", under, h.admin).wantError(http.StatusBadRequest, "invalid", "name")
	h.unchanged(before, "a too long name")
}

// TestUnknownIDs404 reads, changes and deletes things that do not exist:
// 404 "not_found", nothing changed.
func TestUnknownIDs404(t *testing.T) {
	h := newHarness(t)
	l := h.seedLine("Main", h.admin.agent.ID)
	g := h.seedGroup("Sales")
	h.openIncoming(l.ID, "Existing Client", "hello")

	type call struct {
		method, path string
		body         any
	}
	var calls []call
	for _, id := range []string{missingID, "nope", "%20"} {
		calls = append(calls,
			call{http.MethodGet, "/api/v1/agents/" + id, nil},
			call{http.MethodPatch, "/api/v1/agents/" + id, map[string]any{"name": "X"}},
			call{http.MethodDelete, "/api/v1/agents/" + id, nil},
			call{http.MethodGet, "/api/v1/groups/" + id, nil},
			call{http.MethodPatch, "/api/v1/groups/" + id, map[string]any{"name": "X"}},
			call{http.MethodDelete, "/api/v1/groups/" + id, nil},
			call{http.MethodGet, "/api/v1/lines/" + id, nil},
			call{http.MethodPatch, "/api/v1/lines/" + id, map[string]any{"name": "X"}},
			call{http.MethodDelete, "/api/v1/lines/" + id, nil},
			call{http.MethodDelete, "/api/v1/lines/" + id + "?confirm=true", nil},
			call{http.MethodGet, "/api/v1/contacts/" + id, nil},
			call{http.MethodPatch, "/api/v1/contacts/" + id, map[string]any{"name": "X"}},
			call{http.MethodPost, "/api/v1/contacts/" + id + "/block", nil},
			call{http.MethodPost, "/api/v1/contacts/" + id + "/unblock", nil},
			call{http.MethodGet, "/api/v1/conversations/" + id, nil},
			call{http.MethodDelete, "/api/v1/conversations/" + id, nil},
			call{http.MethodGet, "/api/v1/conversations/" + id + "/messages", nil},
			call{http.MethodPost, "/api/v1/conversations/" + id + "/messages", map[string]any{"text": "hi", "clientId": "c1"}},
			call{http.MethodPost, "/api/v1/conversations/" + id + "/accept", nil},
			call{http.MethodPost, "/api/v1/conversations/" + id + "/close", nil},
			call{http.MethodPost, "/api/v1/conversations/" + id + "/spam", nil},
			call{http.MethodPost, "/api/v1/conversations/" + id + "/forward", map[string]any{"lineId": l.ID}},
			call{http.MethodPost, "/api/v1/conversations/" + id + "/assign", map[string]any{"agentId": h.admin.agent.ID, "groupId": g.ID}},
			call{http.MethodPost, "/api/v1/conversations/" + id + "/pin", map[string]any{"pinned": false}},
			call{http.MethodPut, "/api/v1/conversations/" + id + "/rating", map[string]any{"rating": 4}},
			call{http.MethodPost, "/api/v1/conversations/" + id + "/client-rating", map[string]any{"rating": 4}},
		)
	}
	before := h.snap()
	for _, c := range calls {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			r := h.do(c.method, c.path, c.body, h.admin)
			r.t = t
			r.wantError(http.StatusNotFound, "not_found", "")
		})
	}
	// Routes that do not exist are JSON 404s too.
	for _, c := range []call{
		{http.MethodDelete, "/api/v1/contacts/" + missingID, nil},
		{http.MethodGet, "/api/v1/nothing", nil},
		{http.MethodPost, "/api/v1/conversations/" + missingID + "/unknown-op", nil},
	} {
		h.do(c.method, c.path, c.body, h.admin).wantError(http.StatusNotFound, "not_found", "")
	}
	h.unchanged(before, "requests for unknown ids")
}

// TestInvalidFieldValues sends well-formed JSON with bad values: 400
// "invalid" naming the field, nothing stored.
func TestInvalidFieldValues(t *testing.T) {
	h := newHarness(t)
	sup := h.agentSession("Sue Visor", inbox.RoleSupervisor)
	ag := h.seedAgent("Ann", "ann@example.com", password, inbox.RoleAgent)
	l := h.seedLine("Main")
	conv := h.openIncoming(l.ID, "Client", "hello")

	newAgent := func(kv ...any) map[string]any {
		m := map[string]any{"name": "Bob", "email": "bob@example.com", "password": "long-enough-1"}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	hours := func(from, to string) map[string]any {
		return map[string]any{"businessHours": map[string]any{
			"enabled": true, "timeZone": "Europe/Berlin",
			"days": map[string]any{"mon": []any{map[string]any{"from": from, "to": to}}},
		}}
	}
	cases := []struct {
		name, method, path string
		as                 *session
		body               any
		field              string
	}{
		{"agent bad e-mail", http.MethodPost, "/api/v1/agents", nil, newAgent("email", "not-an-email"), "email"},
		{"agent e-mail with name", http.MethodPost, "/api/v1/agents", nil, newAgent("email", "Bob <bob@example.com>"), "email"},
		{"agent short password", http.MethodPost, "/api/v1/agents", nil, newAgent("password", "short"), "password"},
		{"agent bad role", http.MethodPost, "/api/v1/agents", nil, newAgent("role", "boss"), "role"},
		{"agent bad language", http.MethodPost, "/api/v1/agents", nil, newAgent("language", "xx"), "language"},
		{"agent bad presence", http.MethodPost, "/api/v1/agents", nil, newAgent("presence", "away"), "presence"},
		{"agent unknown group", http.MethodPost, "/api/v1/agents", nil, newAgent("groupIds", []string{missingID}), "groupIds"},
		{"agent missing name", http.MethodPost, "/api/v1/agents", nil, map[string]any{"email": "bob@example.com", "password": "long-enough-1"}, "name"},
		{"agent duplicate e-mail", http.MethodPost, "/api/v1/agents", nil, newAgent("email", "ANN@example.com"), "email"},
		{"update agent bad e-mail", http.MethodPatch, "/api/v1/agents/" + ag.ID, nil, map[string]any{"email": "nope"}, "email"},
		{"update agent short password", http.MethodPatch, "/api/v1/agents/" + ag.ID, nil, map[string]any{"password": "1234567"}, "password"},
		{"update agent bad role", http.MethodPatch, "/api/v1/agents/" + ag.ID, nil, map[string]any{"role": "root"}, "role"},
		{"me bad language", http.MethodPatch, "/api/v1/me", nil, map[string]any{"language": "fr"}, "language"},
		{"me short password", http.MethodPatch, "/api/v1/me", nil, map[string]any{"password": "abc"}, "password"},
		{"group empty name", http.MethodPost, "/api/v1/groups", nil, map[string]any{"name": ""}, "name"},
		{"group missing name", http.MethodPost, "/api/v1/groups", nil, map[string]any{}, "name"},
		{"line bad origin", http.MethodPost, "/api/v1/lines", nil, map[string]any{"name": "L2", "channels": map[string]any{
			"widget": map[string]any{"enabled": true, "allowedOrigins": []string{"https://ok.example", "ftp://bad.example"}}}}, "channels.widget.allowedOrigins[1]"},
		{"line origin with path", http.MethodPatch, "/api/v1/lines/" + l.ID, nil, map[string]any{"channels": map[string]any{
			"widget": map[string]any{"allowedOrigins": []string{"https://ok.example/path"}}}}, "channels.widget.allowedOrigins[0]"},
		{"line bad hours", http.MethodPost, "/api/v1/lines", nil, withName("L2", hours("25:00", "26:00")), "businessHours.days.mon[0]"},
		{"line bad hours update", http.MethodPatch, "/api/v1/lines/" + l.ID, nil, hours("9:00", "17:00"), "businessHours.days.mon[0]"},
		{"line hours that open and close at once", http.MethodPatch, "/api/v1/lines/" + l.ID, nil, hours("10:00", "10:00"), "businessHours.days.mon[0]"},
		{"line bad time zone", http.MethodPatch, "/api/v1/lines/" + l.ID, nil, map[string]any{"businessHours": map[string]any{"timeZone": "Mars/Olympus"}}, "businessHours.timeZone"},
		{"line bad telegram mode", http.MethodPatch, "/api/v1/lines/" + l.ID, nil, map[string]any{"channels": map[string]any{"telegram": map[string]any{"mode": "push"}}}, "channels.telegram.mode"},
		{"line unknown agent", http.MethodPatch, "/api/v1/lines/" + l.ID, nil, map[string]any{"agentIds": []string{missingID}}, "agentIds"},
		{"contact bad e-mail", http.MethodPost, "/api/v1/contacts", nil, map[string]any{"name": "C", "email": "c@"}, "email"},
		{"contact bad phone", http.MethodPost, "/api/v1/contacts", nil, map[string]any{"name": "C", "phone": "call me"}, "phone"},
		{"open bad contact e-mail", http.MethodPost, "/api/v1/conversations", nil, map[string]any{"lineId": l.ID, "contact": map[string]any{"name": "C", "email": "x"}, "message": map[string]any{"text": "hi"}}, "contact.email"},
		{"open empty message", http.MethodPost, "/api/v1/conversations", nil, map[string]any{"lineId": l.ID, "contact": map[string]any{"name": "C"}, "message": map[string]any{"text": ""}}, "message.text"},
		{"open unknown line", http.MethodPost, "/api/v1/conversations", nil, map[string]any{"lineId": missingID, "contact": map[string]any{"name": "C"}}, "lineId"},
		{"open bad type", http.MethodPost, "/api/v1/conversations", nil, map[string]any{"lineId": l.ID, "type": "sideways", "contact": map[string]any{"name": "C"}}, "type"},
		{"supervisor rating 7", http.MethodPut, "/api/v1/conversations/" + conv.ID + "/rating", sup, map[string]any{"rating": 7}, "rating"},
		{"supervisor rating -1", http.MethodPut, "/api/v1/conversations/" + conv.ID + "/rating", sup, map[string]any{"rating": -1}, "rating"},
		{"supervisor rating missing", http.MethodPut, "/api/v1/conversations/" + conv.ID + "/rating", sup, map[string]any{"comment": "ok"}, "rating"},
		{"client rating 7", http.MethodPost, "/api/v1/conversations/" + conv.ID + "/client-rating", nil, map[string]any{"rating": 7}, "rating"},
		{"client rating 0", http.MethodPost, "/api/v1/conversations/" + conv.ID + "/client-rating", nil, map[string]any{"rating": 0}, "rating"},
		{"pin missing", http.MethodPost, "/api/v1/conversations/" + conv.ID + "/pin", nil, map[string]any{}, "pinned"},
		{"forward two targets", http.MethodPost, "/api/v1/conversations/" + conv.ID + "/forward", nil, map[string]any{"lineId": l.ID, "agentId": ag.ID}, "target"},
		{"forward unknown line", http.MethodPost, "/api/v1/conversations/" + conv.ID + "/forward", nil, map[string]any{"lineId": missingID}, "target"},
		{"message empty", http.MethodPost, "/api/v1/conversations/" + conv.ID + "/messages", nil, map[string]any{"text": ""}, "text"},
		{"message bad author", http.MethodPost, "/api/v1/conversations/" + conv.ID + "/messages", nil, map[string]any{"text": "x", "as": "robot"}, "as"},
		{"bulk no ids", http.MethodPost, "/api/v1/conversations/bulk", nil, map[string]any{"ids": []string{}, "action": "close"}, "ids"},
		{"bulk bad action", http.MethodPost, "/api/v1/conversations/bulk", nil, map[string]any{"ids": []string{conv.ID}, "action": "explode"}, "action"},
		{"login without e-mail", http.MethodPost, "/api/v1/auth/login", nil, map[string]any{"password": "x"}, "email"},
	}
	before := h.snap()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			as := c.as
			if as == nil {
				as = h.admin
			}
			r := h.do(c.method, c.path, c.body, as)
			r.t = t
			r.wantError(http.StatusBadRequest, "invalid", c.field)
		})
	}
	h.unchanged(before, "invalid field values")
}

func withName(name string, m map[string]any) map[string]any { m["name"] = name; return m }

// TestInvalidListParams checks the conversation list's query parameters:
// unknown parameters, bad values, bad sort columns and bad dates are 400s
// naming the parameter.
func TestInvalidListParams(t *testing.T) {
	h := newHarness(t)
	l := h.seedLine("Main")
	h.openIncoming(l.ID, "Client", "hello")
	cases := []struct{ query, field string }{
		{q("bogus", "1"), "bogus"},
		{q("statuss", "closed"), "statuss"},
		{q("createdAt", "2025-01-01T00:00:00Z"), "createdAt"},
		{q("nameFrom", "2025-01-01T00:00:00Z"), "nameFrom"},
		{q("sort", "bogus"), "sort"},
		{q("sort", "-passwordHash"), "sort"},
		{q("createdFrom", "yesterday"), "createdFrom"},
		{q("createdTo", "2025-13-01"), "createdTo"},
		{q("closedFrom", "2025-05-05"), "closedFrom"},
		{q("status", "open"), "status"},
		{q("detailedStatus", "new,sleeping"), "detailedStatus"},
		{q("active", "maybe"), "active"},
		{q("spam", "yes please"), "spam"},
		{q("channel", "fax"), "channel"},
		{q("type", "sideways"), "type"},
		{q("number", "-3"), "number"},
		{q("clientRating", "7"), "clientRating"},
		{q("limit", "-1"), "limit"},
		{q("offset", "x"), "offset"},
	}
	before := h.snap()
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			r := h.do(http.MethodGet, "/api/v1/conversations?"+c.query, nil, h.admin)
			r.t = t
			r.wantError(http.StatusBadRequest, "invalid", c.field)
		})
	}
	for _, p := range []string{"/api/v1/conversations/x/messages?after=-1", "/api/v1/contacts?limit=many"} {
		r := h.do(http.MethodGet, p, nil, h.admin)
		r.wantError(http.StatusBadRequest, "invalid", strings.SplitN(strings.SplitN(p, "?", 2)[1], "=", 2)[0])
	}
	h.unchanged(before, "invalid list parameters")
}
