package mailparse

import (
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
)

// remoteSrc is what a moved remote image source may be.
var remoteSrc = regexp.MustCompile(`^https?://[^\s"'<>]+$`)

// policy is bluemonday's UGC allow-list (no scripts, event attributes,
// forms, iframes, objects, or URL schemes other than those named) with
// what mail needs on top: cid: images, data: images, a few presentational
// attributes and a short list of style properties that cannot load
// anything (no background images, no url()).
var policy = sync.OnceValue(func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowURLSchemes("mailto", "http", "https", "cid", "tel")
	// Mail has no base URL: a relative one would point into the agent's app.
	p.AllowRelativeURLs(false)
	p.AllowDataURIImages()
	p.AllowAttrs("data-remote-src").Matching(remoteSrc).OnElements("img")
	p.AllowElements("font", "center")
	p.AllowAttrs("color", "face", "size").OnElements("font")
	p.AllowAttrs("align", "valign", "bgcolor", "width", "height", "border",
		"cellpadding", "cellspacing").OnElements("table", "tr", "td", "th", "div", "p", "img")
	p.AllowStyles("color", "background-color", "font-weight", "font-style", "font-size",
		"font-family", "text-align", "text-decoration", "line-height", "white-space",
		"margin", "margin-top", "margin-bottom", "margin-left", "margin-right",
		"padding", "padding-top", "padding-bottom", "padding-left", "padding-right",
		"border", "border-top", "border-bottom", "border-left", "border-right",
		"border-collapse", "width", "max-width", "height", "vertical-align", "display").Globally()
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	return p
})

// sanitizeHTML makes an HTML part safe to show: remote image sources are
// moved to data-remote-src (so they are not loaded until the agent asks),
// then the allow-list policy keeps only what is safe.
func sanitizeHTML(s string) (string, bool) {
	out := policy().Sanitize(deferRemoteImages(s))
	out = strings.ToValidUTF8(out, "\uFFFD")
	return strings.TrimSpace(out), strings.Contains(out, "data-remote-src=")
}

// deferRemoteImages renames the src of <img> elements that load from the
// network (http, https, protocol-relative) to data-remote-src, and drops
// their srcset. The rest of the document is passed on byte for byte.
func deferRemoteImages(s string) string {
	if !strings.Contains(strings.ToLower(s), "<img") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 64)
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return b.String()
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			b.Write(z.Raw())
			continue
		}
		raw := string(z.Raw())
		t := z.Token()
		if t.Data != "img" {
			b.WriteString(raw)
			continue
		}
		attrs := t.Attr[:0]
		for _, a := range t.Attr {
			if a.Key == "srcset" {
				continue
			}
			v := strings.TrimSpace(a.Val)
			lv := strings.ToLower(v)
			if a.Key == "src" && (strings.HasPrefix(lv, "http://") || strings.HasPrefix(lv, "https://") || strings.HasPrefix(lv, "//")) {
				if strings.HasPrefix(v, "//") {
					v = "https:" + v
				}
				a = html.Attribute{Key: "data-remote-src", Val: v}
			}
			attrs = append(attrs, a)
		}
		t.Attr = attrs
		b.WriteString(t.String())
	}
}

// htmlCharset finds the charset an HTML part declares in a <meta> tag (or
// by a byte order mark); "" when it declares none or UTF-8.
func htmlCharset(raw []byte) string {
	_, name, _ := charset.DetermineEncoding(raw, "text/html")
	switch name {
	case "utf-8":
		return ""
	case "windows-1252":
		if utf8.Valid(raw) {
			return ""
		}
	}
	return name
}

// skipText are elements whose text is never shown.
var skipText = map[string]bool{
	"script": true, "style": true, "title": true, "noscript": true, "template": true,
	"head": true, "object": true, "iframe": true, "svg": true, "math": true,
}

// blockSpace is how many line breaks an element puts around itself.
var blockSpace = map[string]int{
	"h1": 2, "h2": 2, "h3": 2, "h4": 2, "h5": 2, "h6": 2, "ul": 2, "ol": 2,
	"table": 2, "pre": 2, "hr": 2, "dl": 2,
	"div": 1, "tr": 1, "li": 1, "dt": 1, "dd": 1, "section": 1, "article": 1,
	"header": 1, "footer": 1, "address": 1, "center": 1, "caption": 1, "form": 1,
	"blockquote": 1, "figure": 1,
}

