package api_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
)

// hostileName is a contact name a spreadsheet would run as a command.
const hostileName = "=cmd|' /C calc'!A0"

// statsWorld: on Monday 5 May 2025 (t0, 09:00Z: 11:00 in Berlin) a client
// with a hostile name opens C1, which Ann accepts after 30 s and answers
// after 60 s; a minute later Bob opens C2, which nobody takes. The
// reports are made at 11:00Z.
type statsWorld struct {
	h             *harness
	ann, ben, sue *session
}

func newStatsWorld(t *testing.T) *statsWorld {
	h := newHarness(t)
	w := &statsWorld{h: h,
		ann: h.agentSession("Ann Agent", inbox.RoleAgent),
		ben: h.agentSession("Ben Agent", inbox.RoleAgent),
		sue: h.agentSession("Sue Super", inbox.RoleSupervisor)}
	line := h.seedLine("Support", w.ann.agent.ID, w.ben.agent.ID)
	c1 := h.openIncoming(line.ID, hostileName, "hello")
	h.clock.Advance(30 * time.Second)
	h.do(http.MethodPost, "/api/v1/conversations/"+c1.ID+"/accept", nil, w.ann).want(http.StatusOK)
	h.clock.Advance(30 * time.Second)
	h.do(http.MethodPost, "/api/v1/conversations/"+c1.ID+"/messages", map[string]any{"text": "Hi, how can I help?"}, w.ann).want(http.StatusCreated)
	h.openIncoming(line.ID, "Bob", "anyone?")
	h.clock.Set(t0.Add(2 * time.Hour))
	return w
}

const statsQuery = "from=2025-05-05&to=2025-05-06&tz=Europe/Berlin&group=day"

// GET /api/v1/stats: staff get everyone's figures, an agent their own;
// asking for another agent's is forbidden; no session, no report.
func TestStats(t *testing.T) {
	w := newStatsWorld(t)
	h := w.h
	var all inbox.Report
	h.get("/api/v1/stats?"+statsQuery, w.sue, &all)
	c := all.Conversations
	if all.Scope != inbox.ScopeAll || c.New != 2 || c.Incoming != 2 || c.ByChannel.LiveChat != 2 || c.Answered != 1 || c.StillOpen != 2 ||
		c.MissedRate == nil || *c.MissedRate != 0 {
		t.Errorf("supervisor's report: scope %s, %+v", all.Scope, c)
	}
	if wt := all.Times.WaitingForAnswer; wt.Count != 1 || *wt.Average != 60 || *wt.Max != 60 {
		t.Errorf("waiting for answer %+v", wt)
	}
	if ta := all.Times.TimeToAccept; ta.Count != 1 || *ta.Median != 30 {
		t.Errorf("time to accept %+v", ta)
	}
	// Berlin: Monday 11:00 local, both.
	if all.Load.HourOfWeek[0][11] != 2 || len(all.Series) != 1 || all.Series[0].Start != "2025-05-05" ||
		!all.Series[0].StartAt.Equal(time.Date(2025, 5, 4, 22, 0, 0, 0, time.UTC)) {
		t.Errorf("load %v, series %+v", all.Load.HourOfWeek[0], all.Series)
	}
	if len(all.Agents) != 4 { // Admin, Ann, Ben, Sue
		t.Errorf("agents %+v", all.Agents)
	}
	// The same lists as a comma-separated or repeated parameter.
	var two inbox.Report
	h.get("/api/v1/stats?"+statsQuery+"&channel=livechat,telegram&agentId="+w.ann.agent.ID+"&agentId="+w.ben.agent.ID, w.sue, &two)
	if two.Conversations.New != 1 || len(two.Filter.Channels) != 2 || len(two.Filter.AgentIDs) != 2 {
		t.Errorf("filtered: %+v, filter %+v", two.Conversations, two.Filter)
	}

	var own inbox.Report
	h.get("/api/v1/stats?"+statsQuery, w.ann, &own)
	if own.Scope != inbox.ScopeOwn || own.Conversations.New != 1 || own.Conversations.Answered != 1 ||
		len(own.Agents) != 1 || own.Agents[0].AgentID != w.ann.agent.ID || own.Agents[0].Handled != 1 {
		t.Errorf("Ann's report: scope %s, %+v, agents %+v", own.Scope, own.Conversations, own.Agents)
	}
	var bens inbox.Report
	h.get("/api/v1/stats?"+statsQuery, w.ben, &bens)
	if bens.Conversations.New != 0 || len(bens.Agents) != 1 || bens.Agents[0].AgentID != w.ben.agent.ID {
		t.Errorf("Ben's report: %+v, agents %+v", bens.Conversations, bens.Agents)
	}
	h.do(http.MethodGet, "/api/v1/stats?"+statsQuery+"&agentId="+w.ben.agent.ID, nil, w.ann).wantError(http.StatusForbidden, "forbidden", "")
	h.do(http.MethodGet, "/api/v1/stats.csv?"+statsQuery+"&agentId="+w.ben.agent.ID, nil, w.ann).wantError(http.StatusForbidden, "forbidden", "")
	h.do(http.MethodGet, "/api/v1/stats?"+statsQuery, nil, nil).wantError(http.StatusUnauthorized, "unauthorized", "")
	h.do(http.MethodGet, "/api/v1/stats.csv?"+statsQuery, nil, nil).wantError(http.StatusUnauthorized, "unauthorized", "")
}

