package email

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/switchboard-chat/switchboard/connectors/email/mailparse"
	"github.com/switchboard-chat/switchboard/connectors/linework"
	"github.com/switchboard-chat/switchboard/inbox"
	"golang.org/x/sync/errgroup"
)

// Inbound: one worker per mailbox reads its folder over IMAP, from the
// last UID it stored (kept with the folder's UIDVALIDITY: a change reads
// the folder again, and the mails' ids keep what was stored from being
// stored twice), waits for new mail with IDLE (polling where the server
// has none), and flags a mail seen — or moves it — only once its message
// is stored. Errors reconnect after a growing, jittered pause; nothing
// disables the mailbox.

// mailbox is one line's worker.
type mailbox struct {
	c      *Connector
	lineID string
	conf   inbox.EmailChannel
}

func (c *Connector) newMailbox(lineID string, conf inbox.EmailChannel) *mailbox {
	return &mailbox{c: c, lineID: lineID, conf: conf}
}

// run reads the mailbox and sends its replies until ctx ends.
func (b *mailbox) run(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return b.fetchLoop(gctx) })
	g.Go(func() error { return b.sendLoop(gctx) })
	return g.Wait()
}

func (b *mailbox) fetchLoop(ctx context.Context) error {
	attempt := 0
	for ctx.Err() == nil {
		start := time.Now()
		err := b.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if time.Since(start) > time.Minute {
			attempt = 0
		}
		attempt++
		d := backoff(attempt)
		b.c.log.Warn("email: mailbox connection ended; reconnecting", "line", b.lineID, "err", err, "next", d)
		if !linework.Sleep(ctx, d) {
			return nil
		}
	}
	return nil
}

// cursor is where a folder was read up to.
type cursor struct {
	validity uint32
	last     imap.UID
}

func (b *mailbox) cursorKey() string { return "imap:" + b.lineID + ":" + b.conf.Folder }

func (b *mailbox) loadCursor(ctx context.Context) (cursor, bool, error) {
	v, err := b.c.store.Cursor(ctx, b.cursorKey())
	if err != nil || v == "" {
		return cursor{}, false, err
	}
	a, z, _ := strings.Cut(v, ":")
	validity, err1 := strconv.ParseUint(a, 10, 32)
	last, err2 := strconv.ParseUint(z, 10, 32)
	if err1 != nil || err2 != nil {
		return cursor{}, false, nil
	}
	return cursor{validity: uint32(validity), last: imap.UID(last)}, true, nil
}

func (b *mailbox) saveCursor(ctx context.Context, c cursor) error {
	return b.c.store.SetCursor(ctx, b.cursorKey(), fmt.Sprintf("%d:%d", c.validity, c.last))
}

// session is one connection: it catches up, then waits for new mail,
// until the connection fails or ctx ends.
func (b *mailbox) session(ctx context.Context) error {
	news := make(chan struct{}, 1)
	poke := func() {
		select {
		case news <- struct{}{}:
		default:
		}
	}
	cl, err := dialIMAP(ctx, b.conf.IMAP, b.c.cfg.InsecureTLS, &imapclient.Options{UnilateralDataHandler: &imapclient.UnilateralDataHandler{
		Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				poke()
			}
		},
	}})
	if err != nil {
		return err
	}
	defer cl.Close()
	stop := context.AfterFunc(ctx, func() { _ = cl.Close() })
	defer stop()
	sel, err := cl.Select(b.conf.Folder, nil).Wait()
	if err != nil {
		return fmt.Errorf("select %s: %w", b.conf.Folder, err)
	}
	cur, known, err := b.loadCursor(ctx)
	if err != nil {
		return err
	}
	first := false
	switch {
	case !known:
		// A new mailbox: its unread mail, and what comes from now on.
		first = true
		cur = cursor{validity: sel.UIDValidity}
	case cur.validity != sel.UIDValidity:
		b.c.log.Warn("email: the folder's UIDVALIDITY changed; reading it again (stored mail is recognised)", "line", b.lineID,
			"folder", b.conf.Folder, "was", cur.validity, "now", sel.UIDValidity)
		cur = cursor{validity: sel.UIDValidity}
	}
	idle := cl.Caps().Has(imap.CapIdle)
	for {
		if err := b.catchUp(ctx, cl, &cur, first); err != nil {
			return err
		}
		first = false
		if !idle {
			if !linework.Sleep(ctx, b.c.cfg.PollEvery) {
				return nil
			}
			if err := cl.Noop().Wait(); err != nil {
				return err
			}
			continue
		}
		cmd, err := cl.Idle()
		if err != nil {
			return fmt.Errorf("idle: %w", err)
		}
		t := time.NewTimer(b.c.cfg.IdleFor)
		select {
		case <-ctx.Done():
		case <-news:
		case <-t.C:
		case <-cl.Closed():
		}
		t.Stop()
		if err := cmd.Close(); err != nil {
			return fmt.Errorf("idle: %w", err)
		}
		if err := cmd.Wait(); err != nil {
			return fmt.Errorf("idle: %w", err)
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// catchUp stores every mail after the cursor, in UID order, flagging each
// and moving the cursor once its message is stored. The first time it
// takes the folder's unread mail only.
func (b *mailbox) catchUp(ctx context.Context, cl *imapclient.Client, cur *cursor, first bool) error {
	crit := &imap.SearchCriteria{UID: []imap.UIDSet{{imap.UIDRange{Start: cur.last + 1, Stop: 0}}}}
	if first {
		crit = &imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}
	}
	data, err := cl.UIDSearch(crit, nil).Wait()
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	uids := slices.DeleteFunc(data.AllUIDs(), func(u imap.UID) bool { return u <= cur.last })
	slices.Sort(uids)
	for _, uid := range uids {
		raw, err := b.fetchOne(cl, uid)
		if err != nil {
			return err
		}
		if err := b.take(ctx, raw, uid); err != nil {
			return err // not flagged, the cursor stays: read again next time
		}
		if err := b.flag(cl, uid); err != nil {
			return err
		}
		cur.last = uid
		if err := b.saveCursor(ctx, *cur); err != nil {
			return err
		}
	}
	if first && len(uids) == 0 {
		// Nothing unread: start after the folder's newest mail.
		all, err := cl.UIDSearch(&imap.SearchCriteria{}, nil).Wait()
		if err != nil {
			return fmt.Errorf("search: %w", err)
		}
		if u := all.AllUIDs(); len(u) > 0 {
			cur.last = slices.Max(u)
		}
		return b.saveCursor(ctx, *cur)
	}
	return nil
}

// fetchOne reads a mail, at most the parser's byte limit of it.
func (b *mailbox) fetchOne(cl *imapclient.Client, uid imap.UID) ([]byte, error) {
	sec := &imap.FetchItemBodySection{Peek: true}
	if max := b.c.cfg.Parse.MaxBytes; max > 0 {
		sec.Partial = &imap.SectionPartial{Offset: 0, Size: max}
	}
	msgs, err := cl.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{sec}}).Collect()
	if err != nil {
		return nil, fmt.Errorf("fetch %d: %w", uid, err)
	}
	if len(msgs) == 0 || len(msgs[0].BodySection) == 0 {
		return nil, nil // expunged meanwhile
	}
	return msgs[0].BodySection[0].Bytes, nil
}

