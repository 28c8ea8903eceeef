package main

// Helpers of the browser test (browser_test.go): headless Chromium through
// chromedp, one browser process per user, steps with bounded timeouts, and
// JavaScript evaluation in the page or in the widget's iframe.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// requireBrowserEnv makes a missing Chromium a failure instead of a skip.
const requireBrowserEnv = "SWITCHBOARD_REQUIRE_BROWSER"

// chromiumPath finds Chromium: /usr/bin/chromium, else chromium (or
// chromium-browser) in PATH; "" when there is none.
func chromiumPath() string {
	if fi, err := os.Stat("/usr/bin/chromium"); err == nil && !fi.IsDir() {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// requireChromium returns Chromium's path, or skips the test without one
// (fails it when SWITCHBOARD_REQUIRE_BROWSER=1).
func requireChromium(t *testing.T) string {
	t.Helper()
	p := chromiumPath()
	if p != "" {
		return p
	}
	msg := "browser test needs Chromium: neither /usr/bin/chromium nor chromium in PATH (Debian: apt-get install chromium)"
	if os.Getenv(requireBrowserEnv) == "1" {
		t.Fatalf("%s, and %s=1 requires it", msg, requireBrowserEnv)
	}
	t.Skipf("%s; set %s=1 to make this a failure", msg, requireBrowserEnv)
	return ""
}

// browser is one headless Chromium process with one tab: one user.
type brBrowser struct {
	t    *testing.T
	name string
	ctx  context.Context // the tab; canceled at cleanup

	mu      sync.Mutex
	console []string // console calls and exceptions, for failure reports
	dialogs []string // alert/confirm/prompt dialogs the page opened
}

// newBrowser starts a Chromium of its own (own allocator, fresh profile).
func newBrowser(t *testing.T, execPath, name string) *brBrowser {
	t.Helper()
	profile, err := os.MkdirTemp("", "switchboard-chromium-*")
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(execPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	b := &brBrowser{t: t, name: name, ctx: ctx}
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc() // waits for the browser process to end
		_ = os.RemoveAll(profile)
		if t.Failed() {
			b.mu.Lock()
			defer b.mu.Unlock()
			if len(b.console) > 0 {
				t.Logf("%s browser console:\n  %s", b.name, strings.Join(b.console, "\n  "))
			}
		}
	})
	// Start the browser with no timeout: a timeout on the first run would
	// bind the browser's life to it.
	startCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err = <-started:
	case <-startCtx.Done():
		err = startCtx.Err()
	}
	if err != nil {
		t.Fatalf("%s: start Chromium (%s): %v", name, execPath, err)
	}
	dialogs := make(chan string, 16)
	if err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			var args []string
			for _, a := range ev.Args {
				if a.Value != nil {
					args = append(args, string(a.Value))
				} else {
					args = append(args, a.Description)
				}
			}
			b.log(fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " ")))
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			text := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				text += " " + d.Exception.Description
			}
			b.log(fmt.Sprintf("exception at %s:%d: %s", d.URL, d.LineNumber+1, text))
		case *page.EventJavascriptDialogOpening:
			b.mu.Lock()
			b.dialogs = append(b.dialogs, string(ev.Type)+": "+ev.Message)
			b.mu.Unlock()
			select {
			case dialogs <- ev.Message:
			default:
			}
		}
	}); err != nil {
		t.Fatalf("%s: listen: %v", name, err)
	}
	// A dialog blocks the page: dismiss it (outside the event loop), the
	// test reports it.
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-dialogs:
				_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
			}
		}
	}()
	return b
}

func (b *brBrowser) log(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.console) < 500 {
		b.console = append(b.console, s)
	}
}

// openedDialogs returns the dialogs the page opened so far.
func (b *brBrowser) openedDialogs() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.dialogs...)
}

// do runs actions within timeout and fails the test on an error.
func (b *brBrowser) do(what string, timeout time.Duration, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	for {
		err := chromedp.Do(ctx, actions...)
		if err == nil {
			return
		}
		// The page drew the element again between finding it and acting
		// on it (a live list redrawn by an event): find it again, as a
		// person's click would land on the new one.
		if strings.Contains(err.Error(), "Could not find node with given id") && ctx.Err() == nil {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		b.t.Fatalf("%s: %s: %v\n%s", b.name, what, err, b.pageText(nil))
	}
}

// run runs one action that returns a value, within timeout.
func brRun[T any](b *brBrowser, what string, timeout time.Duration, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("%s: %s: %v\n%s", b.name, what, err, b.pageText(nil))
	}
	return v
}

// evalIn evaluates the JavaScript expression expr (it may be a promise) in
// the page, or in the document of the iframe frame, and decodes its value.
func brEval[T any](b *brBrowser, frame *chromedp.Node, what, expr string) T {
	b.t.Helper()
	v, err := brTryEval[T](b, frame, expr, 10*time.Second)
	if err != nil {
		b.t.Fatalf("%s: %s: evaluate %s: %v\n%s", b.name, what, expr, err, b.pageText(frame))
	}
	return v
}

// tryEval is evalIn without failing the test. In an iframe it runs as a
// one-shot poll (the only way chromedp evaluates in a frame's context):
// the value is wrapped in an object, which is always truthy.
func brTryEval[T any](b *brBrowser, frame *chromedp.Node, expr string, timeout time.Duration) (T, error) {
	type box struct {
		V T `json:"v"`
	}
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	opts := []chromedp.PollOption{chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(20 * time.Millisecond)}
	if frame != nil {
		opts = append(opts, chromedp.WithPollingInFrame(frame))
	}
	r, err := chromedp.Run(ctx, chromedp.PollFunction[box]("async () => ({v: await ("+expr+")})", opts...))
	return r.V, err
}

