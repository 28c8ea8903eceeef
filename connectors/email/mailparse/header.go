package mailparse

import (
	"encoding/base64"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-message/textproto"
)

// readHeader fills the Mail's header fields from the top-level header.
// Raw 8-bit text in them is read in the charset of the mail's
// Content-Type; when that has none, rereadHeader tries again with the
// charset of the first text part.
func (p *parser) readHeader(h textproto.Header) {
	m := p.m
	if _, params := mediaType(h.Get("Content-Type"), "text/plain"); params["charset"] != "" && p.fallback == "" {
		p.fallback = params["charset"]
	}
	m.MessageID = firstID(h.Get("Message-Id"))
	m.InReplyTo = msgIDs(h.Get("In-Reply-To"))
	m.References = msgIDs(strings.Join(h.Values("References"), " "))
	m.Subject = p.headerText(h.Get("Subject"))
	if from := ParseAddressList(p.rawAddr(h.Get("From"))); len(from) > 0 {
		m.From = from[0]
	} else if sender := ParseAddressList(p.rawAddr(h.Get("Sender"))); len(sender) > 0 {
		m.From = sender[0]
	}
	m.ReplyTo = ParseAddressList(p.rawAddr(h.Get("Reply-To")))
	m.To = ParseAddressList(p.rawAddr(strings.Join(h.Values("To"), ", ")))
	m.Cc = ParseAddressList(p.rawAddr(strings.Join(h.Values("Cc"), ", ")))
	if d := h.Get("Date"); d != "" {
		if t, ok := parseDate(d); ok {
			m.Date = t
		} else {
			p.note("the Date header could not be read: " + clip(p.headerText(d), 80))
		}
	}
}

// rereadHeader reads the header again when it holds raw 8-bit text that
// was read without a charset and a text part has since given one.
func (p *parser) rereadHeader(h textproto.Header) {
	if p.fallback != "" || p.bodyCharset == "" {
		return
	}
	for _, k := range []string{"Subject", "From", "To", "Cc", "Reply-To", "Sender"} {
		if v := h.Get(k); !utf8.ValidString(v) {
			p.fallback = p.bodyCharset
			p.readHeader(h)
			return
		}
	}
}

// headerText decodes an unstructured header field and tidies it.
func (p *parser) headerText(s string) string {
	return strings.TrimSpace(cleanText(decodeHeader(s, p.fallback)))
}

// rawAddr makes raw 8-bit address headers UTF-8 before they are parsed, so
// that names in the mail's charset survive.
func (p *parser) rawAddr(s string) string {
	if utf8.ValidString(s) && !hasJISEscape(s) {
		return s
	}
	return fixRaw(s, p.fallback)
}

