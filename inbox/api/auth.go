package api

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/switchboard-chat/switchboard/inbox"
)

type principal struct {
	agent   *inbox.Agent
	session *inbox.Session
	token   string
}

const localsKey = "principal"

func who(c *fiber.Ctx) *principal { p, _ := c.Locals(localsKey).(*principal); return p }

func actor(c *fiber.Ctx) inbox.Actor { return inbox.ActorFor(who(c).agent) }

// authenticate resolves the session cookie and enforces CSRF on writes.
func (a *API) authenticate(c *fiber.Ctx) error {
	token := c.Cookies(SessionCookie)
	sess, ag, err := a.svc.Authenticate(c.UserContext(), token)
	if err != nil {
		return a.fail(c, err)
	}
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
	default:
		if !sess.CheckCSRF(c.Get(CSRFHeader)) {
			return writeError(c, fiber.StatusForbidden, "csrf", "missing or wrong "+CSRFHeader+" header", "")
		}
	}
	c.Locals(localsKey, &principal{agent: ag, session: sess, token: token})
	return c.Next()
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// Me is the signed-in agent with the CSRF token for writes.
type Me struct {
	Agent     *inbox.Agent `json:"agent"`
	CSRFToken string       `json:"csrfToken"`
}

func (a *API) login(c *fiber.Ctx) error {
	var req loginRequest
	if err := decode(c, &req); err != nil {
		return a.fail(c, err)
	}
	if req.Email == "" {
		return a.fail(c, &inbox.FieldError{Field: "email", Message: "is required"})
	}
	email := "email:" + strings.ToLower(strings.TrimSpace(req.Email)) // as Login matches it
	keys := []string{"ip:" + c.IP(), email}
	if wait := a.throttle.blocked(keys...); wait > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(wait.Seconds())+1))
		return writeError(c, fiber.StatusTooManyRequests, "throttled", "too many failed sign-ins; try again later", "")
	}
	token, sess, ag, err := a.svc.Login(c.UserContext(), req.Email, req.Password, a.cfg.SessionTTL)
	if err != nil {
		if err == inbox.ErrUnauthorized {
			a.throttle.fail(keys...)
			return writeError(c, fiber.StatusUnauthorized, "unauthorized", "wrong e-mail or password", "")
		}
		return a.fail(c, err)
	}
	a.throttle.reset(email)
	c.Cookie(&fiber.Cookie{
		Name: SessionCookie, Value: token, Path: "/", HTTPOnly: true, Secure: a.cfg.CookieSecure,
		SameSite: fiber.CookieSameSiteLaxMode, Expires: sess.ExpiresAt,
	})
	return c.JSON(Me{Agent: ag, CSRFToken: sess.CSRF})
}

func (a *API) logout(c *fiber.Ctx) error {
	if err := a.svc.Logout(c.UserContext(), who(c).token); err != nil {
		return a.fail(c, err)
	}
	c.Cookie(&fiber.Cookie{Name: SessionCookie, Value: "", Path: "/", HTTPOnly: true, Secure: a.cfg.CookieSecure,
		SameSite: fiber.CookieSameSiteLaxMode, Expires: time.Unix(0, 0)})
	return c.SendStatus(fiber.StatusNoContent)
}

func (a *API) me(c *fiber.Ctx) error {
	p := who(c)
	return c.JSON(Me{Agent: p.agent, CSRFToken: p.session.CSRF})
}

func (a *API) updateMe(c *fiber.Ctx) error {
	var in inbox.AgentInput
	if err := decode(c, &in); err != nil {
		return a.fail(c, err)
	}
	ag, err := a.svc.UpdateAgent(c.UserContext(), actor(c), who(c).agent.ID, in)
	if err != nil {
		return a.fail(c, err)
	}
	return c.JSON(ag)
}

// throttle counts failures per key within a window.
type throttle struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	now    func() time.Time
	hits   map[string][]time.Time
}

// throttleKeysMax bounds the keys kept; older entries are pruned first.
const throttleKeysMax = 100_000

func newThrottle(max int, window time.Duration, now func() time.Time) *throttle {
	return &throttle{max: max, window: window, now: now, hits: map[string][]time.Time{}}
}

func (t *throttle) recent(key string, now time.Time) []time.Time {
	hs := t.hits[key]
	i := 0
	for i < len(hs) && now.Sub(hs[i]) >= t.window {
		i++
	}
	hs = hs[i:]
	if len(hs) == 0 {
		delete(t.hits, key)
	} else {
		t.hits[key] = hs
	}
	return hs
}

// blocked returns how long until the first locked key opens again, or 0.
func (t *throttle) blocked(keys ...string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	var wait time.Duration
	for _, k := range keys {
		if hs := t.recent(k, now); len(hs) >= t.max {
			wait = max(wait, hs[0].Add(t.window).Sub(now))
		}
	}
	return wait
}

func (t *throttle) fail(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if len(t.hits) > throttleKeysMax {
		for k := range t.hits {
			t.recent(k, now)
		}
	}
	for _, k := range keys {
		t.hits[k] = append(t.recent(k, now), now)
	}
}

func (t *throttle) reset(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.hits, key)
}
