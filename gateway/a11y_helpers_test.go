package main

import (
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// axeSource is axe-core (MPL-2.0, Deque Systems), vendored unmodified in
// testdata: the accessibility rules the browser tests check every screen
// against.
var axeSource = sync.OnceValues(func() (string, error) {
	b, err := os.ReadFile("testdata/axe-4.14.1.min.js")
	return string(b), err
})

// axeViolation is one rule axe found broken, with the elements breaking it.
type axeViolation struct {
	ID    string `json:"id"`
	Help  string `json:"help"`
	Nodes []struct {
		Target  []any  `json:"target"`
		Summary string `json:"failureSummary"`
	} `json:"nodes"`
}

// checkA11y runs axe-core's WCAG 2.1 A and AA rules over the page (or the
// iframe's document) as it is now, and fails the test for every violation.
func checkA11y(t *testing.T, b *brBrowser, frame *chromedp.Node, screen string) {
	t.Helper()
	src, err := axeSource()
	if err != nil {
		t.Fatalf("axe-core: %v", err)
	}
	// Load axe once per document; run only the WCAG 2.x A/AA rules.
	expr := `(async () => {
		if (!window.axe) { (0, eval)(` + brJS(src) + `); }
		const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}, resultTypes: ['violations']});
		return JSON.stringify(r.violations.map(v => ({id: v.id, help: v.help, nodes: v.nodes.map(n => ({target: n.target, failureSummary: n.failureSummary}))})));
	})()`
	out, err := brTryEval[string](b, frame, expr, 60*time.Second)
	if err != nil {
		t.Fatalf("%s: axe: %v", screen, err)
	}
	var vs []axeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		t.Fatalf("%s: axe answered %s: %v", screen, out, err)
	}
	for _, v := range vs {
		var where []string
		for _, n := range v.Nodes {
			where = append(where, strings.TrimSpace(strings.ReplaceAll(mustJSONString(n.Target)+" — "+n.Summary, "\n", " ")))
		}
		t.Errorf("%s: accessibility: %s (%s) on %d element(s):\n  %s", screen, v.ID, v.Help, len(v.Nodes), strings.Join(where, "\n  "))
	}
	t.Logf("%s: axe-core WCAG 2.1 AA: %d violations", screen, len(vs))
}

func mustJSONString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
