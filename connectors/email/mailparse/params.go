package mailparse

import (
	"mime"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// mediaType parses a Content-Type or Content-Disposition value into a
// lower-case type and its parameters (keys lower-case; name and filename
// decoded from RFC 2231 and RFC 2047). mime.ParseMediaType reads it when
// it can; values it refuses (unquoted spaces, repeated parameters) or whose
// RFC 2231 charset it does not know are read by a lenient parser. def is
// the type when the value has none.
func mediaType(v, def string) (string, map[string]string) {
	v = strings.TrimSpace(v)
	if v == "" {
		return def, map[string]string{}
	}
	mt, params, err := mime.ParseMediaType(v)
	if err != nil || dropped2231(v, params) {
		mt, params = looseMediaType(v)
	}
	mt = strings.ToLower(mt)
	if mt == "" || (def != "" && strings.Contains(def, "/") && !strings.Contains(mt, "/")) {
		mt = def
	}
	for _, k := range []string{"name", "filename"} {
		if s, ok := params[k]; ok {
			params[k] = strings.TrimSpace(cleanText(decodeHeader(s, "")))
		}
	}
	return mt, params
}

// dropped2231 reports whether mime.ParseMediaType left out an RFC 2231
// name (it knows only the UTF-8 and ASCII charsets there).
func dropped2231(v string, params map[string]string) bool {
	l := strings.ToLower(v)
	for _, k := range []string{"filename", "name"} {
		if _, ok := params[k]; !ok && strings.Contains(l, k+"*") {
			return true
		}
	}
	return false
}

// looseMediaType is the lenient parser: parameters are split at
// semicolons outside quotes, the last of repeated ones wins, and RFC 2231
// values and continuations are decoded in any known charset.
func looseMediaType(v string) (string, map[string]string) {
	fields := splitOutsideQuotes(v, ';')
	mt := strings.TrimSpace(fields[0])
	if i := strings.IndexAny(mt, " \t"); i >= 0 {
		mt = mt[:i]
	}
	params := map[string]string{}
	type segment struct {
		n       int
		encoded bool
		value   string
	}
	ext := map[string][]segment{}
	for _, f := range fields[1:] {
		k, val, ok := strings.Cut(f, "=")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		val = strings.TrimSpace(val)
		if i := strings.IndexByte(val, '('); i > 0 && !strings.HasPrefix(val, `"`) {
			val = strings.TrimSpace(val[:i]) // a comment: charset=us-ascii (Plain text)
		}
		val = unquote(val)
		if k == "" {
			continue
		}
		base, rest, isExt := strings.Cut(k, "*")
		if !isExt {
			params[k] = val
			continue
		}
		s := segment{encoded: strings.HasSuffix(rest, "*") || rest == "", value: val}
		if num := strings.TrimSuffix(rest, "*"); num != "" {
			n, err := strconv.Atoi(num)
			if err != nil {
				continue
			}
			s.n = n
		}
		ext[base] = append(ext[base], s)
	}
	for base, segs := range ext {
		sort.SliceStable(segs, func(i, j int) bool { return segs[i].n < segs[j].n })
		var charset string
		var raw []byte
		for i, s := range segs {
			val := s.value
			if s.encoded && i == 0 {
				if parts := strings.SplitN(val, "'", 3); len(parts) == 3 {
					charset, val = parts[0], parts[2]
				}
			}
			if s.encoded {
				if u, err := url.PathUnescape(val); err == nil {
					val = u
				}
			}
			raw = append(raw, val...)
		}
		params[base], _ = decodeCharset(charset, raw)
	}
	return mt, params
}

// splitOutsideQuotes splits s at sep where sep is not inside double quotes.
func splitOutsideQuotes(s string, sep byte) []string {
	var out []string
	quoted, escaped, start := false, false, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case escaped:
			escaped = false
		case c == '\\' && quoted:
			escaped = true
		case c == '"':
			quoted = !quoted
		case c == sep && !quoted:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// unquote removes the double quotes around s and its backslash escapes.
func unquote(s string) string {
	if len(s) < 2 || s[0] != '"' {
		return strings.Trim(s, `"`)
	}
	s = strings.TrimSuffix(s[1:], `"`)
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
