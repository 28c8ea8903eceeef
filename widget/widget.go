// Package widget is the visitor side of Switchboard: the widget.js loader
// a site owner pastes into their page, the chat window it opens in an
// iframe (both embedded from widget/assets), visitor sessions and signed
// visitor tokens, the visitor REST API and websocket under /widget/v1, and
// the live-chat / messenger / hidden modes chosen by agent presence.
// docs/widget-protocol.md is the contract this package implements.
package widget

import (
	"context"
	"crypto/rand"
	"github.com/switchboard-chat/switchboard/inbox/keyed"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/inbox/realtime"
)

// Config are the widget's settings; zero fields take the defaults below.
type Config struct {
	// Relay carries the transient events (typing, read) a visitor sends:
	// to this node's hub, and on a shared store to the event log too, so
	// agents connected to other gateways see them. Nil: the hub alone.
	Relay inbox.EventSink
	// Secret signs visitor tokens (HMAC-SHA256); use at least 32 random
	// bytes. Empty: a random secret per process, so tokens die on restart.
	Secret []byte
	// PublicURL is the gateway's external URL. Its origin is where the
	// chat iframe runs, so it is always allowed to call the visitor API.
	PublicURL string
	// TokenTTL is how long a visitor token stays valid; every session
	// request hands out a renewed one.
	TokenTTL time.Duration
	// MaxFrameBytes caps one websocket frame from a visitor.
	MaxFrameBytes int64
	// SessionsPerMinute caps session requests per client address.
	SessionsPerMinute int
	// MessagesPerMinute caps messages (and uploads) per visitor.
	MessagesPerMinute int
	// HistoryLimit is how many messages a session or history answer holds.
	HistoryLimit int
	// VisitorUploadQuota is the most bytes one visitor may upload in
	// UploadQuotaWindow; LineUploadQuota the most all visitors of one line
	// may.
	VisitorUploadQuota int64
	LineUploadQuota    int64
	// FramesPerMinute caps the websocket frames of one visitor other than
	// send (typing, read, rate, transcript, hello), over all their sockets.
	FramesPerMinute int
	// MaxSocketsPerVisitor caps the open websockets of one visitor.
	MaxSocketsPerVisitor int
	// BlockByAddress keeps visitors' client addresses, so a blocked
	// contact's address keeps new visitors from it blocked too.
	BlockByAddress bool
}

// Defaults for zero Config fields.
const (
	DefaultTokenTTL          = 90 * 24 * time.Hour
	DefaultMaxFrameBytes     = 64 << 10
	DefaultSessionsPerMinute = 30
	DefaultMessagesPerMinute = 120
	DefaultHistoryLimit      = 100
	// DefaultVisitorUploadQuota and DefaultLineUploadQuota are per
	// UploadQuotaWindow.
	DefaultVisitorUploadQuota   = 50 << 20
	DefaultLineUploadQuota      = 2 << 30
	DefaultFramesPerMinute      = 120
	DefaultMaxSocketsPerVisitor = 10
	// UploadQuotaWindow is the rolling window of the upload quotas.
	UploadQuotaWindow = 24 * time.Hour
)

// Websocket timings of the protocol (docs/widget-protocol.md, section 4).
const (
	pingInterval = 25 * time.Second
	readTimeout  = 60 * time.Second
	writeTimeout = 10 * time.Second
	// frameTimeout bounds the store work one client frame may cause.
	frameTimeout = 15 * time.Second
	// sendBuffer is how many items may wait in a connection's queue before
	// its reader waits for the writing to catch up.
	sendBuffer = 16
	// subBuffer is how many hub events more may wait; a visitor who falls
	// further behind is cut off and resumes by seq.
	subBuffer = 16
	// maxReplay is the most messages replayed after hello; beyond, resync.
	maxReplay = 500
)

// FileStore keeps uploaded files. *files.Store (inbox/files) has Upload,
// Send, Owner and AttachedTo, and is wired in as it is. A
// nil FileStore turns attachments off.
type FileStore interface {
	// Upload streams the request's multipart files (field "file", one or
	// more) into the store for owner, recording line, and describes them.
	// A file over the size limit is an error wrapping
	// fiber.ErrRequestEntityTooLarge; more than budget bytes in all (when
	// budget > 0) wraps inbox.ErrQuota; bad input wraps inbox.ErrInvalid.
	// Nothing of a refused request stays stored.
	Upload(c *fiber.Ctx, owner, line string, budget int64) ([]inbox.Attachment, error)
	// Used adds up the bytes uploaded since a time by owner or, with
	// owner "", through line.
	Used(ctx context.Context, owner, line string, since time.Time) (int64, error)
	// Send writes the file to the response: images inline, everything
	// else (SVG and HTML always) as a download.
	Send(c *fiber.Ctx, id string) error
	// Owner returns the owner given to Upload and the stored description
	// of the file; inbox.ErrNotFound for an unknown id.
	Owner(ctx context.Context, id string) (owner string, file inbox.Attachment, err error)
	// AttachedTo lists the conversations in whose customer-visible messages
	// (never comments) the file is attached.
	AttachedTo(ctx context.Context, id string) (conversationIDs []string, err error)
}

