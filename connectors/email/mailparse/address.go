package mailparse

import (
	"net/mail"
	"strings"
)

// ParseAddress reads one address, by net/mail when it can and by a lenient
// reader where net/mail refuses: display names in encoded words followed
// by a comment, unquoted dots and commas in names, bare addresses with the
// name in a comment, raw 8-bit names, trailing garbage. Names are decoded
// (RFC 2047, also inside quotes); the address is lower-cased. ok is false
// when no address can be found.
func ParseAddress(s string) (Address, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Address{}, false
	}
	if a, err := mail.ParseAddress(s); err == nil {
		return makeAddress(a.Name, a.Address)
	}
	return looseAddress(s)
}

// ParseAddressList reads a list of addresses; what cannot be read is
// skipped, so it never fails. Group names ("Team: a@x, b@y;") are dropped.
func ParseAddressList(s string) []Address {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	var out []Address
	if list, err := mail.ParseAddressList(s); err == nil {
		for _, a := range list {
			if addr, ok := makeAddress(a.Name, a.Address); ok {
				out = append(out, addr)
			}
		}
		return out
	}
	pending := ""
	for _, seg := range splitAddresses(s) {
		seg = strings.TrimSpace(stripGroup(seg))
		if seg == "" {
			continue
		}
		if pending != "" {
			// The name goes on only when this part has a name too:
			// "Doe, John <j@x>", but not "junk, <x@y>".
			if !strings.HasPrefix(seg, "<") && !validEmail(strings.ToLower(seg)) {
				seg = pending + ", " + seg
			}
			pending = ""
		}
		if !strings.Contains(seg, "@") {
			// A name with an unquoted comma: "Doe, John <john@x>".
			pending = seg
			continue
		}
		if a, ok := looseAddress(seg); ok {
			out = append(out, a)
		}
	}
	return out
}

func makeAddress(name, email string) (Address, bool) {
	email = strings.ToLower(strings.TrimSpace(email))
	if !validEmail(email) {
		return Address{}, false
	}
	name = strings.TrimSpace(cleanText(decodeHeader(name, "")))
	name = strings.Join(strings.Fields(name), " ")
	if strings.EqualFold(name, email) {
		name = ""
	}
	return Address{Name: name, Email: email}, true
}

// looseAddress reads "name <addr>" or "addr (name)" with little regard to
// the grammar.
func looseAddress(s string) (Address, bool) {
	if lt := strings.LastIndexByte(s, '<'); lt >= 0 {
		rest := s[lt+1:]
		gt := strings.IndexByte(rest, '>')
		if gt < 0 {
			gt = len(rest)
		}
		email := strings.TrimPrefix(strings.TrimSpace(rest[:gt]), "mailto:")
		if validEmail(strings.ToLower(email)) {
			return makeAddress(displayName(s[:lt]), email)
		}
	}
	// No angle address: the word with an @ is the address, the rest (or a
	// comment) the name.
	var email string
	var rest []string
	for _, f := range strings.Fields(s) {
		w := strings.Trim(f, `<>"',;:()[]`)
		w = strings.TrimPrefix(w, "mailto:")
		if email == "" && validEmail(strings.ToLower(w)) {
			email = w
			continue
		}
		rest = append(rest, f)
	}
	if email == "" {
		return Address{}, false
	}
	return makeAddress(displayName(strings.Join(rest, " ")), email)
}

// displayName makes a name of the text before an angle address: quotes
// removed, comments dropped unless there is nothing else.
func displayName(s string) string {
	var name, comment strings.Builder
	depth, quoted := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quoted && c == '\\' && i+1 < len(s):
			i++
			name.WriteByte(s[i])
		case c == '"' && depth == 0:
			quoted = !quoted
		case quoted:
			name.WriteByte(c)
		case c == '(':
			if depth > 0 {
				comment.WriteByte(c)
			}
			depth++
		case c == ')' && depth > 0:
			depth--
			if depth > 0 {
				comment.WriteByte(c)
			} else {
				comment.WriteByte(' ')
			}
		case depth > 0:
			comment.WriteByte(c)
		default:
			name.WriteByte(c)
		}
	}
	n := strings.Trim(strings.TrimSpace(name.String()), `"'`)
	if n == "" {
		n = comment.String()
	}
	return n
}

// validEmail is a loose check: one @, something on both sides, no white
// space or brackets, a dot or "localhost" in the domain.
func validEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.ContainsAny(s, " \t\r\n<>(),;:\"[]\\") {
		return false
	}
	domain := s[at+1:]
	return (strings.Contains(domain, ".") || domain == "localhost") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}

// splitAddresses splits a list at commas and semicolons outside quotes,
// comments and angle brackets.
func splitAddresses(s string) []string {
	var out []string
	depth, quoted, angle, start := 0, false, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\':
			i++
		case c == '"' && depth == 0:
			quoted = !quoted
		case quoted:
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case depth > 0:
		case c == '<':
			angle = true
		case c == '>':
			angle = false
		case (c == ',' || c == ';') && !angle:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// stripGroup drops a group name ("Team:") in front of an address.
func stripGroup(s string) string {
	i := strings.IndexByte(s, ':')
	if i < 0 || strings.ContainsAny(s[:i], `<@"(`) || strings.HasSuffix(strings.ToLower(s[:i]), "mailto") {
		return s
	}
	return s[i+1:]
}
