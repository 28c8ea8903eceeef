package api_test

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/inbox/api"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// The Settings section's routes (settings.go) and the fields it added to
// lines and agents: permissions, CSRF, bad input naming the field, unknown
// ids, oversized bodies — every refusal checked against a snapshot — and
// what each route does.

type call struct {
	method, path string
	body         any
}

// settingsWrites are the settings section's writes on l, g and ag.
func settingsWrites(l *inbox.Line, g *inbox.Group, ag *inbox.Agent) []call {
	return []call{
		{http.MethodPost, "/api/v1/lines/" + l.ID + "/identity-secret", nil},
		{http.MethodDelete, "/api/v1/lines/" + l.ID + "/identity-secret", nil},
		{http.MethodPut, "/api/v1/groups/" + g.ID + "/members", map[string]any{"agentIds": []string{ag.ID}}},
		{http.MethodPost, "/api/v1/me/password", map[string]any{"currentPassword": password, "newPassword": "a-new-password-1"}},
		{http.MethodPatch, "/api/v1/me/notifications", map[string]any{"sound": false}},
		{http.MethodPatch, "/api/v1/lines/" + l.ID, map[string]any{"channels": map[string]any{"widget": map[string]any{"color": "#0a7d33"}}}},
		{http.MethodPatch, "/api/v1/agents/" + ag.ID, map[string]any{"maxChats": 4}},
	}
}

func TestSettingsPermissions(t *testing.T) {
	h := newHarness(t)
	agent := h.agentSession("Ann Agent", inbox.RoleAgent)
	sup := h.agentSession("Sue Visor", inbox.RoleSupervisor)
	bob := h.seedAgent("Bob", "bob@example.com", password, inbox.RoleAgent)
	l := h.seedLine("Main", agent.agent.ID)
	g := h.seedGroup("Sales")
	h.openIncoming(l.ID, "Client", "hello")

	adminOnly := []call{
		{http.MethodPost, "/api/v1/lines/" + l.ID + "/identity-secret", nil},
		{http.MethodDelete, "/api/v1/lines/" + l.ID + "/identity-secret", nil},
		{http.MethodPut, "/api/v1/groups/" + g.ID + "/members", map[string]any{"agentIds": []string{agent.agent.ID}}},
		{http.MethodPatch, "/api/v1/lines/" + l.ID, map[string]any{"channels": map[string]any{"widget": map[string]any{"color": "#0a7d33"}}}},
		{http.MethodPatch, "/api/v1/agents/" + bob.ID, map[string]any{"maxChats": 9}},
		{http.MethodPatch, "/api/v1/agents/" + bob.ID, map[string]any{"password": "reset-by-someone"}},
		{http.MethodPatch, "/api/v1/agents/" + bob.ID, map[string]any{"disabled": true}},
		{http.MethodDelete, "/api/v1/lines/" + l.ID + "?confirm=true", nil},
	}
	staffReads := []string{"/api/v1/lines/" + l.ID + "/conversation-count", "/api/v1/agent-loads"}
	before := h.snap()
	for _, s := range []*session{agent, sup} {
		for _, c := range adminOnly {
			t.Run(s.agent.Name+"/"+c.method+" "+c.path, func(t *testing.T) {
				r := h.do(c.method, c.path, c.body, s)
				r.t = t
				r.wantError(http.StatusForbidden, "forbidden", "")
			})
		}
	}
	for _, p := range staffReads {
		h.do(http.MethodGet, p, nil, agent).wantError(http.StatusForbidden, "forbidden", "")
		h.do(http.MethodGet, p, nil, sup).want(http.StatusOK)
	}
	// An agent may not set their own cap either.
	h.do(http.MethodPatch, "/api/v1/me", map[string]any{"maxChats": 50}, agent).wantError(http.StatusForbidden, "forbidden", "")
	h.unchanged(before, "settings writes by an agent or a supervisor")
}

