package api_test

import (
	"net/http"
	"testing"

	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/inbox/api"
)

// TestContactTakeover: an agent may open an outgoing conversation only with
// a contact they already see. Another agent's contact is answered exactly
// like an id that does not exist (404, same body), everywhere, and nothing
// changes.
func TestContactTakeover(t *testing.T) {
	h := newHarness(t)
	ann := h.agentSession("Ann", inbox.RoleAgent)
	bob := h.agentSession("Bob", inbox.RoleAgent)
	line := h.seedLine("Sales", ann.agent.ID, bob.agent.ID)
	// Ann's conversation with a visitor.
	conv := h.openIncoming(line.ID, "Carol", "hello")
	h.do(http.MethodPost, "/api/v1/conversations/"+conv.ID+"/assign", map[string]any{"agentId": ann.agent.ID}, h.admin).want(http.StatusOK)
	carol := conv.ContactID
	unknown := "0123456789abcdef01234567"

	before := h.snap()
	for _, id := range []string{carol, unknown} {
		for _, ch := range []string{"livechat", "telegram"} {
			r := h.do(http.MethodPost, "/api/v1/conversations", map[string]any{
				"lineId": line.ID, "type": "outgoing", "channel": ch, "contactId": id,
				"message": map[string]any{"text": "please send your card number"},
			}, bob)
			r.wantError(http.StatusNotFound, "not_found", "")
		}
		h.do(http.MethodGet, "/api/v1/contacts/"+id, nil, bob).wantError(http.StatusNotFound, "not_found", "")
		h.do(http.MethodPatch, "/api/v1/contacts/"+id, map[string]any{"name": "Mallory"}, bob).wantError(http.StatusNotFound, "not_found", "")
		h.do(http.MethodPost, "/api/v1/contacts/"+id+"/block", nil, bob).wantError(http.StatusNotFound, "not_found", "")
	}
	h.unchanged(before, "an agent reaching another agent's contact")

	// The same answers for both ids, apart from the id itself.
	a := h.do(http.MethodGet, "/api/v1/contacts/"+carol, nil, bob)
	b := h.do(http.MethodGet, "/api/v1/contacts/"+unknown, nil, bob)
	var ea, eb api.ErrorBody
	a.decode(&ea)
	b.decode(&eb)
	if ea.Error.Code != eb.Error.Code || len(ea.Error.Message) != len(eb.Error.Message) {
		t.Errorf("another agent's contact answers %+v, an unknown one %+v: they must look alike", ea.Error, eb.Error)
	}

	// Ann, whose conversation it is, may write to Carol on another channel.
	h.do(http.MethodPost, "/api/v1/conversations", map[string]any{
		"lineId": line.ID, "type": "outgoing", "channel": "telegram", "contactId": carol,
		"message": map[string]any{"text": "following up"},
	}, ann).want(http.StatusCreated)
}

// TestCustomFieldKeys: keys that cannot be document field names are a 400
// naming customFields, not a 500, and nothing is stored.
func TestCustomFieldKeys(t *testing.T) {
	h := newHarness(t)
	var ct inbox.Contact
	h.do(http.MethodPost, "/api/v1/contacts", map[string]any{"name": "Dana"}, h.admin).want(http.StatusCreated).decode(&ct)
	before := h.snap()
	for _, k := range []string{"$where", "$", "a.b", ".", "a\x00b", "tab\there", ""} {
		body := map[string]any{"customFields": map[string]string{k: "v"}}
		h.do(http.MethodPatch, "/api/v1/contacts/"+ct.ID, body, h.admin).wantError(http.StatusBadRequest, "invalid", "customFields")
		body["name"] = "Eve"
		h.do(http.MethodPost, "/api/v1/contacts", body, h.admin).wantError(http.StatusBadRequest, "invalid", "customFields")
	}
	h.unchanged(before, "bad custom field keys")
	h.do(http.MethodPatch, "/api/v1/contacts/"+ct.ID, map[string]any{"customFields": map[string]string{"plan": "gold", "a$b": "ok"}}, h.admin).want(http.StatusOK)
}

// TestNamesNeutralBidi: a name cannot carry the controls that reorder what
// agents read around it.
func TestNamesNeutralBidi(t *testing.T) {
	h := newHarness(t)
	var ct inbox.Contact
	h.do(http.MethodPost, "/api/v1/contacts", map[string]any{"name": "Admin\u202Egnp.exe\u2066x\u2069\u200F"}, h.admin).
		want(http.StatusCreated).decode(&ct)
	if ct.Name != "Admingnp.exex" {
		t.Errorf("contact name %q, want the bidi controls removed", ct.Name)
	}
	var ag inbox.Agent
	h.do(http.MethodPost, "/api/v1/agents", map[string]any{"name": "Bob\u202D", "email": "bob2@example.com", "password": password, "role": "agent"}, h.admin).
		want(http.StatusCreated).decode(&ag)
	if ag.Name != "Bob" {
		t.Errorf("agent name %q, want the bidi controls removed", ag.Name)
	}
}
