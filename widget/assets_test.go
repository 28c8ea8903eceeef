package widget

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The widget's browser side gets the checks the inbox's has
// (inbox/web/web_test.go): no markup from strings, every string in four
// languages; and, as it is served: modules that resolve, and the size
// budgets of the loader and the whole widget.

// widgetJS reads every script under assets, as written.
func widgetJS(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := fs.WalkDir(os.DirFS("assets"), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".js" {
			return err
		}
		b, err := os.ReadFile(path.Join("assets", p))
		out[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"widget.js", "chat.js", "i18n.js", "window.js", "timeline.js", "socket.js", "forms.js"} {
		if _, ok := out[want]; !ok {
			t.Fatalf("assets/%s is missing", want)
		}
	}
	return out
}

// Data reaches the page as text only; markup is never built from strings.
func TestAssetsNoHTMLFromStrings(t *testing.T) {
	banned := regexp.MustCompile(`\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function\(`)
	for name, src := range widgetJS(t) {
		for i, line := range strings.Split(src, "\n") {
			if banned.MatchString(line) {
				t.Errorf("%s:%d builds HTML or code from a string: %s", name, i+1, strings.TrimSpace(line))
			}
		}
		if n := strings.Count(src, "\n"); n >= 400 {
			t.Errorf("%s has %d lines; keep modules under 400", name, n)
		}
	}
}

var (
	// i18nLang opens a language's block in widget/assets/i18n.js.
	i18nLang = regexp.MustCompile(`^  (\w\w): \{$`)
	// i18nRow is one string of it: key, then its quoted text.
	i18nRow = regexp.MustCompile(`^    (\w+): ('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"),$`)
	// tArgs is what a t(…) call is given, up to its first closing bracket.
	tArgs = regexp.MustCompile(`\bt\(([^)]*)\)`)
	// quoted is a string literal.
	quoted = regexp.MustCompile(`'(\w+)'`)
	// placeholder is a {name} to fill in.
	placeholder = regexp.MustCompile(`\{\w+\}`)
)

// i18nTable reads i18n.js: language → key → text.
func i18nTable(t *testing.T, src string) map[string]map[string]string {
	t.Helper()
	table := map[string]map[string]string{}
	var cur map[string]string
	for i, line := range strings.Split(src, "\n") {
		if m := i18nLang.FindStringSubmatch(line); m != nil {
			cur = map[string]string{}
			table[m[1]] = cur
			continue
		}
		if m := i18nRow.FindStringSubmatch(line); m != nil {
			if cur == nil {
				t.Fatalf("i18n.js:%d: a string outside a language", i+1)
			}
			cur[m[1]] = m[2][1 : len(m[2])-1]
		}
	}
	return table
}

// Every string exists in English, German, Polish and Russian with the same
// placeholders, and every key the code asks for exists.
func TestAssetsEveryStringInFourLanguages(t *testing.T) {
	files := widgetJS(t)
	table := i18nTable(t, files["i18n.js"])
	en := table["en"]
	if len(en) < 30 {
		t.Fatalf("found only %d English strings in i18n.js; is the format still one key a line?", len(en))
	}
	if langs := slices.Sorted(func(yield func(string) bool) {
		for l := range table {
			if !yield(l) {
				return
			}
		}
	}); !slices.Equal(langs, []string{"de", "en", "pl", "ru"}) {
		t.Fatalf("i18n.js has the languages %v, want de, en, pl, ru", langs)
	}
	for lang, strs := range table {
		for k, v := range strs {
			if strings.TrimSpace(v) == "" {
				t.Errorf("i18n.js %s.%s is empty", lang, k)
			}
			if _, ok := en[k]; !ok {
				t.Errorf("i18n.js %s.%s has no English original", lang, k)
			}
		}
		for k, v := range en {
			w, ok := strs[k]
			if !ok {
				t.Errorf("i18n.js lacks %s.%s (en: %q)", lang, k, v)
				continue
			}
			if a, b := slices.Sorted(slices.Values(placeholder.FindAllString(v, -1))), slices.Sorted(slices.Values(placeholder.FindAllString(w, -1))); !slices.Equal(a, b) {
				t.Errorf("i18n.js %s.%s fills in %v, English %v", lang, k, b, a)
			}
		}
	}
	// Keys the code asks for: t('key'), t(x ? 'a' : 'b'), and the modes,
	// which setMode looks up by name.
	asked := map[string][]string{"forms.js (modes)": {"live", "messenger", "hidden"}}
	for name, src := range files {
		for _, call := range tArgs.FindAllStringSubmatch(src, -1) {
			for _, q := range quoted.FindAllStringSubmatch(call[1], -1) {
				asked[name] = append(asked[name], q[1])
			}
		}
	}
	n := 0
	for name, keys := range asked {
		for _, k := range keys {
			n++
			for lang, strs := range table {
				if _, ok := strs[k]; !ok {
					t.Errorf("%s asks for %q, which i18n.js lacks in %s", name, k, lang)
				}
			}
		}
	}
	if n < 40 {
		t.Errorf("found only %d t(…) calls in the widget; has the way strings are asked for changed?", n)
	}

	// The loader carries its own four languages (it must stay tiny).
	loader := files["widget.js"]
	for _, want := range []string{"de: ['Chat öffnen'", "pl: ['Otwórz czat'", "ru: ['Открыть чат'", "['Open chat'"} {
		if !strings.Contains(loader, want) {
			t.Errorf("widget.js lacks the launcher's strings %s…", want)
		}
	}
}

var (
	// namedImport is `import { a, b as c } from './x.js'`.
	namedImport = regexp.MustCompile(`(?m)^import \{([^}]*)\} from '\./([\w./-]+)';$`)
	// anyImport is any import statement.
	anyImport = regexp.MustCompile(`(?m)^import\b.*$`)
	// exported is a name a module exports.
	exported = regexp.MustCompile(`(?m)^export (?:async )?(?:function\*?|const|let|var|class) ([\w$]+)`)
)

// The modules fit together: everything imported is exported where it is
// imported from, so a split or a rename cannot leave a module that fails
// to load in the browser.
func TestAssetsModulesResolve(t *testing.T) {
	files := widgetJS(t)
	exports := map[string]map[string]bool{}
	for name, src := range files {
		exports[name] = map[string]bool{}
		for _, m := range exported.FindAllStringSubmatch(src, -1) {
			exports[name][m[1]] = true
		}
	}
	for name, src := range files {
		if name == "widget.js" {
			if anyImport.MatchString(src) {
				t.Errorf("the loader widget.js is a classic script: it cannot import")
			}
			continue
		}
		named := namedImport.FindAllStringSubmatch(src, -1)
		if all := anyImport.FindAllString(src, -1); len(all) != len(named) {
			t.Errorf("%s: write imports as `import { … } from './file.js';`, one a line: %q", name, all)
		}
		for _, m := range named {
			from := path.Join(path.Dir(name), m[2])
			ex, ok := exports[from]
			if !ok {
				t.Errorf("%s imports from %s, which does not exist", name, m[2])
				continue
			}
			for _, n := range strings.Split(m[1], ",") {
				n = strings.TrimSpace(strings.SplitN(strings.TrimSpace(n), " as ", 2)[0])
				if n != "" && !ex[n] {
					t.Errorf("%s imports %s from %s, which does not export it", name, n, m[2])
				}
			}
		}
	}
}

// The scripts are served without indentation and comment lines (jsTrim):
// that is safe only while no string, template literal or regular
// expression spans lines, and no line of a block comment starts with //.
func TestAssetsScriptsSurviveTrimming(t *testing.T) {
	for name, src := range widgetJS(t) {
		if line, what := multiLineLiteral(src); line > 0 {
			t.Errorf("%s:%d: %s spans lines; the server trims every line's indentation (widget/assets.go)", name, line, what)
		}
	}
}

// multiLineLiteral finds the first string, template or regular expression
// literal with a line break in it, or a block comment line that starts
// with //. It tells a regular expression from a division by the token
// before it, which is enough for this code.
func multiLineLiteral(src string) (int, string) {
	line, prev := 1, byte('\n')
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '\n':
			line++
			continue
		case c == ' ' || c == '\t' || c == '\r':
			continue
		case c == '/' && i+1 < len(src) && src[i+1] == '/':
			for i < len(src) && src[i] != '\n' {
				i++
			}
			line++
			continue
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return line, "a block comment"
			}
			body := src[i : i+2+end]
			for _, l := range strings.Split(body, "\n")[1:] {
				if strings.HasPrefix(strings.TrimLeft(l, " \t"), "//") {
					return line, "a block comment with a line that starts with //"
				}
			}
			line += strings.Count(body, "\n")
			i += 2 + end + 1
			continue
		case c == '\'' || c == '"' || c == '`' || (c == '/' && strings.IndexByte("(,=:[!&|?{};+-*%<>~^\n", prev) >= 0):
			what := map[byte]string{'\'': "a string", '"': "a string", '`': "a template literal", '/': "a regular expression"}[c]
			class := false
			for i++; i < len(src); i++ {
				d := src[i]
				if d == '\n' {
					return line, what
				}
				if d == '\\' {
					i++
					continue
				}
				if c == '/' && d == '[' {
					class = true
				} else if c == '/' && d == ']' {
					class = false
				} else if d == c && !class {
					break
				}
			}
			if c == '/' {
				for i+1 < len(src) && strings.IndexByte("dgimsuvy", src[i+1]) >= 0 {
					i++
				}
			}
			prev = 'a'
			continue
		}
		// return, typeof … may precede a regular expression too.
		if isWordByte(c) {
			j := i
			for j < len(src) && isWordByte(src[j]) {
				j++
			}
			switch src[i:j] {
			case "return", "typeof", "case", "in", "of", "void", "delete":
				prev = '('
			default:
				prev = 'a'
			}
			i = j - 1
			continue
		}
		prev = c
	}
	return 0, ""
}

