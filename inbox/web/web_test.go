package web_test

import (
	"fmt"
	"io"
	"io/fs"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/switchboard-chat/switchboard/inbox/web"
)

func newApp(t *testing.T) *fiber.App {
	t.Helper()
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	web.Mount(app)
	return app
}

func get(t *testing.T, app *fiber.App, path string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := app.Test(req, -1)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

var assetRef = regexp.MustCompile(`(?:href|src)="(/assets/[^"]+)"`)

func TestIndexAndAssets(t *testing.T) {
	app := newApp(t)
	resp, body := get(t, app, "/", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET / → %d", resp.StatusCode)
	}
	if got := resp.Header.Get("Content-Security-Policy"); got != web.CSP {
		t.Errorf("CSP %q, want %q", got, web.CSP)
	}
	if got := resp.Header.Get("Cache-Control"); got != "no-cache" {
		t.Errorf("index Cache-Control %q, want no-cache", got)
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("index Content-Type %q", resp.Header.Get("Content-Type"))
	}
	if strings.Contains(body, "{{VERSION}}") {
		t.Error("index.html still holds the version placeholder")
	}
	refs := assetRef.FindAllStringSubmatch(body, -1)
	if len(refs) < 2 {
		t.Fatalf("index.html names %d assets; want the stylesheet and app.js", len(refs))
	}
	for _, m := range refs {
		resp, _ := get(t, app, m[1], nil)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s → %d", m[1], resp.StatusCode)
			continue
		}
		if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") || !strings.Contains(cc, "immutable") {
			t.Errorf("%s: Cache-Control %q, want a year and immutable", m[1], cc)
		}
		etag := resp.Header.Get("ETag")
		if etag == "" {
			t.Errorf("%s: no ETag", m[1])
			continue
		}
		if r, _ := get(t, app, m[1], map[string]string{"If-None-Match": etag}); r.StatusCode != http.StatusNotModified {
			t.Errorf("%s with If-None-Match: %d, want 304", m[1], r.StatusCode)
		}
		if strings.HasSuffix(m[1], ".js") && !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") {
			t.Errorf("%s: Content-Type %q, want text/javascript (modules need it)", m[1], resp.Header.Get("Content-Type"))
		}
	}
	// Modules import each other relatively: they resolve under the same version.
	version := strings.Split(refs[0][1], "/")[2]
	for _, p := range []string{"/assets/" + version + "/views/workspace.js", "/assets/" + version + "/i18n.js"} {
		if r, _ := get(t, app, p, nil); r.StatusCode != http.StatusOK {
			t.Errorf("GET %s → %d", p, r.StatusCode)
		}
	}
	// A page from before an upgrade gets today's file, not cached for long.
	r, _ := get(t, app, "/assets/0000000000/app.js", nil)
	if r.StatusCode != http.StatusOK || r.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("old version: %d %q, want 200 no-cache", r.StatusCode, r.Header.Get("Cache-Control"))
	}
	for _, p := range []string{"/assets/" + version + "/nope.js", "/assets/" + version + "/index.html", "/assets/app.js", "/assets/" + version + "/../web.go"} {
		if r, _ := get(t, app, p, nil); r.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s → %d, want 404", p, r.StatusCode)
		}
	}
}

