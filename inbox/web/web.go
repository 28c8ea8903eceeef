// Package web serves the agents' inbox: a single-page app of plain ES
// modules and CSS, embedded in the binary, built on the REST API and the
// agent websocket. There is no build step.
//
// Asset URLs carry a hash of all the assets (/assets/<hash>/app.js), so
// modules can import each other by relative path and every file can be
// cached for a year: a new build is a new URL. index.html, which names the
// hash, is never cached.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"path"
	"sort"
	"strings"

	"github.com/gofiber/fiber/v2"
)

//go:embed assets
var embedded embed.FS

// CSP is the inbox's Content-Security-Policy: nothing inline, nothing
// from elsewhere, never framed.
const CSP = "default-src 'self'; img-src 'self' data: blob:; connect-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'"

// versionMark is replaced in index.html by the assets' hash.
const versionMark = "{{VERSION}}"

type asset struct {
	body  []byte
	ctype string
	etag  string
}

type site struct {
	version string
	index   []byte
	files   map[string]asset
}

func load(fsys fs.FS) (*site, error) {
	s := &site{files: map[string]asset{}}
	var names []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	all := sha256.New()
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		all.Write([]byte(name))
		all.Write(sum[:])
		ctype := mime.TypeByExtension(path.Ext(name))
		switch path.Ext(name) { // not every system's MIME table knows these
		case ".js":
			ctype = "text/javascript; charset=utf-8"
		case ".css":
			ctype = "text/css; charset=utf-8"
		case ".html":
			ctype = fiber.MIMETextHTMLCharsetUTF8
		}
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		s.files[name] = asset{body: b, ctype: ctype, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	}
	s.version = hex.EncodeToString(all.Sum(nil)[:6])
	s.index = bytes.ReplaceAll(s.files["index.html"].body, []byte(versionMark), []byte(s.version))
	return s, nil
}

// Mount serves the inbox at / and its files under /assets/.
func Mount(app *fiber.App) {
	sub, err := fs.Sub(embedded, "assets")
	if err != nil {
		panic("web: " + err.Error()) // the embedded tree is part of the build
	}
	s, err := load(sub)
	if err != nil {
		panic("web: " + err.Error())
	}
	app.Get("/", s.serveIndex)
	app.Get("/assets/+", s.serveAsset)
}

func security(c *fiber.Ctx) {
	c.Set("Content-Security-Policy", CSP)
	c.Set("X-Content-Type-Options", "nosniff")
}

func (s *site) serveIndex(c *fiber.Ctx) error {
	security(c)
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Send(s.index)
}

// serveAsset answers /assets/<version>/<name>. A URL of another version
// (a page loaded before an upgrade) gets today's file, uncached.
func (s *site) serveAsset(c *fiber.Ctx) error {
	version, name, ok := strings.Cut(c.Params("+"), "/")
	a, found := s.files[name]
	if !ok || !found || name == "index.html" {
		return c.Status(fiber.StatusNotFound).JSON(fiber.Map{"error": fiber.Map{"code": "not_found", "message": "no such page: " + c.Path()}})
	}
	security(c)
	if version == s.version {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "no-cache")
	}
	c.Set(fiber.HeaderETag, a.etag)
	if match := c.Get(fiber.HeaderIfNoneMatch); match != "" && strings.Contains(match, a.etag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, a.ctype)
	return c.Send(a.body)
}
