package inbox

import (
	"strings"
	"unicode/utf8"
)

// PreviewChars is the longest last-message preview, in characters.
const PreviewChars = 140

// Preview is the start of a conversation's latest message, for the list
// rows: its text on one line, trimmed, or the first file's name.
type Preview struct {
	Text       string     `bson:"text" json:"text"`
	AuthorKind AuthorKind `bson:"authorKind" json:"authorKind"`
	// Attachments counts the message's files.
	Attachments int `bson:"attachments" json:"attachments"`
}

// previewOf is the preview of m, or nil for what the client never sees
// (agents' comments) and for system lines.
func previewOf(m *Message) *Preview {
	if m.Comment || m.AuthorKind == AuthorSystem {
		return nil
	}
	text := strings.Join(strings.Fields(NeutralName(m.Text)), " ")
	if text == "" && len(m.Attachments) > 0 {
		text = NeutralName(m.Attachments[0].Name)
	}
	return &Preview{Text: trimChars(text, PreviewChars), AuthorKind: m.AuthorKind, Attachments: len(m.Attachments)}
}

// trimChars cuts s to at most n characters, ending a cut one with "…".
func trimChars(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimRight(string(r[:n-1]), " ") + "…"
}