// jsFiles reads every module of the app.
func jsFiles(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir("assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".js") {
			return err
		}
		b, err := os.ReadFile(p)
		out[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Data reaches the page as text only; markup is never built from strings.
func TestNoHTMLFromStrings(t *testing.T) {
	banned := regexp.MustCompile(`\.innerHTML|\.outerHTML\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function\(`)
	for name, src := range jsFiles(t) {
		for i, line := range strings.Split(src, "\n") {
			if banned.MatchString(line) {
				t.Errorf("%s:%d builds HTML from a string: %s", name, i+1, strings.TrimSpace(line))
			}
		}
		if n := strings.Count(src, "\n"); n >= 400 {
			t.Errorf("%s has %d lines; keep modules under 400", name, n)
		}
	}
}

var (
	i18nRow  = regexp.MustCompile(`^\s*'([\w.]+)':\s*\[(.*)\],\s*$`)
	jsString = regexp.MustCompile(`'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"`)
	tCall    = regexp.MustCompile(`\bt\('([\w.]+)'`)
)

// Every string exists in English, German, Polish and Russian, and every
// key the code asks for exists.
func TestEveryStringInFourLanguages(t *testing.T) {
	files := jsFiles(t)
	keys := map[string]bool{}
	// i18n.js merges the sections' tables (i18n-settings.js, i18n-table.js, i18n-stats.js) into its own.
	for _, table := range []string{"i18n.js", "i18n-settings.js", "i18n-table.js", "i18n-stats.js"} {
		src, ok := files[filepath.Join("assets", table)]
		if !ok {
			t.Fatalf("assets/%s is missing", table)
		}
		rows := 0
		for i, line := range strings.Split(src, "\n") {
			m := i18nRow.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			rows++
			if keys[m[1]] {
				t.Errorf("%s:%d %s is defined twice", table, i+1, m[1])
			}
			keys[m[1]] = true
			vals := jsString.FindAllString(m[2], -1)
			if len(vals) != 4 {
				t.Errorf("%s:%d %s has %d translations, want 4 (en, de, pl, ru)", table, i+1, m[1], len(vals))
				continue
			}
			for j, v := range vals {
				if len(v) <= 2 {
					t.Errorf("%s:%d %s: translation %d is empty", table, i+1, m[1], j)
				}
			}
		}
		if rows == 0 {
			t.Errorf("%s holds no strings; is the format still one key a line?", table)
		}
	}
	if i18n := files[filepath.Join("assets", "i18n.js")]; !strings.Contains(i18n, "from './i18n-settings.js'") || !strings.Contains(i18n, "Object.assign(S, SETTINGS)") {
		t.Error("i18n.js does not merge i18n-settings.js into its table")
	}
	if i18n := files[filepath.Join("assets", "i18n.js")]; !strings.Contains(i18n, "from './i18n-table.js'") || !strings.Contains(i18n, "Object.assign(S, TABLE)") {
		t.Error("i18n.js does not merge i18n-table.js into its table")
	}
	if i18n := files[filepath.Join("assets", "i18n.js")]; !strings.Contains(i18n, "from './i18n-stats.js'") || !strings.Contains(i18n, "Object.assign(S, STATS)") {
		t.Error("i18n.js does not merge i18n-stats.js into its table")
	}
	if len(keys) < 50 {
		t.Fatalf("found only %d strings in i18n.js; is the format still one key a line?", len(keys))
	}
	for name, src := range files {
		for _, m := range tCall.FindAllStringSubmatch(src, -1) {
			if !keys[m[1]] && !strings.HasSuffix(m[1], ".") {
				t.Errorf("%s asks for %q, which i18n.js lacks", name, m[1])
			}
		}
	}
	for _, prefix := range []string{"status.", "general.", "channel.", "presence.", "col.", "set."} {
		found := 0
		for k := range keys {
			if strings.HasPrefix(k, prefix) {
				found++
			}
		}
		if found == 0 {
			t.Errorf("no %s* strings", prefix)
		}
	}
	for _, s := range []string{"new", "queued", "accepted", "waiting", "waiting_again", "answered", "closing", "closed", "spam"} {
		if !keys["status."+s] {
			t.Errorf("detailed status %q has no name", s)
		}
	}
}

// Accessibility rules axe-core checks, kept by the source: clickable list
// items are real buttons inside <li> (a role=button <li> breaks the list
// for screen readers), and every <select> has a name.
func TestListsHoldRealButtons(t *testing.T) {
	roleButton := regexp.MustCompile(`role:\s*'button'`)
	for name, src := range jsFiles(t) {
		for i, line := range strings.Split(src, "\n") {
			if roleButton.MatchString(line) {
				t.Errorf("%s:%d gives an element role=button; use a <button>: %s", name, i+1, strings.TrimSpace(line))
			}
		}
	}
	list := jsFiles(t)[filepath.Join("assets", "views", "list.js")]
	if !strings.Contains(list, "h('li'") || !strings.Contains(list, "h('button', { type: 'button'") {
		t.Error("views/list.js: a conversation row is a <li> holding a <button>")
	}
}

func TestEverySelectHasAName(t *testing.T) {
	selectCall := regexp.MustCompile(`h\('select'|\bselect\('`)
	for name, src := range jsFiles(t) {
		lines := strings.Split(src, "\n")
		for i, line := range lines {
			// The helper's own body is checked where it is called.
			if !selectCall.MatchString(line) || strings.HasPrefix(strings.TrimSpace(line), "function ") ||
				(i > 0 && strings.HasPrefix(strings.TrimSpace(lines[i-1]), "function select(")) {
				continue
			}
			named := strings.Contains(line, "h('label'") || strings.Contains(line, "'aria-label'")
			for _, next := range lines[i+1 : min(i+3, len(lines))] {
				named = named || strings.Contains(next, "setAttribute('aria-label'")
			}
			if !named {
				t.Errorf("%s:%d: a <select> without a label or aria-label: %s", name, i+1, strings.TrimSpace(line))
			}
		}
	}
}

var (
	cssVar   = regexp.MustCompile(`--([\w-]+):\s*(#[0-9a-fA-F]{3,6})\b`)
	cssRule  = regexp.MustCompile(`(?s)([^{}]+)\{([^{}]*)\}`)
	cssColor = regexp.MustCompile(`(?:^|;)\s*(background|color):\s*(#[0-9a-fA-F]{3,6}|var\(--[\w-]+\))\s*(?:;|$)`)
)

// luminance is the WCAG relative luminance of #rgb or #rrggbb.
func luminance(t *testing.T, hex string) float64 {
	t.Helper()
	h := strings.TrimPrefix(hex, "#")
	if len(h) == 3 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	var rgb [3]float64
	for i := range rgb {
		var v int
		if _, err := fmt.Sscanf(h[2*i:2*i+2], "%02x", &v); err != nil {
			t.Fatalf("colour %s: %v", hex, err)
		}
		c := float64(v) / 255
		if c <= 0.03928 {
			rgb[i] = c / 12.92
		} else {
			rgb[i] = math.Pow((c+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*rgb[0] + 0.7152*rgb[1] + 0.0722*rgb[2]
}

func contrast(t *testing.T, a, b string) float64 {
	la, lb := luminance(t, a), luminance(t, b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

// Text reaches WCAG AA (4.5:1; the inbox's small print is under 18 px):
// the muted text on every light background, and every rule that sets both
// a background and a text colour.
func TestTextContrast(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("assets", "app.css"))
	if err != nil {
		t.Fatal(err)
	}
	css := string(b)
	vars := map[string]string{}
	for _, m := range cssVar.FindAllStringSubmatch(css, -1) {
		vars[m[1]] = m[2]
	}
	resolve := func(v string) string {
		if strings.HasPrefix(v, "var(--") {
			return vars[strings.TrimSuffix(strings.TrimPrefix(v, "var(--"), ")")]
		}
		return v
	}
	muted := vars["muted"]
	if muted == "" {
		t.Fatal("app.css defines no --muted")
	}
	backgrounds := 0
	for _, rule := range cssRule.FindAllStringSubmatch(css, -1) {
		var bg, fg string
		for _, m := range cssColor.FindAllStringSubmatch(rule[2], -1) {
			if m[1] == "background" {
				bg = resolve(m[2])
			} else {
				fg = resolve(m[2])
			}
		}
		sel := strings.TrimSpace(rule[1])
		if bg != "" && luminance(t, bg) > 0.7 {
			backgrounds++
			if c := contrast(t, muted, bg); c < 4.5 {
				t.Errorf("muted text %s on %s (%s) has contrast %.2f, want at least 4.5", muted, bg, sel, c)
			}
		}
		if bg != "" && fg != "" {
			if c := contrast(t, fg, bg); c < 4.5 {
				t.Errorf("%s: %s on %s has contrast %.2f, want at least 4.5", sel, fg, bg, c)
			}
		}
	}
	for _, v := range []string{"bg", "panel", "mine-bg", "comment-bg"} {
		if c := contrast(t, muted, vars[v]); c < 4.5 {
			t.Errorf("muted text %s on --%s %s has contrast %.2f, want at least 4.5", muted, v, vars[v], c)
		}
	}
	if backgrounds < 5 {
		t.Errorf("found only %d light backgrounds in app.css; has its format changed?", backgrounds)
	}
}
