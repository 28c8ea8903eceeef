package widget

import (
	"context"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/switchboard-chat/switchboard/inbox"
)

// originRule says what a request must show to act for a line.
type originRule int

const (
	// needOrigin: an Origin header is required (writes, the websocket).
	needOrigin originRule = iota
	// needClaim: as needOrigin, and a request from the gateway's own
	// origin (the iframe) must name the host page's origin it runs for.
	needClaim
	// tokenRead: a token-authorised GET; browsers send no Origin header
	// on same-origin GETs or image loads, so its absence is accepted.
	tokenRead
)

func errOrigin(format string, args ...any) error {
	return refuse(fiber.StatusForbidden, "origin", format, args...)
}

// allows reports whether origin is in the line's allowlist.
func allows(l *inbox.Line, origin string) bool {
	if origin == "" {
		return false
	}
	return slices.ContainsFunc(l.Channels.Widget.AllowedOrigins, func(o string) bool { return strings.EqualFold(o, origin) })
}

// checkOrigin enforces the line's origin allowlist (protocol section 2).
// header is the request's Origin header; claimed is the host page's
// origin as passed by the iframe (the "origin" parameter or field).
func (w *Widget) checkOrigin(l *inbox.Line, header, claimed string, rule originRule) error {
	switch {
	case header == "":
		if rule == tokenRead {
			return nil
		}
		return errOrigin("the Origin header is missing")
	case w.publicOrigin != "" && strings.EqualFold(header, w.publicOrigin):
		// The chat iframe: the page embedding it is what counts.
		if claimed == "" {
			if rule == needClaim {
				return errOrigin("the iframe must pass the host page's origin")
			}
			return nil
		}
		if !allows(l, claimed) {
			return errOrigin("%s may not embed this line's widget", claimed)
		}
		return nil
	case allows(l, header):
		return nil
	}
	return errOrigin("%s may not use this line's widget", header)
}

// cors lets an allowed host page read the answer when it calls the visitor
// API directly rather than through the iframe.
func (w *Widget) cors(c *fiber.Ctx) {
	c.Vary(fiber.HeaderOrigin)
	if o := c.Get(fiber.HeaderOrigin); o != "" {
		c.Set(fiber.HeaderAccessControlAllowOrigin, o)
	}
}

// preflight answers CORS preflights for origins some line allows; the real
// request is checked against its own line again.
func (w *Widget) preflight(c *fiber.Ctx) error {
	o := c.Get(fiber.HeaderOrigin)
	ok, err := w.anyLineAllows(c.UserContext(), o)
	if err != nil {
		return w.fail(c, err)
	}
	if !ok {
		return w.fail(c, errOrigin("%s may not use the widget", o))
	}
	w.cors(c)
	c.Set(fiber.HeaderAccessControlAllowMethods, "GET, POST")
	c.Set(fiber.HeaderAccessControlAllowHeaders, "Content-Type, Authorization")
	c.Set(fiber.HeaderAccessControlMaxAge, "600")
	return c.SendStatus(fiber.StatusNoContent)
}

func (w *Widget) anyLineAllows(ctx context.Context, origin string) (bool, error) {
	if origin == "" {
		return false, nil
	}
	if w.publicOrigin != "" && strings.EqualFold(origin, w.publicOrigin) {
		return true, nil
	}
	lines, err := w.svc.Lines(ctx)
	if err != nil {
		return false, err
	}
	for i := range lines {
		if lines[i].Channels.Widget.Enabled && allows(&lines[i], origin) {
			return true, nil
		}
	}
	return false, nil
}