// Inbox is what the widget needs of the inbox. Visitors act only through
// the Visitor* operations, which apply the visitor's permissions in the
// core: their own contact, their own live chats on their line.
// *inbox.Service is wired in as it is.
type Inbox interface {
	Now() time.Time
	// MailAbsentVisitor e-mails an agent's answer no open widget took.
	MailAbsentVisitor(ctx context.Context, convID, messageID string) error
	Line(ctx context.Context, id string) (*inbox.Line, error)
	Lines(ctx context.Context) ([]inbox.Line, error)
	LineMode(ctx context.Context, lineID string) (inbox.Mode, error)
	LineOpensAt(ctx context.Context, lineID string) (time.Time, bool, error)

	StartVisitor(ctx context.Context, lineID, name string, id inbox.VisitorIdentity) (*inbox.Contact, error)
	ResumeVisitor(ctx context.Context, v inbox.Visitor, id inbox.VisitorIdentity) (*inbox.Contact, error)
	VisitorSeen(ctx context.Context, contactID, userAgent string)
	VisitorContactForm(ctx context.Context, v inbox.Visitor, name, email *string) (*inbox.Contact, error)
	VisitorCurrent(ctx context.Context, v inbox.Visitor) (*inbox.Conversation, error)
	VisitorConversation(ctx context.Context, v inbox.Visitor, id string) (*inbox.Conversation, error)
	VisitorMessages(ctx context.Context, v inbox.Visitor, convID string, after int64, limit int) ([]inbox.Message, error)
	VisitorMessagesBefore(ctx context.Context, v inbox.Visitor, convID string, before int64, limit int) ([]inbox.Message, error)
	VisitorSend(ctx context.Context, v inbox.Visitor, m inbox.VisitorMessage) (*inbox.Message, error)
	VisitorRate(ctx context.Context, v inbox.Visitor, rating int) error
	VisitorTranscript(ctx context.Context, v inbox.Visitor, email string) error
	AgentDisplayName(ctx context.Context, id string) (string, error)
}

var _ Inbox = (*inbox.Service)(nil)

// Widget serves the visitor side.
type Widget struct {
	svc          Inbox
	hub          *realtime.Hub
	files        FileStore
	cfg          Config
	log          *slog.Logger
	publicOrigin string
	assets       *assetSet
	sessions     *limiter
	messages     *limiter
	modes        *modeCache
	frames       *limiter
	// uploadLocks: one visitor's parallel uploads are counted against the
	// quota one after the other.
	uploadLocks keyed.Mutex
	// sockets counts each visitor's open websockets.
	sockets      *socketCount
	frameBuffers sync.Pool
	// detach: the HTTP server leaves hijacked connections open when
	// their handler returns (fasthttp's KeepHijackedConns), so idle
	// sockets can be left to the poller; poll is made with the first
	// socket (nil where there is no poller).
	detach   bool
	pollOnce sync.Once
	poll     *poller
	// conns are the open websockets: pinged by one ticker, fed hub events
	// by one subscription, sub (registry.go).
	conns registry
	sub   *realtime.Sub

	// base ends every websocket when Run stops.
	base context.Context
	stop context.CancelFunc
	mu   sync.Mutex
	shut bool
	live sync.WaitGroup
}