// Bad queries answer 400 naming the parameter, and change nothing.
func TestStatsRefusals(t *testing.T) {
	h := newHarness(t)
	if _, _, err := h.store.WarmUp(context.Background()); err != nil { // the store's own first write
		t.Fatal(err)
	}
	before := h.snap()
	cases := []struct{ query, field string }{
		{"to=2025-05-06&tz=Europe/Berlin", "from"},
		{"from=5.5.2025&to=2025-05-06&tz=Europe/Berlin", "from"},
		{"from=2025-05-05&tz=Europe/Berlin", "to"},
		{"from=2025-05-05&to=2025-05-01&tz=Europe/Berlin", "to"},
		{"from=2025-05-05&to=2025-05-05&tz=Europe/Berlin", "to"},
		{"from=2024-01-01&to=2025-05-06&tz=Europe/Berlin", "to"}, // 491 days: over MaxReportDays
		{"from=2025-05-05&to=2025-05-06", "tz"},
		{"from=2025-05-05&to=2025-05-06&tz=Europe/Atlantis", "tz"},
		{"from=2025-05-05&to=2025-05-06&tz=Local", "tz"},
		{"from=2025-05-05&to=2025-05-06&tz=Europe/Berlin&group=year", "group"},
		{"from=2025-05-05&to=2025-05-06&tz=Europe/Berlin&channel=livechat,fax", "channel"},
		{"from=2025-05-05&to=2025-05-06&tz=Europe/Berlin&line=x", "line"},
	}
	for _, c := range cases {
		for _, path := range []string{"/api/v1/stats?", "/api/v1/stats.csv?"} {
			h.do(http.MethodGet, path+c.query, nil, h.admin).wantError(http.StatusBadRequest, "invalid", c.field)
		}
	}
	// 400 days is the limit, and allowed.
	h.do(http.MethodGet, "/api/v1/stats?from=2024-04-01&to=2025-05-06&tz=UTC", nil, h.admin).want(http.StatusOK)
	h.unchanged(before, "statistics")
}

// GET /api/v1/stats.csv: the series with a header in the agent's
// language; no text of a client reaches the sheet.
func TestStatsCSV(t *testing.T) {
	w := newStatsWorld(t)
	h := w.h
	de := "de"
	if _, err := h.svc.UpdateAgent(context.Background(), inbox.System, w.ann.agent.ID, inbox.AgentInput{Language: &de}); err != nil {
		t.Fatal(err)
	}
	r := h.do(http.MethodGet, "/api/v1/stats.csv?"+statsQuery, nil, w.ann).want(http.StatusOK)
	if ct := r.resp.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cd := r.resp.Header.Get("Content-Disposition"); cd != `attachment; filename="switchboard-stats-2025-05-05-2025-05-06.csv"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	body := string(r.body)
	if !strings.HasPrefix(body, "\ufeff") || !strings.Contains(body, "\r\n") {
		t.Errorf("want a byte-order mark and CRLF lines: %q", body)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || len(rows[0]) != 22 {
		t.Fatalf("rows %q", rows)
	}
	head, day := rows[0], rows[1]
	for i, want := range map[int]string{0: "Beginn des Zeitraums", 1: "Neue Konversationen", 8: "Verpasst",
		14: "Auf die Antwort des Mitarbeiters wird gewartet, Durchschnitt (s)", 21: "Kundenbewertung, Durchschnitt"} {
		if head[i] != want {
			t.Errorf("header %d: %q, want %q", i, head[i], want)
		}
	}
	// Ann's own day: C1, answered after 60 s, accepted after 30 s, no rating.
	for i, want := range map[int]string{0: "2025-05-05", 1: "1", 2: "1", 4: "1", 7: "1", 8: "0", 9: "0", 13: "1",
		14: "60", 15: "30", 16: "60", 17: "", 20: "0", 21: ""} {
		if day[i] != want {
			t.Errorf("cell %d (%s): %q, want %q", i, head[i], day[i], want)
		}
	}
	if strings.Contains(body, "cmd") {
		t.Errorf("a client's name reached the sheet: %q", body)
	}
	// A supervisor's sheet, through the real server (the body is
	// streamed, chunked): every conversation, the header in English.
	h.serve()
	var sheet [][]string
	r = h.do(http.MethodGet, "/api/v1/stats.csv?"+statsQuery, nil, w.sue).want(http.StatusOK)
	if te := r.resp.TransferEncoding; len(te) != 1 || te[0] != "chunked" {
		t.Errorf("Transfer-Encoding %v, want chunked", te)
	}
	if sheet, err = csv.NewReader(strings.NewReader(strings.TrimPrefix(string(r.body), "\ufeff"))).ReadAll(); err != nil {
		t.Fatal(err)
	}
	if len(sheet) != 2 || sheet[0][0] != "Period start" || sheet[0][13] != "Still open" || sheet[1][1] != "2" {
		t.Errorf("supervisor's sheet %q", sheet)
	}
}
