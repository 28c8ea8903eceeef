package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/inbox"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// GET and PUT /me/preferences: every role reads and replaces its own
// preferences and nobody else's; refusals (no session, no CSRF token, bad
// columns, oversized bodies) are checked against a snapshot.

const prefsPath = "/api/v1/me/preferences"

func tablePrefs(cols ...string) map[string]any {
	return map[string]any{"table": map[string]any{"columns": cols}}
}

// prefsOf reads s's preferences and returns the table's columns (nil: none stored).
func (h *harness) prefsOf(s *session) []string {
	h.t.Helper()
	var p inbox.Prefs
	h.get(prefsPath, s, &p)
	if p.Table == nil {
		return nil
	}
	return p.Table.Columns
}

func TestPrefsEveryRoleKeepsItsOwn(t *testing.T) {
	h := newHarness(t)
	sessions := []*session{
		h.agentSession("Ann Agent", inbox.RoleAgent),
		h.agentSession("Sue Visor", inbox.RoleSupervisor),
		h.admin,
	}
	for _, s := range sessions {
		if got := h.prefsOf(s); got != nil {
			t.Fatalf("%s starts with columns %v, want none (the defaults)", s.agent.Name, got)
		}
	}
	want := map[string][]string{}
	for i, s := range sessions {
		cols := []string{"status", "number", inbox.TableColumns[10+i], "responseMax"}
		var p inbox.Prefs
		h.do(http.MethodPut, prefsPath, tablePrefs(cols...), s).want(http.StatusOK).decode(&p)
		if p.Table == nil || !slices.Equal(p.Table.Columns, cols) {
			t.Fatalf("%s: PUT answered %+v, want columns %v", s.agent.Name, p, cols)
		}
		want[s.agent.ID] = cols
	}
	// Each reads back their own order, in a new session too.
	for _, s := range sessions {
		if got := h.prefsOf(s); !slices.Equal(got, want[s.agent.ID]) {
			t.Errorf("%s reads columns %v, want %v", s.agent.Name, got, want[s.agent.ID])
		}
	}
	again := h.login("ann.agent@example.com", password)
	if got := h.prefsOf(again); !slices.Equal(got, want[again.agent.ID]) {
		t.Errorf("a new session of Ann reads %v, want %v", got, want[again.agent.ID])
	}
	if n := h.count("prefs", bson.M{}); n != 3 {
		t.Errorf("%d preference documents, want 3 (one per agent)", n)
	}
	// Replacing is whole: an empty document goes back to the defaults.
	h.do(http.MethodPut, prefsPath, map[string]any{}, sessions[0]).want(http.StatusOK)
	if got := h.prefsOf(sessions[0]); got != nil {
		t.Errorf("after PUT {} Ann reads %v, want the defaults", got)
	}
	if got := h.prefsOf(sessions[1]); !slices.Equal(got, want[sessions[1].agent.ID]) {
		t.Errorf("Ann's reset changed Sue's columns to %v", got)
	}
	// A deleted agent's preferences go with them.
	h.do(http.MethodDelete, "/api/v1/agents/"+sessions[1].agent.ID, nil, h.admin).want(http.StatusNoContent)
	if n := h.count("prefs", bson.M{"_id": sessions[1].agent.ID}); n != 0 {
		t.Errorf("a deleted agent's preferences are still stored")
	}
}

// There is no route to another agent's preferences, whatever the role.
func TestPrefsNoOtherAgents(t *testing.T) {
	h := newHarness(t)
	ann := h.agentSession("Ann Agent", inbox.RoleAgent)
	h.do(http.MethodPut, prefsPath, tablePrefs("number", "client"), ann).want(http.StatusOK)
	before := h.snap()
	for _, c := range []call{
		{http.MethodGet, "/api/v1/agents/" + ann.agent.ID + "/preferences", nil},
		{http.MethodPut, "/api/v1/agents/" + ann.agent.ID + "/preferences", tablePrefs("number")},
		{http.MethodPatch, prefsPath, tablePrefs("number")},
		{http.MethodPost, prefsPath, tablePrefs("number")},
		{http.MethodDelete, prefsPath, nil},
	} {
		r := h.do(c.method, c.path, c.body, h.admin)
		if r.status != http.StatusNotFound && r.status != http.StatusMethodNotAllowed {
			t.Errorf("%v; want 404 or 405", r)
		}
	}
	h.unchanged(before, "requests for another agent's preferences")
	if got := h.prefsOf(ann); !slices.Equal(got, []string{"number", "client"}) {
		t.Errorf("Ann's columns are %v", got)
	}
}

