package main

import (
	"context"
	"fmt"
	"html"
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
	"github.com/switchboard-chat/switchboard/docs"
	"github.com/switchboard-chat/switchboard/inbox/api"
)

type metrics struct {
	reg           *prometheus.Registry
	requests      *prometheus.CounterVec
	latency       *prometheus.HistogramVec
	eventsDropped prometheus.Counter
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
	}
	m.reg.MustRegister(m.requests, m.latency, m.eventsDropped, collectors.NewGoCollector(),
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

// MaxFilesPerUpload caps the files of one upload request.
const MaxFilesPerUpload = 10

func uploadLimit(cfg Config) int64 { return cfg.MaxFileSize*MaxFilesPerUpload + 1<<20 }

// limitBodies refuses bodies over limit except multipart uploads, which the
// file store checks file by file.
func limitBodies(limit int64) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if int64(len(c.Request().Body())) > limit && !strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm) {
			return fiber.NewError(fiber.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", limit))
		}
		return c.Next()
	}
}

// pinger is what readiness needs of the store.
type pinger interface {
	Ping(ctx context.Context) error
}

// newHTTP builds the Fiber app with the operational endpoints.
func newHTTP(cfg Config, log *slog.Logger, m *metrics, store pinger) *fiber.App {
	app := fiber.New(fiber.Config{
		AppName: "switchboard",
		// Uploads need room for several files; every other body is held to
		// SWITCHBOARD_BODY_LIMIT by limitBodies.
		BodyLimit:             int(max(cfg.BodyLimit, uploadLimit(cfg))),
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          5 * time.Minute, // a 10 MB download on a slow link
		IdleTimeout:           2 * time.Minute,
		DisableStartupMessage: true,
		ErrorHandler:          api.ErrorHandler(log),
		// Behind a reverse proxy the client address (for login throttling
		// and logs) comes from ProxyHeader, trusted only from TrustedProxies.
		ProxyHeader:             cfg.ProxyHeader,
		EnableTrustedProxyCheck: len(cfg.TrustedProxies) > 0,
		TrustedProxies:          cfg.TrustedProxies,
	})
	app.Use(recover.New())
	app.Use(limitBodies(cfg.BodyLimit))
	app.Use(m.middleware)
	app.Use(func(c *fiber.Ctx) error {
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

// mountDemo serves a page that embeds the demo line's widget, as a site
// owner would.
func mountDemo(app *fiber.App, lineID string) {
	if lineID == "" {
		return
	}
	page := strings.Replace(demoPage, "LINE_ID", html.EscapeString(lineID), 1)
	app.Get("/demo", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		return c.SendString(page)
	})
}

const demoPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Switchboard demo shop</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem;color:#222}</style>
</head><body>
<h1>Demo shop</h1>
<p>This page embeds the Switchboard widget of the demo line with one tag, as any website would.
Open the chat with the button at the bottom right. Sign in to the inbox in another window to answer:
while an agent of the line is online the widget is in live-chat mode, otherwise in messenger mode.</p>
<pre>&lt;script src="/widget.js" data-line="LINE_ID" async&gt;&lt;/script&gt;</pre>
<script src="/widget.js" data-line="LINE_ID" async></script>
</body></html>
`
