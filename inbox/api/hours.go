package api

import (
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/switchboard-chat/switchboard/inbox"
)

// HoursPreviewIn is the body of POST /api/v1/hours/preview.
type HoursPreviewIn struct {
	BusinessHours *inbox.BusinessHours `json:"businessHours"`
}

// HoursPreview answers it: open now, and the next changes.
type HoursPreview struct {
	Open        bool              `json:"open"`
	Transitions []HoursTransition `json:"transitions"`
}

// HoursTransition is one coming change: at, opens or closes.
type HoursTransition struct {
	At   time.Time `json:"at"`
	Open bool      `json:"open"`
}

// hoursPreview is POST /api/v1/hours/preview: business hours as they are
// being set, checked, with when they open and close next.
func (a *API) hoursPreview(c *fiber.Ctx) error {
	var in HoursPreviewIn
	if err := decode(c, &in); err != nil {
		return a.fail(c, err)
	}
	if in.BusinessHours == nil {
		return a.fail(c, &inbox.FieldError{Field: "businessHours", Message: "is required"})
	}
	open, next, err := a.svc.HoursPreview(c.UserContext(), actor(c), *in.BusinessHours)
	if err != nil {
		return a.fail(c, err)
	}
	out := HoursPreview{Open: open, Transitions: make([]HoursTransition, len(next))}
	for i, t := range next {
		out.Transitions[i] = HoursTransition{At: t.At, Open: t.Open}
	}
	return c.JSON(out)
}
