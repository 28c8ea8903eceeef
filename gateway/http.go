package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/switchboard-chat/switchboard/connectors/email"
	"github.com/switchboard-chat/switchboard/connectors/telegram"
	"github.com/switchboard-chat/switchboard/docs"
	"github.com/switchboard-chat/switchboard/inbox/api"
	"github.com/switchboard-chat/switchboard/inbox/files"
	"github.com/switchboard-chat/switchboard/inbox/httperr"
)

type metrics struct {
	reg           *prometheus.Registry
	requests      *prometheus.CounterVec
	latency       *prometheus.HistogramVec
	eventsDropped prometheus.Counter
	// eventsFromNodes and eventLag: what the event tail brought from
	// other gateways on the shared store, and how late.
	eventsFromNodes prometheus.Counter
	eventLag        prometheus.Gauge
	resyncs         prometheus.Counter
	loginLocks      *prometheus.CounterVec
	loginAlerts     prometheus.Counter
	missed          prometheus.Counter
	leaseHeld       *prometheus.GaugeVec
	jobRuns         *prometheus.CounterVec
	jobLastRun      *prometheus.GaugeVec
	jobDuration     *prometheus.GaugeVec
	telegram        *prometheus.CounterVec
	email           *prometheus.CounterVec
}

// telegramCounters counts the Telegram connector's work per line.
func (m *metrics) telegramCounters() telegram.Counters {
	c := func(what string) func(string) {
		return func(line string) { m.telegram.WithLabelValues(line, what).Inc() }
	}
	return telegram.Counters{Updates: c("updates"), Duplicates: c("duplicates"), Sent: c("sent"),
		Retries: c("retries"), FloodWaits: c("flood_waits"), Failures: c("failures"),
		LeaseHeld: func(lease string, held bool) { m.leaseHeldFunc(lease)(held) }}
}

// emailCounters counts the e-mail connector's work per line.
func (m *metrics) emailCounters() email.Counters {
	c := func(what string) func(string) {
		return func(line string) { m.email.WithLabelValues(line, what).Inc() }
	}
	return email.Counters{Fetched: c("fetched"), Duplicates: c("duplicates"), Loops: c("loops"), Bounces: c("bounces"),
		Sent: c("sent"), Failures: c("failures"),
		LeaseHeld: func(lease string, held bool) { m.leaseHeldFunc(lease)(held) }}
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_http_requests_total", Help: "HTTP requests by method, route and status.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "switchboard_http_request_duration_seconds", Help: "HTTP request latency by method and route.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route"}),
		eventsDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchboard_events_dropped_total", Help: "Events not written to the event log because its queue was full.",
		}),
		eventsFromNodes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchboard_events_from_other_nodes_total", Help: "Events other gateways on the shared store wrote to the event log, delivered to this node's clients.",
		}),
		eventLag: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "switchboard_event_lag_seconds", Help: "How long after its writing the last batch of another gateway's events reached this node.",
		}),
		resyncs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchboard_event_resyncs_total", Help: "Clients told to resync because this node's tail fell behind the event log.",
		}),
		loginLocks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_login_locks_total", Help: "Sign-in locks after failed attempts, by scope: account (for one client address) or address.",
		}, []string{"scope"}),
		loginAlerts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchboard_login_alerts_total", Help: "Alerts for one account failing to sign in too often from all addresses.",
		}),
		missed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchboard_missed_conversations_total", Help: "Conversations marked missed: a client waited too long for an agent's answer, or the assigned agent was offline.",
		}),
		leaseHeld: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "switchboard_lease_held", Help: "1 while this process holds the lease (it runs that work), else 0.",
		}, []string{"lease"}),
		jobRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_job_runs_total", Help: "Runs of each scheduled job in this process, by result (ok, error).",
		}, []string{"job", "result"}),
		jobLastRun: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "switchboard_job_last_run_timestamp_seconds", Help: "When each scheduled job last started in this process (Unix time).",
		}, []string{"job"}),
		jobDuration: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "switchboard_job_last_duration_seconds", Help: "How long each scheduled job's last run in this process took.",
		}, []string{"job"}),
		telegram: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_telegram_total",
			Help: "What the Telegram connector did, per line: updates received, duplicates dropped, replies sent, retries, flood-limit (429) waits, failures.",
		}, []string{"line", "what"}),
		email: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_email_total",
			Help: "What the e-mail connector did, per line: mails fetched, duplicates dropped, automatic mails suppressed (loops), bounces, replies sent, failures.",
		}, []string{"line", "what"}),
	}
	m.reg.MustRegister(m.email, m.requests, m.latency, m.eventsDropped, m.eventsFromNodes, m.eventLag, m.resyncs, m.loginLocks, m.loginAlerts, m.missed,
		m.leaseHeld, m.jobRuns, m.jobLastRun, m.jobDuration, m.telegram, collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) middleware(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	// Fiber's strings point into reused request memory: copy before keeping.
	route, method := utils.CopyString(c.Route().Path), utils.CopyString(c.Method())
	status := c.Response().StatusCode()
	if err != nil {
		if fe, ok := err.(*fiber.Error); ok {
			status = fe.Code
		} else {
			status = fiber.StatusInternalServerError
		}
	}
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
	return err
}

