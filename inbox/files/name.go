package files

import (
	"mime"
	"net/http"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameRunes caps a stored file name; it matches inbox.DefaultLimits.NameChars
// so a sanitised name always passes the message checks.
const MaxNameRunes = 200

// maxExtRunes is the longest extension kept whole when a name is shortened.
const maxExtRunes = 16

// sniffLen is how much of a file net/http.DetectContentType looks at.
const sniffLen = 512

// octetStream is the content type of anything not known to be safe.
const octetStream = "application/octet-stream"

// SanitizeName makes a client's file name safe to store and to put in a
// header: it keeps only the part after the last '/' or '\', drops invalid
// UTF-8, control characters, format characters (the bidi overrides such
// as U+202E, zero-width characters) and line/paragraph separators, turns
// other spaces into ' ', trims spaces and dots at both ends and caps the
// result at MaxNameRunes, keeping a short extension. It never returns "".
func SanitizeName(name string) string {
	name = strings.ToValidUTF8(name, "")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r), unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp, unicode.Bidi_Control):
			return -1
		case unicode.IsSpace(r):
			return ' '
		}
		return r
	}, name)
	name = strings.Trim(name, " .")
	if utf8.RuneCountInString(name) > MaxNameRunes {
		ext := path.Ext(name)
		if n := utf8.RuneCountInString(ext); n > maxExtRunes || strings.ContainsRune(ext, ' ') {
			ext = ""
		}
		stem := truncateRunes(name[:len(name)-len(ext)], MaxNameRunes-utf8.RuneCountInString(ext))
		name = strings.Trim(strings.TrimRight(stem, " .")+ext, " .")
	}
	if name == "" {
		return "file"
	}
	return name
}

// truncateRunes keeps the first n runes of s.
func truncateRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// isInlineImage reports whether t is served inline: only raster formats
// browsers decode without running anything. SVG is not among them.
func isInlineImage(t string) bool {
	switch t {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return true
	}
	return false
}

// sniffImage reports the inline image type of a file's first bytes, or "".
func sniffImage(head []byte) string {
	if t := http.DetectContentType(head); isInlineImage(t) {
		return t
	}
	return ""
}

// recordedType is the content type stored for a file: what sniffing finds
// for images; otherwise the client's claim if it parses, unless it claims
// an inline image type that sniffing did not confirm; else octet-stream.
func recordedType(head []byte, claim string) string {
	if t := http.DetectContentType(head); strings.HasPrefix(t, "image/") {
		return t
	}
	if len(claim) > 255 {
		return octetStream
	}
	mt, params, err := mime.ParseMediaType(claim)
	if err != nil || isInlineImage(mt) || !strings.Contains(mt, "/") {
		return octetStream
	}
	keep := map[string]string{}
	if cs, ok := params["charset"]; ok {
		keep["charset"] = strings.ToLower(cs)
	}
	if t := mime.FormatMediaType(mt, keep); t != "" {
		return t
	}
	return octetStream
}

// contentDisposition builds an RFC 6266 header value: an ASCII fallback
// in filename and the exact name, percent-encoded UTF-8 (RFC 8187), in
// filename*.
func contentDisposition(kind, name string) string {
	name = SanitizeName(name)
	var fallback, ext strings.Builder
	for _, r := range name {
		if r < 0x20 || r >= 0x7f || r == '"' || r == '\\' || r == '%' {
			fallback.WriteByte('_')
		} else {
			fallback.WriteRune(r)
		}
	}
	for _, b := range []byte(name) {
		if isAttrChar(b) {
			ext.WriteByte(b)
		} else {
			ext.WriteByte('%')
			ext.WriteByte("0123456789ABCDEF"[b>>4])
			ext.WriteByte("0123456789ABCDEF"[b&15])
		}
	}
	return kind + `; filename="` + fallback.String() + `"; filename*=UTF-8''` + ext.String()
}

// isAttrChar reports whether b may appear unescaped in an RFC 8187 value.
func isAttrChar(b byte) bool {
	switch {
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", b) >= 0
}
