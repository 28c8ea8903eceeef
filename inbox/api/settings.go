package api

import (
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/switchboard-chat/switchboard/inbox"
)

// The settings routes: what the inbox's Settings section needs beyond the
// plain CRUD of directory.go — a line's conversation count (before
// deleting it), its identity secret, agents' loads, group members, and the
// signed-in agent's password and notification preferences.

// mountSettings adds the settings routes to the authenticated group v1.
func (a *API) mountSettings(v1 fiber.Router) {
	v1.Get("/lines/:id/conversation-count", a.lineConversationCount)
	v1.Post("/lines/:id/identity-secret", a.rotateIdentitySecret)
	v1.Delete("/lines/:id/identity-secret", a.clearIdentitySecret)
	v1.Get("/agent-loads", a.agentLoads)
	v1.Put("/groups/:id/members", a.setGroupMembers)
	v1.Post("/me/password", a.changePassword)
	v1.Patch("/me/notifications", a.setNotifications)
	v1.Post("/hours/preview", a.hoursPreview)
}

// ConversationCount is how many conversations a line has: what deleting
// it deletes.
type ConversationCount struct {
	Conversations int64 `json:"conversations"`
}

func (a *API) lineConversationCount(c *fiber.Ctx) error {
	n, err := a.svc.LineConversationCount(c.UserContext(), actor(c), c.Params("id"))
	if err != nil {
		return a.fail(c, err)
	}
	return c.JSON(ConversationCount{Conversations: n})
}

// IdentitySecret is a line's new identity-verification secret, shown once.
type IdentitySecret struct {
	IdentitySecret string `json:"identitySecret"`
}

func (a *API) rotateIdentitySecret(c *fiber.Ctx) error {
	secret, err := a.svc.RotateIdentitySecret(c.UserContext(), actor(c), c.Params("id"))
	if err != nil {
		return a.fail(c, err)
	}
	return c.JSON(IdentitySecret{IdentitySecret: secret})
}

func (a *API) clearIdentitySecret(c *fiber.Ctx) error {
	if err := a.svc.ClearIdentitySecret(c.UserContext(), actor(c), c.Params("id")); err != nil {
		return a.fail(c, err)
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// AgentLoads maps agent ids to their active conversations (statuses 1–6);
// agents with none are left out.
type AgentLoads struct {
	Active map[string]int `json:"active"`
}

func (a *API) agentLoads(c *fiber.Ctx) error {
	loads, err := a.svc.AgentLoads(c.UserContext(), actor(c))
	if err != nil {
		return a.fail(c, err)
	}
	return c.JSON(AgentLoads{Active: loads})
}

// GroupMembers are the agents of a group.
type GroupMembers struct {
	AgentIDs []string `json:"agentIds"`
}

func (a *API) setGroupMembers(c *fiber.Ctx) error {
	if !actor(c).IsAdmin() {
		return a.fail(c, inbox.ErrForbidden)
	}
	var in GroupMembers
	if err := decode(c, &in); err != nil {
		return a.fail(c, err)
	}
	if in.AgentIDs == nil {
		return a.fail(c, &inbox.FieldError{Field: "agentIds", Message: "is required (an empty list removes every member)"})
	}
	ids, err := a.svc.SetGroupMembers(c.UserContext(), actor(c), c.Params("id"), in.AgentIDs)
	if err != nil {
		return a.fail(c, err)
	}
	return c.JSON(GroupMembers{AgentIDs: ids})
}

// PasswordChange is the body of POST /me/password.
type PasswordChange struct {
	CurrentPassword string `json:"currentPassword"`
	NewPassword     string `json:"newPassword"`
}

// PasswordChanged answers a password change.
type PasswordChanged struct {
	Agent *inbox.Agent `json:"agent"`
	// OtherSessionsEnded: every other session of the agent was signed out.
	OtherSessionsEnded bool `json:"otherSessionsEnded"`
}

// changePassword sets the agent's own password. The current password is
// checked under the sign-in throttle (per account and address), so this
// route cannot be used to guess it faster than the sign-in form allows.
func (a *API) changePassword(c *fiber.Ctx) error {
	var in PasswordChange
	if err := decode(c, &in); err != nil {
		return a.fail(c, err)
	}
	if in.CurrentPassword == "" {
		return a.fail(c, &inbox.FieldError{Field: "currentPassword", Message: "is required"})
	}
	if err := inbox.CheckPassword("newPassword", in.NewPassword); err != nil {
		return a.fail(c, err)
	}
	p := who(c)
	att, refused := a.throttle.begin(c.UserContext(), p.agent.Email, c.IP())
	if refused != nil {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(refused.wait.Seconds())+1))
		return writeError(c, fiber.StatusTooManyRequests, "throttled", "too many wrong passwords; try again later", "currentPassword")
	}
	ag, err := a.svc.ChangePassword(c.UserContext(), actor(c), in.CurrentPassword, in.NewPassword, p.token)
	var fe *inbox.FieldError
	switch {
	case err == nil, errors.As(err, &fe) && fe.Field != "currentPassword":
		att.succeeded(c.UserContext()) // the current password was right
	default:
		att.failed(c.UserContext())
	}
	if err != nil {
		return a.fail(c, err)
	}
	return c.JSON(PasswordChanged{Agent: ag, OtherSessionsEnded: true})
}

func (a *API) setNotifications(c *fiber.Ctx) error {
	var in inbox.NotifyInput
	if err := decode(c, &in); err != nil {
		return a.fail(c, err)
	}
	ag, err := a.svc.SetNotifications(c.UserContext(), actor(c), in)
	if err != nil {
		return a.fail(c, err)
	}
	return c.JSON(ag)
}
