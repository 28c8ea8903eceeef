package mailparse

import (
	"bytes"
	"os"
	"testing"
	"time"
	"unicode/utf8"
)

// checkInvariants checks what every parse result promises, whatever the
// input.
func checkInvariants(t testing.TB, m *Mail, l Limits) {
	t.Helper()
	strs := map[string]string{
		"Text": m.Text, "Shown": m.Shown, "Subject": m.Subject, "HTML": m.HTML,
		"From.Name": m.From.Name, "From.Email": m.From.Email, "MessageID": m.MessageID,
	}
	for _, p := range m.Parts {
		strs["Part.Name "+p.Name] = p.Name
		if p.Name == "" {
			t.Errorf("a part has no name")
		}
		if int64(len(p.Data)) > l.MaxFileBytes {
			t.Errorf("part %q keeps %d bytes, over the limit", p.Name, len(p.Data))
		}
	}
	for _, n := range m.Notes {
		strs["Note "+n] = n
	}
	for _, as := range [][]Address{m.To, m.Cc, m.ReplyTo} {
		for _, a := range as {
			strs["Address "+a.Name] = a.Name + a.Email
		}
	}
	for k, v := range strs {
		if !utf8.ValidString(v) {
			t.Errorf("%s is not valid UTF-8: %q", k, v)
		}
	}
	if m.Text != "" && m.Shown == "" {
		t.Errorf("Shown is empty but Text is not")
	}
	if len(m.Text) > l.MaxTextBytes {
		t.Errorf("Text has %d bytes, over %d", len(m.Text), l.MaxTextBytes)
	}
	if len(m.Parts) > l.MaxParts {
		t.Errorf("%d parts, over %d", len(m.Parts), l.MaxParts)
	}
	if len(m.Notes) > maxNotes+1 {
		t.Errorf("%d notes", len(m.Notes))
	}
	if len(m.Hash) != 64 {
		t.Errorf("Hash %q", m.Hash)
	}
	if m.IsAutomatic() != (m.Auto != "") {
		t.Errorf("IsAutomatic disagrees with Auto %q", m.Auto)
	}
}

// FuzzParse feeds the corpus, changed, to Parse with small limits: it must
// not panic, and what it returns must keep its promises.
func FuzzParse(f *testing.F) {
	for _, file := range corpusFiles(f) {
		raw, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	recoverPanics = false
	f.Cleanup(func() { recoverPanics = true })
	l := Limits{MaxBytes: 1 << 20, MaxParts: 50, MaxDepth: 8, MaxFileBytes: 64 << 10, MaxTextBytes: 16 << 10, MaxHTMLBytes: 64 << 10}
	f.Fuzz(func(t *testing.T, raw []byte) {
		start := time.Now()
		m, err := Parse(bytes.NewReader(raw), l)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Parse took %v", d)
		}
		if err != nil {
			if m != nil {
				t.Fatalf("both a mail and an error")
			}
			return
		}
		checkInvariants(t, m, l.withDefaults())
		if len(m.HTML) > 8*l.MaxHTMLBytes {
			t.Errorf("HTML has %d bytes", len(m.HTML))
		}
	})
}
