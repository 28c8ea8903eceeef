package widget

import (
	"errors"
	"fmt"

	"github.com/gofiber/fiber/v2"
	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/inbox/httperr"
)

// refusal is a request the widget turns down with a status and a code.
type refusal struct {
	status int
	code   string
	msg    string
	field  string
}

func (r *refusal) Error() string { return r.code + ": " + r.msg }

func refuse(status int, code, format string, args ...any) error {
	return &refusal{status: status, code: code, msg: fmt.Sprintf(format, args...)}
}

// Refusals shared by several handlers.
var (
	errRateLimited = &refusal{status: fiber.StatusTooManyRequests, code: "rate_limited", msg: "too many requests; try again in a minute"}
	errNoFiles     = &refusal{status: fiber.StatusServiceUnavailable, code: "unavailable", msg: "file uploads are not available"}
)

func writeError(c *fiber.Ctx, status int, code, msg, field string) error {
	return httperr.Write(c, status, code, msg, field)
}

// fail answers err in the agent API's JSON shape: the widget's own
// refusals, then httperr's mapping; anything else is logged and a 500.
func (w *Widget) fail(c *fiber.Ctx, err error) error {
	var r *refusal
	switch {
	case errors.As(err, &r):
		return writeError(c, r.status, r.code, r.msg, r.field)
	case errors.Is(err, errBadToken):
		return writeError(c, fiber.StatusUnauthorized, "token", err.Error(), "")
	case errors.Is(err, inbox.ErrNotFound):
		// Never say what was not found: ids of others reveal nothing.
		return writeError(c, fiber.StatusNotFound, "not_found", "not found", "")
	}
	status, d, ok := httperr.Map(err)
	if !ok {
		w.log.Error("visitor request failed", "method", c.Method(), "path", c.Path(), "err", err)
	}
	return writeError(c, status, d.Code, d.Message, d.Field)
}

// frameError is the code and message of an error frame for err.
func (w *Widget) frameError(err error) (code, msg string) {
	var r *refusal
	var fe *inbox.FieldError
	switch {
	case errors.As(err, &r):
		return r.code, r.msg
	case errors.As(err, &fe):
		return "invalid", fe.Error()
	case errors.Is(err, inbox.ErrInvalid):
		return "invalid", err.Error()
	case errors.Is(err, inbox.ErrBlocked):
		return "blocked", "you cannot send messages"
	case errors.Is(err, inbox.ErrNotFound):
		return "not_found", "no such conversation"
	case errors.Is(err, inbox.ErrClientIDReused):
		return "client_id_reused", "this clientId was already used for a different message; use a new clientId for a new message"
	case errors.Is(err, inbox.ErrQuota):
		return "quota", "quota used up"
	case errors.Is(err, inbox.ErrConflict):
		return "conflict", err.Error()
	case errors.Is(err, inbox.ErrForbidden):
		return "forbidden", "you may not do this"
	}
	w.log.Error("visitor frame failed", "err", err)
	return "internal", "internal error"
}
