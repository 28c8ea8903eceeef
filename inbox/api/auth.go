package api

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
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
	// Answers carry the agent's data and /me the CSRF token: no cache may keep them.
	c.Set(fiber.HeaderCacheControl, "no-store")
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
	// Mail says the gateway can send e-mail (SWITCHBOARD_SMTP_URL): agents
	// may ask for transcripts.
	Mail bool `json:"mail"`
}

func (a *API) login(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	// Login CSRF: a cross-site page must not sign the victim into the
	// attacker's account. Only JSON (which a form cannot send without a
	// CORS preflight) from this site's own origin is accepted.
	if err := a.checkLoginOrigin(c); err != nil {
		if errors.Is(err, errNotJSON) {
			return writeError(c, fiber.StatusUnsupportedMediaType, "unsupported_media_type", err.Error(), "Content-Type")
		}
		return writeError(c, fiber.StatusForbidden, "cross_site", "sign in from this site's own sign-in page", "Origin")
	}
	var req loginRequest
	if err := decode(c, &req); err != nil {
		return a.fail(c, err)
	}
	if req.Email == "" {
		return a.fail(c, &inbox.FieldError{Field: "email", Message: "is required"})
	}
	account := strings.ToLower(strings.TrimSpace(req.Email)) // as Login matches it
	att, refused := a.throttle.begin(c.UserContext(), account, c.IP())
	if refused != nil {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(refused.wait.Seconds())+1))
		if refused.why == "busy" {
			return writeError(c, fiber.StatusTooManyRequests, "throttled", "too many sign-ins at once; try again in a moment", "")
		}
		return writeError(c, fiber.StatusTooManyRequests, "throttled", "too many failed sign-ins; try again later", "")
	}
	token, sess, ag, err := a.svc.Login(c.UserContext(), req.Email, req.Password, a.cfg.SessionTTL)
	if err != nil {
		att.failed(c.UserContext())
		if errors.Is(err, inbox.ErrUnauthorized) {
			return writeError(c, fiber.StatusUnauthorized, "unauthorized", "wrong e-mail or password", "")
		}
		return a.fail(c, err)
	}
	att.succeeded(c.UserContext())
	c.Cookie(&fiber.Cookie{
		Name: SessionCookie, Value: token, Path: "/", HTTPOnly: true, Secure: a.cfg.CookieSecure,
		SameSite: fiber.CookieSameSiteLaxMode, Expires: sess.ExpiresAt,
	})
	return c.JSON(Me{Agent: ag, CSRFToken: sess.CSRF})
}

// Refused sign-ins: from a page of another site, or not as JSON.
var (
	errCrossSite = fmt.Errorf("sign-in from another site: %w", inbox.ErrForbidden)
	errNotJSON   = errors.New("sign-in takes Content-Type: application/json")
)

// checkLoginOrigin accepts a sign-in only as JSON and, when the browser
// says where the request comes from, only from this site.
func (a *API) checkLoginOrigin(c *fiber.Ctx) error {
	ct := strings.ToLower(strings.TrimSpace(strings.SplitN(c.Get(fiber.HeaderContentType), ";", 2)[0]))
	if ct != fiber.MIMEApplicationJSON {
		return errNotJSON
	}
	if c.Get("Sec-Fetch-Site") == "cross-site" {
		return errCrossSite
	}
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "" {
		return nil // not a browser, or a same-origin GET-like request: nothing to forge
	}
	if origin == "null" || !a.sameSite(origin, c.Hostname()) {
		return errCrossSite
	}
	return nil
}

// sameSite reports whether origin is the gateway's public origin or the
// host the request was sent to.
func (a *API) sameSite(origin, host string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if a.publicOrigin != "" && strings.EqualFold(strings.TrimRight(origin, "/"), a.publicOrigin) {
		return true
	}
	return strings.EqualFold(u.Host, host)
}

// logout ends the session and its agent websockets. The agent goes
// offline unless another session of theirs has an agent websocket.
func (a *API) logout(c *fiber.Ctx) error {
	p := who(c)
	if err := a.svc.Logout(c.UserContext(), p.token); err != nil {
		return a.fail(c, err)
	}
	if err := a.presence.signedOut(c.UserContext(), p.agent, p.token); err != nil {
		a.log.Error("sign-out presence", "agent", p.agent.ID, "err", err)
	}
	a.announceSignOut(c.UserContext(), p.agent.ID, p.token)
	c.Cookie(&fiber.Cookie{Name: SessionCookie, Value: "", Path: "/", HTTPOnly: true, Secure: a.cfg.CookieSecure,
		SameSite: fiber.CookieSameSiteLaxMode, Expires: time.Unix(0, 0)})
	return c.SendStatus(fiber.StatusNoContent)
}

func (a *API) me(c *fiber.Ctx) error {
	p := who(c)
	return c.JSON(Me{Agent: p.agent, CSRFToken: p.session.CSRF, Mail: a.svc.SendsMail()})
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