func TestPrefsNeedSessionAndCSRF(t *testing.T) {
	h := newHarness(t)
	before := h.snap()
	h.do(http.MethodGet, prefsPath, nil, nil).wantError(http.StatusUnauthorized, "unauthorized", "")
	h.do(http.MethodPut, prefsPath, tablePrefs("number"), nil).wantError(http.StatusUnauthorized, "unauthorized", "")
	for name, opt := range map[string]reqOpt{"missing": noCSRF, "wrong": csrf("nope")} {
		t.Run(name, func(t *testing.T) {
			r := h.do(http.MethodPut, prefsPath, tablePrefs("number"), h.admin, opt)
			r.t = t
			r.wantError(http.StatusForbidden, "csrf", "")
		})
	}
	h.unchanged(before, "preferences without a session or a CSRF token")
}

func TestPrefsInvalid400(t *testing.T) {
	h := newHarness(t)
	h.do(http.MethodPut, prefsPath, tablePrefs("number", "status"), h.admin).want(http.StatusOK)
	cases := []struct {
		name  string
		body  any
		field string
	}{
		{"unknown column", tablePrefs("number", "colour"), "table.columns[1]"},
		{"hostile column", tablePrefs("number\u202E"), "table.columns[0]"},
		{"duplicate", tablePrefs("number", "status", "number"), "table.columns[2]"},
		{"empty list", tablePrefs(), "table.columns"},
		{"columns missing", map[string]any{"table": map[string]any{}}, "table.columns"},
		{"columns null", `{"table":{"columns":null}}`, "table.columns"},
		{"columns not a list", `{"table":{"columns":"number"}}`, "table.columns"},
		{"column not a string", `{"table":{"columns":["number",5]}}`, "table.columns"},
		{"table not an object", `{"table":["number"]}`, "table"},
		{"unknown member", map[string]any{"theme": "dark"}, "theme"},
		{"malformed", `{"table":`, "body"},
		{"empty body", "", "body"},
		{"not UTF-8", "{\"table\":{\"columns\":[\"\xff\"]}}", "body"},
		{"trailing data", `{} {}`, "body"},
	}
	before := h.snap()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.do(http.MethodPut, prefsPath, c.body, h.admin)
			r.t = t
			r.wantError(http.StatusBadRequest, "invalid", c.field)
		})
	}
	h.unchanged(before, "invalid preferences")
	// Every known column, once, in any order, is fine.
	all := slices.Clone(inbox.TableColumns)
	slices.Reverse(all)
	h.do(http.MethodPut, prefsPath, tablePrefs(all...), h.admin).want(http.StatusOK)
	if got := h.prefsOf(h.admin); !slices.Equal(got, all) {
		t.Errorf("every column reversed reads back as %v", got)
	}
}

func TestPrefsTooLarge413(t *testing.T) {
	h := newHarness(t)
	h.serve()
	before := h.snap()
	// Over the preferences' own limit, well under the app's.
	over := `{"table":{"columns":["number"` + strings.Repeat(`,"number"`, inbox.PrefsMaxBytes/9) + `]}}`
	h.do(http.MethodPut, prefsPath, over, h.admin).wantError(http.StatusRequestEntityTooLarge, "too_large", "body")
	// Over the app's body limit.
	big := `{"x":"` + strings.Repeat("x", bodyLimit+1) + `"}`
	h.do(http.MethodPut, prefsPath, big, h.admin).wantError(http.StatusRequestEntityTooLarge, "request_entity_too_large", "")
	h.unchanged(before, "oversized preferences")
}