// flag marks a stored mail seen, or moves it where the mailbox says.
func (b *mailbox) flag(cl *imapclient.Client, uid imap.UID) error {
	set := imap.UIDSetNum(uid)
	if b.conf.AfterStore == "move" {
		if _, err := cl.Move(set, b.conf.MoveTo).Wait(); err != nil {
			return fmt.Errorf("move %d to %s: %w", uid, b.conf.MoveTo, err)
		}
		return nil
	}
	if err := cl.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
		return fmt.Errorf("flag %d seen: %w", uid, err)
	}
	return nil
}

// take stores one mail's message. A mail that cannot be read is logged
// and skipped; automatic mail and bounces never show as the customer's.
func (b *mailbox) take(ctx context.Context, raw []byte, uid imap.UID) error {
	if raw == nil {
		return nil
	}
	m, err := mailparse.Parse(bytes.NewReader(raw), b.c.cfg.Parse)
	if err != nil {
		b.c.log.Warn("email: skipped a mail that cannot be read", "line", b.lineID, "uid", uid, "err", err)
		return nil
	}
	linework.Count(b.c.count.Fetched, b.lineID)
	if m.Bounce != nil && !m.Bounce.Permanent {
		b.c.log.Info("email: a delivery delay notice; the reply stays sent", "line", b.lineID, "uid", uid, "original", m.Bounce.OriginalMessageID)
		return nil
	}
	if m.Bounce != nil {
		linework.Count(b.c.count.Bounces, b.lineID)
		id := inbox.MessageOfMailID(m.Bounce.OriginalMessageID)
		reason := strings.TrimSpace(m.Bounce.Status + " " + m.Bounce.Reason)
		if ok, err := b.c.inbox.MailBounced(ctx, id, reason); err != nil {
			return err
		} else if !ok {
			b.c.log.Info("email: a bounce of no reply of ours", "line", b.lineID, "uid", uid, "original", m.Bounce.OriginalMessageID)
		}
		return nil
	}
	if m.IsAutomatic() {
		linework.Count(b.c.count.Loops, b.lineID)
		b.c.log.Info("email: automatic mail not shown as the customer's", "line", b.lineID, "uid", uid, "why", m.Auto, "from", m.From.Email)
		return nil
	}
	if strings.EqualFold(m.From.Email, b.conf.Address) {
		return nil // our own mail, copied into the folder
	}
	in, err := b.message(ctx, m)
	if err != nil {
		return err
	}
	_, dup, err := b.c.inbox.MailReceive(ctx, in)
	switch {
	case errors.Is(err, inbox.ErrBlocked):
		b.c.log.Info("email: mail of a blocked sender; nothing opened", "line", b.lineID, "uid", uid)
		return nil
	case errors.Is(err, inbox.ErrInvalid):
		b.c.log.Warn("email: mail refused by the inbox; skipped", "line", b.lineID, "uid", uid, "err", err)
		return nil
	case err != nil:
		return err
	case dup:
		linework.Count(b.c.count.Duplicates, b.lineID)
	}
	return nil
}
