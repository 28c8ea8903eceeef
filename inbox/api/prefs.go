package api

import (
	"fmt"

	"github.com/gofiber/fiber/v2"
	"github.com/switchboard-chat/switchboard/inbox"
)

// The signed-in agent's UI preferences (today the conversation table's
// columns): read and replaced by their owner only, whatever the role.

// mountPrefs adds the preferences routes to the authenticated group v1.
func (a *API) mountPrefs(v1 fiber.Router) {
	v1.Get("/me/preferences", a.getPrefs)
	v1.Put("/me/preferences", a.putPrefs)
}

func (a *API) getPrefs(c *fiber.Ctx) error {
	p, err := a.svc.Prefs(c.UserContext(), actor(c))
	if err != nil {
		return a.fail(c, err)
	}
	return c.JSON(p)
}

func (a *API) putPrefs(c *fiber.Ctx) error {
	if n := len(c.Body()); n > inbox.PrefsMaxBytes {
		return writeError(c, fiber.StatusRequestEntityTooLarge, "too_large",
			fmt.Sprintf("preferences are %d bytes; the limit is %d", n, inbox.PrefsMaxBytes), "body")
	}
	var in inbox.Prefs
	if err := decode(c, &in); err != nil {
		return a.fail(c, err)
	}
	p, err := a.svc.SetPrefs(c.UserContext(), actor(c), in)
	if err != nil {
		return a.fail(c, err)
	}
	return c.JSON(p)
}
