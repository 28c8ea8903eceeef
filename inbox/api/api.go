// Package api is the agents' REST API, /api/v1: JSON over HTTP, session
// cookies with CSRF tokens, roles enforced by the inbox service.
package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/inbox/httperr"
)

// Config are the API's settings.
type Config struct {
	// Relay carries the transient events (typing, read) agents send: to
	// this node's hub, and on a shared store to the event log too, so
	// clients of other gateways see them. Nil: the hub MountWS is given.
	Relay      inbox.EventSink
	SessionTTL time.Duration
	// CookieSecure marks the session cookie Secure (HTTPS deployments).
	CookieSecure bool
	// LoginMaxFailures failed logins per e-mail or per client address
	// within LoginWindow lock further attempts until the window passes.
	LoginMaxFailures int
	LoginWindow      time.Duration
	// LoginMaxFailuresPerAddress failed logins from one client address,
	// over all accounts, lock that address for LoginWindow.
	LoginMaxFailuresPerAddress int
	// LoginMaxInFlight caps the sign-ins checked at once per account and
	// per client address; more are refused with 429.
	LoginMaxInFlight int
	// LoginAlertFailures failed logins of one account from all addresses
	// within LoginWindow raise an alert (log and OnLoginAlert).
	LoginAlertFailures int
	// PublicURL is the gateway's external URL: its origin may sign in.
	PublicURL string
	// OnLoginLock is told when an account (for one address) or an
	// address is locked; OnLoginAlert when an account passes
	// LoginAlertFailures. Both may be nil.
	OnLoginLock  func(kind string)
	OnLoginAlert func()
	// SignInLog, on a shared store, counts failed sign-ins over all
	// gateways, under the same limits as this gateway's own counts. Nil:
	// this gateway's counts only (the embedded store, one process).
	SignInLog SignInLog
	// PresenceGrace is how long an online agent may be without an agent
	// websocket before RunPresence sets them offline (default 2m).
	PresenceGrace time.Duration
	// Node names this gateway among several on one store, and Sockets
	// shares its agents' websockets with the others (presence_nodes.go);
	// nil when this is the only gateway on its store.
	Node    string
	Sockets SocketLog
}

// SessionCookie is the name of the session cookie.
const SessionCookie = "sb_session"

// CSRFHeader carries the session's CSRF token on cookie-authenticated writes.
const CSRFHeader = "X-CSRF-Token"

// API serves /api/v1.
type API struct {
	svc      *inbox.Service
	cfg      Config
	throttle *throttle
	log      *slog.Logger
	files    FileStore
	presence *presence
	// publicOrigin is scheme://host of PublicURL, lower case, or "".
	publicOrigin string
	// exports lets each agent run one export at a time (export.go).
	exports exportGate
}

// New builds the API over the inbox service.
func New(svc *inbox.Service, cfg Config, log *slog.Logger) *API {
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 7 * 24 * time.Hour
	}
	if cfg.LoginMaxFailures <= 0 {
		cfg.LoginMaxFailures = 5
	}
	if cfg.LoginWindow <= 0 {
		cfg.LoginWindow = 15 * time.Minute
	}
	if cfg.LoginMaxFailuresPerAddress <= 0 {
		cfg.LoginMaxFailuresPerAddress = 50
	}
	if cfg.LoginMaxInFlight <= 0 {
		cfg.LoginMaxInFlight = 4
	}
	if cfg.LoginAlertFailures <= 0 {
		cfg.LoginAlertFailures = 20
	}
	if log == nil {
		log = slog.Default()
	}
	a := &API{exports: exportGate{max: ExportsAtOnce, running: map[string]bool{}}, svc: svc, cfg: cfg, log: log, publicOrigin: originOf(cfg.PublicURL)}
	a.presence = newPresence(svc, cfg.PresenceGrace, log)
	a.presence.nodes, a.presence.node = cfg.Sockets, cfg.Node
	a.throttle = newThrottle(throttleConfig{
		window: cfg.LoginWindow, now: svc.Now,
		pairMax: cfg.LoginMaxFailures, addrMax: cfg.LoginMaxFailuresPerAddress,
		alertAt: cfg.LoginAlertFailures, inFlight: cfg.LoginMaxInFlight,
		shared: cfg.SignInLog, log: log,
		onLock: func(kind, key string) {
			log.Warn("sign-ins locked after failed attempts", "scope", kind, "key", key, "window", cfg.LoginWindow)
			if cfg.OnLoginLock != nil {
				cfg.OnLoginLock(kind)
			}
		},
		onAlert: func(account string, n int) {
			log.Warn("many failed sign-ins for one account", "account", account, "failures", n, "window", cfg.LoginWindow)
			if cfg.OnLoginAlert != nil {
				cfg.OnLoginAlert()
			}
		},
	})
	return a
}

// originOf is the lower-case scheme://host[:port] of an http(s) URL, or "".
func originOf(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}

