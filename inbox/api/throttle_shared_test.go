package api_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/inbox/api"
	"github.com/switchboard-chat/switchboard/inbox/inboxtest"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// The store is the shared sign-in log of the gateway.
var _ api.SignInLog = (*inbox.Store)(nil)

// syncBuffer is a log destination safe for parallel requests.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// sharedNodes is n gateways on one shared store, each with its own
// service, API and in-memory throttle, and the store as their shared
// sign-in log (as gateway/wire.go sets it). logf, when set, wraps a
// node's log; locks counts the locks all nodes report.
type sharedNodes struct {
	nodes []*harness
	clock *inboxtest.Clock
	logs  syncBuffer
	locks sync.Map // kind → *atomic.Int64
}

func newSharedNodes(t *testing.T, n int, apiCfg func(i int, c *api.Config)) *sharedNodes {
	t.Helper()
	sn := &sharedNodes{clock: inboxtest.NewClock(t0)}
	log := slog.New(slog.NewTextHandler(&sn.logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	for i, st := range engine.Stores(t, n, false) {
		svc := inbox.NewService(st, inbox.Options{PasswordCost: 4, Clock: sn.clock.Now, Logger: log})
		app := fiber.New(fiber.Config{DisableStartupMessage: true, ErrorHandler: api.ErrorHandler(log), ProxyHeader: fiber.HeaderXForwardedFor})
		ac := api.Config{LoginMaxFailures: maxFailures, LoginWindow: time.Minute, PublicURL: "https://switchboard.test", SignInLog: st,
			OnLoginLock: func(kind string) {
				c, _ := sn.locks.LoadOrStore(kind, new(atomic.Int64))
				c.(*atomic.Int64).Add(1)
			}}
		if apiCfg != nil {
			apiCfg(i, &ac)
		}
		api.New(svc, ac, log).Mount(app)
		sn.nodes = append(sn.nodes, &harness{t: t, app: app, svc: svc, store: st, clock: sn.clock})
	}
	sn.nodes[0].seedAgent("Ann", "ann@example.com", password, inbox.RoleAgent)
	return sn
}

func (sn *sharedNodes) locked(kind string) int64 {
	if c, ok := sn.locks.Load(kind); ok {
		return c.(*atomic.Int64).Load()
	}
	return 0
}

// wantLocked checks a 429 throttled answer with a Retry-After within the
// window.
func wantLocked(t *testing.T, r *response) {
	t.Helper()
	r.wantError(http.StatusTooManyRequests, "throttled", "")
	if ra, err := strconv.Atoi(r.resp.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 61 {
		t.Errorf("%v: Retry-After %q, want 1 to 61 seconds", r, r.resp.Header.Get("Retry-After"))
	}
}

// TestLoginThrottleSharedPair: failures of one account from one address
// spread over two gateways lock it on both after LoginMaxFailures in
// total (neither gateway reached it alone); the owner elsewhere still
// signs in, and the lock ends with the window.
func TestLoginThrottleSharedPair(t *testing.T) {
	sn := newSharedNodes(t, 2, nil)
	a, b := sn.nodes[0], sn.nodes[1]
	const ip = "198.51.100.7"
	for i := range maxFailures {
		sn.nodes[i%2].loginFrom(ip, "ann@example.com", "wrong-password").wantError(http.StatusUnauthorized, "unauthorized", "")
	}
	wantLocked(t, a.loginFrom(ip, "ann@example.com", password))
	wantLocked(t, b.loginFrom(ip, "ann@example.com", password))
	if n := sn.locked("account"); n != 1 {
		t.Errorf("%d account locks reported, want 1", n)
	}
	b.loginFrom("192.0.2.1", "ann@example.com", password).want(http.StatusOK)
	// Refused attempts are not counted: the lock ends with the window of
	// the failures.
	if n := a.count("signin_failures", bson.M{}); n != maxFailures {
		t.Errorf("%d failures stored, want %d", n, maxFailures)
	}
	sn.clock.Advance(time.Minute + time.Second)
	a.loginFrom(ip, "ann@example.com", password).want(http.StatusOK)
	if s := sn.logs.String(); strings.Contains(s, "shared failure log") {
		t.Errorf("unexpected shared log errors:\n%s", s)
	}
}

// TestLoginThrottleSharedSuccessClears: a success on either gateway
// clears the account's failures from that address on all of them.
func TestLoginThrottleSharedSuccessClears(t *testing.T) {
	sn := newSharedNodes(t, 2, nil)
	a, b := sn.nodes[0], sn.nodes[1]
	const ip = "198.51.100.7"
	for _, h := range []*harness{a, b} {
		h.loginFrom(ip, "ann@example.com", "wrong-password").wantError(http.StatusUnauthorized, "unauthorized", "")
	}
	b.loginFrom(ip, "ann@example.com", password).want(http.StatusOK)
	if n := a.count("signin_failures", bson.M{}); n != 0 {
		t.Errorf("%d failures stored after a success, want 0", n)
	}
	// maxFailures more, spread again: the last one locks.
	for _, h := range []*harness{a, b, b} {
		h.loginFrom(ip, "ann@example.com", "wrong-password").wantError(http.StatusUnauthorized, "unauthorized", "")
	}
	wantLocked(t, a.loginFrom(ip, "ann@example.com", password))
}

// TestLoginThrottleSharedAddress: one address guessing several accounts
// over two gateways is locked for every account on both after
// LoginMaxFailuresPerAddress in total.
func TestLoginThrottleSharedAddress(t *testing.T) {
	const perAddress = 4
	sn := newSharedNodes(t, 2, func(_ int, c *api.Config) { c.LoginMaxFailuresPerAddress = perAddress })
	const ip = "203.0.113.5"
	for i := range perAddress {
		sn.nodes[i%2].loginFrom(ip, "guess"+strconv.Itoa(i)+"@example.com", "x").wantError(http.StatusUnauthorized, "unauthorized", "")
	}
	for _, h := range sn.nodes {
		wantLocked(t, h.loginFrom(ip, "ann@example.com", password))
	}
	sn.nodes[1].loginFrom("192.0.2.2", "ann@example.com", password).want(http.StatusOK)
	if n := sn.locked("address"); n != 1 {
		t.Errorf("%d address locks reported, want 1", n)
	}
}

// TestLoginThrottleSharedParallel: 100 wrong passwords sent at once,
// half to each gateway, through the real servers: each attempt is
// counted in the shared log before its password is checked, so no more
// than LoginMaxFailures are checked in total (each gateway alone would let
// that many through). Attempts recorded at once over the limit are all
// refused, so it may be fewer, even none; the refused ones leave nothing
// behind.
func TestLoginThrottleSharedParallel(t *testing.T) {
	sn := newSharedNodes(t, 2, nil)
	for _, h := range sn.nodes {
		h.serve()
	}
	var unauthorized, throttled atomic.Int64
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Go(func() {
			switch r := sn.nodes[i%2].loginFrom("192.0.2.1", "ann@example.com", "wrong-password"); r.status {
			case http.StatusUnauthorized:
				unauthorized.Add(1)
			case http.StatusTooManyRequests:
				throttled.Add(1)
			default:
				t.Errorf("%v", r)
			}
		})
	}
	wg.Wait()
	checked := unauthorized.Load()
	t.Logf("%d of 100 checked, %d refused", checked, throttled.Load())
	if checked > maxFailures {
		t.Errorf("%d of 100 parallel wrong passwords were checked (401) on two gateways, want at most %d", checked, maxFailures)
	}
	if n := throttled.Load(); n < 100-maxFailures {
		t.Errorf("%d of 100 parallel wrong passwords refused (429), want at least %d", n, 100-maxFailures)
	}
	if n := sn.nodes[0].count("signin_failures", bson.M{}); n != checked {
		t.Errorf("%d failures stored, want the %d checked", n, checked)
	}
	// Below the limit the owner still signs in from there.
	r := sn.nodes[1].loginFrom("192.0.2.1", "ann@example.com", password)
	if checked < maxFailures {
		r.want(http.StatusOK)
	} else {
		wantLocked(t, r)
	}
}

// brokenLog is a shared sign-in log that does not answer.
type brokenLog struct{ calls atomic.Int64 }

var errDown = errors.New("shared store down")

func (l *brokenLog) RecordSignInFailure(context.Context, string, string, time.Time, time.Time) (string, error) {
	l.calls.Add(1)
	return "", errDown
}

func (l *brokenLog) SignInFailures(context.Context, string, string, time.Time) (int, int, error) {
	l.calls.Add(1)
	return 0, 0, errDown
}

func (l *brokenLog) ForgetSignInFailure(context.Context, string) error {
	l.calls.Add(1)
	return errDown
}

func (l *brokenLog) ClearSignInFailures(context.Context, string, string) error {
	l.calls.Add(1)
	return errDown
}

// TestLoginThrottleSharedDown: a shared log that does not answer neither
// locks everybody out nor opens the gate: the error is logged, and the
// gateway's own counts decide.
func TestLoginThrottleSharedDown(t *testing.T) {
	broken := &brokenLog{}
	sn := newSharedNodes(t, 1, func(_ int, c *api.Config) { c.SignInLog = broken })
	h := sn.nodes[0]
	const ip = "198.51.100.7"
	h.loginFrom("192.0.2.1", "ann@example.com", password).want(http.StatusOK)
	for range maxFailures {
		h.loginFrom(ip, "ann@example.com", "wrong-password").wantError(http.StatusUnauthorized, "unauthorized", "")
	}
	wantLocked(t, h.loginFrom(ip, "ann@example.com", password))
	if broken.calls.Load() == 0 {
		t.Error("the shared log was never asked")
	}
	if s := sn.logs.String(); !strings.Contains(s, "shared failure log did not answer") || !strings.Contains(s, errDown.Error()) {
		t.Errorf("the shared log's errors were not logged:\n%s", s)
	}
}

// TestLoginThrottleLocalOnly: without a shared log (the embedded store)
// nothing about sign-ins is stored; the gateway's own counts lock.
func TestLoginThrottleLocalOnly(t *testing.T) {
	h := newHarnessAPI(t, nil, proxied)
	for range maxFailures {
		h.loginFrom("198.51.100.7", adminEmail, "wrong-password").wantError(http.StatusUnauthorized, "unauthorized", "")
	}
	h.loginFrom("198.51.100.7", adminEmail, adminPassword).wantError(http.StatusTooManyRequests, "throttled", "")
	if n := h.count("signin_failures", bson.M{}); n != 0 {
		t.Errorf("%d sign-in failures stored without a shared log, want 0", n)
	}
}
