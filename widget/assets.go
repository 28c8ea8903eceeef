package widget

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"log/slog"
	"mime"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/switchboard-chat/switchboard/inbox"
)

// embedded holds the browser side of the widget, written in widget/assets.
// An embedded file system is read-only: the package's one global.
//
//go:embed assets
var embedded embed.FS

// Asset names the widget's routes serve specially.
const (
	loaderAsset = "widget.js"
	frameAsset  = "frame.html"
)

// Cache lifetimes.
const (
	loaderCache    = "public, max-age=300"
	versionedCache = "public, max-age=31536000, immutable"
	// unversionedCache: an asset asked for without ?v=HASH is revalidated
	// by ETag each time, so a deploy is never hidden behind a stale copy.
	unversionedCache = "no-cache"
)

// asset is one embedded file, ready to serve.
type asset struct {
	body  []byte
	ctype string
	hash  string // hex SHA-256 prefix of body
	etag  string
}

// assetSet is every file under widget/assets by its slash path.
type assetSet struct {
	files map[string]*asset
}

// assetRef finds /widget/assets/NAME (or assets/NAME) in frame.html.
var assetRef = regexp.MustCompile(`(["'])((?:/widget/)?assets/)([A-Za-z0-9._/-]+)(["'])`)

// jsTrim matches what the scripts are served without, to keep the loader
// under 3 KB and the whole widget under 20 KB gzipped: blank lines,
// whole-line // comments and indentation. No script has a string or
// template literal that spans lines (assets_test.go checks), so their
// meaning is unchanged.
var jsTrim = regexp.MustCompile(`(?m)^[ \t]*(?://.*)?\n|^[ \t]+`)

func loadAssets(log *slog.Logger) *assetSet {
	set := &assetSet{files: map[string]*asset{}}
	root, err := fs.Sub(embedded, "assets")
	if err != nil {
		log.Error("widget assets", "err", err)
		return set
	}
	err = fs.WalkDir(root, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(root, p)
		if err != nil {
			return err
		}
		if path.Ext(p) == ".js" {
			b = jsTrim.ReplaceAll(b, nil)
		}
		set.files[p] = newAsset(p, b)
		return nil
	})
	if err != nil {
		log.Error("widget assets", "err", err)
	}
	if f := set.files[frameAsset]; f != nil {
		// The frame refers to its scripts and styles by content-hashed
		// URL, so those can be cached for a year.
		f.body = assetRef.ReplaceAllFunc(f.body, func(m []byte) []byte {
			g := assetRef.FindSubmatch(m)
			a := set.files[string(g[3])]
			if a == nil {
				return m
			}
			return []byte(string(g[1]) + "/widget/assets/" + string(g[3]) + "?v=" + a.hash + string(g[4]))
		})
		f.body = withModuleMap(f.body, set)
		set.files[frameAsset] = newAsset(frameAsset, f.body)
	}
	if set.files[loaderAsset] == nil || set.files[frameAsset] == nil {
		log.Warn("widget assets incomplete: widget.js or frame.html missing", "files", len(set.files))
	}
	return set
}

