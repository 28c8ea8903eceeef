package api

import (
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/switchboard-chat/switchboard/inbox"
)

func (a *API) listAgents(c *fiber.Ctx) error {
	items, err := a.svc.Agents(c.UserContext())
	if err != nil {
		return a.fail(c, err)
	}
	return c.JSON(List[inbox.Agent]{Items: items, Total: int64(len(items)), Limit: len(items)})
}

func (a *API) getAgent(c *fiber.Ctx) error {
	ag, err := a.svc.Agent(c.UserContext(), c.Params("id"))
	if err != nil {
		return a.fail(c, err)
	}
	return c.JSON(ag)
}

func (a *API) createAgent(c *fiber.Ctx) error {
	var in inbox.AgentInput
	if err := decode(c, &in); err != nil {
		return a.fail(c, err)
	}
	ag, err := a.svc.CreateAgent(c.UserContext(), actor(c), in)
	if err != nil {
		return a.fail(c, err)
	}
	return c.Status(fiber.StatusCreated).JSON(ag)
}

func (a *API) updateAgent(c *fiber.Ctx) error {
	var in inbox.AgentInput
	if err := decode(c, &in); err != nil {
		return a.fail(c, err)
	}
	ag, err := a.svc.UpdateAgent(c.UserContext(), actor(c), c.Params("id"), in)
	if err != nil {
		return a.fail(c, err)
	}
	return c.JSON(ag)
}