func TestSettingsCSRF(t *testing.T) {
	h := newHarness(t)
	ag := h.seedAgent("Ann", "ann@example.com", password, inbox.RoleAgent)
	l := h.seedLine("Main")
	g := h.seedGroup("Sales")
	before := h.snap()
	for _, w := range settingsWrites(l, g, ag) {
		for name, opt := range map[string]reqOpt{"missing": noCSRF, "wrong": csrf("nope")} {
			t.Run(w.method+" "+w.path+"/"+name, func(t *testing.T) {
				r := h.do(w.method, w.path, w.body, h.admin, opt)
				r.t = t
				r.wantError(http.StatusForbidden, "csrf", "")
			})
		}
	}
	h.unchanged(before, "settings writes without a CSRF token")
}

func TestSettingsUnknownIDs404(t *testing.T) {
	h := newHarness(t)
	before := h.snap()
	for _, id := range []string{missingID, "nope"} {
		for _, c := range []call{
			{http.MethodGet, "/api/v1/lines/" + id + "/conversation-count", nil},
			{http.MethodPost, "/api/v1/lines/" + id + "/identity-secret", nil},
			{http.MethodDelete, "/api/v1/lines/" + id + "/identity-secret", nil},
			{http.MethodPut, "/api/v1/groups/" + id + "/members", map[string]any{"agentIds": []string{}}},
		} {
			h.do(c.method, c.path, c.body, h.admin).wantError(http.StatusNotFound, "not_found", "")
		}
	}
	h.unchanged(before, "settings requests for unknown ids")
}

