package mailparse

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/corpus")

// golden is the part of a parse result that the corpus checks.
type golden struct {
	MessageID       string       `json:"message_id"`
	InReplyTo       []string     `json:"in_reply_to,omitempty"`
	References      []string     `json:"references,omitempty"`
	Subject         string       `json:"subject"`
	From            string       `json:"from"`
	ReplyTo         []string     `json:"reply_to,omitempty"`
	To              []string     `json:"to,omitempty"`
	Cc              []string     `json:"cc,omitempty"`
	Date            string       `json:"date,omitempty"`
	Shown           string       `json:"shown"`
	Text            string       `json:"text"`
	HTML            string       `json:"html,omitempty"`
	HTMLSHA256      string       `json:"html_sha256,omitempty"` // instead of html when it is long
	HasRemoteImages bool         `json:"has_remote_images,omitempty"`
	Parts           []goldenPart `json:"parts,omitempty"`
	Notes           []string     `json:"notes,omitempty"`
	Auto            string       `json:"auto,omitempty"`
	Bounce          *Bounce      `json:"bounce,omitempty"`
	Hash            string       `json:"hash"`
}

type goldenPart struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	ContentID   string `json:"content_id,omitempty"`
	Inline      bool   `json:"inline,omitempty"`
	Size        int    `json:"size"`
	SHA256      string `json:"sha256"`
}

// longHTML is the length past which a golden holds the HTML's hash.
const longHTML = 3000

func addr(a Address) string {
	if a.Name == "" {
		return a.Email
	}
	return a.Name + " <" + a.Email + ">"
}

func addrs(as []Address) []string {
	var out []string
	for _, a := range as {
		out = append(out, addr(a))
	}
	return out
}

func hashOf[T string | []byte](b T) string {
	s := sha256.Sum256([]byte(b))
	return hex.EncodeToString(s[:])
}

func toGolden(m *Mail) golden {
	g := golden{
		MessageID: m.MessageID, InReplyTo: m.InReplyTo, References: m.References,
		Subject: m.Subject, From: addr(m.From), ReplyTo: addrs(m.ReplyTo),
		To: addrs(m.To), Cc: addrs(m.Cc), Shown: m.Shown, Text: m.Text,
		HasRemoteImages: m.HasRemoteImages, Notes: m.Notes, Auto: m.Auto,
		Bounce: m.Bounce, Hash: m.Hash,
	}
	if !m.Date.IsZero() {
		g.Date = m.Date.Format(time.RFC3339)
	}
	if len(m.HTML) > longHTML {
		g.HTMLSHA256 = hashOf(m.HTML)
	} else {
		g.HTML = m.HTML
	}
	for _, p := range m.Parts {
		g.Parts = append(g.Parts, goldenPart{
			Name: p.Name, ContentType: p.ContentType, ContentID: p.ContentID,
			Inline: p.Inline, Size: len(p.Data), SHA256: hashOf(p.Data)[:16],
		})
	}
	return g
}

func corpusFiles(t testing.TB) []string {
	files, err := filepath.Glob(filepath.Join("testdata", "corpus", "*.eml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	return files
}

// TestCorpus parses every mail of testdata/corpus and compares the result
// with its golden file; -update rewrites the golden files.
func TestCorpus(t *testing.T) {
	for _, file := range corpusFiles(t) {
		name := strings.TrimSuffix(filepath.Base(file), ".eml")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			m, err := Parse(bytes.NewReader(raw), Limits{})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			checkInvariants(t, m, Limits{}.withDefaults())
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(toGolden(m)); err != nil {
				t.Fatal(err)
			}
			got := buf.Bytes()
			goldenFile := strings.TrimSuffix(file, ".eml") + ".golden.json"
			if *update {
				if err := os.WriteFile(goldenFile, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(goldenFile)
			if err != nil {
				t.Fatalf("no golden file (run with -update): %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("result differs from %s (run with -update and check the diff)\n got: %s", goldenFile, got)
			}
		})
	}
}
