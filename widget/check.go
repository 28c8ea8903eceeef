package widget

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/switchboard-chat/switchboard/inbox"
)

// checkResponse is the answer of GET /widget/v1/check when the page may
// show the line's widget.
type checkResponse struct {
	OK      bool       `json:"ok"`
	Mode    inbox.Mode `json:"mode"`
	OpensAt *time.Time `json:"opensAt,omitempty"`
}

// check is GET /widget/v1/check?lineId=ID&origin=HOST_ORIGIN: the loader
// asks it before it draws anything, so a page that may not show the chat
// gets no launcher, and its developer a console warning, instead of a
// launcher that opens a broken frame. It applies the frame's rule: the
// host page's origin must be in the line's allowed origins.
func (w *Widget) check(c *fiber.Ctx) error {
	// Every answer, refusals too, is readable by the page that asked: the
	// loader must learn why it draws nothing. None of it is secret — the
	// frame's CSP lists the allowed origins anyway.
	w.cors(c)
	c.Set(fiber.HeaderCacheControl, "no-store")
	// Its own buckets in the session limiter: a page view costs a check and
	// maybe a session, and checks must not eat up the sessions' allowance.
	if !w.sessions.allow("check " + c.IP()) {
		return w.fail(c, errRateLimited)
	}
	id := c.Query("lineId")
	if id == "" {
		return w.fail(c, &inbox.FieldError{Field: "lineId", Message: "is required"})
	}
	ctx := c.UserContext()
	line, err := w.widgetLine(ctx, id)
	var r *refusal
	if errors.As(err, &r) && r.status == fiber.StatusNotFound {
		return w.fail(c, refuse(r.status, r.code, "line %.100q is unknown or its widget is disabled: check the script tag's data-line and the line's widget channel", id))
	}
	if err != nil {
		return w.fail(c, err)
	}
	header, claimed := c.Get(fiber.HeaderOrigin), c.Query("origin")
	if header == "" {
		// Browsers send no Origin on a same-origin GET: the page is on the
		// gateway itself (as /demo is), so the origin it names is checked.
		header = w.publicOrigin
	}
	if err := w.checkOrigin(line, header, claimed, needClaim); err != nil {
		// The loader prints this message for the site's developer: it
		// names the page's origin, exactly as it must be allowed.
		page := header
		if strings.EqualFold(header, w.publicOrigin) {
			page = claimed
		}
		if page == "" {
			return w.fail(c, err)
		}
		return w.fail(c, errOrigin("%.200s is not among the allowed origins of line %s: add it there (channels.widget.allowedOrigins) to show the chat on this page", page, line.ID))
	}
	mode, err := w.svc.LineMode(ctx, line.ID)
	if err != nil {
		return w.fail(c, fmt.Errorf("widget: mode of line %s: %w", line.ID, err))
	}
	return c.JSON(checkResponse{OK: true, Mode: mode, OpensAt: w.opensAt(ctx, line.ID, mode)})
}

// opensAt is when a line that is not live because its business hours are
// closed opens again; nil otherwise (or when that cannot be read: the
// widget then simply does not say).
func (w *Widget) opensAt(ctx context.Context, lineID string, mode inbox.Mode) *time.Time {
	if mode == inbox.ModeLive {
		return nil
	}
	at, ok, err := w.svc.LineOpensAt(ctx, lineID)
	if err != nil {
		w.log.Warn("widget: line opening hours", "line", lineID, "err", err)
		return nil
	}
	if !ok {
		return nil
	}
	at = at.UTC()
	return &at
}
