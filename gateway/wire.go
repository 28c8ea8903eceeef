package main

import (
	"time"

	"context"
	"log/slog"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"
	"github.com/switchboard-chat/switchboard/connectors/email"
	"github.com/switchboard-chat/switchboard/connectors/email/mailparse"
	"github.com/switchboard-chat/switchboard/connectors/telegram"
	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/inbox/api"
	"github.com/switchboard-chat/switchboard/inbox/files"
	"github.com/switchboard-chat/switchboard/inbox/realtime"
	"github.com/switchboard-chat/switchboard/inbox/web"
	"github.com/switchboard-chat/switchboard/scheduler"
	"github.com/switchboard-chat/switchboard/widget"
)

// parts are the long-running pieces run() starts and stops.
type parts struct {
	app    *fiber.App
	events *inbox.EventLog
	// tail brings other gateways' events to this node's hub; nil on the
	// embedded store (one process).
	tail      *inbox.EventTail
	widget    *widget.Widget
	scheduler *scheduler.Scheduler
	missed    *scheduler.Missed
	conns     *connTracker
	hours     *scheduler.Hours
	outbox    *inbox.Outbox
	telegram  *telegram.Connector
	email     *email.Connector
	agents    *api.API
}

// assemble builds every room and mounts its routes: the one place where
// they meet.
func assemble(ctx context.Context, cfg Config, log *slog.Logger, store *inbox.Store, m *metrics, node string) (parts, bootInfo, error) {
	// Several gateways on one store: a request is answered once its
	// events are in the log the other gateways read.
	events := inbox.NewEventLog(store, inbox.EventLogOptions{OnDrop: m.eventsDropped.Inc, Node: node, Durable: !store.Exclusive()}, log)
	hub := realtime.NewHub()
	var tail *inbox.EventTail
	// Typing and read receipts: this node's hub, and through the log the
	// other nodes' when the store is shared.
	var relay inbox.EventSink = hub
	if !store.Exclusive() {
		relay = inbox.MultiSink{hub, events}
		tail = inbox.NewEventTail(store, hub, inbox.EventTailOptions{Node: node, OnBatch: func(n int, lag time.Duration) {
			m.eventsFromNodes.Add(float64(n))
			m.eventLag.Set(lag.Seconds())
		}, OnGap: func() { m.resyncs.Add(float64(hub.Resync())) }}, log.With("component", "event-tail"))
	}
	// Changes go to this node's hub, and on a shared store to the event log
	// the other nodes tail. The embedded store serves this process alone:
	// nothing could read a log there, so none is written.
	var sink inbox.EventSink = hub
	if !store.Exclusive() {
		sink = inbox.MultiSink{events, hub}
	}
	// Mail the gateway sends on its own goes through SWITCHBOARD_SMTP_URL,
	// from the durable outbox (checked by LoadConfig).
	var mailer *email.Sender
	if cfg.SMTPURL != "" {
		var err error
		if mailer, err = email.NewSender(cfg.SMTPURL, cfg.SMTPFrom); err != nil {
			return parts{}, bootInfo{}, err
		}
	}
	// The Telegram connector: the inbox checks bots through its setup and
	// tells its waker of queued replies.
	tgWake, mailWake := telegram.NewWaker(), email.NewWaker()
	svc := inbox.NewService(store, inbox.Options{
		Events:       sink,
		Logger:       log,
		Limits:       inbox.Limits{MessageChars: cfg.MessageMaxChars},
		PasswordCost: cfg.PasswordCost,
		Transcripts:  mailer != nil,
		Bots:         telegram.NewSetup(cfg.TelegramAPIURL, cfg.PublicURL, log.With("component", "telegram")),
		OnDelivery: func(line string, ch inbox.Channel) {
			tgWake.Wake(line, ch)
			mailWake.Wake(line, ch)
		},
		Outbound:       []inbox.Channel{inbox.ChannelTelegram, inbox.ChannelEmail},
		Mailboxes:      email.Checker{},
		AllowPlainMail: cfg.MailAllowPlain,
	})
	boot, err := bootstrap(ctx, svc, cfg)
	if err != nil {
		return parts{}, boot, err
	}
	secret, err := loadSecret(ctx, svc, cfg.Secret)
	if err != nil {
		return parts{}, boot, err
	}
	fs := files.New(store.Database(), cfg.MaxFileSize)
	if err := fs.EnsureIndexes(ctx); err != nil {
		return parts{}, boot, err
	}

	// Agents' websockets and failed sign-ins count on every node: each
	// shares its own through the store.
	var sockets api.SocketLog
	var signIns api.SignInLog // nil: this process's counts only (embedded store)
	if !store.Exclusive() {
		sockets, signIns = store, store
	}
	conns := newConnTracker()
	app := newHTTP(cfg, log, m, store, conns)
	app.Use(compress.New(compress.Config{Level: compress.LevelBestCompression, Next: func(c *fiber.Ctx) bool { return !isAsset(c.Path()) }}))
	agents := api.New(svc, api.Config{
		Relay:            relay,
		SessionTTL:       cfg.SessionTTL,
		CookieSecure:     cfg.CookieSecure(),
		LoginMaxFailures: cfg.LoginMaxFailures,
		LoginWindow:      cfg.LoginWindow,

		LoginMaxFailuresPerAddress: cfg.LoginMaxFailuresPerAddress,
		LoginMaxInFlight:           cfg.LoginMaxInFlight,
		LoginAlertFailures:         cfg.LoginAlertFailures,
		PublicURL:                  cfg.PublicURL,
		OnLoginLock:                func(scope string) { m.loginLocks.WithLabelValues(scope).Inc() },
		OnLoginAlert:               m.loginAlerts.Inc,
		PresenceGrace:              cfg.PresenceGrace,
		Node:                       node,
		Sockets:                    sockets,
		SignInLog:                  signIns,
	}, log)
	// The websocket and files routes go before Mount, whose catch-all 404
	// ends /api/v1.
	agents.MountWS(app, hub, cfg.WidgetMaxFrame)
	agents.MountFiles(app, fs)
	agents.Mount(app)
	w := widget.New(svc, hub, fs, widget.Config{
		Relay:             relay,
		Secret:            secret,
		PublicURL:         cfg.PublicURL,
		TokenTTL:          cfg.VisitorTokenTTL,
		MaxFrameBytes:     cfg.WidgetMaxFrame,
		SessionsPerMinute: cfg.WidgetSessionRate,
		MessagesPerMinute: cfg.WidgetMessageRate,

		VisitorUploadQuota:   cfg.VisitorUploadQuota,
		LineUploadQuota:      cfg.LineUploadQuota,
		FramesPerMinute:      cfg.WidgetFrameRate,
		MaxSocketsPerVisitor: cfg.WidgetMaxSockets,
		BlockByAddress:       cfg.BlockByAddress,
	}, log)
	w.Mount(app)
	m.widgetSockets(w.OpenSockets)
	tg := telegram.New(telegram.Config{
		APIURL: cfg.TelegramAPIURL, PollTimeout: cfg.TelegramPollTimeout, MaxFileBytes: cfg.MaxFileSize,
		LeaseTTL: cfg.LeaseTTL, Node: node, MaxUpdateBytes: int(cfg.TelegramMaxUpdate),
	}, svc, store, fs, tgWake, m.telegramCounters(), log.With("component", "telegram"))
	tg.Mount(app)
	mailboxes := email.New(email.Config{
		Node: node, LeaseTTL: cfg.LeaseTTL, MaxTextChars: cfg.MessageMaxChars, PollEvery: cfg.MailPollInterval,
		Parse: mailparse.Limits{MaxBytes: cfg.MailMaxSize, MaxParts: cfg.MailMaxParts, MaxDepth: cfg.MailMaxDepth, MaxFileBytes: cfg.MaxFileSize},
	}, svc, store, fs, mailWake, m.emailCounters(), log.With("component", "email"))
	web.Mount(app)
	mountDemo(app, boot.DemoLineID)
	mountFallback(app)

	sched := scheduler.New(scheduler.Jobs{
		Inbox:   svc,
		Uploads: files.Sweeper{Store: fs, Now: svc.Now, TTL: cfg.UploadOrphanTTL},
	}, scheduler.Config{CloseExpired: cfg.CloseExpiredSchedule, CloseInactive: cfg.AutoCloseSchedule, Reoffer: cfg.ReofferSchedule,
		SweepUploads: cfg.UploadSweepSchedule, OnRun: m.jobRun}, log)
	missed := scheduler.NewMissed(svc, hub, m.missed.Inc, log.With("component", "missed"))
	hours := scheduler.NewHours(svc, hub, svc.Now, log.With("component", "hours"))
	// The outbox sends lines' mail from their mailboxes, the rest through
	// SWITCHBOARD_SMTP_URL.
	outbox := inbox.NewOutbox(store, email.Router{Default: mailer, Line: svc.Line}, svc.Now, log.With("component", "outbox"))
	return parts{app: app, events: events, tail: tail, widget: w, scheduler: sched, missed: missed, hours: hours, outbox: outbox, agents: agents, conns: conns, telegram: tg, email: mailboxes}, boot, nil
}

func isAsset(path string) bool {
	return path == "/widget.js" || path == "/widget/frame" || path == "/" || strings.HasPrefix(path, "/widget/assets/") || strings.HasPrefix(path, "/assets/")
}
