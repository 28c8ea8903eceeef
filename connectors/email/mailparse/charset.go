package mailparse

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/japanese"
)

// charsetAliases maps labels seen in mail that neither the WHATWG nor the
// IANA index knows to one they know.
var charsetAliases = map[string]string{
	"win-1250": "windows-1250", "win1250": "windows-1250", "cp-1250": "windows-1250",
	"win-1251": "windows-1251", "win1251": "windows-1251", "cp-1251": "windows-1251",
	"win-1252": "windows-1252", "win1252": "windows-1252", "cp-1252": "windows-1252",
	"x-sjis": "shift_jis", "sjis": "shift_jis", "shift-jis": "shift_jis",
	"iso-2022-jp-2": "iso-2022-jp", "iso-2022-jp-3": "iso-2022-jp", "csiso2022jp": "iso-2022-jp",
	"x-gbk": "gbk", "cp936": "gbk", "euc-cn": "gb2312",
	"ansi_x3.4-1968": "us-ascii", "ascii": "us-ascii", "646": "us-ascii",
	"latin1": "iso-8859-1", "latin2": "iso-8859-2",
}

// lookupCharset finds the decoder of a charset label: the WHATWG index
// first (what browsers do: ISO-8859-1 read as its superset windows-1252,
// GB2312 as GBK), then the IANA MIME names. It returns nil when the label
// is unknown.
func lookupCharset(label string) encoding.Encoding {
	label = strings.ToLower(strings.Trim(strings.TrimSpace(label), `"'`))
	if a, ok := charsetAliases[label]; ok {
		label = a
	}
	if label == "" {
		return nil
	}
	if e, err := htmlindex.Get(label); err == nil && e != nil {
		return e
	}
	if e, err := ianaindex.MIME.Encoding(label); err == nil && e != nil {
		return e
	}
	if e, err := ianaindex.MIME.Encoding("cs" + label); err == nil && e != nil {
		return e
	}
	return nil
}

// isUTF8Label reports whether a label means UTF-8 or its subset US-ASCII
// (or is missing), the labels whose text is taken as it is when it is
// valid UTF-8.
func isUTF8Label(label string) bool {
	switch strings.ToLower(strings.Trim(strings.TrimSpace(label), `"'`)) {
	case "", "utf-8", "utf8", "us-ascii", "ascii", "ansi_x3.4-1968", "unicode-1-1-utf-8", "x-unknown", "unknown", "default":
		return true
	}
	return false
}

// jisEscapes start the JIS X 0208 and JIS X 0201 sets in ISO-2022-JP.
var jisEscapes = []string{"\x1b$B", "\x1b$@", "\x1b(J", "\x1b(I"}

// hasJISEscape reports whether s holds ISO-2022-JP escape sequences.
func hasJISEscape[T string | []byte](s T) bool {
	for _, e := range jisEscapes {
		if strings.Contains(string(s), e) {
			return true
		}
	}
	return false
}

// decodeCharset turns b, said to be in charset label, into UTF-8. Text
// without a charset (or said to be UTF-8/ASCII) is read as ISO-2022-JP when
// it holds its escapes, as UTF-8 when it is valid, and as windows-1252 when
// not. problem is "" or why the result is a guess; the result is always
// valid UTF-8.
func decodeCharset(label string, b []byte) (s string, problem string) {
	if isUTF8Label(label) {
		switch {
		case hasJISEscape(b):
			return decodeWith(japanese.ISO2022JP, b), ""
		case utf8.Valid(b):
			return string(b), ""
		case strings.Contains(strings.ToLower(label), "utf"):
			return strings.ToValidUTF8(string(b), "\uFFFD"), "invalid-utf8"
		default:
			return decodeWith(charmap.Windows1252, b), "undeclared"
		}
	}
	e := lookupCharset(label)
	if e == nil {
		return bestUTF8(b), "unknown"
	}
	return decodeWith(e, b), ""
}

// decodeWith decodes b with e, falling back to best-effort UTF-8 when the
// decoder gives up.
func decodeWith(e encoding.Encoding, b []byte) string {
	out, err := e.NewDecoder().Bytes(b)
	if err != nil {
		return bestUTF8(b)
	}
	return strings.ToValidUTF8(string(out), "\uFFFD")
}

// bestUTF8 reads bytes of an unknown charset: as they are when they are
// UTF-8, as ISO-2022-JP when they hold its escapes, else as windows-1252.
func bestUTF8(b []byte) string {
	switch {
	case utf8.Valid(b) && !hasJISEscape(b):
		return string(b)
	case hasJISEscape(b):
		if out, err := japanese.ISO2022JP.NewDecoder().Bytes(b); err == nil {
			return strings.ToValidUTF8(string(out), "\uFFFD")
		}
	}
	out, _ := charmap.Windows1252.NewDecoder().Bytes(b)
	return strings.ToValidUTF8(string(out), "\uFFFD")
}

// fixRaw makes header text that was not encoded valid UTF-8: ISO-2022-JP
// escapes are decoded, other non-UTF-8 bytes are read in the fallback
// charset (the mail's), else windows-1252.
func fixRaw(s, fallback string) string {
	if utf8.ValidString(s) && !hasJISEscape(s) {
		return s
	}
	if hasJISEscape(s) {
		return decodeWith(japanese.ISO2022JP, []byte(s))
	}
	if !isUTF8Label(fallback) {
		if e := lookupCharset(fallback); e != nil {
			return decodeWith(e, []byte(s))
		}
	}
	return bestUTF8([]byte(s))
}

// cutUTF8 cuts s to at most n bytes without splitting a character.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// normalizeNewlines turns CRLF and lone CR into LF.
func normalizeNewlines(b []byte) []byte {
	if bytes.IndexByte(b, '\r') < 0 {
		return b
	}
	b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	return bytes.ReplaceAll(b, []byte("\r"), []byte("\n"))
}