// uploadRoutes read their bodies as streams, straight into the file
// store, which holds them to its own limits (per file, per request, quota).
var uploadRoutes = map[string]bool{"/api/v1/files": true, "/api/v1/files/": true, "/widget/v1/files": true}

// isUpload reports whether the request is an upload, whose body streams.
func isUpload(c *fiber.Ctx) bool {
	return c.Method() == fiber.MethodPost && uploadRoutes[c.Path()]
}

// pinger is what readiness needs of the store.
type pinger interface {
	Ping(ctx context.Context) error
}

// newHTTP builds the Fiber app with the operational endpoints.
func newHTTP(cfg Config, log *slog.Logger, m *metrics, store pinger, conns *connTracker) *fiber.App {
	app := fiber.New(fiber.Config{
		AppName: "switchboard",
		// Values from the request (route parameters, headers) are copied:
		// handlers keep them in events that outlive the request, and
		// Fiber's default zero-copy strings would change under them.
		Immutable: true,
		// Bodies stream: a handler runs after the first few KiB, uploads
		// go to the file store as they arrive, and every other body is held
		// to SWITCHBOARD_BODY_LIMIT by limitBodies before it is read.
		// Multipart forms are never parsed ahead (into memory or temp files).
		BodyLimit:                    int(cfg.BodyLimit),
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
		ReadTimeout:                  30 * time.Second,
		WriteTimeout:                 5 * time.Minute, // a 10 MB download on a slow link
		IdleTimeout:                  2 * time.Minute,
		DisableStartupMessage:        true,
		ErrorHandler:                 api.ErrorHandler(log),
		// Behind a reverse proxy the client address (for login throttling
		// and logs) comes from ProxyHeader, trusted only from TrustedProxies.
		ProxyHeader:             cfg.ProxyHeader,
		EnableTrustedProxyCheck: len(cfg.TrustedProxies) > 0,
		TrustedProxies:          cfg.TrustedProxies,
	})
	app.Server().ConnState = conns.hook
	// A hijacked connection (a websocket) stays open when its handler
	// returns; each websocket closes its own. Idle visitor sockets are then
	// left to the widget's poller with no goroutine of their own.
	app.Server().KeepHijackedConns = true
	app.Use(conns.middleware)
	app.Use(recover.New())
	// A refused body is drained up to the largest upload a client may send.
	app.Use(httperr.LimitBodies(cfg.BodyLimit, cfg.MaxFileSize*files.MaxFilesPerUpload+1<<20, isUpload))
	app.Use(m.middleware)
	hsts := strings.HasPrefix(cfg.PublicURL, "https://")
	app.Use(func(c *fiber.Ctx) error {
		if hsts {
			c.Set(fiber.HeaderStrictTransportSecurity, "max-age=31536000")
		}
		c.Set("X-Content-Type-Options", "nosniff")
		c.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		c.Set("X-Frame-Options", "DENY")
		return c.Next()
	})
	app.Get("/healthz", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	app.Get("/readyz", func(c *fiber.Ctx) error {
		ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
		defer cancel()
		if err := store.Ping(ctx); err != nil {
			log.Warn("not ready", "err", err)
			return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable", "error": "store unreachable"})
		}
		return c.JSON(fiber.Map{"status": "ready"})
	})
	app.Get("/metrics", adaptor.HTTPHandler(promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})))
	serveDoc := func(name, ctype string) fiber.Handler {
		return func(c *fiber.Ctx) error {
			b, err := docs.Files.ReadFile(name)
			if err != nil {
				return fiber.ErrNotFound
			}
			c.Set(fiber.HeaderContentType, ctype)
			return c.Send(b)
		}
	}
	app.Get("/api/v1/openapi.yaml", serveDoc("api.yaml", "application/yaml; charset=utf-8"))
	app.Get("/docs/:name", func(c *fiber.Ctx) error {
		ctype := "text/markdown; charset=utf-8"
		if n := c.Params("name"); len(n) > 5 && n[len(n)-5:] == ".yaml" {
			ctype = "application/yaml; charset=utf-8"
		}
		return serveDoc(c.Params("name"), ctype)(c)
	})
	return app
}

// mountFallback answers unknown routes with a JSON 404.
func mountFallback(app *fiber.App) {
	app.Use(func(c *fiber.Ctx) error {
		return c.Status(fiber.StatusNotFound).JSON(api.ErrorBody{Error: api.ErrorDetail{Code: "not_found", Message: "no such page: " + c.Path()}})
	})
}

func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return ln, nil
}

// widgetSockets exports the count of open visitor websockets.
func (m *metrics) widgetSockets(count func() int) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "switchboard_widget_websockets",
		Help: "Visitor websockets open on this process.",
	}, func() float64 { return float64(count()) }))
}

// jobRun records one run of a scheduled job.
func (m *metrics) jobRun(job string, started time.Time, took time.Duration, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.jobRuns.WithLabelValues(job, result).Inc()
	m.jobLastRun.WithLabelValues(job).Set(float64(started.UnixNano()) / 1e9)
	m.jobDuration.WithLabelValues(job).Set(took.Seconds())
}

// leaseHeldFunc records whether this process holds the lease name.
func (m *metrics) leaseHeldFunc(name string) func(bool) {
	m.leaseHeld.WithLabelValues(name).Set(0)
	return func(held bool) {
		v := 0.0
		if held {
			v = 1
		}
		m.leaseHeld.WithLabelValues(name).Set(v)
	}
}
