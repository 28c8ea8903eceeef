package main

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestTableBrowser drives the supervisor's conversation table
// in Chromium against the real binary: the columns an agent hides and
// reorders survive a reload and a new sign-in in a fresh browser (they are
// kept on the server); a conversation opened over the REST API appears in
// an open table without a reload while the selection of another row, the
// scroll position and the page stay; a change of agent updates its row;
// bulk close asks for confirmation in a real dialog, and cancelling changes
// nothing; a search that matches nothing says so.
func TestTableBrowser(t *testing.T) {
	chromium := requireChromium(t)
	bin := buildBinary(t)
	srv := startServer(t, bin, t.TempDir())
	boot := srv.welcome(t)
	admin := newClient(t, "admin", srv.base)
	admin.login(boot.adminEmail, boot.adminPassword)
	const supEmail, supPassword = "sam@example.com", "sam-password-1"
	sam := admin.createAgent("Sam Supervisor", supEmail, supPassword, "supervisor")
	open := func(client string) convJSON {
		t.Helper()
		var v convView
		admin.expect("POST", "/api/v1/conversations", map[string]any{
			"lineId": boot.demoLineID, "type": "incoming",
			"contact": map[string]any{"name": client}, "message": map[string]any{"text": "Hello from " + client},
		}, http.StatusCreated, &v)
		return v.Conversation
	}
	first, second, third := open("Ada Client"), open("Bob Client"), open("Cy Client")

	// ---- Hide and reorder columns; they survive a reload. ----
	b1 := newBrowser(t, chromium, "supervisor")
	signIn(t, b1, srv.base, supEmail, supPassword)
	tblOpenTable(t, b1, 3)
	if cols := tblHeaders(t, b1); !slices.Equal(cols[:3], []string{"number", "line", "status"}) {
		t.Fatalf("the default columns start %v", cols)
	}
	// Headers are column headers with a sort state; the header row and the
	// first columns stay in view when scrolling.
	if bad := brEval[[]string](b1, nil, "check the headers", `[...document.querySelectorAll('[data-testid="conv-table"] thead th')]
		.filter(th => th.getAttribute('scope') !== 'col' || (th.querySelector('button.sort') && !['ascending','descending','none'].includes(th.getAttribute('aria-sort'))))
		.map(th => th.dataset.col || 'select')`); len(bad) > 0 {
		t.Errorf("headers without scope=col or aria-sort: %v", bad)
	}
	if sort := brEval[string](b1, nil, "sorted header", `document.querySelector('th[data-col="number"]').getAttribute('aria-sort')`); sort != "descending" {
		t.Errorf("the No. column is aria-sort=%q, want descending (the default order)", sort)
	}
	sticky := brEval[string](b1, nil, "sticky cells", `['thead th[data-col="status"]', 'tbody td.sel', 'tbody .first'].map(s => {
		const el = document.querySelector('[data-testid="conv-table"] ' + s); return el ? getComputedStyle(el).position : 'missing'; }).join(',')`)
	if sticky != "sticky,sticky,sticky" {
		t.Errorf("header, selection and number cells are %s, want sticky", sticky)
	}
	b1.do("open the column chooser", 10*time.Second, chromedp.Click(chromedp.CSS(brTID("col-chooser")+" summary")))
	b1.do("hide the line column", 10*time.Second, chromedp.Click(chromedp.CSS(`[data-testid="col-toggle"][data-col="line"]`)))
	b1.do("move the client column up", 10*time.Second, chromedp.Click(chromedp.CSS(`[data-testid="col-up"][data-col="client"]`)))
	b1.do("move the client column up again", 10*time.Second, chromedp.Click(chromedp.CSS(`[data-testid="col-up"][data-col="client"]`)))
	b1.do("show the client rating", 10*time.Second, chromedp.Click(chromedp.CSS(`[data-testid="col-toggle"][data-col="clientRating"]`)))
	want := []string{"number", "status", "client", "detailedStatus", "channel", "agent", "created", "lastMessage", "waitingForAnswer", "firstReaction", "actions", "clientRating"}
	b1.waitFor(nil, "the choice is saved", `document.querySelector('[data-testid="col-chooser"]').dataset.prefs === 'saved'`, 10*time.Second)
	if cols := tblHeaders(t, b1); !slices.Equal(cols, want) {
		t.Fatalf("after hiding and moving the headers are %v, want %v", cols, want)
	}
	if name := brEval[string](b1, nil, "a move button's name", `document.querySelector('[data-testid="col-up"][data-col="client"]').getAttribute('aria-label')`); name != "Move Client up" {
		t.Errorf("a move button is named %q", name)
	}
	sc := newClient(t, "sam", srv.base)
	sc.login(supEmail, supPassword)
	var prefs struct {
		Table struct {
			Columns []string `json:"columns"`
		} `json:"table"`
	}
	sc.expect("GET", "/api/v1/me/preferences", nil, http.StatusOK, &prefs)
	if !slices.Equal(prefs.Table.Columns, want) {
		t.Fatalf("the server keeps the columns %v, want %v", prefs.Table.Columns, want)
	}
	b1.do("reload", 20*time.Second, chromedp.Reload())
	tblOpenTable(t, b1, 3)
	if cols := tblHeaders(t, b1); !slices.Equal(cols, want) {
		t.Fatalf("after a reload the headers are %v, want %v", cols, want)
	}

	// ---- A fresh browser, a new sign-in: the same columns. ----
	b2 := newBrowser(t, chromium, "supervisor elsewhere")
	signIn(t, b2, srv.base, supEmail, supPassword)
	tblOpenTable(t, b2, 3)
	if cols := tblHeaders(t, b2); !slices.Equal(cols, want) {
		t.Fatalf("in a fresh browser the headers are %v, want %v", cols, want)
	}

	// ---- Live: a new conversation appears, the selection stays. ----
	row := func(id string) string { return `[data-testid="conv-row"][data-id="` + id + `"]` }
	b2.do("select the second conversation", 10*time.Second, chromedp.Click(chromedp.CSS(row(second.ID)+` [data-testid="row-select"]`)))
	brEval[bool](b2, nil, "mark the page and scroll", `(() => { window.__samePage = true;
		const s = document.querySelector('[data-testid="table-scroll"]'); s.scrollLeft = 40; window.__scrollLeft = s.scrollLeft; return true; })()`)
	fourth := open("Dee Newcomer")
	b2.waitFor(nil, "the new conversation appears without a reload", `document.querySelector('`+row(fourth.ID)+`')`, 5*time.Second)
	if first := brEval[string](b2, nil, "the first row", `document.querySelector('[data-testid="conv-row"]').dataset.id`); first != fourth.ID {
		t.Errorf("the new conversation is not the first row (newest first): the first row is %s", first)
	}
	kept := brEval[string](b2, nil, "selection, page and scroll", `[window.__samePage === true,
		document.querySelector('`+row(second.ID)+` [data-testid="row-select"]').checked,
		document.querySelector('[data-testid="selected-count"]').textContent,
		document.querySelector('[data-testid="table-scroll"]').scrollLeft === window.__scrollLeft].join('|')`)
	if kept != "true|true|1 selected|true" {
		t.Errorf("after the live update (same page|second still selected|count|same scroll) = %s", kept)
	}
	// A change of agent updates its row.
	admin.expect("POST", "/api/v1/conversations/"+third.ID+"/assign", map[string]any{"agentId": sam.ID}, http.StatusOK, nil)
	b2.waitFor(nil, "the row shows its new agent", `document.querySelector('`+row(third.ID)+` [data-col="agent"]').textContent === 'Sam Supervisor'`, 5*time.Second)

	// ---- Bulk close asks first; cancelling changes nothing. ----
	b2.do("select the first conversation too", 10*time.Second, chromedp.Click(chromedp.CSS(row(first.ID)+` [data-testid="row-select"]`)))
	brEval[bool](b2, nil, "choose bulk close", `(() => { const s = document.querySelector('[data-testid="bulk-action"]');
		s.value = 'close'; s.dispatchEvent(new Event('change', {bubbles: true})); return true; })()`)
	b2.do("apply", 10*time.Second, chromedp.Click(chromedp.CSS(brTID("bulk-apply"))))
	b2.waitFor(nil, "a confirmation dialog", `document.querySelector('dialog[data-testid="confirm-dialog"]')?.open`, 5*time.Second)
	if text := brEval[string](b2, nil, "the dialog's text", `document.querySelector('[data-testid="confirm-dialog"]').textContent`); !strings.Contains(text, "2") {
		t.Errorf("the confirmation does not say how many: %q", text)
	}
	b2.do("cancel", 10*time.Second, chromedp.Click(chromedp.CSS(brTID("confirm-cancel"))))
	b2.waitFor(nil, "the dialog is gone", `!document.querySelector('[data-testid="confirm-dialog"]')`, 5*time.Second)
	time.Sleep(500 * time.Millisecond) // anything sent would have arrived
	for _, id := range []string{first.ID, second.ID} {
		if c := brConversation(admin, id); c.Status != "new" {
			t.Errorf("after cancelling, conversation %s is %q, want new", id, c.Status)
		}
	}
	if n := brEval[string](b2, nil, "selection after cancel", `document.querySelector('[data-testid="selected-count"]').textContent`); n != "2 selected" {
		t.Errorf("after cancelling the selection reads %q, want 2 selected", n)
	}
	// Confirmed, both close and leave the active list.
	b2.do("apply again", 10*time.Second, chromedp.Click(chromedp.CSS(brTID("bulk-apply"))))
	b2.waitFor(nil, "the dialog again", `document.querySelector('dialog[data-testid="confirm-dialog"]')?.open`, 5*time.Second)
	b2.do("confirm", 10*time.Second, chromedp.Click(chromedp.CSS(brTID("confirm-ok"))))
	b2.waitFor(nil, "the closed rows leave the active list", `!document.querySelector('`+row(first.ID)+`') && !document.querySelector('`+row(second.ID)+`')`, 5*time.Second)
	for _, id := range []string{first.ID, second.ID} {
		if c := brConversation(admin, id); c.Status != "closed" && c.Status != "closing" {
			t.Errorf("after confirming, conversation %s is %q, want closed", id, c.Status)
		}
	}

	// ---- A search that finds nothing says so. ----
	b2.do("search for nobody", 10*time.Second,
		chromedp.SendKeys(chromedp.CSS(`[data-testid="table-filters"] input[name="client"]`), "nobody-by-this-name"),
		chromedp.Click(chromedp.CSS(brTID("table-search"))))
	b2.waitFor(nil, "the empty result is announced", `!document.querySelector('[data-testid="table-empty"]').hidden && document.querySelector('[data-testid="table-empty"]').textContent === 'No conversations match these filters.'`, 5*time.Second)

	for _, b := range []*brBrowser{b1, b2} {
		if d := b.openedDialogs(); len(d) > 0 {
			t.Errorf("%s: the page used alert/confirm/prompt: %q", b.name, d)
		}
		b.mu.Lock()
		for _, line := range b.console {
			if strings.HasPrefix(line, "exception") {
				t.Errorf("%s: %s", b.name, line)
			}
		}
		b.mu.Unlock()
	}
	srv.stop(t)
	if errs := errorLogLines(srv.stderr.String()); len(errs) > 0 {
		t.Errorf("the gateway logged errors:\n%s", strings.Join(errs, "\n"))
	}
}

// tblOpenTable opens the Conversations tab and waits for rows rows.
func tblOpenTable(t *testing.T, b *brBrowser, rows int) {
	t.Helper()
	b.do("open the conversation table", 10*time.Second,
		chromedp.WaitVisible(chromedp.CSS(brTID("tab-conversations"))),
		chromedp.Click(chromedp.CSS(brTID("tab-conversations"))),
		chromedp.WaitVisible(chromedp.CSS(brTID("conv-table"))))
	b.waitFor(nil, "the table's rows", `document.querySelectorAll('[data-testid="conv-row"]').length === `+strconv.Itoa(rows), 10*time.Second)
}

// tblHeaders lists the table's column ids in order.
func tblHeaders(t *testing.T, b *brBrowser) []string {
	t.Helper()
	return brEval[[]string](b, nil, "the headers", `[...document.querySelectorAll('[data-testid="conv-table"] thead th[data-col]')].map(th => th.dataset.col)`)
}
