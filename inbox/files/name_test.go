package files_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/switchboard-chat/switchboard/inbox/files"
)

func TestSanitizeName(t *testing.T) {
	long := strings.Repeat("я", 250)
	for in, want := range map[string]string{
		"report.pdf":                         "report.pdf",
		"../../etc/passwd\u202Egnp.exe":      "passwdgnp.exe",
		`C:\Users\bob\Desktop\cv.docx`:       "cv.docx",
		"dir/":                               "file",
		"":                                   "file",
		"..":                                 "file",
		" .hidden. ":                         "hidden",
		"a\x00b\x1fc\x7fd.txt":               "abcd.txt",
		"in\u2066vis\u2069ible\u200B.txt":    "invisible.txt",
		"line\u2028break\tand\u00a0nbsp":     "linebreakand nbsp",
		"bad\xffutf8.txt":                    "badutf8.txt",
		"\u202E":                             "file",
		long + ".jpeg":                       strings.Repeat("я", 195) + ".jpeg",
		long:                                 strings.Repeat("я", 200),
		long + "." + strings.Repeat("x", 30): strings.Repeat("я", 200),
		"Résumé – final (2).PDF":             "Résumé – final (2).PDF",
	} {
		if got := files.SanitizeName(in); got != want {
			t.Errorf("SanitizeName(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzSanitizeName(f *testing.F) {
	for _, seed := range []string{
		"report.pdf", "../../etc/passwd\u202Egnp.exe", `..\..\boot.ini`, "", ".", "..", " . ",
		"a\r\nb", "\u2066\u2067\u2068\u2069\u200E\u200F\u061C", "\xff\xfe", strings.Repeat("ab.", 120),
		strings.Repeat("€", 199) + ".tar.gz", "name.\u202Etxt", "x/\x00",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := files.SanitizeName(in)
		if got == "" {
			t.Fatalf("SanitizeName(%q) is empty", in)
		}
		if !utf8.ValidString(got) {
			t.Fatalf("SanitizeName(%q) = %q is not UTF-8", in, got)
		}
		if n := utf8.RuneCountInString(got); n > files.MaxNameRunes {
			t.Fatalf("SanitizeName(%q) has %d runes", in, n)
		}
		if strings.ContainsAny(got, `/\`) {
			t.Fatalf("SanitizeName(%q) = %q has a path separator", in, got)
		}
		for _, r := range got {
			if unicode.IsControl(r) || unicode.In(r, unicode.Bidi_Control, unicode.Cf) {
				t.Fatalf("SanitizeName(%q) = %q keeps %U", in, got, r)
			}
		}
		if got != strings.Trim(got, " .") {
			t.Fatalf("SanitizeName(%q) = %q is not trimmed", in, got)
		}
		if again := files.SanitizeName(got); again != got {
			t.Fatalf("not idempotent: %q → %q → %q", in, got, again)
		}
	})
}
