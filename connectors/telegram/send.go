package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf16"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/switchboard-chat/switchboard/connectors/linework"
	"github.com/switchboard-chat/switchboard/inbox"
)

// Replies go out from the inbox's delivery queue: per chat strictly in
// order (only a conversation's oldest reply is tried), per bot never while
// a flood limit (429 retry_after) runs, part by part with each part's
// progress stored, so a retry or a restart goes on where it stopped.

// Bot API limits on what one message carries.
const (
	MaxTextUnits    = 4096 // sendMessage text, UTF-16 code units
	MaxCaptionUnits = 1024 // a media caption
	maxAlbum        = 10   // items of sendMediaGroup
	// MaxSendAttempts: a reply that failed this often for temporary
	// reasons (network, 5xx) is marked failed; agents may retry it.
	MaxSendAttempts = 10
)

// part is one Bot API call of a reply.
type part struct {
	kind  string // "text", "photo", "document", "album"
	text  string // the text, or the caption of the first file
	files []inbox.Attachment
}

// photoTypes are the images Telegram shows as photos.
var photoTypes = map[string]bool{"image/jpeg": true, "image/png": true, "image/webp": true}

// plan splits a reply into the calls that send it: the text (split at
// Telegram's limit, unless it fits as the caption of the first file), the
// images as a photo or albums of up to ten, the other files as documents.
func plan(m *inbox.Message) []part {
	var photos, docs []inbox.Attachment
	for _, a := range m.Attachments {
		if photoTypes[a.ContentType] {
			photos = append(photos, a)
		} else {
			docs = append(docs, a)
		}
	}
	text := strings.TrimSpace(m.Text)
	caption := ""
	var parts []part
	if text != "" {
		if len(m.Attachments) > 0 && units(text) <= MaxCaptionUnits {
			caption = text
		} else {
			for _, t := range splitText(text, MaxTextUnits) {
				parts = append(parts, part{kind: "text", text: t})
			}
		}
	}
	for i := 0; i < len(photos); i += maxAlbum {
		chunk := photos[i:min(i+maxAlbum, len(photos))]
		p := part{kind: "album", files: chunk, text: caption}
		if len(chunk) == 1 {
			p.kind = "photo"
		}
		parts, caption = append(parts, p), ""
	}
	for _, d := range docs {
		parts, caption = append(parts, part{kind: "document", files: []inbox.Attachment{d}, text: caption}), ""
	}
	return parts
}

func units(s string) int { return len(utf16.Encode([]rune(s))) }

// splitText cuts s into pieces of at most max UTF-16 units, at a line
// break or a space where there is one in the piece's second half.
func splitText(s string, max int) []string {
	var out []string
	for units(s) > max {
		r := []rune(s)
		n, cut := 0, 0
		for i, c := range r {
			w := 1
			if c > 0xFFFF {
				w = 2
			}
			if n+w > max {
				cut = i
				break
			}
			n += w
		}
		best := cut
		for i := cut - 1; i > cut/2; i-- {
			if r[i] == '\n' || r[i] == ' ' {
				best = i + 1
				break
			}
		}
		out = append(out, strings.TrimRight(string(r[:best]), " \n"))
		s = strings.TrimLeft(string(r[best:]), " \n")
	}
	if s != "" {
		out = append(out, s)
	}
	return out
}

// sendLoop sends what is queued until ctx ends; while Telegram's flood
// limit runs nothing is sent to the bot.
func (b *bot) sendLoop(ctx context.Context) error {
	claim := b.c.cfg.LeaseTTL
	if claim <= 0 {
		claim = 15 * time.Second
	}
	s := linework.Sender{Queue: b.c.inbox, LineID: b.lineID, Channel: inbox.ChannelTelegram, Node: b.c.cfg.Node, Claim: claim, Log: b.c.log, Send: b.deliver}
	for {
		d := time.Until(b.pausedUntil)
		if d <= 0 {
			var paused bool
			if d, paused = s.Pass(ctx); paused {
				d = time.Until(b.pausedUntil)
			}
		}
		if !b.wait(ctx, "send:", max(d, 0)) {
			return nil
		}
	}
}

// deliver sends one claimed reply.
func (b *bot) deliver(ctx context.Context, j *inbox.DeliveryJob) linework.Outcome {
	line := b.lineID
	m, _, ct, err := b.c.inbox.DeliveryItem(ctx, j)
	switch {
	case errors.Is(err, inbox.ErrNotFound):
		b.c.log.Warn("telegram: dropped a queued reply whose message is gone", "line", line, "message", j.ID)
		_ = b.c.inbox.DropDelivery(ctx, j)
		return linework.Done
	case err != nil:
		return linework.Later // not stored yet, or the store failed: the claim expires and it is tried again
	}
	if ct.TelegramUserID == 0 {
		b.fail(ctx, j, "the contact has no Telegram chat", false)
		return linework.Done
	}
	parts := plan(m)
	for i := j.PartsDone; i < len(parts); i++ {
		ids, err := b.sendPart(ctx, ct.TelegramUserID, parts[i])
		if err != nil {
			return b.failed(ctx, j, err)
		}
		j.Sent = append(j.Sent, ids...)
		j.PartsDone = i + 1
		if j.PartsDone < len(parts) {
			if err := b.c.inbox.DeliveryProgress(ctx, j); err != nil {
				b.c.log.Error("telegram: record progress", "line", line, "message", j.ID, "err", err)
				return linework.Later
			}
		}
	}
	linework.Count(b.c.count.Sent, line) // Telegram has it, whatever the marking below does
	if err := b.c.inbox.DeliverySent(ctx, j); err != nil {
		b.c.log.Error("telegram: mark reply sent", "line", line, "message", j.ID, "err", err)
		return linework.Later
	}
	return linework.Done
}

