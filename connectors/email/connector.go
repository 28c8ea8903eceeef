package email

import (
	"context"
	"log/slog"
	"time"

	"github.com/switchboard-chat/switchboard/connectors/email/mailparse"
	"github.com/switchboard-chat/switchboard/connectors/linework"
	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/inbox/lease"
)

// Inbox is what the mailbox workers ask of the inbox (inbox.Service).
type Inbox interface {
	Lines(ctx context.Context) ([]inbox.Line, error)
	MailReceive(ctx context.Context, in inbox.MailMessage) (*inbox.Message, bool, error)
	MailBounced(ctx context.Context, messageID, reason string) (bool, error)
	EnsureMailToken(ctx context.Context, convID string) (*inbox.Conversation, error)
	linework.Deliveries
}

// Store keeps the workers' leases and positions (inbox.Store).
type Store interface {
	lease.Store
	Cursor(ctx context.Context, key string) (string, error)
	SetCursor(ctx context.Context, key, value string) error
}

// Files stores and reads attachments (files.Store).
type Files = linework.Files

// Counters count a mailbox's work, per line (the gateway's /metrics); nil
// fields count nothing.
type Counters struct {
	Fetched, Duplicates, Loops, Bounces, Sent, Failures func(line string)
	LeaseHeld                                           func(lease string, held bool)
}

// Config tunes the mailbox workers; every field is a named setting.
type Config struct {
	// Node names this process among the gateways (the lease holder).
	Node     string
	LeaseTTL time.Duration
	// Parse bounds what one mail may cost.
	Parse mailparse.Limits
	// MaxTextChars caps the text of a message (SWITCHBOARD_MESSAGE_MAX_CHARS).
	MaxTextChars int
	// PollEvery is how often a server without IDLE is asked for new mail.
	PollEvery time.Duration
	// IdleFor restarts IDLE this often (servers drop it after 30 min).
	IdleFor time.Duration
	// InsecureTLS accepts any server certificate: for tests' self-signed
	// servers only, never set by the gateway.
	InsecureTLS bool
}

// Connector runs every line's mailbox.
type Connector struct {
	cfg   Config
	inbox Inbox
	store Store
	files Files
	count Counters
	log   *slog.Logger
	wake  *Waker
}

// New builds the connector; wake is the one the inbox tells of queued
// replies (inbox.Options.OnDelivery).
func New(cfg Config, in Inbox, st Store, fs Files, wake *Waker, c Counters, log *slog.Logger) *Connector {
	if cfg.PollEvery <= 0 {
		cfg.PollEvery = 30 * time.Second
	}
	if cfg.IdleFor <= 0 {
		cfg.IdleFor = 20 * time.Minute
	}
	if cfg.MaxTextChars <= 0 {
		cfg.MaxTextChars = 10000
	}
	if log == nil {
		log = slog.Default()
	}
	return &Connector{cfg: cfg, inbox: in, store: st, files: fs, count: c, log: log, wake: wake}
}

// Waker tells a line's sender that a reply is queued.
type Waker struct{ w *linework.Waker }

// NewWaker builds an empty waker.
func NewWaker() *Waker { return &Waker{w: linework.NewWaker()} }

// Wake is inbox.Options.OnDelivery for e-mail.
func (w *Waker) Wake(lineID string, ch inbox.Channel) {
	if ch == inbox.ChannelEmail {
		w.w.Poke(lineID)
	}
}

// Run keeps one worker per enabled mailbox — under the line's lease, so
// one node in a cluster reads each mailbox — until ctx ends.
func (c *Connector) Run(ctx context.Context) error {
	return linework.Lines[inbox.EmailChannel]{
		List: c.inbox.Lines, Lease: "email:", Store: c.store, Node: c.cfg.Node, TTL: c.cfg.LeaseTTL, Log: c.log, OnHeld: c.count.LeaseHeld,
		Conf: func(l *inbox.Line) (inbox.EmailChannel, bool) {
			m := l.Channels.Email
			return m, m.Enabled && m.IMAP.Host != "" && m.SMTP.Host != ""
		},
		Work: func(ctx context.Context, lineID string, m inbox.EmailChannel) error {
			return c.newMailbox(lineID, m).run(ctx)
		},
	}.Run(ctx)
}

// backoff is the pause after the n-th failure in a row: 1 s doubling up
// to 5 min, jittered.
func backoff(n int) time.Duration { return linework.Backoff(n, 5*time.Minute) }