func TestSettingsInvalidFields(t *testing.T) {
	h := newHarness(t)
	l := h.seedLine("Main")
	g := h.seedGroup("Sales")
	ag := h.seedAgent("Ann", "ann@example.com", password, inbox.RoleAgent)
	widget := func(kv ...any) map[string]any {
		w := map[string]any{"enabled": true}
		for i := 0; i+1 < len(kv); i += 2 {
			w[kv[i].(string)] = kv[i+1]
		}
		return map[string]any{"channels": map[string]any{"widget": w}}
	}
	cases := []struct {
		name, method, path string
		body               any
		field              string
	}{
		{"colour not hex", http.MethodPatch, "/api/v1/lines/" + l.ID, widget("color", "blue"), "channels.widget.color"},
		{"colour short hex", http.MethodPatch, "/api/v1/lines/" + l.ID, widget("color", "#fff"), "channels.widget.color"},
		// Mid grey: white text 3.9:1, dark text 4.2:1 — neither reads.
		{"colour unreadable", http.MethodPatch, "/api/v1/lines/" + l.ID, widget("color", "#7f7f7f"), "channels.widget.color"},
		{"position", http.MethodPatch, "/api/v1/lines/" + l.ID, widget("position", "top"), "channels.widget.position"},
		{"launcher label too long", http.MethodPatch, "/api/v1/lines/" + l.ID, widget("launcherLabel", strings.Repeat("x", inbox.LauncherLabelChars+1)), "channels.widget.launcherLabel"},
		{"title too long", http.MethodPost, "/api/v1/lines", withName("L2", widget("title", strings.Repeat("t", 201))), "channels.widget.title"},
		{"messenger greeting too long", http.MethodPatch, "/api/v1/lines/" + l.ID, widget("messengerGreeting", strings.Repeat("g", 10001)), "channels.widget.messengerGreeting"},
		{"widget field wrong type", http.MethodPatch, "/api/v1/lines/" + l.ID, widget("color", 5), "channels.widget.color"},
		{"rating wait too long", http.MethodPatch, "/api/v1/lines/" + l.ID, map[string]any{"settings": map[string]any{"ratingTimeoutSeconds": inbox.MaxRatingTimeoutSeconds + 1}}, "settings.ratingTimeoutSeconds"},
		{"rating wait negative", http.MethodPatch, "/api/v1/lines/" + l.ID, map[string]any{"settings": map[string]any{"ratingTimeoutSeconds": -5}}, "settings.ratingTimeoutSeconds"},
		{"agent max chats negative", http.MethodPatch, "/api/v1/agents/" + ag.ID, map[string]any{"maxChats": -1}, "maxChats"},
		{"agent max chats huge", http.MethodPost, "/api/v1/agents", map[string]any{"name": "Bob", "email": "bob@example.com", "password": "long-enough-1", "maxChats": 1000}, "maxChats"},
		{"agent max chats text", http.MethodPatch, "/api/v1/agents/" + ag.ID, map[string]any{"maxChats": "five"}, "maxChats"},
		{"members missing", http.MethodPut, "/api/v1/groups/" + g.ID + "/members", map[string]any{}, "agentIds"},
		{"members unknown agent", http.MethodPut, "/api/v1/groups/" + g.ID + "/members", map[string]any{"agentIds": []string{ag.ID, missingID}}, "agentIds"},
		{"members wrong type", http.MethodPut, "/api/v1/groups/" + g.ID + "/members", map[string]any{"agentIds": ag.ID}, "agentIds"},
		{"members unknown field", http.MethodPut, "/api/v1/groups/" + g.ID + "/members", map[string]any{"agentIds": []string{}, "x": 1}, "x"},
		{"password current missing", http.MethodPost, "/api/v1/me/password", map[string]any{"newPassword": "long-enough-2"}, "currentPassword"},
		{"password new short", http.MethodPost, "/api/v1/me/password", map[string]any{"currentPassword": adminPassword, "newPassword": "short"}, "newPassword"},
		{"password same", http.MethodPost, "/api/v1/me/password", map[string]any{"currentPassword": adminPassword, "newPassword": adminPassword}, "newPassword"},
		{"password malformed", http.MethodPost, "/api/v1/me/password", `{"currentPassword":`, "body"},
		{"notifications wrong type", http.MethodPatch, "/api/v1/me/notifications", map[string]any{"sound": "loud"}, "sound"},
		{"notifications unknown", http.MethodPatch, "/api/v1/me/notifications", map[string]any{"email": true}, "email"},
		{"notifications empty body", http.MethodPatch, "/api/v1/me/notifications", "", "body"},
	}
	before := h.snap()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.do(c.method, c.path, c.body, h.admin)
			r.t = t
			r.wantError(http.StatusBadRequest, "invalid", c.field)
		})
	}
	h.unchanged(before, "invalid settings")
}

func TestSettingsBodyTooLarge(t *testing.T) {
	h := newHarness(t)
	g := h.seedGroup("Sales")
	l := h.seedLine("Main")
	h.serve()
	before := h.snap()
	big := `{"x":"` + strings.Repeat("x", bodyLimit+1) + `"}`
	for _, c := range []call{
		{http.MethodPut, "/api/v1/groups/" + g.ID + "/members", big},
		{http.MethodPost, "/api/v1/me/password", big},
		{http.MethodPatch, "/api/v1/me/notifications", big},
		{http.MethodPost, "/api/v1/lines/" + l.ID + "/identity-secret", big},
	} {
		h.do(c.method, c.path, c.body, h.admin).wantError(http.StatusRequestEntityTooLarge, "request_entity_too_large", "")
	}
	h.unchanged(before, "oversized settings bodies")
}

