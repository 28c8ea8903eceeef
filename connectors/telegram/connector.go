package telegram

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/inbox/files"
	"github.com/switchboard-chat/switchboard/inbox/lease"
)

// Inbox is what the connector asks of the inbox (inbox.Service).
type Inbox interface {
	Lines(ctx context.Context) ([]inbox.Line, error)
	ChannelReceive(ctx context.Context, in inbox.ChannelMessage) (*inbox.Message, bool, error)
	ChannelEdit(ctx context.Context, lineID string, ch inbox.Channel, from inbox.ChannelContact, clientID, text string, at time.Time) (*inbox.Message, error)
	PendingDeliveries(ctx context.Context, lineID string, ch inbox.Channel) ([]inbox.DeliveryJob, error)
	ClaimDelivery(ctx context.Context, j *inbox.DeliveryJob, holder string, until time.Time) error
	DeliveryItem(ctx context.Context, j *inbox.DeliveryJob) (*inbox.Message, *inbox.Conversation, *inbox.Contact, error)
	DropDelivery(ctx context.Context, j *inbox.DeliveryJob) error
	DeliveryProgress(ctx context.Context, j *inbox.DeliveryJob) error
	DeliverySent(ctx context.Context, j *inbox.DeliveryJob) error
	DeliveryRetry(ctx context.Context, j *inbox.DeliveryJob, reason string, next time.Time) error
	DeliveryFailed(ctx context.Context, j *inbox.DeliveryJob, reason string, unreachable bool) error
	Now() time.Time
}

// Store keeps the updates between their arrival and their message, and
// the leases (inbox.Store).
type Store interface {
	lease.Store
	KeepChannelUpdate(ctx context.Context, u *inbox.ChannelUpdate) (bool, error)
	ChannelUpdates(ctx context.Context, lineID string, limit int) ([]inbox.ChannelUpdate, error)
	SaveChannelUpdate(ctx context.Context, u *inbox.ChannelUpdate) error
	DoneChannelUpdate(ctx context.Context, id string) error
}

// Files stores what customers send and reads what agents attach
// (files.Store).
type Files interface {
	Put(ctx context.Context, owner, name, contentType string, r io.Reader) (inbox.Attachment, error)
	Open(ctx context.Context, id string) (io.ReadCloser, *files.Meta, error)
}

// Counters count what the connector does, per line (the gateway's
// /metrics); nil fields count nothing.
type Counters struct {
	Updates, Duplicates, Sent, Retries, FloodWaits, Failures func(line string)
	// LeaseHeld is told when this node takes (true) or loses a bot's lease.
	LeaseHeld func(lease string, held bool)
}

func count(f func(string), line string) {
	if f != nil {
		f(line)
	}
}

// Config tunes the connector; every field is a named setting.
type Config struct {
	// APIURL is the Bot API's base URL, for methods and file downloads.
	APIURL string
	// PollTimeout is getUpdates' long-poll timeout.
	PollTimeout time.Duration
	// MaxFileBytes caps a file fetched from Telegram (also capped at the
	// Bot API's own 20 MB).
	MaxFileBytes int64
	// LeaseTTL: a dead node's bot is taken over within it.
	LeaseTTL time.Duration
	// Node names this process among the gateways (the lease holder).
	Node string
	// MaxUpdateBytes caps a webhook request's body.
	MaxUpdateBytes int
}

// Connector runs every line's bot.
type Connector struct {
	cfg    Config
	inbox  Inbox
	store  Store
	files  Files
	count  Counters
	log    *slog.Logger
	hc     *http.Client
	wake   *Waker
	wakeUp chan struct{}
}

