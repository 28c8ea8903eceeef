package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// TestNewcomerDemoAndForeignOrigin walks the newcomer's path on the real
// binary: the demo page printed at the first start shows a working widget
// of the demo line, and a page on an origin the line does not allow gets
// no launcher at all, only a console warning naming the origin to allow.
func TestNewcomerDemoAndForeignOrigin(t *testing.T) {
	chromium := requireChromium(t)
	bin := buildBinary(t)
	srv := startServer(t, bin, t.TempDir())
	boot := srv.welcome(t)
	line := boot.demoLineID

	// ---- The demo page as served: every placeholder carries the line. ----
	resp, err := http.Get(srv.base + "/demo")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(raw)
	if resp.StatusCode != http.StatusOK || strings.Contains(page, "LINE_ID") || strings.Contains(page, "GATEWAY_URL") {
		t.Fatalf("GET /demo: %d, placeholders left in the page:\n%s", resp.StatusCode, page)
	}
	if !strings.Contains(page, `<script src="/widget.js" data-line="`+line+`" async></script>`) {
		t.Fatalf("the demo page's script tag does not carry the demo line %s:\n%s", line, page)
	}
	if !strings.Contains(page, `&lt;script src="`+srv.base+`/widget.js" data-line="`+line+`" async&gt;`) {
		t.Errorf("the demo page's snippet to copy lacks the gateway URL and the line:\n%s", page)
	}

	b := newBrowser(t, chromium, "newcomer")
	warnings := listenWarnings(t, b)

	// ---- The demo page in the browser: launcher, chat, a message. ----
	b.do("open the demo page", 20*time.Second,
		chromedp.Navigate(srv.base+"/demo"),
		chromedp.WaitVisible(chromedp.CSS(brTID("sb-launcher"))))
	if leftover := brEval[bool](b, nil, "look for LINE_ID", `document.documentElement.outerHTML.includes("LINE_ID")`); leftover {
		t.Fatal(`the demo page still holds "LINE_ID"`)
	}
	if got := brEval[string](b, nil, "the script tag's line", `document.querySelector('script[data-line]').getAttribute('data-line')`); got != line {
		t.Fatalf("the demo page's script tag says data-line=%q, want %q", got, line)
	}
	b.do("open the chat", 10*time.Second,
		chromedp.Click(chromedp.CSS(brTID("sb-launcher"))),
		chromedp.WaitVisible(chromedp.CSS("iframe"+brTID("sb-frame"))))
	frame := widgetFrame(t, b)
	if got := brEval[string](b, frame, "the frame's line", `new URLSearchParams(location.search).get("line")`); got != line {
		t.Fatalf("the chat frame was opened for line %q, want the demo line %q", got, line)
	}
	b.waitFor(frame, "the chat is connected in a mode", `["live", "messenger"].includes(document.querySelector('[data-testid="sb-mode"]').dataset.mode) && document.querySelector('.sb-net').hidden`, 15*time.Second)
	const hello = "Hello from the demo page"
	b.do("type a message", 10*time.Second, brType(brTID("sb-input"), hello, frame)...)
	b.do("send it", 5*time.Second, chromedp.Click(chromedp.CSS(brTID("sb-send")), chromedp.FromNode(frame)))
	b.waitFor(frame, "the message is stored and acknowledged",
		`[...document.querySelectorAll('[data-testid="sb-message"][data-author="contact"][data-seq]')].some(e => e.querySelector('.sb-bubble')?.textContent === `+brJS(hello)+`)`, 10*time.Second)
	if w := warnings.all(); len(w) > 0 {
		t.Errorf("the demo page logged warnings: %q", w)
	}

	// ---- A site on an origin the demo line does not allow. ----
	foreign := httptest.NewServer(brHostPage(srv.base, line))
	defer foreign.Close()
	if foreign.URL == srv.base {
		t.Fatalf("the foreign site must be another origin than the gateway %s", srv.base)
	}
	b.do("open the foreign site", 20*time.Second,
		chromedp.Navigate(foreign.URL+"/"),
		chromedp.WaitReady(chromedp.CSS("h1")))
	warn := warnings.wait(t, "is not among the allowed origins", 10*time.Second)
	if want := "Switchboard: " + foreign.URL + " is not among the allowed origins of line " + line; !strings.HasPrefix(warn, want) {
		t.Errorf("the warning is %q, want it to start with %q", warn, want)
	}
	// The warning comes from the same answer that would have drawn the
	// launcher: once it is there, nothing will be drawn.
	if n := brEval[int](b, nil, "count the widget's elements", `document.querySelectorAll('[data-testid="sb-launcher"], [data-testid="sb-frame"], iframe, button').length`); n != 0 {
		t.Fatalf("the foreign site shows %d widget elements, want none", n)
	}
	if v := brEval[int](b, nil, "the API is there", `window.Switchboard && window.Switchboard.version`); v != 1 {
		t.Errorf("window.Switchboard.version = %d, want 1: calls on the page must not throw", v)
	}

	// ---- A line that does not exist. ----
	unknown := httptest.NewServer(brHostPage(srv.base, "no-such-line"))
	defer unknown.Close()
	b.do("open a site with a wrong line id", 20*time.Second,
		chromedp.Navigate(unknown.URL+"/"),
		chromedp.WaitReady(chromedp.CSS("h1")))
	warnings.wait(t, `"no-such-line" is unknown`, 10*time.Second)
	if n := brEval[int](b, nil, "count the widget's elements", `document.querySelectorAll('[data-testid="sb-launcher"], iframe, button').length`); n != 0 {
		t.Fatalf("a site with an unknown line shows %d widget elements, want none", n)
	}

	srv.stop(t)
	if errs := errorLogLines(srv.stderr.String()); len(errs) > 0 {
		t.Errorf("the gateway logged errors:\n%s", strings.Join(errs, "\n"))
	}
}

// consoleWarnings collects the page's console.warn calls, as text.
type consoleWarnings struct {
	mu   sync.Mutex
	msgs []string
}

// listenWarnings listens to the tab's console through the runtime domain.
func listenWarnings(t *testing.T, b *brBrowser) *consoleWarnings {
	t.Helper()
	w := &consoleWarnings{}
	err := chromedp.Listen(b.ctx, func(ev any) {
		e, ok := ev.(*runtime.EventConsoleAPICalled)
		if !ok || e.Type != runtime.ConsoleAPICalledTypeWarning {
			return
		}
		var parts []string
		for _, a := range e.Args {
			var s string
			if a.Value == nil || json.Unmarshal(a.Value, &s) != nil {
				s = a.Description
			}
			parts = append(parts, s)
		}
		w.mu.Lock()
		w.msgs = append(w.msgs, strings.Join(parts, " "))
		w.mu.Unlock()
	})
	if err != nil {
		t.Fatalf("listen to the console: %v", err)
	}
	return w
}

func (w *consoleWarnings) all() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.msgs)
}

// wait returns the first warning that contains part.
func (w *consoleWarnings) wait(t *testing.T, part string, timeout time.Duration) string {
	t.Helper()
	for deadline := time.Now().Add(timeout); ; time.Sleep(20 * time.Millisecond) {
		all := w.all()
		if i := slices.IndexFunc(all, func(s string) bool { return strings.Contains(s, part) }); i >= 0 {
			return all[i]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no console warning containing %q within %s; warnings: %q", part, timeout, all)
		}
	}
}