// failed handles a refused or failed call: a flood limit pauses the bot
// (the reply stays queued, nothing counted against it), a refusal fails
// the reply with Telegram's reason, anything else is tried again later.
func (b *bot) failed(ctx context.Context, j *inbox.DeliveryJob, err error) linework.Outcome {
	if ctx.Err() != nil {
		return linework.Later
	}
	line := b.lineID
	var ae *APIError
	isAPI := errors.As(err, &ae)
	switch {
	case isAPI && ae.Code == 429:
		wait := time.Duration(max(ae.RetryAfter, 1)) * time.Second
		b.pausedUntil = time.Now().Add(wait)
		linework.Count(b.c.count.FloodWaits, line)
		b.c.log.Warn("telegram: flood limit; pausing the bot", "line", line, "retry_after", ae.RetryAfter)
		j.ClaimedBy, j.ClaimUntil = "", time.Time{}
		if err := b.c.inbox.DeliveryProgress(ctx, j); err != nil {
			b.c.log.Error("telegram: release reply", "line", line, "message", j.ID, "err", err)
		}
		return linework.Paused
	case isAPI && !ae.Temporary():
		unreachable := ae.Code == 403
		b.fail(ctx, j, ae.Description, unreachable)
		return linework.Done
	}
	reason := err.Error()
	if isAPI {
		reason = ae.Description
	}
	if j.Attempts+1 >= MaxSendAttempts {
		b.fail(ctx, j, reason, false)
		return linework.Done
	}
	linework.Count(b.c.count.Retries, line)
	next := time.Now().Add(backoff(j.Attempts + 1))
	b.c.log.Warn("telegram: reply not sent; trying again", "line", line, "message", j.ID, "attempt", j.Attempts+1, "next", next, "err", err)
	if err := b.c.inbox.DeliveryRetry(ctx, j, reason, next); err != nil {
		b.c.log.Error("telegram: record retry", "line", line, "message", j.ID, "err", err)
	}
	return linework.Later
}

func (b *bot) fail(ctx context.Context, j *inbox.DeliveryJob, reason string, unreachable bool) {
	linework.Count(b.c.count.Failures, b.lineID)
	b.c.log.Warn("telegram: reply failed", "line", b.lineID, "message", j.ID, "reason", reason)
	if err := b.c.inbox.DeliveryFailed(ctx, j, reason, unreachable); err != nil {
		b.c.log.Error("telegram: record failure", "line", b.lineID, "message", j.ID, "err", err)
	}
}

// sendPart makes one call and returns the ids of the messages it made.
func (b *bot) sendPart(ctx context.Context, chatID int64, p part) ([]int, error) {
	var readers []io.Closer
	defer func() {
		for _, r := range readers {
			_ = r.Close()
		}
	}()
	file := func(a inbox.Attachment) (tgbotapi.RequestFileData, error) {
		rc, _, err := b.c.files.Open(ctx, a.FileID)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", a.Name, err)
		}
		readers = append(readers, rc)
		return tgbotapi.FileReader{Name: a.Name, Reader: rc}, nil
	}
	var cfg tgbotapi.Chattable
	switch p.kind {
	case "text":
		cfg = tgbotapi.NewMessage(chatID, p.text)
	case "photo", "document":
		f, err := file(p.files[0])
		if err != nil {
			return nil, err
		}
		if p.kind == "photo" {
			c := tgbotapi.NewPhoto(chatID, f)
			c.Caption = p.text
			cfg = c
		} else {
			c := tgbotapi.NewDocument(chatID, f)
			c.Caption = p.text
			cfg = c
		}
	case "album":
		media := make([]any, 0, len(p.files))
		for i, a := range p.files {
			f, err := file(a)
			if err != nil {
				return nil, err
			}
			im := tgbotapi.NewInputMediaPhoto(f)
			if i == 0 {
				im.Caption = p.text
			}
			media = append(media, im)
		}
		var sent []tgbotapi.Message
		if err := b.api.request(ctx, tgbotapi.NewMediaGroup(chatID, media), &sent); err != nil {
			return nil, err
		}
		ids := make([]int, len(sent))
		for i, m := range sent {
			ids[i] = m.MessageID
		}
		return ids, nil
	default:
		return nil, fmt.Errorf("telegram: unknown part %q", p.kind)
	}
	var sent json.RawMessage
	if err := b.api.request(ctx, cfg, &sent); err != nil {
		return nil, err
	}
	var m tgbotapi.Message
	if err := json.Unmarshal(sent, &m); err != nil {
		return nil, fmt.Errorf("telegram: sent message: %w", err)
	}
	return []int{m.MessageID}, nil
}
