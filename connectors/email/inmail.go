package email

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/switchboard-chat/switchboard/connectors/email/mailparse"
	"github.com/switchboard-chat/switchboard/inbox"
)

// message translates a parsed mail into the common format: its text
// (quoted history folded away, cut at the message limit), its files
// stored, its thread ids best first, a reply address's token.
func (b *mailbox) message(ctx context.Context, m *mailparse.Mail) (inbox.MailMessage, error) {
	in := inbox.MailMessage{LineID: b.lineID, From: inbox.MailAddress{Name: m.From.Name, Email: m.From.Email}, MailID: m.MessageID}
	if in.MailID == "" {
		in.MailID = "hash:" + m.Hash
	}
	in.Thread = append(in.Thread, m.InReplyTo...)
	refs := slices.Clone(m.References)
	slices.Reverse(refs)
	for _, r := range refs {
		if !slices.Contains(in.Thread, r) {
			in.Thread = append(in.Thread, r)
		}
	}
	for _, a := range append(slices.Clone(m.To), m.Cc...) {
		if tok := tokenOfAddress(a.Email, b.conf.Address); tok != "" {
			in.Token = tok
			break
		}
	}
	notes := slices.Clone(m.Notes)
	for _, p := range m.Parts {
		at, err := b.c.files.Put(ctx, "email:"+b.lineID, p.Name, p.ContentType, bytes.NewReader(p.Data))
		if err != nil {
			if errors.Is(err, inbox.ErrInvalid) || strings.Contains(err.Error(), "too large") {
				notes = append(notes, fmt.Sprintf("%s could not be stored: %v", p.Name, err))
				continue
			}
			return in, err
		}
		at.ContentID, at.Inline = p.ContentID, p.Inline
		in.Attachments = append(in.Attachments, at)
	}
	text := m.Shown
	if strings.TrimSpace(text) == "" {
		text = m.Text
	}
	if strings.TrimSpace(text) == "" && len(in.Attachments) == 0 {
		text = m.Subject
	}
	if strings.TrimSpace(text) == "" && len(in.Attachments) == 0 {
		text = "(empty mail)"
	}
	if r := []rune(text); len(r) > b.c.cfg.MaxTextChars {
		text = string(r[:b.c.cfg.MaxTextChars-1]) + "…"
		notes = append(notes, "The mail's text was cut; the whole mail is one click away.")
	}
	addrs := func(l []mailparse.Address) []inbox.MailAddress {
		out := make([]inbox.MailAddress, len(l))
		for i, a := range l {
			out[i] = inbox.MailAddress{Name: a.Name, Email: a.Email}
		}
		return out
	}
	in.Text = text
	in.Meta = inbox.MailMeta{Subject: m.Subject, From: in.From, To: addrs(m.To), Cc: addrs(m.Cc), FullText: m.Text,
		HTML: m.HTML, HasHTML: m.HTML != "", HasRemoteImages: m.HasRemoteImages, Notes: notes}
	return in, nil
}

// tokenOfAddress is the token of a reply+TOKEN@ address of the mailbox
// (local part of ours, "+", the token); "" for any other address.
func tokenOfAddress(addr, ours string) string {
	local, domain, ok := strings.Cut(strings.ToLower(addr), "@")
	ourLocal, ourDomain, ok2 := strings.Cut(strings.ToLower(ours), "@")
	if !ok || !ok2 || domain != ourDomain {
		return ""
	}
	tok, ok := strings.CutPrefix(local, ourLocal+"+")
	if !ok || len(tok) != 16 {
		return ""
	}
	return tok
}

// replyAddress is the mailbox's address with a conversation's token.
func replyAddress(ours, token string) string {
	local, domain, ok := strings.Cut(ours, "@")
	if !ok {
		return ours
	}
	return local + "+" + token + "@" + domain
}
