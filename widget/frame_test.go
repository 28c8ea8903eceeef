package widget_test

import (
	"encoding/json"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestFrameMapsEveryModule: the frame's import map sends every module's
// plain URL to its versioned one and preloads it, so the chat needs one
// round trip after the frame, all from the year-long cache once seen, and
// no module is ever fetched by its plain URL.
func TestFrameMapsEveryModule(t *testing.T) {
	h := newHarness(t)
	resp := h.call("GET", "/widget/frame?line="+h.line.ID+"&origin="+shopOrigin, nil, nil, nil)
	body, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`<script type="importmap">(.*?)</script>`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("the frame has no import map:\n%s", body)
	}
	var im struct{ Imports map[string]string }
	if err := json.Unmarshal(m[1], &im); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir("assets")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".js") || name == "widget.js" {
			continue
		}
		plain := "/widget/assets/" + name
		v := im.Imports[plain]
		a := h.call("GET", plain, nil, nil, nil)
		if v != plain+"?v="+strings.Trim(a.Header.Get("ETag"), `"`) {
			t.Errorf("import map: %s → %q, want its versioned URL (ETag %s)", plain, v, a.Header.Get("ETag"))
		}
		if !strings.Contains(string(body), `<link rel="modulepreload" href="`+v+`">`) {
			t.Errorf("the frame does not preload %s", v)
		}
		if got := h.call("GET", v, nil, nil, nil).Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
			t.Errorf("%s: Cache-Control %q, want a year, immutable", v, got)
		}
	}
	if i, j := strings.Index(string(body), "importmap"), strings.Index(string(body), `type="module"`); i < 0 || j < i {
		t.Error("the import map must come before the first module script")
	}
}
