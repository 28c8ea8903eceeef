package telegram

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/gofiber/fiber/v2"
	"github.com/switchboard-chat/switchboard/connectors/linework"
	"github.com/switchboard-chat/switchboard/inbox"
	"golang.org/x/sync/errgroup"
)

// Updates travel: webhook or getUpdates → kept in the store under their
// update_id (the webhook answers, the poller confirms the offset, only
// after that write) → the line's worker turns each into an inbox message
// and forgets it. A kept update is processed however often it arrived; a
// message stored twice is answered from the first (its ClientID).

// maxFetchAttempts: after this many failed tries at a file the message is
// stored without it, with a note naming it.
const maxFetchAttempts = 3

// bot is one line's worker.
type bot struct {
	c      *Connector
	lineID string
	conf   botConf
	api    client
	// pausedUntil is when Telegram's flood limit (429 retry_after) ends:
	// nothing is sent to the bot before (the sender's own).
	pausedUntil time.Time
}

func (c *Connector) newBot(lineID string, conf botConf) *bot {
	return &bot{c: c, lineID: lineID, conf: conf, api: client{token: conf.token, base: c.cfg.APIURL, hc: c.hc}}
}

// run processes updates and sends replies, and polls in polling mode,
// until ctx ends (the lease is lost or the gateway stops).
func (b *bot) run(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return b.processLoop(gctx) })
	g.Go(func() error { return b.sendLoop(gctx) })
	if b.conf.mode == "polling" {
		g.Go(func() error { return b.pollLoop(gctx) })
	}
	return g.Wait()
}

// wait pauses for d or until the line's key is poked; false when ctx ended.
func (b *bot) wait(ctx context.Context, key string, d time.Duration) bool {
	return b.c.wake.w.Wait(ctx, key+b.lineID, d)
}

func backoff(attempt int) time.Duration { return linework.Backoff(attempt, 2*time.Minute) }

// keep stores an update once; the caller acknowledges it to Telegram after.
func (c *Connector) keep(ctx context.Context, lineID string, raw []byte) (inbox.ChannelUpdate, bool, error) {
	u, err := decodeUpdate(raw)
	if err != nil {
		return inbox.ChannelUpdate{}, false, err
	}
	cu := inbox.ChannelUpdate{ID: lineID + ":" + strconv.Itoa(u.UpdateID), LineID: lineID, Seq: int64(u.UpdateID), Raw: bytes.Clone(raw)}
	kept, err := c.store.KeepChannelUpdate(ctx, &cu)
	if err != nil {
		return cu, false, err
	}
	linework.Count(c.count.Updates, lineID)
	if !kept {
		linework.Count(c.count.Duplicates, lineID)
	}
	c.wake.w.Poke("in:" + lineID)
	return cu, kept, nil
}

// Mount serves the webhooks.
func (c *Connector) Mount(r fiber.Router) {
	r.Post(WebhookPath+":key", c.webhook)
}

// webhook takes one update for the line whose webhook key the path names:
// without the line's secret token it is refused (401 missing, 403 wrong)
// and nothing is stored; with it, the update is stored and then answered.
func (c *Connector) webhook(ctx *fiber.Ctx) error {
	key := ctx.Params("key")
	lines, err := c.inbox.Lines(ctx.UserContext())
	if err != nil {
		return err
	}
	var line *inbox.Line
	for i := range lines {
		t := lines[i].Channels.Telegram
		if t.Enabled && t.Mode == "webhook" && t.Bot.WebhookKey != "" && subtle.ConstantTimeCompare([]byte(key), []byte(t.Bot.WebhookKey)) == 1 {
			line = &lines[i]
		}
	}
	if line == nil {
		return fiber.NewError(fiber.StatusNotFound, "no such webhook")
	}
	secret := ctx.Get("X-Telegram-Bot-Api-Secret-Token")
	if secret == "" {
		return fiber.NewError(fiber.StatusUnauthorized, "X-Telegram-Bot-Api-Secret-Token is required")
	}
	if subtle.ConstantTimeCompare([]byte(secret), []byte(line.Channels.Telegram.Bot.WebhookSecret)) != 1 {
		return fiber.NewError(fiber.StatusForbidden, "X-Telegram-Bot-Api-Secret-Token does not match")
	}
	if len(ctx.Body()) > c.cfg.MaxUpdateBytes {
		return fiber.NewError(fiber.StatusRequestEntityTooLarge, fmt.Sprintf("body: an update is at most %d bytes", c.cfg.MaxUpdateBytes))
	}
	if _, _, err := c.keep(ctx.UserContext(), line.ID, ctx.Body()); err != nil {
		if errors.Is(err, errBadUpdate) {
			return fiber.NewError(fiber.StatusBadRequest, err.Error())
		}
		return err
	}
	return ctx.SendStatus(fiber.StatusOK)
}

// processParallel is how many chats' updates are turned into messages at
// once; each chat's go one after the other.
const processParallel = 8

