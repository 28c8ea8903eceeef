package api_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/inbox"
)

// GET /api/v1/stats/charts/{chart}: the statistics as SVG charts.

var allCharts = []string{"conversations.svg", "times.svg", "agents.svg", "presence.svg", "ratings.svg", "heatmap.svg"}

// svgChart is a chart's texts, as the viewer reads them.
type svgChart struct {
	title string   // the <title> element
	texts []string // the <text> elements, in order
}

// has tells whether a text is exactly s.
func (c svgChart) has(s string) bool { return slices.Contains(c.texts, s) }

// contains tells whether a text contains s.
func (c svgChart) contains(s string) bool {
	return slices.ContainsFunc(c.texts, func(t string) bool { return strings.Contains(t, s) })
}

// chart checks a chart's answer — 200, the SVG's headers, a well-formed
// XML document whose root is an <svg> with a size and a viewBox — and
// reads its texts.
func chart(t *testing.T, r *response) svgChart {
	t.Helper()
	r.t = t
	r.want(http.StatusOK)
	for h, want := range map[string]string{
		"Content-Type":            "image/svg+xml; charset=utf-8",
		"Cache-Control":           "no-store",
		"X-Content-Type-Options":  "nosniff",
		"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
	} {
		if got := r.resp.Header.Get(h); got != want {
			t.Errorf("%s %s: %s %q, want %q", r.method, r.path, h, got, want)
		}
	}
	var c svgChart
	dec := xml.NewDecoder(bytes.NewReader(r.body))
	var stack []string
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s %s: not well-formed XML: %v\n%s", r.method, r.path, err, r.body)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if len(stack) == 0 {
				attr := map[string]string{}
				for _, a := range tok.Attr {
					attr[a.Name.Local] = a.Value
				}
				if tok.Name.Space != "http://www.w3.org/2000/svg" || tok.Name.Local != "svg" ||
					attr["viewBox"] != "0 0 "+attr["width"]+" "+attr["height"] || attr["width"] == "" {
					t.Errorf("%s %s: root element %v %v", r.method, r.path, tok.Name, attr)
				}
			}
			stack = append(stack, tok.Name.Local)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				continue
			}
			switch stack[len(stack)-1] {
			case "title":
				c.title += string(tok)
			case "text":
				c.texts = append(c.texts, string(tok))
			}
		}
	}
	return c
}

// setLanguage sets an agent's language.
func setLanguage(t *testing.T, h *harness, s *session, lang string) {
	t.Helper()
	if _, err := h.svc.UpdateAgent(context.Background(), inbox.System, s.agent.ID, inbox.AgentInput{Language: &lang}); err != nil {
		t.Fatal(err)
	}
}

// rateAll has every conversation rated by its client: 4, then 5.
func rateAll(t *testing.T, h *harness) {
	t.Helper()
	for i, c := range h.conversations(h.admin, "sort=number").Items {
		h.do(http.MethodPost, "/api/v1/conversations/"+c.ID+"/client-rating", map[string]any{"rating": 4 + i}, h.admin).want(http.StatusOK)
	}
}