// A password change checks the current password, ends the agent's other
// sessions and keeps this one; wrong guesses are throttled like sign-ins.
func TestSettingsChangePassword(t *testing.T) {
	h := newHarness(t)
	ann := h.agentSession("Ann Agent", inbox.RoleAgent)
	other := h.login("ann.agent@example.com", password)
	wrong := map[string]any{"currentPassword": "not-my-password", "newPassword": "a-new-password-1"}
	before := h.snap()
	for range maxFailures {
		h.do(http.MethodPost, "/api/v1/me/password", wrong, ann).wantError(http.StatusBadRequest, "invalid", "currentPassword")
	}
	// Locked now: even the right password is refused until the window passes.
	right := map[string]any{"currentPassword": password, "newPassword": "a-new-password-1"}
	r := h.do(http.MethodPost, "/api/v1/me/password", right, ann)
	r.wantError(http.StatusTooManyRequests, "throttled", "currentPassword")
	if r.resp.Header.Get("Retry-After") == "" {
		t.Error("a throttled password change has no Retry-After")
	}
	h.unchanged(before, "wrong current passwords")
	h.clock.Advance(2 * 60e9)

	var got api.PasswordChanged
	h.do(http.MethodPost, "/api/v1/me/password", right, ann).want(http.StatusOK).decode(&got)
	if got.Agent == nil || got.Agent.ID != ann.agent.ID || !got.OtherSessionsEnded {
		t.Fatalf("password change answered %+v", got)
	}
	h.do(http.MethodGet, "/api/v1/me", nil, ann).want(http.StatusOK)
	h.do(http.MethodGet, "/api/v1/me", nil, other).wantError(http.StatusUnauthorized, "unauthorized", "")
	if n := h.count("sessions", bson.M{"agentId": ann.agent.ID}); n != 1 {
		t.Errorf("%d sessions after the change, want 1 (this one)", n)
	}
	h.do(http.MethodPost, "/api/v1/auth/login", map[string]string{"email": "ann.agent@example.com", "password": password}, nil).
		wantError(http.StatusUnauthorized, "unauthorized", "")
	h.login("ann.agent@example.com", "a-new-password-1")
}

// An admin resetting a password or disabling an agent ends their sessions.
func TestSettingsResetPasswordAndDisableEndSessions(t *testing.T) {
	h := newHarness(t)
	ann := h.agentSession("Ann Agent", inbox.RoleAgent)
	h.do(http.MethodPatch, "/api/v1/agents/"+ann.agent.ID, map[string]any{"password": "set-by-admin-1"}, h.admin).want(http.StatusOK)
	h.do(http.MethodGet, "/api/v1/me", nil, ann).wantError(http.StatusUnauthorized, "unauthorized", "")
	ann = h.login("ann.agent@example.com", "set-by-admin-1")
	h.do(http.MethodPatch, "/api/v1/agents/"+ann.agent.ID, map[string]any{"disabled": true}, h.admin).want(http.StatusOK)
	h.do(http.MethodGet, "/api/v1/me", nil, ann).wantError(http.StatusUnauthorized, "unauthorized", "")
	if n := h.count("sessions", bson.M{"agentId": ann.agent.ID}); n != 0 {
		t.Errorf("a disabled agent keeps %d sessions", n)
	}
	h.do(http.MethodPost, "/api/v1/auth/login", map[string]string{"email": "ann.agent@example.com", "password": "set-by-admin-1"}, nil).
		wantError(http.StatusUnauthorized, "unauthorized", "")
}

func TestSettingsLineConversationCountAndDelete(t *testing.T) {
	h := newHarness(t)
	l := h.seedLine("Main", h.admin.agent.ID)
	empty := h.seedLine("Empty")
	h.openIncoming(l.ID, "One", "hello")
	h.openIncoming(l.ID, "Two", "hello")
	var n api.ConversationCount
	h.get("/api/v1/lines/"+l.ID+"/conversation-count", h.admin, &n)
	if n.Conversations != 2 {
		t.Fatalf("conversation count %d, want 2", n.Conversations)
	}
	h.get("/api/v1/lines/"+empty.ID+"/conversation-count", h.admin, &n)
	if n.Conversations != 0 {
		t.Fatalf("empty line counts %d", n.Conversations)
	}
	before := h.snap()
	h.do(http.MethodDelete, "/api/v1/lines/"+l.ID, nil, h.admin).wantError(http.StatusConflict, "confirm", "confirm")
	h.unchanged(before, "deleting a line with conversations unconfirmed")
	var del api.DeletedLine
	h.do(http.MethodDelete, "/api/v1/lines/"+l.ID+"?confirm=true", nil, h.admin).want(http.StatusOK).decode(&del)
	if del.DeletedConversations != 2 || h.count("conversations", bson.M{"lineId": l.ID}) != 0 {
		t.Fatalf("deleted %d conversations; %d left", del.DeletedConversations, h.count("conversations", bson.M{"lineId": l.ID}))
	}
	h.do(http.MethodGet, "/api/v1/lines/"+l.ID+"/conversation-count", nil, h.admin).wantError(http.StatusNotFound, "not_found", "")
}