// New builds the widget. hub must be the real-time hub in svc's EventSink:
// the visitor websocket learns about new messages, status and presence
// changes from it.
func New(svc Inbox, hub *realtime.Hub, files FileStore, cfg Config, log *slog.Logger) *Widget {
	if log == nil {
		log = slog.Default()
	}
	log = log.With("component", "widget")
	if cfg.Relay == nil {
		cfg.Relay = hub
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = DefaultTokenTTL
	}
	if cfg.MaxFrameBytes <= 0 {
		cfg.MaxFrameBytes = DefaultMaxFrameBytes
	}
	if cfg.SessionsPerMinute <= 0 {
		cfg.SessionsPerMinute = DefaultSessionsPerMinute
	}
	if cfg.MessagesPerMinute <= 0 {
		cfg.MessagesPerMinute = DefaultMessagesPerMinute
	}
	if cfg.HistoryLimit <= 0 {
		cfg.HistoryLimit = DefaultHistoryLimit
	}
	if cfg.VisitorUploadQuota <= 0 {
		cfg.VisitorUploadQuota = DefaultVisitorUploadQuota
	}
	if cfg.LineUploadQuota <= 0 {
		cfg.LineUploadQuota = DefaultLineUploadQuota
	}
	if cfg.FramesPerMinute <= 0 {
		cfg.FramesPerMinute = DefaultFramesPerMinute
	}
	if cfg.MaxSocketsPerVisitor <= 0 {
		cfg.MaxSocketsPerVisitor = DefaultMaxSocketsPerVisitor
	}
	if len(cfg.Secret) == 0 {
		cfg.Secret = make([]byte, 32)
		_, _ = rand.Read(cfg.Secret)
		log.Warn("no widget token secret configured: using a random one, visitor tokens will not survive a restart")
	} else if len(cfg.Secret) < 32 {
		log.Warn("widget token secret is shorter than 32 bytes", "bytes", len(cfg.Secret))
	}
	base, stop := context.WithCancel(context.Background())
	w := &Widget{
		svc: svc, hub: hub, files: files, cfg: cfg, log: log,
		publicOrigin: originOf(cfg.PublicURL),
		assets:       loadAssets(log),
		sessions:     newLimiter(cfg.SessionsPerMinute, time.Now),
		messages:     newLimiter(cfg.MessagesPerMinute, time.Now),
		frames:       newLimiter(cfg.FramesPerMinute, time.Now),
		sockets:      newSocketCount(),
		modes:        newModeCache(svc),
		base:         base, stop: stop,
	}
	if hub != nil {
		w.sub = hub.Subscribe(w.dispatch, 0)
	}
	if w.publicOrigin == "" {
		log.Warn("widget has no valid public URL: the chat iframe's own origin is not allowed", "publicURL", cfg.PublicURL)
	}
	return w
}

// Mount adds the widget's routes: the loader, the frame, the assets and
// the visitor API with its websocket.
func (w *Widget) Mount(app *fiber.App) {
	app.Get("/widget.js", w.serveLoader)
	app.Get("/widget/frame", w.serveFrame)
	app.Get("/widget/assets/*", w.serveAsset)

	v1 := app.Group("/widget/v1")
	v1.Options("/*", w.preflight)
	v1.Get("/check", w.check)
	v1.Post("/session", w.createSession)
	v1.Get("/history", w.history)
	v1.Post("/contact", w.contactForm)
	v1.Post("/files", w.uploadFiles)
	v1.Get("/files/:id", w.downloadFile)
	v1.Get("/ws", w.upgradeCheck, w.websocketHandler())
	w.detach = app.Server().KeepHijackedConns
	// Hijacked websocket connections outlive Fiber's Shutdown: end them.
	app.Hooks().OnShutdown(func() error { w.shutdown(); return nil })
}

// Run holds until ctx ends, then closes every visitor websocket (code
// 1001, so clients reconnect elsewhere) and waits for them to finish.
// Fiber's shutdown does not reach hijacked websocket connections; Mount
// also hooks the same into the app's shutdown, so Run is optional.
func (w *Widget) Run(ctx context.Context) error {
	<-ctx.Done()
	w.shutdown()
	return nil
}

// shutdown closes every websocket and waits for them; it may run twice.
func (w *Widget) shutdown() {
	w.mu.Lock()
	w.shut = true
	w.mu.Unlock()
	w.stop()
	w.closeConns()
	w.live.Wait()
	// No socket is left, and none comes: register refuses them now.
	w.pollOnce.Do(func() {})
	if w.poll != nil {
		w.poll.close()
	}
	if w.sub != nil {
		w.sub.Close()
	}
}

// pollerFor is the Widget's poller, made with the first socket; nil when
// sockets are not detached or there is no poller on this system (each
// socket then has a reading goroutine).
func (w *Widget) pollerFor() *poller {
	if !w.detach {
		return nil
	}
	w.pollOnce.Do(func() {
		p, err := newPoller()
		if err != nil {
			w.log.Warn("no socket poller: every visitor websocket gets a reading goroutine", "err", err)
			return
		}
		w.poll = p
	})
	return w.poll
}

// register counts a new websocket; false once Run is stopping.
func (w *Widget) register() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.shut {
		return false
	}
	w.live.Add(1)
	return true
}

// originOf is the scheme://host[:port] of an absolute http(s) URL, or "".
func originOf(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}
