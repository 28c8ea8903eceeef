package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/robfig/cron/v3"
	"github.com/switchboard-chat/switchboard/connectors/email"
)

// Config is every setting of the gateway, read from the environment.
// docs/configuration.md lists them; keep the two in step.
type Config struct {
	Addr             string
	MongoURI         string
	MongoDatabase    string
	DataDir          string
	PublicURL        string
	AdminEmail       string
	AdminPassword    string
	LogLevel         string
	LogFormat        string
	ShutdownTimeout  time.Duration
	SessionTTL       time.Duration
	BodyLimit        int64
	MessageMaxChars  int
	LoginMaxFailures int
	LoginWindow      time.Duration
	Demo             bool
	PasswordCost     int
	ProxyHeader      string
	TrustedProxies   []string
	// Secret signs visitor tokens; generated and stored at first start when unset.
	Secret               string
	MaxFileSize          int64
	WidgetMaxFrame       int64
	WidgetSessionRate    int
	WidgetMessageRate    int
	VisitorTokenTTL      time.Duration
	CloseExpiredSchedule string
	// AutoCloseSchedule runs the job that closes conversations whose client
	// has gone (a line's autoCloseMinutes).
	AutoCloseSchedule string
	// ReofferSchedule runs the job that offers conversations nobody took to
	// the next agent (a line's reofferAfterSeconds).
	ReofferSchedule string
	// Login throttle beyond LoginMaxFailures (per account and address).
	LoginMaxFailuresPerAddress int
	LoginMaxInFlight           int
	LoginAlertFailures         int
	// Upload quotas (per 24 hours) and the sweep of uploads never sent.
	VisitorUploadQuota  int64
	LineUploadQuota     int64
	UploadOrphanTTL     time.Duration
	UploadSweepSchedule string
	// Visitor websocket limits beyond WidgetMessageRate.
	WidgetFrameRate  int
	WidgetMaxSockets int
	// BlockByAddress: a blocked contact's client address blocks new
	// visitors from that address too.
	BlockByAddress bool
	// PresenceGrace: an online agent with no agent websocket for this
	// long is set offline.
	PresenceGrace time.Duration
	// LeaseTTL: how long a node's lease on the scheduler lasts without
	// renewal, so how soon another node takes over after it died.
	LeaseTTL time.Duration
	// SMTPURL and SMTPFrom: the mail server the gateway's own notices go
	// out through (transcripts); unset, it sends no mail.
	SMTPURL  string
	SMTPFrom string
	// TelegramAPIURL is the Bot API's base URL, for methods and file
	// downloads (a self-hosted Bot API server, or a test's).
	TelegramAPIURL string
	// TelegramPollTimeout is getUpdates' long-poll timeout (polling mode).
	TelegramPollTimeout time.Duration
	// TelegramMaxUpdate caps a webhook request's body.
	TelegramMaxUpdate int64
	// MailAllowPlain allows mail servers without TLS on other machines.
	MailAllowPlain bool
	// MailMaxSize, MailMaxParts and MailMaxDepth bound what one fetched
	// mail may cost; MailPollInterval is how often a server without IDLE
	// is asked for new mail.
	MailMaxSize      int64
	MailMaxParts     int
	MailMaxDepth     int
	MailPollInterval time.Duration
}

// env reads a variable; a *_FILE variant, where allowed, reads it from a file.
type env struct {
	get  func(string) string
	read func(string) ([]byte, error)
	errs []error
}

func (e *env) str(name, def string) string {
	if v := e.get(name); v != "" {
		return v
	}
	return def
}

// secret reads NAME or the file named by NAME_FILE (not both).
func (e *env) secret(name string) string {
	v, file := e.get(name), e.get(name+"_FILE")
	switch {
	case v != "" && file != "":
		e.errs = append(e.errs, fmt.Errorf("%s and %s_FILE are both set; use one", name, name))
	case file != "":
		b, err := e.read(file)
		if err != nil {
			e.errs = append(e.errs, fmt.Errorf("%s_FILE: %w", name, err))
			return ""
		}
		v := strings.TrimRight(string(b), "\r\n")
		if v == "" {
			e.errs = append(e.errs, fmt.Errorf("%s_FILE: %s is empty", name, file))
		}
		return v
	}
	return v
}