// Mount adds the API's routes under r (usually the app root).
func (a *API) Mount(r fiber.Router) {
	v1 := r.Group("/api/v1")
	v1.Post("/auth/login", a.login)
	v1.Use(a.authenticate)
	v1.Post("/auth/logout", a.logout)
	v1.Get("/me", a.me)
	v1.Patch("/me", a.updateMe)

	v1.Get("/agents", a.listAgents)
	v1.Post("/agents", a.createAgent)
	v1.Get("/agents/:id", a.getAgent)
	v1.Patch("/agents/:id", a.updateAgent)
	v1.Delete("/agents/:id", a.deleteAgent)

	v1.Get("/groups", a.listGroups)
	v1.Post("/groups", a.createGroup)
	v1.Get("/groups/:id", a.getGroup)
	v1.Patch("/groups/:id", a.updateGroup)
	v1.Delete("/groups/:id", a.deleteGroup)

	v1.Get("/lines", a.listLines)
	v1.Post("/lines", a.createLine)
	v1.Get("/lines/:id", a.getLine)
	v1.Patch("/lines/:id", a.updateLine)
	v1.Delete("/lines/:id", a.deleteLine)

	v1.Get("/contacts", a.listContacts)
	v1.Post("/contacts", a.createContact)
	v1.Get("/contacts/:id", a.getContact)
	v1.Patch("/contacts/:id", a.updateContact)
	v1.Post("/contacts/:id/block", a.blockContact(true))
	v1.Post("/contacts/:id/unblock", a.blockContact(false))

	v1.Get("/conversations", a.listConversations)
	v1.Post("/conversations", a.openConversation)
	v1.Post("/conversations/bulk", a.bulk)
	v1.Get("/conversations/:id", a.getConversation)
	v1.Delete("/conversations/:id", a.deleteConversation)
	v1.Get("/conversations/:id/messages", a.listMessages)
	v1.Post("/conversations/:id/messages", a.postMessage)
	v1.Post("/conversations/:id/messages/:mid/retry", a.retryDelivery)
	v1.Get("/conversations/:id/messages/:mid/html", a.mailHTML)
	v1.Post("/conversations/:id/accept", a.accept)
	v1.Post("/conversations/:id/close", a.close)
	v1.Post("/conversations/:id/spam", a.spam)
	v1.Post("/conversations/:id/forward", a.forward)
	v1.Post("/conversations/:id/assign", a.assign)
	v1.Post("/conversations/:id/pin", a.pin)
	v1.Put("/conversations/:id/rating", a.supervisorRating)
	v1.Post("/conversations/:id/client-rating", a.clientRating)

	v1.Get("/stats", a.stats)
	v1.Get("/stats.csv", a.statsCSV)
	v1.Get("/stats/agents.csv", a.statsAgentsCSV)
	v1.Get("/stats/charts/:chart", a.statsChart)
	v1.Get("/conversations.csv", a.exportCSV)
	v1.Get("/conversations.xlsx", a.exportXLSX)
	a.mountWindow(v1)
	a.mountSettings(v1)
	a.mountPrefs(v1)
	v1.Use(func(c *fiber.Ctx) error {
		return writeError(c, fiber.StatusNotFound, "not_found", "no such endpoint: "+c.Method()+" "+c.Path(), "")
	})
}

// ErrorBody is the JSON shape of every error (see package httperr).
type ErrorBody = httperr.Body

// ErrorDetail describes an error; Field names the offending input field.
type ErrorDetail = httperr.Detail

func writeError(c *fiber.Ctx, status int, code, msg, field string) error {
	return httperr.Write(c, status, code, msg, field)
}

// fail answers err: known errors by httperr's mapping, anything else is
// logged and a 500.
func (a *API) fail(c *fiber.Ctx, err error) error {
	status, d, ok := httperr.Map(err)
	if !ok {
		a.log.Error("request failed", "method", c.Method(), "path", c.Path(), "err", err)
	}
	return httperr.Write(c, status, d.Code, d.Message, d.Field)
}

// ErrorHandler renders errors raised outside the handlers (body too large,
// unknown routes) in the API's JSON shape.
func ErrorHandler(log *slog.Logger) fiber.ErrorHandler { return httperr.Handler(log) }

// decode reads a JSON body strictly: unknown fields, wrong types, trailing
// data and malformed JSON are field-named 400s.
func decode(c *fiber.Ctx, out any) error {
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		return &inbox.FieldError{Field: "body", Message: "a JSON body is required"}
	}
	if !utf8.Valid(body) {
		// encoding/json would quietly turn bad bytes into U+FFFD.
		return &inbox.FieldError{Field: "body", Message: "is not valid UTF-8"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return &inbox.FieldError{Field: "body", Message: "unexpected data after the JSON value"}
	}
	return nil
}

func jsonError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return &inbox.FieldError{Field: "body", Message: fmt.Sprintf("malformed JSON at byte %d: %v", se.Offset, se)}
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "body"
		}
		return &inbox.FieldError{Field: field, Message: fmt.Sprintf("must be %s, not %s", jsonType(te.Type.Kind().String()), te.Value)}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &inbox.FieldError{Field: "body", Message: "malformed JSON: unexpected end"}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return &inbox.FieldError{Field: strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), Message: "is not a known field"}
	}
	return &inbox.FieldError{Field: "body", Message: "malformed JSON: " + err.Error()}
}

func jsonType(kind string) string {
	switch kind {
	case "int", "int64", "int32", "float64", "uint":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice":
		return "an array"
	case "map", "struct", "ptr":
		return "an object"
	}
	return kind
}

// List is the JSON shape of a page of a list.
type List[T any] struct {
	Items  []T   `json:"items"`
	Total  int64 `json:"total"`
	Limit  int   `json:"limit"`
	Offset int   `json:"offset"`
}
