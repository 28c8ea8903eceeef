package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/inbox/api"
)

// weekdays9to5 are Mon–Fri 09:00–17:00 in Berlin.
func weekdays9to5() map[string]any {
	span := []map[string]string{{"from": "09:00", "to": "17:00"}}
	return map[string]any{"enabled": true, "timeZone": "Europe/Berlin",
		"days": map[string]any{"mon": span, "tue": span, "wed": span, "thu": span, "fri": span}}
}

// POST /api/v1/hours/preview: any signed-in agent checks hours as they
// set them; it stores nothing; refusals as every route's.
func TestHoursPreview(t *testing.T) {
	h := newHarness(t)
	agent := h.agentSession("Ann Agent", inbox.RoleAgent)
	before := h.snap()
	var got api.HoursPreview
	h.do(http.MethodPost, "/api/v1/hours/preview", map[string]any{"businessHours": weekdays9to5()}, agent).want(http.StatusOK).decode(&got)
	// t0 is a weekday morning; the preview lists what a person expects.
	if len(got.Transitions) != inbox.HoursPreviewCount {
		t.Fatalf("preview lists %d changes, want %d: %+v", len(got.Transitions), inbox.HoursPreviewCount, got)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	for i, tr := range got.Transitions {
		local := tr.At.In(berlin)
		wantHour := 17
		if tr.Open {
			wantHour = 9
		}
		if local.Hour() != wantHour || local.Minute() != 0 || local.Weekday() == time.Saturday || local.Weekday() == time.Sunday ||
			(i > 0 && tr.Open == got.Transitions[i-1].Open) {
			t.Errorf("change %d: %s open=%v", i, local, tr.Open)
		}
	}
	if open, _ := weekdayHours().OpenAt(t0); open != got.Open {
		t.Errorf("preview says open=%v at t0, the engine %v", got.Open, open)
	}
	bad := weekdays9to5()
	bad["days"] = map[string]any{"mon": []map[string]string{{"from": "10:00", "to": "10:00"}}}
	h.do(http.MethodPost, "/api/v1/hours/preview", map[string]any{"businessHours": bad}, agent).wantError(http.StatusBadRequest, "invalid", "businessHours.days.mon[0]")
	h.do(http.MethodPost, "/api/v1/hours/preview", map[string]any{}, agent).wantError(http.StatusBadRequest, "invalid", "businessHours")
	h.do(http.MethodPost, "/api/v1/hours/preview", map[string]any{"businessHours": weekdays9to5()}, nil).wantError(http.StatusUnauthorized, "unauthorized", "")
	h.do(http.MethodPost, "/api/v1/hours/preview", map[string]any{"businessHours": weekdays9to5()}, agent, noCSRF).wantError(http.StatusForbidden, "csrf", "")
	h.serve()
	big := `{"businessHours":{"timeZone":"` + strings.Repeat("x", bodyLimit+1) + `"}}`
	h.do(http.MethodPost, "/api/v1/hours/preview", big, agent).wantError(http.StatusRequestEntityTooLarge, "request_entity_too_large", "")
	h.unchanged(before, "hours previews")
}

// An agent sets their own presence mode and hours; a bad value names its
// field and changes nothing.
func TestAgentPresenceModeAndHours(t *testing.T) {
	h := newHarness(t)
	agent := h.agentSession("Ann Agent", inbox.RoleAgent)
	before := h.snap()
	h.do(http.MethodPatch, "/api/v1/me", map[string]any{"presenceMode": "robot"}, agent).wantError(http.StatusBadRequest, "invalid", "presenceMode")
	h.do(http.MethodPatch, "/api/v1/me", map[string]any{"businessHours": map[string]any{"enabled": true}}, agent).wantError(http.StatusBadRequest, "invalid", "businessHours.timeZone")
	h.unchanged(before, "bad presence settings")
	var me inbox.Agent
	h.do(http.MethodPatch, "/api/v1/me", map[string]any{"presenceMode": "hours", "businessHours": weekdays9to5()}, agent).want(http.StatusOK).decode(&me)
	if me.PresenceMode != inbox.PresenceByHours || !me.BusinessHours.Enabled || len(me.BusinessHours.Days["mon"]) != 1 {
		t.Errorf("after the change: mode %q, hours %+v", me.PresenceMode, me.BusinessHours)
	}
}

// weekdayHours is weekdays9to5 as the engine's type.
func weekdayHours() inbox.BusinessHours {
	span := inbox.Span{From: "09:00", To: "17:00"}
	return inbox.BusinessHours{Enabled: true, TimeZone: "Europe/Berlin", Days: map[string][]inbox.Span{
		"mon": {span}, "tue": {span}, "wed": {span}, "thu": {span}, "fri": {span}}}
}
