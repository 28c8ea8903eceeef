// Package httperr is the one place where errors become HTTP answers: the
// JSON error body every route of the agent API and the visitor API sends,
// and the mapping of the inbox's sentinel errors to status codes.
package httperr

import (
	"errors"
	"log/slog"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/switchboard-chat/switchboard/inbox"
)

// Body is the JSON shape of every error.
type Body struct {
	Error Detail `json:"error"`
}

// Detail describes an error; Field names the offending input field.
type Detail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// Write sends an error body with status.
func Write(c *fiber.Ctx, status int, code, msg, field string) error {
	return c.Status(status).JSON(Body{Error: Detail{Code: code, Message: msg, Field: field}})
}

// Map gives the status and body of a known error. ok is false for an
// error it does not know: the caller logs it and answers 500.
func Map(err error) (status int, d Detail, ok bool) {
	var fe *inbox.FieldError
	var ferr *fiber.Error
	switch {
	case errors.As(err, &fe):
		return fiber.StatusBadRequest, Detail{Code: "invalid", Message: fe.Error(), Field: fe.Field}, true
	case errors.Is(err, inbox.ErrInvalid):
		return fiber.StatusBadRequest, Detail{Code: "invalid", Message: err.Error()}, true
	case errors.Is(err, inbox.ErrUnauthorized):
		return fiber.StatusUnauthorized, Detail{Code: "unauthorized", Message: "sign in first"}, true
	case errors.Is(err, inbox.ErrBlocked):
		return fiber.StatusForbidden, Detail{Code: "blocked", Message: err.Error()}, true
	case errors.Is(err, inbox.ErrForbidden):
		return fiber.StatusForbidden, Detail{Code: "forbidden", Message: "you may not do this"}, true
	case errors.Is(err, inbox.ErrNotFound):
		return fiber.StatusNotFound, Detail{Code: "not_found", Message: err.Error()}, true
	case errors.Is(err, inbox.ErrClientIDReused):
		return fiber.StatusConflict, Detail{Code: "client_id_reused", Message: err.Error(), Field: "clientId"}, true
	case errors.Is(err, inbox.ErrConflict):
		return fiber.StatusConflict, Detail{Code: "conflict", Message: err.Error()}, true
	case errors.Is(err, inbox.ErrQuota):
		return fiber.StatusRequestEntityTooLarge, Detail{Code: "quota", Message: err.Error(), Field: "file"}, true
	case errors.Is(err, fiber.ErrRequestEntityTooLarge):
		return fiber.StatusRequestEntityTooLarge, Detail{Code: "too_large", Message: err.Error(), Field: "file"}, true
	case errors.As(err, &ferr):
		return ferr.Code, Detail{Code: "http", Message: ferr.Message}, true
	}
	return fiber.StatusInternalServerError, Detail{Code: "internal", Message: "internal error"}, false
}

// Handler renders errors raised outside the handlers (body too large,
// timeouts) in the same JSON shape: code is the HTTP status text in lower
// case with underscores.
func Handler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		var fe *fiber.Error
		if errors.As(err, &fe) {
			text := fiber.NewError(fe.Code).Message
			if text == "" {
				text = "error"
			}
			return Write(c, fe.Code, strings.ToLower(strings.ReplaceAll(text, " ", "_")), fe.Message, "")
		}
		log.Error("unhandled error", "path", c.Path(), "err", err)
		return Write(c, fiber.StatusInternalServerError, "internal", "internal error", "")
	}
}
