package api_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/switchboard-chat/switchboard/inbox"
)

// The statistics' spreadsheets, byte for byte: the series of a week by
// day in German, the per-agent figures in Russian and English — column
// order, headers in the viewer's language, durations in seconds, empty
// cells for figures nobody has, and agents' names that a spreadsheet
// would run as formulas made inert.
func TestStatsCSVGolden(t *testing.T) {
	w := newStatsWorld(t)
	h := w.h
	ctx := context.Background()
	for s, name := range map[*session]string{w.ann: "=HYPERLINK(\"http://evil.example\",\"Ann\")", w.ben: "@Ben, \"the\" Agent"} {
		if _, err := h.svc.UpdateAgent(ctx, inbox.System, s.agent.ID, inbox.AgentInput{Name: &name}); err != nil {
			t.Fatal(err)
		}
	}
	setLanguage := func(s *session, lang string) {
		t.Helper()
		if _, err := h.svc.UpdateAgent(ctx, inbox.System, s.agent.ID, inbox.AgentInput{Language: &lang}); err != nil {
			t.Fatal(err)
		}
	}
	week := "from=2025-05-05&to=2025-05-12&tz=Europe/Berlin&group=day"
	setLanguage(w.sue, "de")
	golden(t, "stats-week-de.csv", h.do(http.MethodGet, "/api/v1/stats.csv?"+week, nil, w.sue).want(http.StatusOK).body)
	setLanguage(w.sue, "ru")
	golden(t, "stats-agents-ru.csv", h.do(http.MethodGet, "/api/v1/stats/agents.csv?"+statsQuery, nil, w.sue).want(http.StatusOK).body)
	// An agent's own sheet holds only their row.
	golden(t, "stats-agents-own-en.csv", h.do(http.MethodGet, "/api/v1/stats/agents.csv?"+statsQuery, nil, w.ann).want(http.StatusOK).body)
	h.do(http.MethodGet, "/api/v1/stats/agents.csv?"+statsQuery+"&agentId="+w.ben.agent.ID, nil, w.ann).wantError(http.StatusForbidden, "forbidden", "")
	h.do(http.MethodGet, "/api/v1/stats/agents.csv?"+statsQuery, nil, nil).wantError(http.StatusUnauthorized, "unauthorized", "")
	h.do(http.MethodGet, "/api/v1/stats/agents.csv?from=2025-05-05&to=2025-05-06&tz=Mars/Olympus", nil, w.sue).wantError(http.StatusBadRequest, "invalid", "tz")
}
