package main

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// statsCharts are the Statistics tab's charts.
var statsCharts = []string{"conversations", "times", "agents", "presence", "ratings", "heatmap"}

// statsWords are, per language, the tab's name, the conversations chart's
// title as the server draws it, and the first header of the conversation
// list's export (the "No." column).
var statsWords = map[string][3]string{
	"en": {"Statistics", "Conversations", "No."},
	"de": {"Statistik", "Konversationen", "Nr."},
	"pl": {"Statystyki", "Rozmowy", "Nr"},
	"ru": {"Статистика", "Диалоги", "№"},
}

// TestStatsInTheBrowser walks the Statistics tab in Chromium against the
// real binary: a supervisor sees everyone's figures, the six charts drawn
// by the server in each of the four languages, the per-agent table, and
// exports the conversation list (CSV and Excel) with their columns and
// headers in their language, a hostile client name made inert; an agent
// sees only their own figures, and cannot ask for anyone else's.
func TestStatsInTheBrowser(t *testing.T) {
	chromium := requireChromium(t)
	bin := buildBinary(t)
	srv := startServer(t, bin, t.TempDir())
	boot := srv.welcome(t)
	admin := newClient(t, "admin", srv.base)
	admin.login(boot.adminEmail, boot.adminPassword)
	const samEmail, samPassword = "sam@example.com", "sam-password-1"
	const annEmail, annPassword = "ann@example.com", "ann-password-1"
	sam := admin.createAgent("Sam Supervisor", samEmail, samPassword, "supervisor")
	ann := admin.createAgent("Ann Agent", annEmail, annPassword, "agent")
	admin.expect("PATCH", "/api/v1/lines/"+boot.demoLineID, map[string]any{"agentIds": []string{ann.ID}}, http.StatusOK, nil)
	open := func(client string) convJSON {
		t.Helper()
		var v convView
		admin.expect("POST", "/api/v1/conversations", map[string]any{
			"lineId": boot.demoLineID, "type": "incoming",
			"contact": map[string]any{"name": client}, "message": map[string]any{"text": "Hello from " + client},
		}, http.StatusCreated, &v)
		return v.Conversation
	}
	first := open("Ada Client")
	open("=cmd|' /C calc'!A0")
	open("Борис Клиент")
	// Ann takes the first conversation and answers it.
	admin.expect("POST", "/api/v1/conversations/"+first.ID+"/assign", map[string]any{"agentId": ann.ID}, http.StatusOK, nil)
	annAPI := newClient(t, "ann", srv.base)
	annAPI.login(annEmail, annPassword)
	annAPI.expect("POST", "/api/v1/conversations/"+first.ID+"/messages", map[string]any{"text": "Hello Ada, how can I help?"}, http.StatusCreated, nil)
	samAPI := newClient(t, "sam", srv.base)
	samAPI.login(samEmail, samPassword)

	// ---- The supervisor: everyone's figures, in four languages. ----
	b := newBrowser(t, chromium, "supervisor")
	signIn(t, b, srv.base, samEmail, samPassword)
	tile := func(br *brBrowser, key string) string {
		return brEval[string](br, nil, "the "+key+" tile", `document.querySelector('`+brTID("stats-tile-"+key)+` .stats-value').textContent`)
	}
	chartsDrawn := func(br *brBrowser) {
		t.Helper()
		br.waitFor(nil, "the six charts are drawn", `(() => { const imgs = [...document.querySelectorAll('img[data-testid^="stats-chart-"]')];
			return imgs.length === 6 && imgs.every(i => i.complete && i.naturalWidth > 0); })()`, 20*time.Second)
	}
	svg := func(br *brBrowser, name string) string {
		return brEval[string](br, nil, "the "+name+" chart's SVG", `fetch(document.querySelector('`+brTID("stats-chart-"+name)+`').src).then(r => r.text())`)
	}
	for _, lang := range []string{"en", "de", "pl", "ru"} {
		words := statsWords[lang]
		samAPI.expect("PATCH", "/api/v1/me", map[string]any{"language": lang}, http.StatusOK, nil)
		b.do("open the statistics in "+lang, 20*time.Second, chromedp.Navigate(srv.base+"/#/stats"), chromedp.Reload())
		b.waitFor(nil, "the report in "+lang, `document.querySelector('`+brTID("stats-tile-new")+`')`, 20*time.Second)
		if tab := brEval[string](b, nil, "the tab's name", `document.querySelector('`+brTID("tab-stats")+`').textContent`); tab != words[0] {
			t.Errorf("%s: the tab is named %q, want %q", lang, tab, words[0])
		}
		if n, answered := tile(b, "new"), tile(b, "answered"); n != "3" || answered != "1" {
			t.Errorf("%s: new %q, answered %q; want 3 and 1", lang, n, answered)
		}
		chartsDrawn(b)
		if s := svg(b, "conversations"); !strings.Contains(s, words[1]) {
			t.Errorf("%s: the conversations chart lacks %q:\n%.600s", lang, words[1], s)
		}
		if s := svg(b, "agents"); !strings.Contains(s, "Ann Agent") {
			t.Errorf("%s: the agents chart lacks Ann:\n%.600s", lang, s)
		}
	}
	rows := brEval[[]string](b, nil, "the per-agent rows", `[...document.querySelectorAll('`+brTID("stats-agent-row")+`')].map(r => r.dataset.agentId)`)
	if !containsAll(rows, ann.ID, sam.ID) {
		t.Errorf("the supervisor's agent rows %v lack Ann or Sam", rows)
	}
	if n := brEval[int](b, nil, "the agent filter", `document.querySelectorAll('`+brTID("stats-agent")+`').length`); n != 1 {
		t.Errorf("the supervisor has %d agent filters, want 1", n)
	}

	// ---- The exports of the conversation list (language: ru). ----
	b.do("open the conversation list", 20*time.Second, chromedp.Navigate(srv.base+"/#/conversations"))
	b.waitFor(nil, "the rows", `document.querySelectorAll('`+brTID("conv-row")+`').length === 3`, 20*time.Second)
	sheet := brEval[string](b, nil, "the CSV export", `fetch(document.querySelector('`+brTID("export-csv")+`').href).then(r => r.text())`)
	lines := strings.Split(strings.TrimPrefix(sheet, "\ufeff"), "\r\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], statsWords["ru"][2]+",") || lines[4] != "" {
		t.Errorf("the CSV export (header + 3 rows) is:\n%s", sheet)
	}
	if !strings.Contains(sheet, `'=cmd|' /C calc'!A0`) || strings.Contains(sheet, `,=cmd`) {
		t.Errorf("the hostile client name is not made inert:\n%s", sheet)
	}
	xlsx := brEval[string](b, nil, "the Excel export", `fetch(document.querySelector('`+brTID("export-xlsx")+`').href).then(async r =>
		r.status + ' ' + r.headers.get('content-type') + ' ' + String.fromCharCode(...new Uint8Array(await r.arrayBuffer()).slice(0, 2)))`)
	if xlsx != "200 application/vnd.openxmlformats-officedocument.spreadsheetml.sheet PK" {
		t.Errorf("the Excel export answered %q", xlsx)
	}

	// ---- The agent: only their own figures. ----
	a := newBrowser(t, chromium, "agent")
	signIn(t, a, srv.base, annEmail, annPassword)
	a.do("open the statistics", 20*time.Second, chromedp.Click(chromedp.CSS(brTID("tab-stats"))))
	a.waitFor(nil, "her report", `document.querySelector('`+brTID("stats-own")+`') && document.querySelector('`+brTID("stats-tile-new")+`')`, 20*time.Second)
	if n, answered := tile(a, "new"), tile(a, "answered"); n != "1" || answered != "1" {
		t.Errorf("Ann's own figures: new %q, answered %q; want 1 and 1", n, answered)
	}
	if rows := brEval[[]string](a, nil, "her agent rows", `[...document.querySelectorAll('`+brTID("stats-agent-row")+`')].map(r => r.dataset.agentId)`); len(rows) != 1 || rows[0] != ann.ID {
		t.Errorf("Ann's agent rows are %v, want only hers", rows)
	}
	if n := brEval[int](a, nil, "the agent filter", `document.querySelectorAll('`+brTID("stats-agent")+`').length`); n != 0 {
		t.Errorf("an agent is offered %d agent filters, want none", n)
	}
	chartsDrawn(a)
	if s := svg(a, "agents"); strings.Contains(s, "Sam Supervisor") || !strings.Contains(s, "Ann Agent") {
		t.Errorf("Ann's agents chart shows someone else's figures or not hers:\n%.800s", s)
	}
	// Asking the server for Sam's figures is refused, whatever the page offers.
	status := brEval[string](a, nil, "someone else's figures", `fetch('/api/v1/stats?from=2020-01-01&to=2020-01-02&tz=UTC&agentId=`+sam.ID+`').then(r => String(r.status))`)
	if status != strconv.Itoa(http.StatusForbidden) {
		t.Errorf("an agent asking for a supervisor's figures got %s, want 403", status)
	}

	srv.stop(t)
	if errs := errorLogLines(srv.stderr.String()); len(errs) > 0 {
		t.Errorf("the gateway logged errors:\n%s", strings.Join(errs, "\n"))
	}
}

// containsAll says whether every one of want is in have.
func containsAll(have []string, want ...string) bool {
	seen := map[string]bool{}
	for _, h := range have {
		seen[h] = true
	}
	for _, w := range want {
		if !seen[w] {
			return false
		}
	}
	return true
}