// Each chart for a supervisor: titles, legends and the report's figures.
func TestStatsCharts(t *testing.T) {
	w := newStatsWorld(t)
	h := w.h
	rateAll(t, h)
	get := func(name string, s *session) svgChart {
		t.Helper()
		return chart(t, h.do(http.MethodGet, "/api/v1/stats/charts/"+name+"?"+statsQuery, nil, s))
	}
	// Berlin, one day: two new conversations, one answered (after 60 s),
	// on Monday at 11; four agents, two hours each offline; ratings 4 and 5.
	want := map[string]struct {
		title string
		texts []string
	}{
		"conversations.svg": {"Conversations", []string{"New conversations", "Agent answered", "Missed", "Day: May 5", "2", "1", "0"}},
		"times.svg":         {"Average times (s)", []string{"Waiting for agent's answer", "First reaction time", "Response time", "Seconds", "60"}},
		"agents.svg":        {"Conversations per agent", []string{"Admin", "Ann Agent", "Ben Agent", "Sue Super", "Handled", "1"}},
		"presence.svg":      {"Agents' presence (hours)", []string{"Ann Agent", "Online", "Invisible", "Offline", "Hours", "2"}},
		"ratings.svg":       {"Client ratings", []string{"2025-05-05 · Ratings: 2, average 4.5", "Number of ratings", "Rating", "5", "1"}},
		"heatmap.svg":       {"Conversations by weekday and hour", []string{"2025-05-05 · Time zone: Europe/Berlin", "Mon", "Sun", "11:00", "2"}},
	}
	for _, name := range allCharts {
		c := get(name, w.sue)
		if wc := want[name]; c.title != wc.title || !c.has(wc.title) {
			t.Errorf("%s: title %q, want %q in %q", name, c.title, wc.title, c.texts)
		}
		for _, s := range want[name].texts {
			if !c.has(s) {
				t.Errorf("%s: no text %q in %q", name, s, c.texts)
			}
		}
		if c.contains("No data") {
			t.Errorf("%s: no data? %q", name, c.texts)
		}
	}

	// In German for Ann, who sees only her own figures.
	setLanguage(t, h, w.ann, "de")
	for name, title := range map[string]string{
		"conversations.svg": "Konversationen", "times.svg": "Durchschnittliche Zeiten (s)",
		"agents.svg": "Konversationen pro Mitarbeiter", "presence.svg": "Anwesenheit der Mitarbeiter (Stunden)",
		"ratings.svg": "Kundenbewertungen", "heatmap.svg": "Konversationen nach Wochentag und Uhrzeit",
	} {
		if c := get(name, w.ann); c.title != title {
			t.Errorf("Ann's %s: title %q, want %q", name, c.title, title)
		}
	}
	if c := get("agents.svg", w.ann); !c.has("Ann Agent") || c.contains("Ben") || c.contains("Sue") || !c.has("Bearbeitet") || !c.has("Verpasst") {
		t.Errorf("Ann's agents: %q", c.texts)
	}
	if c := get("ratings.svg", w.ann); !c.has("2025-05-05 · Bewertungen: 1, Durchschnitt 4") {
		t.Errorf("Ann's ratings: %q", c.texts)
	}
	if c := get("heatmap.svg", w.ann); !c.has("Mo") || !c.has("So") || !c.has("1") || c.has("2") {
		t.Errorf("Ann's heat map: %q", c.texts)
	}
	// In Russian for Sue: Cyrillic comes out as UTF-8 text.
	setLanguage(t, h, w.sue, "ru")
	r := h.do(http.MethodGet, "/api/v1/stats/charts/agents.svg?"+statsQuery, nil, w.sue)
	if c := chart(t, r); c.title != "Диалоги по операторам" || !c.has("Обработанные") || !c.has("Пропущенные") {
		t.Errorf("Sue's agents: %q %q", c.title, c.texts)
	}
	if !bytes.Contains(r.body, []byte("Диалоги по операторам</text>")) {
		t.Errorf("the title is not plain UTF-8 text: %s", r.body)
	}
	if c := get("heatmap.svg", w.sue); !c.has("Пн") || !c.has("Вс") || !c.has("Час дня") {
		t.Errorf("Sue's heat map: %q", c.texts)
	}
	// Through the real server too.
	h.serve()
	chart(t, h.do(http.MethodGet, "/api/v1/stats/charts/times.svg?"+statsQuery, nil, w.sue))
}

// Who sees what is the statistics' rule; a GET needs no CSRF token.
func TestStatsChartAccess(t *testing.T) {
	w := newStatsWorld(t)
	h := w.h
	for _, name := range allCharts {
		path := "/api/v1/stats/charts/" + name + "?" + statsQuery
		h.do(http.MethodGet, path+"&agentId="+w.ben.agent.ID, nil, w.ann).wantError(http.StatusForbidden, "forbidden", "")
		h.do(http.MethodGet, path, nil, nil).wantError(http.StatusUnauthorized, "unauthorized", "")
		chart(t, h.do(http.MethodGet, path, nil, w.ann, noCSRF))
	}
	// Asking for one's own figures is fine.
	if c := chart(t, h.do(http.MethodGet, "/api/v1/stats/charts/agents.svg?"+statsQuery+"&agentId="+w.ben.agent.ID, nil, w.ben)); !c.has("Ben Agent") || c.contains("Ann") {
		t.Errorf("Ben's agents: %q", c.texts)
	}
	h.do(http.MethodGet, "/api/v1/stats/charts/nope.svg", nil, nil).wantError(http.StatusUnauthorized, "unauthorized", "")
}