func TestSettingsIdentitySecret(t *testing.T) {
	h := newHarness(t)
	l := h.seedLine("Main")
	var first, second api.IdentitySecret
	h.do(http.MethodPost, "/api/v1/lines/"+l.ID+"/identity-secret", nil, h.admin).want(http.StatusOK).decode(&first)
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(first.IdentitySecret) {
		t.Fatalf("secret %q, want 64 hex digits", first.IdentitySecret)
	}
	r := h.do(http.MethodGet, "/api/v1/lines/"+l.ID, nil, h.admin).want(http.StatusOK)
	if strings.Contains(string(r.body), first.IdentitySecret) || !strings.Contains(string(r.body), `"identitySecretSet":true`) {
		t.Errorf("the line shows its secret or hides that it has one: %s", r.body)
	}
	// Saving the widget without a secret keeps it.
	h.do(http.MethodPatch, "/api/v1/lines/"+l.ID, map[string]any{"channels": map[string]any{"widget": map[string]any{"enabled": true}}}, h.admin).want(http.StatusOK)
	stored, err := h.svc.Line(t.Context(), l.ID)
	if err != nil || stored.Channels.Widget.IdentitySecret != first.IdentitySecret {
		t.Fatalf("secret after a save: %v", err)
	}
	h.do(http.MethodPost, "/api/v1/lines/"+l.ID+"/identity-secret", nil, h.admin).want(http.StatusOK).decode(&second)
	if second.IdentitySecret == first.IdentitySecret {
		t.Error("rotating gave the same secret")
	}
	h.do(http.MethodDelete, "/api/v1/lines/"+l.ID+"/identity-secret", nil, h.admin).want(http.StatusNoContent)
	var got inbox.Line
	h.get("/api/v1/lines/"+l.ID, h.admin, &got)
	if got.Channels.Widget.IdentitySecretSet {
		t.Error("cleared secret still reported as set")
	}
}

func TestSettingsWidgetLook(t *testing.T) {
	h := newHarness(t)
	body := map[string]any{"name": "Shop", "channels": map[string]any{"widget": map[string]any{
		"enabled": true, "allowedOrigins": []string{"https://shop.example"}, "title": "Ask the shop", "color": "#FFD400",
		"position": "left", "launcherLabel": "Chat with us", "messengerGreeting": "Leave a message",
	}}, "settings": map[string]any{"greeting": "Hi!", "contactFormBot": true, "hideWidgetWhenOffline": true, "ratingTimeoutSeconds": 60}}
	var l inbox.Line
	h.do(http.MethodPost, "/api/v1/lines", body, h.admin).want(http.StatusCreated).decode(&l)
	w := l.Channels.Widget
	if w.Title != "Ask the shop" || w.Color != "#ffd400" || w.Position != "left" || w.LauncherLabel != "Chat with us" || w.MessengerGreeting != "Leave a message" {
		t.Fatalf("widget look %+v", w.WidgetLook)
	}
	if txt, ok := inbox.TextOn(w.Color); !ok || txt != inbox.WidgetDarkText {
		t.Errorf("text on yellow: %s %v, want dark", txt, ok)
	}
	if txt, ok := inbox.TextOn(""); !ok || txt != "#ffffff" {
		t.Errorf("text on the default colour: %s %v, want white", txt, ok)
	}
	// Position defaults to the right.
	var plain inbox.Line
	h.do(http.MethodPost, "/api/v1/lines", map[string]any{"name": "Plain", "channels": map[string]any{"widget": map[string]any{"enabled": true}}}, h.admin).
		want(http.StatusCreated).decode(&plain)
	if plain.Channels.Widget.Position != "right" {
		t.Errorf("default position %q", plain.Channels.Widget.Position)
	}
}