// withModuleMap puts into the frame's head, before its first link or
// script, an import map that sends every module's plain URL (as a relative
// import between modules resolves) to its content-hashed one, and a
// modulepreload link for each module: the browser fetches all of them in
// parallel right after the frame, from the year-long cache once seen.
func withModuleMap(frame []byte, set *assetSet) []byte {
	var names []string
	for name := range set.files {
		if path.Ext(name) == ".js" && name != loaderAsset {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	imports := make(map[string]string, len(names))
	var links strings.Builder
	for _, name := range names {
		plain := "/widget/assets/" + name
		versioned := plain + "?v=" + set.files[name].hash
		imports[plain] = versioned
		links.WriteString(`<link rel="modulepreload" href="` + versioned + `">` + "\n")
	}
	m, err := json.Marshal(map[string]any{"imports": imports})
	if err != nil {
		return frame
	}
	head := `<script type="importmap">` + string(m) + "</script>\n" + links.String()
	i := strings.Index(string(frame), "<link")
	if j := strings.Index(string(frame), "<script"); j >= 0 && (i < 0 || j < i) {
		i = j
	}
	if i < 0 {
		return frame
	}
	return []byte(string(frame[:i]) + head + string(frame[i:]))
}

func newAsset(name string, body []byte) *asset {
	sum := sha256.Sum256(body)
	h := hex.EncodeToString(sum[:8])
	return &asset{body: body, ctype: contentType(name), hash: h, etag: `"` + h + `"`}
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".html":
		return fiber.MIMETextHTMLCharsetUTF8
	case ".json":
		return fiber.MIMEApplicationJSONCharsetUTF8
	case ".svg":
		return "image/svg+xml"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// send writes an asset with its validators; a matching If-None-Match
// gets 304.
func (a *asset) send(c *fiber.Ctx, cache string) error {
	c.Set(fiber.HeaderCacheControl, cache)
	c.Set(fiber.HeaderETag, a.etag)
	if inm := c.Get(fiber.HeaderIfNoneMatch); inm != "" && etagMatch(inm, a.etag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, a.ctype)
	return c.Send(a.body)
}

func etagMatch(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// serveLoader is GET /widget.js: short cache, so a new release reaches
// every site within minutes.
func (w *Widget) serveLoader(c *fiber.Ctx) error {
	a := w.assets.files[loaderAsset]
	if a == nil {
		return writeError(c, fiber.StatusNotFound, "not_found", "the widget loader is not built into this server", "")
	}
	return a.send(c, loaderCache)
}

// serveAsset is GET /widget/assets/*: a year's cache for the URL with the
// content hash (?v=), revalidation by ETag otherwise.
func (w *Widget) serveAsset(c *fiber.Ctx) error {
	a := w.assets.files[c.Params("*")]
	if a == nil {
		return writeError(c, fiber.StatusNotFound, "not_found", "no such widget asset", "")
	}
	cache := unversionedCache
	if c.Query("v") == a.hash {
		cache = versionedCache
	}
	return a.send(c, cache)
}

// serveFrame is GET /widget/frame?line=ID&origin=HOST_ORIGIN: the chat
// window, which only the line's allowed origins may embed.
func (w *Widget) serveFrame(c *fiber.Ctx) error {
	line, err := w.widgetLine(c.UserContext(), c.Query("line"))
	if err != nil {
		return w.fail(c, err)
	}
	origin := c.Query("origin")
	if !allows(line, origin) {
		return w.fail(c, errOrigin("%q may not embed this line's widget", origin))
	}
	a := w.assets.files[frameAsset]
	if a == nil {
		return writeError(c, fiber.StatusNotFound, "not_found", "the widget frame is not built into this server", "")
	}
	// The gateway forbids framing everywhere (X-Frame-Options: DENY); here
	// the CSP's frame-ancestors decides instead.
	c.Response().Header.Del(fiber.HeaderXFrameOptions)
	c.Set(fiber.HeaderContentSecurityPolicy, frameAncestors(line))
	c.Vary(fiber.HeaderOrigin)
	return a.send(c, "no-cache")
}

// frameAncestors lists the line's allowed origins. They were validated as
// bare origins when the line was saved; anything else is left out.
func frameAncestors(l *inbox.Line) string {
	srcs := make([]string, 0, len(l.Channels.Widget.AllowedOrigins))
	for _, o := range l.Channels.Widget.AllowedOrigins {
		if originOf(o) != "" && !strings.ContainsAny(o, " ;,'\"") {
			srcs = append(srcs, o)
		}
	}
	if len(srcs) == 0 {
		return "frame-ancestors 'none'"
	}
	return "frame-ancestors " + strings.Join(srcs, " ")
}