// Bad queries are refused as the report's, naming the parameter; an
// unknown chart is not found.
func TestStatsChartRefusals(t *testing.T) {
	h := newHarness(t)
	for _, c := range []struct{ query, field string }{
		{"to=2025-05-06&tz=Europe/Berlin", "from"},
		{"from=2025-05-05&to=2025-05-01&tz=Europe/Berlin", "to"},
		{"from=2025-05-05&to=2025-05-06&tz=Europe/Atlantis", "tz"},
		{"from=2025-05-05&to=2025-05-06&tz=Europe/Berlin&group=year", "group"},
		{"from=2025-05-05&to=2025-05-06&tz=Europe/Berlin&channel=livechat,fax", "channel"},
		{"from=2025-05-05&to=2025-05-06&tz=Europe/Berlin&line=x", "line"},
		{"from=2025-05-05&to=2025-05-06&tz=Europe/Berlin&chart=x", "chart"},
	} {
		for _, name := range []string{"conversations.svg", "heatmap.svg"} {
			h.do(http.MethodGet, "/api/v1/stats/charts/"+name+"?"+c.query, nil, h.admin).wantError(http.StatusBadRequest, "invalid", c.field)
		}
	}
	for _, name := range []string{"pie.svg", "conversations.png", "conversations", "CONVERSATIONS.SVG", "..%2Fstats"} {
		h.do(http.MethodGet, "/api/v1/stats/charts/"+name+"?"+statsQuery, nil, h.admin).wantError(http.StatusNotFound, "not_found", "")
	}
	h.do(http.MethodGet, "/api/v1/stats/charts/?"+statsQuery, nil, h.admin).wantError(http.StatusNotFound, "not_found", "")
}

// Agents' names are user input: drawn as text, never as markup.
func TestStatsChartHostileName(t *testing.T) {
	w := newStatsWorld(t)
	h := w.h
	const evil = `<script>x()</script>&"Żółć"]]>` // short enough not to be cut
	if _, err := h.svc.UpdateAgent(context.Background(), inbox.System, w.ann.agent.ID, inbox.AgentInput{Name: ptr(evil)}); err != nil {
		t.Fatal(err)
	}
	for _, name := range allCharts {
		r := h.do(http.MethodGet, "/api/v1/stats/charts/"+name+"?"+statsQuery, nil, w.sue)
		c := chart(t, r)
		if bytes.Contains(r.body, []byte("<script")) {
			t.Errorf("%s: markup of a name reached the SVG", name)
		}
		if (name == "agents.svg" || name == "presence.svg") && !c.has(evil) {
			t.Errorf("%s: the name is not shown as it is: %q", name, c.texts)
		}
	}
}

// A period without conversations: every chart says so, in the viewer's
// language; without agents, the agents' charts too.
func TestStatsChartEmpty(t *testing.T) {
	h := newHarness(t)
	q := "from=2024-01-01&to=2024-02-01&tz=UTC"
	for _, name := range allCharts {
		c := chart(t, h.do(http.MethodGet, "/api/v1/stats/charts/"+name+"?"+q, nil, h.admin))
		if want := name != "agents.svg"; c.has("No data for this period") != want || c.title == "" || !c.has("2024-01-01 to 2024-01-31") {
			t.Errorf("%s: %q %q, want the no-data message: %v", name, c.title, c.texts, want)
		}
	}
	// The admin is listed with nothing; with no agent at all, nothing to show.
	if c := chart(t, h.do(http.MethodGet, "/api/v1/stats/charts/agents.svg?"+q, nil, h.admin)); !c.has("Admin") || !c.has("0") {
		t.Errorf("agents: %q", c.texts)
	}
	for _, name := range allCharts {
		c := chart(t, h.do(http.MethodGet, "/api/v1/stats/charts/"+name+"?"+q+"&agentId="+missingID, nil, h.admin))
		if !c.has("No data for this period") {
			t.Errorf("%s with no agents: %q", name, c.texts)
		}
	}
	pl := h.agentSession("Lucja Agent", inbox.RoleAgent)
	setLanguage(t, h, pl, "pl")
	for _, name := range allCharts {
		if c := chart(t, h.do(http.MethodGet, "/api/v1/stats/charts/"+name+"?"+q, nil, pl)); !c.has("Brak danych za ten okres") && name != "agents.svg" {
			t.Errorf("%s in Polish: %q", name, c.texts)
		}
	}
}
