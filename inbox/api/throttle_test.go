package api_test

import (
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/inbox/api"
)

// loginFrom signs in from a client address (X-Forwarded-For, which the
// throttle harness trusts).
func (h *harness) loginFrom(ip, email, pw string, opts ...reqOpt) *response {
	opts = append([]reqOpt{func(r *http.Request) { r.Header.Set(fiber.HeaderXForwardedFor, ip) }}, opts...)
	return h.do(http.MethodPost, "/api/v1/auth/login", map[string]string{"email": email, "password": pw}, nil, opts...)
}

func proxied(c *fiber.Config) { c.ProxyHeader = fiber.HeaderXForwardedFor }

// TestLoginThrottleParallel sends 200 wrong passwords for one account at
// once through the real server: every attempt is counted before its
// password is checked, so no more than LoginMaxFailures get to try (401)
// and the rest are refused (429). Then the right password among 40
// parallel tries never signs in while the account is locked.
func TestLoginThrottleParallel(t *testing.T) {
	h := newHarness(t, proxied)
	h.seedAgent("Ann", "ann@example.com", password, inbox.RoleAgent)
	h.serve()
	var unauthorized, throttled, other atomic.Int64
	var wg sync.WaitGroup
	for range 200 {
		wg.Go(func() {
			switch r := h.loginFrom("192.0.2.1", "ann@example.com", "wrong-password"); r.status {
			case http.StatusUnauthorized:
				unauthorized.Add(1)
			case http.StatusTooManyRequests:
				throttled.Add(1)
			default:
				other.Add(1)
				t.Errorf("%v", r)
			}
		})
	}
	wg.Wait()
	if n := unauthorized.Load(); n == 0 || n > maxFailures {
		t.Errorf("%d of 200 parallel wrong passwords were checked (401), want 1 to %d", n, maxFailures)
	}
	if n := throttled.Load(); n < 200-maxFailures {
		t.Errorf("%d of 200 parallel wrong passwords refused (429), want at least %d", n, 200-maxFailures)
	}
	before := h.snap()
	var signedIn atomic.Int64
	for i := range 40 {
		pw := "wrong-password"
		if i == 17 {
			pw = password
		}
		wg.Go(func() {
			r := h.loginFrom("192.0.2.1", "ann@example.com", pw)
			if r.status == http.StatusOK {
				signedIn.Add(1)
			} else if r.status != http.StatusTooManyRequests {
				t.Errorf("locked account: %v, want 429", r)
			}
		})
	}
	wg.Wait()
	if signedIn.Load() != 0 {
		t.Errorf("the right password signed in while the account was locked")
	}
	h.unchanged(before, "attempts on a locked account")
}

// TestLoginLockoutPerAddress: failures from one address lock the account
// there only; its owner, elsewhere, still signs in. An address that fails
// on many accounts is locked for all of them. Both locks are reported.
func TestLoginLockoutPerAddress(t *testing.T) {
	var mu sync.Mutex
	locks := map[string]int{}
	alerts := 0
	h := newHarnessAPI(t, func(c *api.Config) {
		c.LoginMaxFailuresPerAddress = 6
		c.LoginAlertFailures = 5
		c.OnLoginLock = func(kind string) { mu.Lock(); locks[kind]++; mu.Unlock() }
		c.OnLoginAlert = func() { mu.Lock(); alerts++; mu.Unlock() }
	}, proxied)
	h.seedAgent("Ann", "ann@example.com", password, inbox.RoleAgent)
	for range maxFailures {
		h.loginFrom("198.51.100.7", adminEmail, "wrong-password").wantError(http.StatusUnauthorized, "unauthorized", "")
	}
	h.loginFrom("198.51.100.7", adminEmail, adminPassword).wantError(http.StatusTooManyRequests, "throttled", "")
	// The admin, from their own address, is not locked out.
	h.loginFrom("192.0.2.1", adminEmail, adminPassword).want(http.StatusOK)
	// Two more addresses fail on the admin: the account alert fires once.
	for _, ip := range []string{"198.51.100.8", "198.51.100.9"} {
		for range maxFailures {
			h.loginFrom(ip, adminEmail, "wrong-password").wantError(http.StatusUnauthorized, "unauthorized", "")
		}
	}
	h.loginFrom("192.0.2.1", adminEmail, adminPassword).want(http.StatusOK)
	// One address guessing several accounts is locked for every account.
	for i := range 6 {
		h.loginFrom("203.0.113.5", "guess"+strconv.Itoa(i)+"@example.com", "x").wantError(http.StatusUnauthorized, "unauthorized", "")
	}
	h.loginFrom("203.0.113.5", "ann@example.com", password).wantError(http.StatusTooManyRequests, "throttled", "")
	h.loginFrom("192.0.2.2", "ann@example.com", password).want(http.StatusOK)
	mu.Lock()
	defer mu.Unlock()
	if locks["account"] != 3 || locks["address"] != 1 || alerts != 1 {
		t.Errorf("reported locks %v and %d alerts, want 3 account locks, 1 address lock, 1 alert", locks, alerts)
	}
}

// TestLoginCrossSite: the sign-in accepts only JSON, and from a browser
// only from the site itself, so a page elsewhere cannot sign its visitor
// into the attacker's account (login CSRF).
func TestLoginCrossSite(t *testing.T) {
	h := newHarness(t)
	body := `{"email":"` + adminEmail + `","password":"` + adminPassword + `"}`
	setHeader := func(k, v string) reqOpt { return func(r *http.Request) { r.Header.Set(k, v) } }
	post := func(opts ...reqOpt) *response {
		return h.do(http.MethodPost, "/api/v1/auth/login", body, nil, opts...)
	}
	before := h.snap()
	post(setHeader("Content-Type", "text/plain")).wantError(http.StatusUnsupportedMediaType, "unsupported_media_type", "Content-Type")
	post(setHeader("Content-Type", "application/x-www-form-urlencoded")).wantError(http.StatusUnsupportedMediaType, "unsupported_media_type", "Content-Type")
	post(setHeader("Origin", "https://evil.example")).wantError(http.StatusForbidden, "cross_site", "Origin")
	post(setHeader("Origin", "null")).wantError(http.StatusForbidden, "cross_site", "Origin")
	post(setHeader("Sec-Fetch-Site", "cross-site")).wantError(http.StatusForbidden, "cross_site", "Origin")
	h.unchanged(before, "cross-site sign-ins")
	r := post(setHeader("Origin", "https://switchboard.test"), setHeader("Sec-Fetch-Site", "same-origin"))
	r.want(http.StatusOK)
	if cc := r.resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("sign-in answer Cache-Control %q, want no-store", cc)
	}
	post().want(http.StatusOK) // no Origin: not a browser
}

// TestNoStore: every authenticated answer, /me with its CSRF token first,
// tells caches not to keep it.
func TestNoStore(t *testing.T) {
	h := newHarness(t)
	for _, path := range []string{"/api/v1/me", "/api/v1/conversations", "/api/v1/agents"} {
		r := h.do(http.MethodGet, path, nil, h.admin).want(http.StatusOK)
		if cc := r.resp.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s: Cache-Control %q, want no-store", path, cc)
		}
	}
}