func (e *env) duration(name string, def time.Duration) time.Duration {
	v := e.get(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		e.errs = append(e.errs, fmt.Errorf("%s: %q is not a positive duration like 30s or 15m", name, v))
		return def
	}
	return d
}

func (e *env) integer(name string, def, lo, hi int) int {
	v := e.get(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		e.errs = append(e.errs, fmt.Errorf("%s: %q is not a whole number from %d to %d", name, v, lo, hi))
		return def
	}
	return n
}

func (e *env) boolean(name string, def bool) bool {
	v := e.get(name)
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("%s: %q is not true or false", name, v))
		return def
	}
	return b
}

// size reads a byte size: 1048576, 512KiB, 1MiB, 10MB.
func (e *env) size(name string, def int64) int64 {
	v := e.get(name)
	if v == "" {
		return def
	}
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000}, {"B", 1}}
	num, mult := v, int64(1)
	for _, u := range units {
		if strings.HasSuffix(v, u.suffix) {
			num, mult = strings.TrimSuffix(v, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	if err != nil || n <= 0 {
		e.errs = append(e.errs, fmt.Errorf("%s: %q is not a size like 1048576, 512KiB or 1MiB", name, v))
		return def
	}
	return n * mult
}

// LoadConfig reads the configuration. getenv and readFile are os.Getenv
// and os.ReadFile in production.
func LoadConfig(getenv func(string) string, readFile func(string) ([]byte, error)) (Config, error) {
	if readFile == nil {
		readFile = os.ReadFile
	}
	e := &env{get: getenv, read: readFile}
	c := Config{
		Addr:                 e.str("SWITCHBOARD_ADDR", ":8080"),
		MongoURI:             e.secret("MONGODB_URI"),
		MongoDatabase:        e.str("MONGODB_DATABASE", "switchboard"),
		DataDir:              e.str("SWITCHBOARD_DATA_DIR", "./data"),
		PublicURL:            strings.TrimRight(e.str("SWITCHBOARD_PUBLIC_URL", ""), "/"),
		AdminEmail:           e.str("SWITCHBOARD_ADMIN_EMAIL", "admin@example.com"),
		AdminPassword:        e.secret("SWITCHBOARD_ADMIN_PASSWORD"),
		LogLevel:             strings.ToLower(e.str("SWITCHBOARD_LOG_LEVEL", "info")),
		LogFormat:            strings.ToLower(e.str("SWITCHBOARD_LOG_FORMAT", "text")),
		ShutdownTimeout:      e.duration("SWITCHBOARD_SHUTDOWN_TIMEOUT", 15*time.Second),
		SessionTTL:           e.duration("SWITCHBOARD_SESSION_TTL", 7*24*time.Hour),
		BodyLimit:            e.size("SWITCHBOARD_BODY_LIMIT", 1<<20),
		MessageMaxChars:      e.integer("SWITCHBOARD_MESSAGE_MAX_CHARS", 10000, 1, 1_000_000),
		LoginMaxFailures:     e.integer("SWITCHBOARD_LOGIN_MAX_FAILURES", 5, 1, 1000),
		LoginWindow:          e.duration("SWITCHBOARD_LOGIN_WINDOW", 15*time.Minute),
		Demo:                 e.boolean("SWITCHBOARD_DEMO", true),
		PasswordCost:         e.integer("SWITCHBOARD_PASSWORD_COST", 11, 4, 16),
		ProxyHeader:          e.str("SWITCHBOARD_PROXY_HEADER", ""),
		Secret:               e.secret("SWITCHBOARD_SECRET"),
		MaxFileSize:          e.size("SWITCHBOARD_MAX_FILE_SIZE", 10<<20),
		WidgetMaxFrame:       e.size("SWITCHBOARD_WIDGET_MAX_FRAME", 64<<10),
		WidgetSessionRate:    e.integer("SWITCHBOARD_WIDGET_SESSION_RATE", 30, 1, 1_000_000),
		WidgetMessageRate:    e.integer("SWITCHBOARD_WIDGET_MESSAGE_RATE", 120, 1, 1_000_000),
		VisitorTokenTTL:      e.duration("SWITCHBOARD_VISITOR_TOKEN_TTL", 90*24*time.Hour),
		CloseExpiredSchedule: e.str("SWITCHBOARD_CLOSE_EXPIRED_SCHEDULE", "*/10 * * * * *"),
		AutoCloseSchedule:    e.str("SWITCHBOARD_AUTO_CLOSE_SCHEDULE", "*/30 * * * * *"),
		ReofferSchedule:      e.str("SWITCHBOARD_REOFFER_SCHEDULE", "*/5 * * * * *"),
		TrustedProxies:       splitComma(e.str("SWITCHBOARD_TRUSTED_PROXIES", "")),

		LoginMaxFailuresPerAddress: e.integer("SWITCHBOARD_LOGIN_MAX_FAILURES_PER_ADDRESS", 50, 1, 1_000_000),
		LoginMaxInFlight:           e.integer("SWITCHBOARD_LOGIN_MAX_IN_FLIGHT", 4, 1, 1000),
		LoginAlertFailures:         e.integer("SWITCHBOARD_LOGIN_ALERT_FAILURES", 20, 1, 1_000_000),
		PresenceGrace:              e.duration("SWITCHBOARD_PRESENCE_GRACE", 2*time.Minute),
		LeaseTTL:                   e.duration("SWITCHBOARD_LEASE_TTL", 15*time.Second),
		SMTPURL:                    e.secret("SWITCHBOARD_SMTP_URL"),
		SMTPFrom:                   e.str("SWITCHBOARD_SMTP_FROM", ""),
		VisitorUploadQuota:         e.size("SWITCHBOARD_VISITOR_UPLOAD_QUOTA", 50<<20),
		LineUploadQuota:            e.size("SWITCHBOARD_LINE_UPLOAD_QUOTA", 2<<30),
		UploadOrphanTTL:            e.duration("SWITCHBOARD_UPLOAD_ORPHAN_TTL", 24*time.Hour),
		UploadSweepSchedule:        e.str("SWITCHBOARD_UPLOAD_SWEEP_SCHEDULE", "0 */10 * * * *"),
		WidgetFrameRate:            e.integer("SWITCHBOARD_WIDGET_FRAME_RATE", 120, 1, 1_000_000),
		WidgetMaxSockets:           e.integer("SWITCHBOARD_WIDGET_MAX_SOCKETS", 10, 1, 10_000),
		BlockByAddress:             e.boolean("SWITCHBOARD_BLOCK_BY_ADDRESS", false),
		TelegramAPIURL:             strings.TrimRight(e.str("SWITCHBOARD_TELEGRAM_API_URL", "https://api.telegram.org"), "/"),
		TelegramPollTimeout:        e.duration("SWITCHBOARD_TELEGRAM_POLL_TIMEOUT", 25*time.Second),
		TelegramMaxUpdate:          e.size("SWITCHBOARD_TELEGRAM_MAX_UPDATE", 1<<20),
		MailAllowPlain:             e.boolean("SWITCHBOARD_MAIL_ALLOW_PLAIN", false),
		MailMaxSize:                e.size("SWITCHBOARD_MAIL_MAX_SIZE", 32<<20),
		MailMaxParts:               e.integer("SWITCHBOARD_MAIL_MAX_PARTS", 500, 1, 100_000),
		MailMaxDepth:               e.integer("SWITCHBOARD_MAIL_MAX_DEPTH", 20, 1, 1000),
		MailPollInterval:           e.duration("SWITCHBOARD_MAIL_POLL_INTERVAL", 30*time.Second),
	}
	if c.MailMaxSize < 64<<10 || c.MailMaxSize > 1<<30 {
		e.errs = append(e.errs, errors.New("SWITCHBOARD_MAIL_MAX_SIZE: between 64KiB and 1GiB"))
	}
	if u, err := url.Parse(c.TelegramAPIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Contains(c.TelegramAPIURL, "%") {
		e.errs = append(e.errs, fmt.Errorf("SWITCHBOARD_TELEGRAM_API_URL: %q is not an http(s) URL", c.TelegramAPIURL))
	}
	if c.TelegramPollTimeout < time.Second || c.TelegramPollTimeout > 50*time.Second {
		e.errs = append(e.errs, errors.New("SWITCHBOARD_TELEGRAM_POLL_TIMEOUT: between 1s and 50s"))
	}
	if c.TelegramMaxUpdate < 1<<10 || c.TelegramMaxUpdate > 64<<20 {
		e.errs = append(e.errs, errors.New("SWITCHBOARD_TELEGRAM_MAX_UPDATE: between 1KiB and 64MiB"))
	}
	if c.ProxyHeader != "" && len(c.TrustedProxies) == 0 {
		e.errs = append(e.errs, errors.New("SWITCHBOARD_PROXY_HEADER: set SWITCHBOARD_TRUSTED_PROXIES too, or any client can forge its address"))
	}
	for _, p := range c.TrustedProxies {
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				e.errs = append(e.errs, fmt.Errorf("SWITCHBOARD_TRUSTED_PROXIES: %q is not an IP address or CIDR range", p))
			}
		}
	}
	if c.Secret != "" && len(c.Secret) < 32 {
		e.errs = append(e.errs, errors.New("SWITCHBOARD_SECRET: must be at least 32 characters"))
	}
	if c.MaxFileSize > 1<<30 {
		e.errs = append(e.errs, errors.New("SWITCHBOARD_MAX_FILE_SIZE: at most 1GiB"))
	}
	if c.SMTPURL != "" {
		if _, err := email.NewSender(c.SMTPURL, c.SMTPFrom); err != nil {
			e.errs = append(e.errs, fmt.Errorf("SWITCHBOARD_SMTP_URL / SWITCHBOARD_SMTP_FROM: %w", err))
		}
	} else if c.SMTPFrom != "" {
		e.errs = append(e.errs, errors.New("SWITCHBOARD_SMTP_FROM: set SWITCHBOARD_SMTP_URL too, or no mail is sent"))
	}
	if c.LeaseTTL > 0 && c.LeaseTTL < 3*time.Second {
		e.errs = append(e.errs, errors.New("SWITCHBOARD_LEASE_TTL: at least 3s"))
	}
	for _, sch := range []struct{ name, spec string }{
		{"SWITCHBOARD_CLOSE_EXPIRED_SCHEDULE", c.CloseExpiredSchedule},
		{"SWITCHBOARD_AUTO_CLOSE_SCHEDULE", c.AutoCloseSchedule},
		{"SWITCHBOARD_REOFFER_SCHEDULE", c.ReofferSchedule},
		{"SWITCHBOARD_UPLOAD_SWEEP_SCHEDULE", c.UploadSweepSchedule},
	} {
		if _, err := cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor).
			Parse(sch.spec); err != nil {
			e.errs = append(e.errs, fmt.Errorf("%s: %q is not a cron schedule with seconds: %v", sch.name, sch.spec, err))
		}
	}
	if c.BodyLimit > 1<<30 {
		e.errs = append(e.errs, errors.New("SWITCHBOARD_BODY_LIMIT: at most 1GiB"))
	}
	if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
		e.errs = append(e.errs, fmt.Errorf("SWITCHBOARD_ADDR: %q is not host:port like :8080", c.Addr))
	}
	if c.MongoURI != "" && !strings.HasPrefix(c.MongoURI, "mongodb://") && !strings.HasPrefix(c.MongoURI, "mongodb+srv://") {
		e.errs = append(e.errs, errors.New("MONGODB_URI: must start with mongodb:// or mongodb+srv://"))
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + localURLHost(c.Addr)
	} else if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		e.errs = append(e.errs, fmt.Errorf("SWITCHBOARD_PUBLIC_URL: %q is not an http(s) URL", c.PublicURL))
	}
	if n := utf8.RuneCountInString(c.AdminPassword); c.AdminPassword != "" && (n < 8 || len(c.AdminPassword) > 72) {
		e.errs = append(e.errs, errors.New("SWITCHBOARD_ADMIN_PASSWORD: must be 8 characters to 72 bytes long"))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		e.errs = append(e.errs, fmt.Errorf("SWITCHBOARD_LOG_LEVEL: %q is not debug, info, warn or error", c.LogLevel))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		e.errs = append(e.errs, fmt.Errorf("SWITCHBOARD_LOG_FORMAT: %q is not text or json", c.LogFormat))
	}
	if len(e.errs) > 0 {
		return c, fmt.Errorf("config: %w", errors.Join(e.errs...))
	}
	return c, nil
}

func splitComma(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Origin is the scheme and host of the public URL, as browsers send it.
func (c Config) Origin() string {
	u, err := url.Parse(c.PublicURL)
	if err != nil {
		return c.PublicURL
	}
	return u.Scheme + "://" + u.Host
}

// localURLHost turns a listen address into a host a browser on this
// machine can open.
func localURLHost(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "localhost:8080"
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// CookieSecure reports whether cookies must be Secure.
func (c Config) CookieSecure() bool { return strings.HasPrefix(c.PublicURL, "https://") }
