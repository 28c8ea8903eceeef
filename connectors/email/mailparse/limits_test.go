package mailparse

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

func hasNote(m *Mail, sub string) bool {
	for _, n := range m.Notes {
		if strings.Contains(n, sub) {
			return true
		}
	}
	return false
}

func mustParse(t *testing.T, raw []byte, l Limits) *Mail {
	t.Helper()
	m, err := Parse(bytes.NewReader(raw), l)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	checkInvariants(t, m, l.withDefaults())
	return m
}

func TestMaxBytes(t *testing.T) {
	raw := bigMail(2 << 20)
	l := Limits{MaxBytes: 1 << 20}
	m := mustParse(t, raw, l)
	if !hasNote(m, "larger than 1 MiB; only the first 1 MiB were read") {
		t.Errorf("notes %q", m.Notes)
	}
	if m.Text != "The dump is attached." {
		t.Errorf("text %q", m.Text)
	}
	sum := sha256.Sum256(raw[:1<<20])
	if m.Hash != hex.EncodeToString(sum[:]) {
		t.Errorf("Hash is not the hash of the bytes read")
	}
	// Exactly at the limit: nothing was cut.
	m = mustParse(t, raw, Limits{MaxBytes: int64(len(raw))})
	if hasNote(m, "larger than") {
		t.Errorf("notes %q", m.Notes)
	}
}

// endless is a mail that never ends; it counts what is read of it.
type endless struct{ n int64 }

func (e *endless) Read(b []byte) (int, error) {
	const head = "Subject: endless\r\nContent-Type: text/plain\r\n\r\n"
	for i := range b {
		if e.n < int64(len(head)) {
			b[i] = head[e.n]
		} else {
			b[i] = 'a'
		}
		e.n++
	}
	return len(b), nil
}

func TestNeverReadsPastMaxBytes(t *testing.T) {
	src := &endless{}
	m, err := Parse(src, Limits{MaxBytes: 100 << 10, MaxTextBytes: 1 << 10})
	if err != nil {
		t.Fatal(err)
	}
	if src.n > 100<<10+1 {
		t.Errorf("read %d bytes", src.n)
	}
	if len(m.Text) != 1<<10 || !hasNote(m, "text is longer than 1 KiB") || !hasNote(m, "larger than 100 KiB") {
		t.Errorf("text %d bytes, notes %q", len(m.Text), m.Notes)
	}
}

func TestMaxParts(t *testing.T) {
	m := mustParse(t, manyPartsMail(5000), Limits{})
	if len(m.Parts) != DefaultMaxParts-1 { // the text is the first part
		t.Errorf("%d parts", len(m.Parts))
	}
	if !hasNote(m, "more than 500 MIME parts") {
		t.Errorf("notes %q", m.Notes)
	}
	m = mustParse(t, manyPartsMail(10), Limits{MaxParts: 5})
	if len(m.Parts) != 4 || m.Parts[3].Name != "part4.csv" {
		t.Errorf("parts %v", m.Parts)
	}
}

func TestMaxDepth(t *testing.T) {
	m := mustParse(t, deepMail(1000), Limits{})
	if m.Text != "" || !hasNote(m, "deeper than 20 levels") {
		t.Errorf("text %q, notes %q", m.Text, m.Notes)
	}
	m = mustParse(t, deepMail(19), Limits{})
	if m.Text != "The bottom." || len(m.Notes) != 0 {
		t.Errorf("text %q, notes %q", m.Text, m.Notes)
	}
}

func TestMaxFileBytes(t *testing.T) {
	m := mustParse(t, bigMail(3<<20), Limits{MaxFileBytes: 1 << 20})
	if len(m.Parts) != 0 {
		t.Errorf("kept %d parts", len(m.Parts))
	}
	if !hasNote(m, `attachment "dump.bin" (`) || !hasNote(m, "is larger than 1 MiB and was not kept") {
		t.Errorf("notes %q", m.Notes)
	}
	m = mustParse(t, bigMail(100<<10), Limits{})
	if len(m.Parts) != 1 || m.Parts[0].Name != "dump.bin" || len(m.Parts[0].Data) < 70<<10 {
		t.Errorf("parts %v", len(m.Parts))
	}
}

func TestMaxTextBytes(t *testing.T) {
	raw := "Subject: long\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>" + strings.Repeat("ж ", 50<<10) + "</p>"
	m := mustParse(t, []byte(raw), Limits{MaxTextBytes: 10 << 10, MaxHTMLBytes: 20 << 10})
	if len(m.Text) > 10<<10 || !hasNote(m, "text is longer than 10 KiB") || !hasNote(m, "HTML part is longer than 20 KiB") {
		t.Errorf("text %d bytes, notes %q", len(m.Text), m.Notes)
	}
	if len(m.HTML) > 21<<10 {
		t.Errorf("HTML %d bytes", len(m.HTML))
	}
}

func TestNoHeader(t *testing.T) {
	for _, raw := range []string{"", "\r\n\r\nbody only", "just some text\nand more", " leading space: x\n\nbody"} {
		m, err := Parse(strings.NewReader(raw), Limits{})
		if err == nil || !errors.Is(err, ErrNoHeader) || m != nil {
			t.Errorf("%q: mail %v, error %v", raw, m, err)
		}
	}
}

func TestMboxLineAndBareHeader(t *testing.T) {
	m := mustParse(t, []byte("From someone@example.com Mon Mar 11 10:00:00 2024\nSubject: hi\n\nbody\n"), Limits{})
	if m.Subject != "hi" || m.Text != "body" || m.MessageID != "" {
		t.Errorf("%+v", m)
	}
	// A header and no body at all.
	m = mustParse(t, []byte("Subject: only a header"), Limits{})
	if m.Subject != "only a header" || m.Text != "" || m.Shown != "" {
		t.Errorf("%+v", m)
	}
}

type failing struct {
	r io.Reader
}

func (f failing) Read(b []byte) (int, error) {
	n, err := f.r.Read(b)
	if err == io.EOF {
		return n, errors.New("connection reset")
	}
	return n, err
}

func TestReadError(t *testing.T) {
	raw := "Subject: cut\r\nContent-Type: text/plain\r\n\r\nsome text"
	m, err := Parse(failing{strings.NewReader(raw)}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if !hasNote(m, "connection reset") {
		t.Errorf("notes %q", m.Notes)
	}
}

func TestManyNotesAreBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("Subject: notes\r\nContent-Type: multipart/mixed; boundary=N\r\n\r\n")
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&b, "--N\r\nContent-Type: text/plain; charset=x-unknown-%d\r\n\r\nx\r\n", i)
	}
	b.WriteString("--N--\r\n")
	m := mustParse(t, []byte(b.String()), Limits{})
	if len(m.Notes) != maxNotes+1 || !strings.Contains(m.Notes[maxNotes], "more notes were left off") {
		t.Errorf("%d notes, last %q", len(m.Notes), m.Notes[len(m.Notes)-1])
	}
}

func TestTruncatedAttachmentIsNoted(t *testing.T) {
	raw := "Subject: cut\r\nContent-Type: multipart/mixed; boundary=C\r\n\r\n" +
		"--C\r\nContent-Type: text/plain\r\n\r\nHello\r\n" +
		"--C\r\nContent-Type: application/pdf; name=a.pdf\r\n\r\n%PDF-1.4 and then the connection"
	m := mustParse(t, []byte(raw), Limits{})
	if len(m.Parts) != 1 || !hasNote(m, "closing boundary is missing") || m.Text != "Hello" {
		t.Errorf("parts %d, text %q, notes %q", len(m.Parts), m.Text, m.Notes)
	}
}