func (a *API) deleteAgent(c *fiber.Ctx) error {
	if !actor(c).IsAdmin() {
		return a.fail(c, inbox.ErrForbidden)
	}
	if c.Params("id") == who(c).agent.ID {
		return writeError(c, fiber.StatusConflict, "conflict", "you cannot delete yourself", "")
	}
	if err := a.svc.DeleteAgent(c.UserContext(), actor(c), c.Params("id")); err != nil {
		return a.fail(c, err)
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (a *API) listGroups(c *fiber.Ctx) error {
	items, err := a.svc.Groups(c.UserContext())
	if err != nil {
		return a.fail(c, err)
	}
	return c.JSON(List[inbox.Group]{Items: items, Total: int64(len(items)), Limit: len(items)})
}

func (a *API) getGroup(c *fiber.Ctx) error {
	g, err := a.svc.Group(c.UserContext(), c.Params("id"))
	if err != nil {
		return a.fail(c, err)
	}
	return c.JSON(g)
}

func (a *API) createGroup(c *fiber.Ctx) error {
	var in inbox.GroupInput
	if err := decode(c, &in); err != nil {
		return a.fail(c, err)
	}
	g, err := a.svc.CreateGroup(c.UserContext(), actor(c), in)
	if err != nil {
		return a.fail(c, err)
	}
	return c.Status(fiber.StatusCreated).JSON(g)
}

func (a *API) updateGroup(c *fiber.Ctx) error {
	var in inbox.GroupInput
	if err := decode(c, &in); err != nil {
		return a.fail(c, err)
	}
	g, err := a.svc.UpdateGroup(c.UserContext(), actor(c), c.Params("id"), in)
	if err != nil {
		return a.fail(c, err)
	}
	return c.JSON(g)
}

func (a *API) deleteGroup(c *fiber.Ctx) error {
	if err := a.svc.DeleteGroup(c.UserContext(), actor(c), c.Params("id")); err != nil {
		return a.fail(c, err)
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (a *API) listLines(c *fiber.Ctx) error {
	items, err := a.svc.Lines(c.UserContext())
	if err != nil {
		return a.fail(c, err)
	}
	for i := range items {
		items[i] = items[i].Redacted()
	}
	return c.JSON(List[inbox.Line]{Items: items, Total: int64(len(items)), Limit: len(items)})
}

func (a *API) getLine(c *fiber.Ctx) error {
	l, err := a.svc.Line(c.UserContext(), c.Params("id"))
	if err != nil {
		return a.fail(c, err)
	}
	return c.JSON(l.Redacted())
}

func (a *API) createLine(c *fiber.Ctx) error {
	var in inbox.LineInput
	if err := decode(c, &in); err != nil {
		return a.fail(c, err)
	}
	l, err := a.svc.CreateLine(c.UserContext(), actor(c), in)
	if err != nil {
		return a.fail(c, err)
	}
	return c.Status(fiber.StatusCreated).JSON(l.Redacted())
}

func (a *API) updateLine(c *fiber.Ctx) error {
	var in inbox.LineInput
	if err := decode(c, &in); err != nil {
		return a.fail(c, err)
	}
	l, err := a.svc.UpdateLine(c.UserContext(), actor(c), c.Params("id"), in)
	if err != nil {
		return a.fail(c, err)
	}
	return c.JSON(l.Redacted())
}

// DeletedLine reports a line deletion.
type DeletedLine struct {
	DeletedConversations int64 `json:"deletedConversations"`
}

// deleteLine deletes a line with its conversations. Because that loses
// data, a line that has conversations needs ?confirm=true.
func (a *API) deleteLine(c *fiber.Ctx) error {
	ctx, id := c.UserContext(), c.Params("id")
	if !actor(c).IsAdmin() {
		return a.fail(c, inbox.ErrForbidden)
	}
	if c.Query("confirm") != "true" {
		_, n, err := a.svc.Conversations(ctx, actor(c), inbox.ConversationFilter{LineIDs: []string{id}, Limit: 1})
		if err != nil {
			return a.fail(c, err)
		}
		if _, err := a.svc.Line(ctx, id); err != nil {
			return a.fail(c, err)
		}
		if n > 0 {
			return writeError(c, fiber.StatusConflict, "confirm",
				"deleting this line deletes its "+strconv.FormatInt(n, 10)+" conversations; repeat with ?confirm=true", "confirm")
		}
	}
	n, err := a.svc.DeleteLine(ctx, actor(c), id)
	if err != nil {
		return a.fail(c, err)
	}
	return c.JSON(DeletedLine{DeletedConversations: n})
}

func (a *API) listContacts(c *fiber.Ctx) error {
	f := inbox.ContactFilter{Query: c.Query("q")}
	var err error
	if f.Limit, f.Offset, err = paging(c); err != nil {
		return a.fail(c, err)
	}
	items, n, err := a.svc.Contacts(c.UserContext(), actor(c), f)
	if err != nil {
		return a.fail(c, err)
	}
	return c.JSON(List[inbox.Contact]{Items: items, Total: n, Limit: a.svc.PageSize(f.Limit), Offset: f.Offset})
}

func (a *API) getContact(c *fiber.Ctx) error {
	ct, err := a.svc.Contact(c.UserContext(), actor(c), c.Params("id"))
	if err != nil {
		return a.fail(c, err)
	}
	return c.JSON(ct)
}

func (a *API) createContact(c *fiber.Ctx) error {
	var in inbox.ContactInput
	if err := decode(c, &in); err != nil {
		return a.fail(c, err)
	}
	ct, err := a.svc.CreateContact(c.UserContext(), actor(c), in)
	if err != nil {
		return a.fail(c, err)
	}
	return c.Status(fiber.StatusCreated).JSON(ct)
}

func (a *API) updateContact(c *fiber.Ctx) error {
	var in inbox.ContactInput
	if err := decode(c, &in); err != nil {
		return a.fail(c, err)
	}
	ct, err := a.svc.UpdateContact(c.UserContext(), actor(c), c.Params("id"), in)
	if err != nil {
		return a.fail(c, err)
	}
	return c.JSON(ct)
}

func (a *API) blockContact(blocked bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ct, err := a.svc.BlockContact(c.UserContext(), actor(c), c.Params("id"), blocked)
		if err != nil {
			return a.fail(c, err)
		}
		return c.JSON(ct)
	}
}

// paging reads limit and offset.
func paging(c *fiber.Ctx) (limit, offset int, err error) {
	for _, p := range []struct {
		name string
		dst  *int
	}{{"limit", &limit}, {"offset", &offset}} {
		v := c.Query(p.name)
		if v == "" {
			continue
		}
		n, perr := strconv.Atoi(v)
		if perr != nil || n < 0 {
			return 0, 0, &inbox.FieldError{Field: p.name, Message: "must be a whole number ≥ 0"}
		}
		*p.dst = n
	}
	return limit, offset, nil
}
