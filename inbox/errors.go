package inbox

import (
	"errors"
	"fmt"
)

// Sentinel errors. The HTTP edge maps them to status codes; nothing inside
// inbox knows about HTTP.
var (
	ErrNotFound     = errors.New("not found")
	ErrForbidden    = errors.New("forbidden")
	ErrConflict     = errors.New("conflict")
	ErrInvalid      = errors.New("invalid input")
	ErrBlocked      = errors.New("contact is blocked")
	ErrUnauthorized = errors.New("not signed in")
	// ErrQuota is a write refused because its owner's quota is used up.
	ErrQuota = errors.New("quota exceeded")
	// ErrClientIDReused is a message whose client id already names a
	// different message of the conversation.
	ErrClientIDReused = errors.New("the clientId already names a different message")
)

// FieldError is bad input in one named field.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Message) }

// Unwrap makes a FieldError match ErrInvalid.
func (e *FieldError) Unwrap() error { return ErrInvalid }

// invalid builds a FieldError.
func invalid(field, format string, args ...any) error {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// conflict wraps ErrConflict with a reason a user can read.
func conflict(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrConflict)
}