// processLoop turns kept updates into messages, each chat's in update
// order, several chats at once; an update that fails is tried again after
// a pause, and its chat's later updates wait for it.
func (b *bot) processLoop(ctx context.Context) error {
	attempt := 0
	for {
		ok := true
		ups, err := b.c.store.ChannelUpdates(ctx, b.lineID, 500)
		if err != nil {
			ok = false
			if ctx.Err() == nil {
				b.c.log.Error("telegram: list kept updates", "line", b.lineID, "err", err)
			}
		}
		if !b.processBatch(ctx, ups) {
			ok = false
		}
		if ctx.Err() != nil {
			return nil
		}
		d := time.Second
		switch {
		case !ok:
			attempt++
			d = backoff(attempt)
		case len(ups) > 0:
			attempt, d = 0, 0 // more may be kept already
		default:
			attempt = 0
		}
		if !b.wait(ctx, "in:", d) {
			return nil
		}
	}
}

// processBatch processes kept updates grouped by chat; false when one
// failed.
func (b *bot) processBatch(ctx context.Context, ups []inbox.ChannelUpdate) bool {
	var order []int64
	chats := map[int64][]*inbox.ChannelUpdate{}
	for i := range ups {
		chat := chatOf(ups[i].Raw)
		if _, seen := chats[chat]; !seen {
			order = append(order, chat)
		}
		chats[chat] = append(chats[chat], &ups[i])
	}
	var failed atomic.Bool
	sem := make(chan struct{}, processParallel)
	var wg sync.WaitGroup
	for _, chat := range order {
		sem <- struct{}{}
		wg.Add(1)
		go func(list []*inbox.ChannelUpdate) {
			defer func() { <-sem; wg.Done() }()
			for _, u := range list {
				if err := b.handle(ctx, u); err != nil {
					if ctx.Err() != nil {
						return
					}
					failed.Store(true)
					u.Attempts++
					b.c.log.Warn("telegram: update not stored yet; trying again", "line", b.lineID, "update", u.Seq, "attempt", u.Attempts, "err", err)
					if err := b.c.store.SaveChannelUpdate(ctx, u); err != nil && ctx.Err() == nil {
						b.c.log.Error("telegram: save update", "err", err)
					}
					return // the chat's later updates wait for this one
				}
				if err := b.c.store.DoneChannelUpdate(ctx, u.ID); err != nil {
					failed.Store(true)
					return
				}
			}
		}(chats[chat])
	}
	wg.Wait()
	return !failed.Load()
}

// chatOf is the chat an update belongs to (0 when it has none).
func chatOf(raw []byte) int64 {
	var u struct {
		M  *struct{ Chat struct{ ID int64 } } `json:"message"`
		E  *struct{ Chat struct{ ID int64 } } `json:"edited_message"`
		C  *struct{ Chat struct{ ID int64 } } `json:"channel_post"`
		EC *struct{ Chat struct{ ID int64 } } `json:"edited_channel_post"`
	}
	if json.Unmarshal(raw, &u) != nil {
		return 0
	}
	for _, m := range []*struct{ Chat struct{ ID int64 } }{u.M, u.E, u.C, u.EC} {
		if m != nil {
			return m.Chat.ID
		}
	}
	return 0
}

// handle stores one kept update's message (or edit); a bad or foreign
// update is logged and dropped.
func (b *bot) handle(ctx context.Context, u *inbox.ChannelUpdate) error {
	up, err := decodeUpdate(u.Raw)
	if err != nil {
		b.c.log.Warn("telegram: dropped an update that does not parse", "line", b.lineID, "err", err)
		return nil
	}
	in := translate(up, b.conf.allowGroups)
	if in.Kind == inIgnore {
		b.c.log.Debug("telegram: update ignored", "line", b.lineID, "update", in.UpdateID, "why", in.Why)
		return nil
	}
	from := inbox.ChannelContact{TelegramUserID: in.ChatID, Username: in.FromUsername, Name: in.FromName, Phone: in.Phone}
	author := ""
	if in.Group {
		from = inbox.ChannelContact{TelegramUserID: in.ChatID, Name: in.ChatTitle}
		author = in.FromName
	}
	clientID := fmt.Sprintf("tg:%d:%d", in.ChatID, in.MessageID)
	if in.AlbumID != "" {
		clientID = fmt.Sprintf("tg-album:%d:%s", in.ChatID, in.AlbumID)
	}
	if in.Kind == inEdit {
		_, err := b.c.inbox.ChannelEdit(ctx, b.lineID, inbox.ChannelTelegram, from, clientID, in.Text, b.c.inbox.Now())
		if errors.Is(err, inbox.ErrNotFound) || errors.Is(err, inbox.ErrInvalid) {
			b.c.log.Info("telegram: edit of a message the inbox does not have; ignored", "line", b.lineID, "update", in.UpdateID, "err", err)
			return nil
		}
		return err
	}
	atts, notes, err := b.fetch(ctx, in.Files, u.Attempts)
	if err != nil {
		return err
	}
	text := in.Text
	for _, n := range notes {
		text = join(text, n)
	}
	m := inbox.ChannelMessage{
		LineID: b.lineID, Channel: inbox.ChannelTelegram, From: from, AuthorName: author, ClientID: clientID,
		Text: text, Attachments: atts, StartParam: in.StartParam,
		Refs: inbox.ChannelRefs{TelegramChatID: in.ChatID, TelegramMessageID: in.MessageID, TelegramUpdateID: in.UpdateID},
	}
	if in.ReplyTo != 0 {
		m.ReplyTo = fmt.Sprintf("tg:%d:%d", in.ChatID, in.ReplyTo)
	}
	if in.AlbumID != "" {
		m.AlbumPart, m.Refs.TelegramParts = in.MessageID, []int{in.MessageID}
	}
	_, dup, err := b.c.inbox.ChannelReceive(ctx, m)
	switch {
	case errors.Is(err, inbox.ErrBlocked):
		b.c.log.Info("telegram: message of a blocked contact; nothing opened", "line", b.lineID, "chat", in.ChatID)
		return nil
	case errors.Is(err, inbox.ErrInvalid):
		b.c.log.Warn("telegram: message refused by the inbox; dropped", "line", b.lineID, "update", in.UpdateID, "err", err)
		return nil
	case err != nil:
		return err
	case dup:
		linework.Count(b.c.count.Duplicates, b.lineID)
	}
	return nil
}