// htmlToText renders HTML as plain text of at most about limit bytes:
// blocks become lines, <br> a line break, list items "- ", links "text
// <url>", and blockquotes "> " lines, so that quoted history can be folded
// like in plain-text mail.
func htmlToText(s string, limit int) string {
	w := &textWriter{}
	z := html.NewTokenizer(strings.NewReader(s))
	skip, pre := 0, 0
	var href string
	var linkText strings.Builder
	for w.b.Len() < limit {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return w.b.String()
		case html.TextToken:
			if skip > 0 {
				continue
			}
			t := string(z.Text())
			if href != "" {
				linkText.WriteString(t)
			}
			w.text(t, pre > 0)
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, hasAttr := z.TagName()
			tag := string(name)
			start := tt != html.EndTagToken
			if skipText[tag] {
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
				continue
			}
			if tag == "body" {
				skip = 0
			}
			if skip > 0 {
				continue
			}
			switch tag {
			case "br":
				w.lineBreak()
			case "blockquote":
				w.block(1)
				if start {
					w.quote++
				} else if w.quote > 0 {
					w.quote--
				}
			case "pre":
				w.block(2)
				if start {
					pre++
				} else if pre > 0 {
					pre--
				}
			case "li":
				if start {
					w.block(1)
					w.text("- ", false)
				}
			case "td", "th":
				if start {
					w.space = true
				}
			case "a":
				if start && hasAttr {
					href = attr(z, "href")
					linkText.Reset()
				} else if !start && href != "" {
					w.link(href, linkText.String())
					href = ""
				}
			case "p":
				// Outlook writes every line as <p class=MsoNormal>.
				if !start || hasAttr && strings.Contains(attr(z, "class"), "MsoNormal") {
					w.block(1)
				} else {
					w.block(2)
				}
			default:
				if n := blockSpace[tag]; n > 0 {
					w.block(n)
				}
			}
		}
	}
	return w.b.String()
}

// attr returns the value of one attribute of the current tag.
func attr(z *html.Tokenizer, key string) string {
	for {
		k, v, more := z.TagAttr()
		if string(k) == key {
			return string(v)
		}
		if !more {
			return ""
		}
	}
}

// textWriter collects rendered text, collapsing white space and putting
// quote marks at the start of lines.
type textWriter struct {
	b       strings.Builder
	quote   int  // blockquote depth
	nl      int  // line breaks owed before the next text
	space   bool // a space is owed before the next word
	started bool // something was written
	lastQ   int  // quote depth of the line last written
}

func (w *textWriter) block(n int) {
	if w.started {
		w.nl = max(w.nl, n)
	}
	w.space = false
}

func (w *textWriter) lineBreak() {
	if w.started {
		w.nl = min(w.nl+1, 2)
	}
	w.space = false
}

// text writes a text node: white space collapsed, or kept in <pre>.
func (w *textWriter) text(s string, pre bool) {
	if pre {
		for i, line := range strings.Split(s, "\n") {
			if i > 0 {
				w.lineBreak()
			}
			w.word(strings.TrimRight(line, " \t\r"))
		}
		return
	}
	fields := strings.Fields(s)
	if len(fields) == 0 {
		if s != "" {
			w.space = true
		}
		return
	}
	if strings.TrimLeft(s[:1], " \t\r\n\u00a0") == "" {
		w.space = true
	}
	for i, f := range fields {
		if i > 0 {
			w.space = true
		}
		w.word(f)
	}
	if last, _ := utf8.DecodeLastRuneInString(s); strings.ContainsRune(" \t\r\n\u00a0", last) {
		w.space = true
	}
}

// word writes a piece of text after the line breaks or space it is owed.
func (w *textWriter) word(s string) {
	if s == "" {
		return
	}
	if w.nl > 0 {
		for i := 0; i < w.nl; i++ {
			w.b.WriteByte('\n')
			if i < w.nl-1 { // a blank line inside a quote stays quoted
				w.b.WriteString(strings.Repeat(">", min(w.quote, w.lastQ)))
			}
		}
		w.nl = 0
		w.b.WriteString(strings.Repeat("> ", w.quote))
	} else if !w.started {
		w.b.WriteString(strings.Repeat("> ", w.quote))
	} else if w.space {
		w.b.WriteByte(' ')
	}
	w.space = false
	w.started = true
	w.lastQ = w.quote
	w.b.WriteString(s)
}

// link writes the target of a link after its text when it differs.
func (w *textWriter) link(href, text string) {
	href = strings.TrimSpace(href)
	text = strings.Join(strings.Fields(text), " ")
	l := strings.ToLower(href)
	if text == "" || !(strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")) {
		return
	}
	if strings.TrimSuffix(text, "/") == strings.TrimSuffix(href, "/") || strings.Contains(href, text) && strings.Contains(text, ".") {
		return
	}
	w.space = true
	w.word("<" + href + ">")
}
