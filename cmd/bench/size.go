package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"time"
)

// sizeResult is part (d).
type sizeResult struct {
	loader fetched
	files  []fetched // the frame and everything it loads
	err    string
}

// fetched is one response: body bytes as sent (gzip), bytes read from the
// socket (status line, headers and body), and the decoded size.
type fetched struct {
	path      string
	status    int
	encoding  string
	body      int
	wire      int64
	decoded   int
	decodedOf []byte
}

func (r sizeResult) widgetBody() (n int) {
	for _, f := range r.files {
		n += f.body
	}
	return n
}

func (r sizeResult) widgetWire() (n int64) {
	for _, f := range r.files {
		n += f.wire
	}
	return n
}

// countingConn counts what is read from the server.
type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countingConn) Read(p []byte) (int, error) {
	k, err := c.Conn.Read(p)
	c.n.Add(int64(k))
	return k, err
}

// fetchGzip GETs u on a fresh connection with Accept-Encoding: gzip and
// leaves the body as it came.
func fetchGzip(ctx context.Context, u string) (fetched, error) {
	var n atomic.Int64
	d := &net.Dialer{Timeout: 5 * time.Second}
	tr := &http.Transport{
		DisableCompression: true,
		DisableKeepAlives:  true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return countingConn{Conn: c, n: &n}, nil
		},
	}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return fetched{}, err
	}
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := (&http.Client{Transport: tr, Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return fetched{}, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return fetched{}, err
	}
	pu, _ := url.Parse(u)
	f := fetched{path: pu.RequestURI(), status: resp.StatusCode, encoding: resp.Header.Get("Content-Encoding"), body: len(body), wire: n.Load()}
	if resp.StatusCode != http.StatusOK {
		return f, fmt.Errorf("GET %s: status %d: %.200s", f.path, resp.StatusCode, body)
	}
	f.decodedOf = body
	if strings.EqualFold(f.encoding, "gzip") {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return f, fmt.Errorf("GET %s: gunzip: %w", f.path, err)
		}
		if f.decodedOf, err = io.ReadAll(zr); err != nil {
			return f, fmt.Errorf("GET %s: gunzip: %w", f.path, err)
		}
	}
	f.decoded = len(f.decodedOf)
	return f, nil
}

var (
	// htmlRef is a stylesheet, script or module preload of the frame.
	htmlRef = regexp.MustCompile(`(?i)(?:href|src)\s*=\s*["']([^"']+)["']`)
	// importMap is the frame's import map, which sends each module's plain
	// URL to its versioned one, as the browser resolves imports.
	importMap = regexp.MustCompile(`(?s)<script type="importmap">(.*?)</script>`)
	// jsImport is a static import or re-export, a bare import, or a
	// dynamic import with a literal specifier.
	jsImport = regexp.MustCompile(`(?m)(?:^|[;\s])(?:import|export)\s*(?:[\w*${}\s,]+?\s*from\s*)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)`)
)

// runSize fetches the loader, then the frame and, transitively, every
// stylesheet, script and imported module it needs.
func runSize(ctx context.Context, base, lineID, origin string) sizeResult {
	var res sizeResult
	var err error
	if res.loader, err = fetchGzip(ctx, base+"/widget.js"); err != nil {
		res.err = err.Error()
		return res
	}
	frameURL := base + "/widget/frame?line=" + url.QueryEscape(lineID) + "&origin=" + url.QueryEscape(origin)
	seen := map[string]bool{}
	queue := []string{frameURL}
	var mapped struct {
		Imports map[string]string `json:"imports"`
	}
	for len(queue) > 0 && len(seen) < 100 {
		u := queue[0]
		queue = queue[1:]
		if seen[u] {
			continue
		}
		seen[u] = true
		f, err := fetchGzip(ctx, u)
		if err != nil {
			res.err = err.Error()
			return res
		}
		res.files = append(res.files, f)
		baseURL, _ := url.Parse(u)
		var refs []string
		switch {
		case u == frameURL:
			if m := importMap.FindSubmatch(f.decodedOf); m != nil {
				if err := json.Unmarshal(m[1], &mapped); err != nil {
					res.err = fmt.Sprintf("frame import map: %v", err)
					return res
				}
			}
			for _, m := range htmlRef.FindAllStringSubmatch(string(f.decodedOf), -1) {
				refs = append(refs, m[1])
			}
		case strings.HasSuffix(baseURL.Path, ".js") || strings.HasSuffix(baseURL.Path, ".mjs"):
			for _, m := range jsImport.FindAllStringSubmatch(string(f.decodedOf), -1) {
				refs = append(refs, m[1]+m[2])
			}
		}
		f.decodedOf = nil
		for _, r := range refs {
			ru, err := baseURL.Parse(r)
			if err != nil || ru.Host != baseURL.Host {
				continue // another site's file is not the widget's weight
			}
			if to, ok := mapped.Imports[ru.Path]; ok && ru.RawQuery == "" {
				if ru, err = baseURL.Parse(to); err != nil {
					continue
				}
			}
			if !seen[ru.String()] {
				queue = append(queue, ru.String())
			}
		}
	}
	for i := range res.files {
		res.files[i].decodedOf = nil
	}
	res.loader.decodedOf = nil
	return res
}

func (r sizeResult) report() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "size (Accept-Encoding: gzip; body = bytes of the body as sent, wire = everything read from the socket):\n")
	line := func(f fetched) {
		enc := f.encoding
		if enc == "" {
			enc = "identity (not compressed!)"
		}
		fmt.Fprintf(&sb, "  %-60s %6d B body, %6d B wire, %6d B decoded, %s\n", f.path, f.body, f.wire, f.decoded, enc)
	}
	line(r.loader)
	for _, f := range r.files {
		line(f)
	}
	fmt.Fprintf(&sb, "  loader: %d B body (%d B wire); widget (frame + %d files): %d B body (%d B wire)\n",
		r.loader.body, r.loader.wire, max(0, len(r.files)-1), r.widgetBody(), r.widgetWire())
	if r.err != "" {
		fmt.Fprintf(&sb, "  error: %s\n", r.err)
	}
	return sb.String()
}