// fetch downloads a message's files into the file store. A file too big
// for the Bot API (or for the limit), or one that failed too often, gives
// a note naming it instead; other failures are errors (tried again).
func (b *bot) fetch(ctx context.Context, refs []fileRef, attempts int) ([]inbox.Attachment, []string, error) {
	var atts []inbox.Attachment
	var notes []string
	for _, f := range refs {
		if f.Size > b.c.cfg.MaxFileBytes {
			notes = append(notes, fmt.Sprintf("⚠ %s (%s) could not be fetched: larger than %s", f.Name, size(f.Size), size(b.c.cfg.MaxFileBytes)))
			continue
		}
		data, err := b.api.download(ctx, f.ID, b.c.cfg.MaxFileBytes)
		if errors.Is(err, errTooBig) {
			notes = append(notes, fmt.Sprintf("⚠ %s could not be fetched: larger than %s", f.Name, size(b.c.cfg.MaxFileBytes)))
			continue
		}
		if err != nil {
			if attempts+1 >= maxFetchAttempts {
				notes = append(notes, fmt.Sprintf("⚠ %s could not be fetched: %v", f.Name, err))
				continue
			}
			return nil, nil, err
		}
		at, err := b.c.files.Put(ctx, "telegram:"+b.lineID, f.Name, f.ContentType, bytes.NewReader(data))
		if err != nil {
			if errors.Is(err, inbox.ErrInvalid) || strings.Contains(err.Error(), "too large") {
				notes = append(notes, fmt.Sprintf("⚠ %s could not be stored: %v", f.Name, err))
				continue
			}
			return nil, nil, err
		}
		atts = append(atts, at)
	}
	return atts, notes, nil
}

func size(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d KB", (n+1023)/1024)
}

// pollLoop drives getUpdates (the library's GetUpdatesChan sleeps a fixed
// 3 s on any error and ignores retry_after): each batch is kept before
// the next call's offset confirms it to Telegram.
func (b *bot) pollLoop(ctx context.Context) error {
	offset, attempt := 0, 0
	allowed, _ := json.Marshal(allowedUpdates)
	for ctx.Err() == nil {
		var raws []json.RawMessage
		err := b.api.call(ctx, "getUpdates", tgbotapi.Params{
			"offset": strconv.Itoa(offset), "timeout": strconv.Itoa(int(b.c.cfg.PollTimeout / time.Second)),
			"allowed_updates": string(allowed),
		}, &raws)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			attempt++
			d := backoff(attempt)
			var ae *APIError
			switch {
			case errors.As(err, &ae) && ae.RetryAfter > 0:
				d = time.Duration(ae.RetryAfter) * time.Second
			case errors.As(err, &ae) && ae.Code == 409 && strings.Contains(ae.Description, "webhook"):
				// A webhook left over (set by another program): polling mode
				// removes it.
				b.c.log.Warn("telegram: a webhook is set while polling; deleting it", "line", b.lineID)
				if derr := b.api.call(ctx, "deleteWebhook", tgbotapi.Params{"drop_pending_updates": "false"}, nil); derr == nil {
					d = 0
				}
			}
			b.c.log.Warn("telegram: getUpdates failed", "line", b.lineID, "err", err, "next", d)
			if !linework.Sleep(ctx, d) {
				return nil
			}
			continue
		}
		attempt = 0
		for _, raw := range raws {
			cu, _, err := b.c.keep(ctx, b.lineID, raw)
			if errors.Is(err, errBadUpdate) {
				var id struct {
					UpdateID int `json:"update_id"`
				}
				_ = json.Unmarshal(raw, &id)
				b.c.log.Warn("telegram: dropped an update that does not parse", "line", b.lineID, "update", id.UpdateID, "err", err)
				offset = max(offset, id.UpdateID+1)
				continue
			}
			if err != nil {
				b.c.log.Error("telegram: keep update", "line", b.lineID, "err", err)
				break // not confirmed: Telegram gives it again
			}
			offset = max(offset, int(cu.Seq)+1)
		}
	}
	return nil
}