func isWordByte(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func gzipSize(t *testing.T, b []byte) int {
	t.Helper()
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Len()
}

// frameRef is an asset the served frame loads: /widget/assets/NAME?v=HASH.
var frameRef = regexp.MustCompile(`/widget/assets/([^"'?]+)\?v=`)

// jsRef is an import or export … from of a module, static or dynamic.
var jsRef = regexp.MustCompile(`(?m)(?:^|[;\s])(?:import|export)\s*(?:[\w*${}\s,]+?\s*from\s*)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)`)

// The budgets of docs and README, as served (trimmed, then gzipped at the
// gateway's level): the loader under 3,000 bytes, the whole widget — the
// frame and everything it loads — under 20,000. cmd/bench measures
// the same over HTTP.
func TestLoaderAndWidgetSize(t *testing.T) {
	set := loadAssets(slog.New(slog.NewTextHandler(io.Discard, nil)))
	loader := set.files[loaderAsset]
	if loader == nil {
		t.Fatal("no widget.js")
	}
	if n := gzipSize(t, loader.body); n >= 3000 {
		t.Errorf("/widget.js is %d bytes gzipped, over the 3,000-byte budget", n)
	} else {
		t.Logf("/widget.js: %d bytes gzipped (%d served, budget 3,000)", n, len(loader.body))
	}
	if bytes.Contains(loader.body, []byte("\n  ")) || bytes.Contains(loader.body, []byte("\n//")) {
		t.Error("the loader is served with indentation or comment lines")
	}

	frame := set.files[frameAsset]
	total := gzipSize(t, frame.body)
	seen := map[string]bool{}
	queue := []string{}
	for _, m := range frameRef.FindAllSubmatch(frame.body, -1) {
		queue = append(queue, string(m[1]))
	}
	if len(queue) < 2 {
		t.Fatalf("the frame loads %v; want its stylesheet and chat.js", queue)
	}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if seen[name] {
			continue
		}
		seen[name] = true
		a := set.files[name]
		if a == nil {
			t.Errorf("the widget loads %s, which is not served", name)
			continue
		}
		total += gzipSize(t, a.body)
		if path.Ext(name) == ".js" {
			for _, m := range jsRef.FindAllSubmatch(a.body, -1) {
				queue = append(queue, path.Join(path.Dir(name), string(m[1])+string(m[2])))
			}
		}
	}
	for name := range set.files {
		if path.Ext(name) == ".js" && name != loaderAsset && !seen[name] {
			t.Errorf("assets/%s is served but nothing loads it", name)
		}
	}
	if total >= 20000 {
		t.Errorf("the widget (frame and %d files) is %d bytes gzipped, over the 20,000-byte budget", len(seen), total)
	} else {
		t.Logf("the widget: frame and %d files, %d bytes gzipped (budget 20,000)", len(seen), total)
	}
}