func TestSettingsGroupMembersAndLoads(t *testing.T) {
	h := newHarness(t)
	ann := h.seedAgent("Ann", "ann@example.com", password, inbox.RoleAgent)
	bob := h.seedAgent("Bob", "bob@example.com", password, inbox.RoleAgent)
	g := h.seedGroup("Sales")
	var m api.GroupMembers
	h.do(http.MethodPut, "/api/v1/groups/"+g.ID+"/members", map[string]any{"agentIds": []string{ann.ID, bob.ID}}, h.admin).want(http.StatusOK).decode(&m)
	slices.Sort(m.AgentIDs)
	if want := []string{ann.ID, bob.ID}; !slices.Equal(m.AgentIDs, slices.Sorted(slices.Values(want))) {
		t.Fatalf("members %v", m.AgentIDs)
	}
	h.do(http.MethodPut, "/api/v1/groups/"+g.ID+"/members", map[string]any{"agentIds": []string{bob.ID}}, h.admin).want(http.StatusOK).decode(&m)
	var a, b inbox.Agent
	h.get("/api/v1/agents/"+ann.ID, h.admin, &a)
	h.get("/api/v1/agents/"+bob.ID, h.admin, &b)
	if slices.Contains(a.GroupIDs, g.ID) || !slices.Equal(b.GroupIDs, []string{g.ID}) {
		t.Fatalf("after setting members to Bob: ann %v bob %v", a.GroupIDs, b.GroupIDs)
	}
	// Loads: the admin is in the line's queue and gets its conversations.
	h.do(http.MethodPatch, "/api/v1/me", map[string]any{"presence": "online"}, h.admin).want(http.StatusOK)
	l := h.seedLine("Main", h.admin.agent.ID)
	for _, c := range []*inbox.Conversation{h.openIncoming(l.ID, "One", "hi"), h.openIncoming(l.ID, "Two", "hi")} {
		h.do(http.MethodPost, "/api/v1/conversations/"+c.ID+"/accept", nil, h.admin).want(http.StatusOK)
	}
	var loads api.AgentLoads
	h.get("/api/v1/agent-loads", h.admin, &loads)
	if loads.Active[h.admin.agent.ID] != 2 || loads.Active[ann.ID] != 0 {
		t.Fatalf("loads %v, want the admin at 2", loads.Active)
	}
}

func TestSettingsNotifications(t *testing.T) {
	h := newHarness(t)
	var me api.Me
	h.get("/api/v1/me", h.admin, &me)
	if me.Agent.Notifications.SoundOff || me.Agent.Notifications.DesktopOff {
		t.Fatalf("new agent's notifications %+v, want all on", me.Agent.Notifications)
	}
	r := h.do(http.MethodGet, "/api/v1/me", nil, h.admin)
	if !strings.Contains(string(r.body), `"notifications":{"sound":true,"desktop":true}`) {
		t.Errorf("/me shows %s", r.body)
	}
	h.do(http.MethodPatch, "/api/v1/me/notifications", map[string]any{"sound": false}, h.admin).want(http.StatusOK)
	r = h.do(http.MethodGet, "/api/v1/me", nil, h.admin)
	if !strings.Contains(string(r.body), `"notifications":{"sound":false,"desktop":true}`) {
		t.Errorf("after turning sound off /me shows %s", r.body)
	}
}