// New builds the connector; wake is the one the inbox tells of queued
// replies (inbox.Options.OnDelivery).
func New(cfg Config, in Inbox, st Store, fs Files, wake *Waker, c Counters, log *slog.Logger) *Connector {
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	cfg.APIURL = strings.TrimRight(cfg.APIURL, "/")
	if cfg.PollTimeout <= 0 {
		cfg.PollTimeout = 25 * time.Second
	}
	if cfg.MaxFileBytes <= 0 || cfg.MaxFileBytes > MaxDownloadBytes {
		cfg.MaxFileBytes = MaxDownloadBytes
	}
	if cfg.MaxUpdateBytes <= 0 {
		cfg.MaxUpdateBytes = 1 << 20
	}
	if log == nil {
		log = slog.Default()
	}
	return &Connector{cfg: cfg, inbox: in, store: st, files: fs, count: c, log: log, hc: httpClient(cfg.PollTimeout), wake: wake, wakeUp: make(chan struct{}, 1)}
}

// Waker tells a line's workers that there is work: a reply queued, an
// update kept.
type Waker struct {
	mu    sync.Mutex
	lines map[string]chan struct{}
}

// NewWaker builds an empty waker.
func NewWaker() *Waker { return &Waker{lines: map[string]chan struct{}{}} }

// Wake tells lineID's sender that a reply is queued
// (inbox.Options.OnDelivery).
func (w *Waker) Wake(lineID string, ch inbox.Channel) {
	if ch == inbox.ChannelTelegram {
		w.poke("send:" + lineID)
	}
}

func (w *Waker) poke(key string) {
	select {
	case w.chanOf(key) <- struct{}{}:
	default:
	}
}

func (w *Waker) chanOf(key string) chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	c, ok := w.lines[key]
	if !ok {
		c = make(chan struct{}, 1)
		w.lines[key] = c
	}
	return c
}

// botConf is what a line's workers run with; a change restarts them.
type botConf struct {
	lineID      string
	token       string
	mode        string
	allowGroups bool
}

func confOf(l *inbox.Line) (botConf, bool) {
	t := l.Channels.Telegram
	if !t.Enabled || t.BotToken == "" || t.Bot.ID == 0 {
		return botConf{}, false
	}
	return botConf{lineID: l.ID, token: t.BotToken, mode: t.Mode, allowGroups: t.AllowGroups}, true
}

// Run keeps one worker per connected bot — each under the line's lease,
// so one node in a cluster runs it — until ctx ends; it looks at the
// lines every few seconds and when told they changed.
func (c *Connector) Run(ctx context.Context) error {
	type running struct {
		conf botConf
		stop context.CancelFunc
		done chan struct{}
	}
	workers := map[string]*running{}
	stopAll := func() {
		for _, r := range workers {
			r.stop()
			<-r.done
		}
	}
	defer stopAll()
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		lines, err := c.inbox.Lines(ctx)
		if err != nil && ctx.Err() == nil {
			c.log.Error("telegram: list lines", "err", err)
		}
		want := map[string]botConf{}
		for i := range lines {
			if conf, ok := confOf(&lines[i]); ok {
				want[conf.lineID] = conf
			}
		}
		for id, r := range workers {
			if conf, ok := want[id]; !ok || conf != r.conf {
				r.stop()
				<-r.done
				delete(workers, id)
			}
		}
		if err == nil {
			for id, conf := range want {
				if _, ok := workers[id]; ok {
					continue
				}
				wctx, stop := context.WithCancel(ctx)
				r := &running{conf: conf, stop: stop, done: make(chan struct{})}
				workers[id] = r
				go func() {
					defer close(r.done)
					name := "telegram:" + conf.lineID
					held := func(h bool) {
						if c.count.LeaseHeld != nil {
							c.count.LeaseHeld(name, h)
						}
					}
					_ = lease.Run(wctx, c.store, name, c.cfg.Node, lease.Options{TTL: c.cfg.LeaseTTL, Log: c.log, OnHeld: held},
						func(ctx context.Context) error { return c.newBot(conf).run(ctx) })
				}()
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-c.wakeUp:
		}
	}
}

// LinesChanged makes Run look at the lines now.
func (c *Connector) LinesChanged() {
	select {
	case c.wakeUp <- struct{}{}:
	default:
	}
}
