package telegram

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/switchboard-chat/switchboard/connectors/linework"
	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/inbox/lease"
)

// Inbox is what the connector asks of the inbox (inbox.Service).
type Inbox interface {
	Lines(ctx context.Context) ([]inbox.Line, error)
	ChannelReceive(ctx context.Context, in inbox.ChannelMessage) (*inbox.Message, bool, error)
	ChannelEdit(ctx context.Context, lineID string, ch inbox.Channel, from inbox.ChannelContact, clientID, text string, at time.Time) (*inbox.Message, error)
	linework.Deliveries
	// DeliveryProgress records the parts of a reply sent so far.
	DeliveryProgress(ctx context.Context, j *inbox.DeliveryJob) error
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

// Files stores and reads attachments (files.Store).
type Files = linework.Files

// Counters count what the connector does, per line (the gateway's
// /metrics); nil fields count nothing.
type Counters struct {
	Updates, Duplicates, Sent, Retries, FloodWaits, Failures func(line string)
	// LeaseHeld is told when this node takes (true) or loses a bot's lease.
	LeaseHeld func(lease string, held bool)
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
	cfg   Config
	inbox Inbox
	store Store
	files Files
	count Counters
	log   *slog.Logger
	hc    *http.Client
	wake  *Waker
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
	return &Connector{cfg: cfg, inbox: in, store: st, files: fs, count: c, log: log, hc: httpClient(cfg.PollTimeout), wake: wake}
}

// Waker tells a line's workers that there is work: a reply queued, an
// update kept.
type Waker struct{ w *linework.Waker }

// NewWaker builds an empty waker.
func NewWaker() *Waker { return &Waker{w: linework.NewWaker()} }

// Wake tells lineID's sender that a reply is queued
// (inbox.Options.OnDelivery).
func (w *Waker) Wake(lineID string, ch inbox.Channel) {
	if ch == inbox.ChannelTelegram {
		w.w.Poke("send:" + lineID)
	}
}

// botConf is what a line's workers run with; a change restarts them.
type botConf struct {
	token       string
	mode        string
	allowGroups bool
}

func confOf(l *inbox.Line) (botConf, bool) {
	t := l.Channels.Telegram
	if !t.Enabled || t.BotToken == "" || t.Bot.ID == 0 {
		return botConf{}, false
	}
	return botConf{token: t.BotToken, mode: t.Mode, allowGroups: t.AllowGroups}, true
}

// Run keeps one worker per connected bot — each under the line's lease,
// so one node in a cluster runs it — until ctx ends.
func (c *Connector) Run(ctx context.Context) error {
	return linework.Lines[botConf]{
		List: c.inbox.Lines, Conf: confOf, Lease: "telegram:", Store: c.store, Node: c.cfg.Node, TTL: c.cfg.LeaseTTL, Log: c.log,
		OnHeld: c.count.LeaseHeld,
		Work: func(ctx context.Context, lineID string, conf botConf) error {
			return c.newBot(lineID, conf).run(ctx)
		},
	}.Run(ctx)
}