// waitFor waits until the JavaScript predicate is truthy in the page (or
// the iframe), polling every 20 ms; it returns how long that took.
func (b *brBrowser) waitFor(frame *chromedp.Node, what, predicate string, timeout time.Duration) time.Duration {
	b.t.Helper()
	start := time.Now()
	ctx, cancel := context.WithTimeout(b.ctx, timeout+2*time.Second)
	defer cancel()
	opts := []chromedp.PollOption{chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(20 * time.Millisecond)}
	if frame != nil {
		opts = append(opts, chromedp.WithPollingInFrame(frame))
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool]("!!("+predicate+")", opts...)); err != nil {
		b.t.Fatalf("%s: %s: still not true after %s: %s: %v\n%s", b.name, what, timeout, predicate, err, b.pageText(frame))
	}
	return time.Since(start)
}

// pageText is the visible text of the page or frame, for failure reports.
func (b *brBrowser) pageText(frame *chromedp.Node) string {
	ctx, cancel := context.WithTimeout(b.ctx, 3*time.Second)
	defer cancel()
	opts := []chromedp.PollOption{chromedp.WithPollingTimeout(2 * time.Second), chromedp.WithPollingInterval(20 * time.Millisecond)}
	where := "page"
	if frame != nil {
		opts = append(opts, chromedp.WithPollingInFrame(frame))
		where = "widget frame"
	}
	type box struct {
		V string `json:"v"`
	}
	r, err := chromedp.Run(ctx, chromedp.PollFunction[box](`() => ({v: location.href + "\n" + (document.body ? document.body.innerText : "").slice(0, 3000)})`, opts...))
	if err != nil {
		return fmt.Sprintf("(%s text unavailable: %v)", where, err)
	}
	return fmt.Sprintf("--- %s text ---\n%s\n---", where, r.V)
}

// insertText types s into the focused element as an input method would:
// it works for any text, also characters that have no key (U+202E), and
// for long text that key events would take seconds for.
func brInsertText(s string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, input.InsertText, input.InsertTextParams{Text: s})
		return err
	})
}

// typeInto types s into the element sel (inside frame, if not nil): with
// key events for short printable ASCII, else by text insertion.
func brType(sel string, s string, frame *chromedp.Node) []chromedp.Action[chromedp.Void] {
	var q []chromedp.QueryOption
	if frame != nil {
		q = append(q, chromedp.FromNode(frame))
	}
	keys := len(s) <= 120
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			keys = false
		}
	}
	if keys {
		return []chromedp.Action[chromedp.Void]{chromedp.SendKeys(chromedp.CSS(sel), s, q...)}
	}
	return []chromedp.Action[chromedp.Void]{chromedp.Focus(chromedp.CSS(sel), q...), brInsertText(s)}
}

// tid is the CSS selector of a data-testid.
func brTID(id string) string { return `[data-testid="` + id + `"]` }

// jsString quotes s as a JavaScript string literal.
func brJS(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	// JSON is JavaScript, except for U+2028/U+2029 in old engines; Go escapes them.
	return string(b)
}

// writeTestPNG writes a small PNG image to dir/name.
func brWritePNG(t *testing.T, dir, name string) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for x := range 8 {
		for y := range 8 {
			img.Set(x, y, color.RGBA{R: uint8(30 * x), G: uint8(30 * y), B: 200, A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// hostPage is the web site that embeds the widget, on an origin of its own.
func brHostPage(gatewayBase, lineID string) http.Handler {
	page := `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Host shop</title></head>
<body><h1>Host shop</h1><p>A site that embeds the chat.</p>
<script>
  // The documented stub queue: listeners registered before the loader runs.
  window.__sb = {ready: false, mode: "", messages: []};
  window.Switchboard = {q: [
    ["on", ["ready", function (d) { window.__sb.ready = true; window.__sb.mode = d.mode; }]],
    ["on", ["mode", function (d) { window.__sb.mode = d.mode; }]],
    ["on", ["message", function (d) { window.__sb.messages.push(d.message && d.message.text); }]]
  ]};
</script>
<script src="` + gatewayBase + `/widget.js" data-line="` + lineID + `" async></script>
</body></html>`
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(page))
	})
}

// rawPost sends body as it is (no JSON encoding) with the client's session
// and CSRF token, and returns the status and the answer.
func brRawPost(c *client, path string, body []byte) (int, []byte) {
	c.t.Helper()
	req, err := http.NewRequest("POST", c.base+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", c.csrf)
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s: POST %s: %v", c.name, path, err)
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	_, _ = out.ReadFrom(resp.Body)
	return resp.StatusCode, out.Bytes()
}

// signIn signs in through the inbox's sign-in form.
func signIn(t *testing.T, b *brBrowser, base, email, password string) {
	t.Helper()
	b.do("sign in as "+email, 20*time.Second,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS(brTID("login-email"))),
		chromedp.SendKeys(chromedp.CSS(brTID("login-email")), email),
		chromedp.SendKeys(chromedp.CSS(brTID("login-password")), password),
		chromedp.Click(chromedp.CSS(brTID("login-submit"))),
		chromedp.WaitVisible(chromedp.CSS(brTID("tab-settings"))))
}