// cleanText replaces control characters (but tabs) with spaces.
func cleanText(s string) string {
	return strings.Map(func(r rune) rune {
		if r != '\t' && unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// clip cuts s to at most n runes, adding "…" when it cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

var idRe = regexp.MustCompile(`<([^<>\s]+)>`)

// msgIDs returns the message ids in a header such as References, in order,
// without < > and without repeats. Ids without brackets are taken when they
// have an @.
func msgIDs(s string) []string {
	var ids []string
	seen := map[string]bool{}
	add := func(id string) {
		id = strings.ToValidUTF8(cleanText(id), "\uFFFD")
		if id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if ms := idRe.FindAllStringSubmatch(s, -1); len(ms) > 0 {
		for _, m := range ms {
			add(m[1])
		}
		return ids
	}
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
		if strings.Contains(f, "@") {
			add(strings.Trim(f, "<>\"'"))
		}
	}
	return ids
}

// firstID returns the first message id in s, or the bare value when it has
// no brackets.
func firstID(s string) string {
	if ids := msgIDs(s); len(ids) > 0 {
		return ids[0]
	}
	s = strings.TrimSpace(strings.Trim(strings.TrimSpace(s), "<>"))
	if s == "" || strings.ContainsAny(s, " \t") {
		return ""
	}
	return strings.ToValidUTF8(cleanText(s), "\uFFFD")
}

var dateLayouts = []string{
	"Mon, 2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04:05",
	"2 Jan 2006 15:04:05",
	"Mon, 2 Jan 06 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04 -0700",
	"Mon Jan 2 15:04:05 2006",
	"Mon Jan 2 15:04:05 -0700 2006",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02T15:04:05Z07:00",
	"Mon, 2 Jan 2006 15:04:05 MST",
	"Mon, 2 January 2006 15:04:05 -0700",
}

var dateJunk = regexp.MustCompile(`\s*\([^)]*\)\s*$`)

// parseDate reads a Date header, by net/mail first, then by a few layouts
// seen in the wild.
func parseDate(s string) (time.Time, bool) {
	if t, err := mail.ParseDate(s); err == nil {
		return t, true
	}
	s = strings.Join(strings.Fields(dateJunk.ReplaceAllString(s, "")), " ")
	s = strings.TrimSuffix(strings.TrimSuffix(s, " UT"), " GMT")
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// encodedWord matches one RFC 2047 encoded word; the text may hold spaces,
// which the RFC forbids but some mailers write.
var encodedWord = regexp.MustCompile(`=\?([^?\s]+)\?([bBqQ])\?([^?]*)\?=`)

// decodeHeader decodes the RFC 2047 encoded words in s. Adjacent words are
// joined (the white space between them dropped) and their bytes decoded
// together when they share a charset, so characters split across words
// survive. Text outside encoded words that is not UTF-8 is read in the
// fallback charset (or windows-1252); unknown charsets give best-effort
// UTF-8. It never fails.
func decodeHeader(s, fallback string) string {
	locs := encodedWord.FindAllStringSubmatchIndex(s, -1)
	if len(locs) == 0 {
		return fixRaw(s, fallback)
	}
	var b strings.Builder
	var run []byte   // decoded bytes of the current run of words
	var runCS string // their charset
	flush := func() {
		if len(run) > 0 {
			t, _ := decodeCharset(runCS, run)
			b.WriteString(t)
		}
		run, runCS = nil, ""
	}
	last, prevWord := 0, false
	for _, loc := range locs {
		cs := strings.ToLower(s[loc[2]:loc[3]])
		if i := strings.IndexByte(cs, '*'); i >= 0 { // RFC 2231 language
			cs = cs[:i]
		}
		enc, text := s[loc[4]:loc[5]], s[loc[6]:loc[7]]
		data, ok := decodeQ(text), true
		if enc == "b" || enc == "B" {
			data, ok = decodeB(text)
		}
		// White space between two encoded words is dropped.
		if gap := s[last:loc[0]]; !ok || !prevWord || strings.TrimSpace(gap) != "" {
			flush()
			b.WriteString(fixRaw(gap, fallback))
		}
		last, prevWord = loc[1], ok
		if !ok {
			// Not base64 at all: keep the word as it was written.
			b.WriteString(fixRaw(s[loc[0]:loc[1]], fallback))
			continue
		}
		if cs != runCS {
			flush()
			runCS = cs
		}
		run = append(run, data...)
	}
	flush()
	b.WriteString(fixRaw(s[last:], fallback))
	return b.String()
}

// decodeB decodes base64 leniently: padding optional, a broken tail
// dropped. ok is false when s holds characters outside base64.
func decodeB(s string) (data []byte, ok bool) {
	s = strings.TrimRight(strings.Join(strings.Fields(s), ""), "=")
	if d, err := base64.RawStdEncoding.DecodeString(s); err == nil {
		return d, true
	}
	if strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") != "" {
		return nil, false
	}
	d, err := base64.RawStdEncoding.DecodeString(s[:len(s)-len(s)%4])
	return d, err == nil
}

// decodeQ decodes the Q encoding; bad escapes are kept as they are.
func decodeQ(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_':
			out = append(out, ' ')
		case c == '=' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			out = append(out, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			out = append(out, c)
		}
	}
	return out
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	default:
		return c - '0'
	}
}
