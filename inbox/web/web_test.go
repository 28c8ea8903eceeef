package web_test

import (
	"io"
	"io/fs"
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
	for i, line := range strings.Split(files[filepath.Join("assets", "i18n.js")], "\n") {
		m := i18nRow.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		keys[m[1]] = true
		vals := jsString.FindAllString(m[2], -1)
		if len(vals) != 4 {
			t.Errorf("i18n.js:%d %s has %d translations, want 4 (en, de, pl, ru)", i+1, m[1], len(vals))
			continue
		}
		for j, v := range vals {
			if len(v) <= 2 {
				t.Errorf("i18n.js:%d %s: translation %d is empty", i+1, m[1], j)
			}
		}
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
	for _, prefix := range []string{"status.", "general.", "channel.", "presence.", "col."} {
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
