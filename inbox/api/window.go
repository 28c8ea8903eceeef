package api

import (
	"github.com/gofiber/fiber/v2"
	"github.com/switchboard-chat/switchboard/inbox"
)

// The conversation window's own reads. Everything the window changes goes
// through the routes that exist for it (contacts, assign, forward, pin,
// rating, delete).

// ContactPanel is what the conversation window shows beside the
// messages: the conversation's contact (with the browser and OS of a
// website visitor) and the contact's conversations the agent may see,
// newest first, this one included.
type ContactPanel struct {
	Contact       *inbox.Contact           `json:"contact"`
	Conversations List[inbox.Conversation] `json:"conversations"`
}

// DefaultPanelConversations is how many of the contact's conversations
// the panel lists when the request names no limit.
const DefaultPanelConversations = 20

func (a *API) mountWindow(v1 fiber.Router) {
	v1.Get("/conversations/:id/contact", a.contactPanel)
}

// contactPanel is GET /conversations/{id}/contact?limit=&offset=.
func (a *API) contactPanel(c *fiber.Ctx) error {
	ctx, me := c.UserContext(), actor(c)
	limit, offset, err := paging(c)
	if err != nil {
		return a.fail(c, err)
	}
	for k := range c.Queries() {
		if k != "limit" && k != "offset" {
			return a.fail(c, &inbox.FieldError{Field: k, Message: "is not a known parameter"})
		}
	}
	if limit == 0 {
		limit = DefaultPanelConversations
	}
	conv, err := a.svc.Conversation(ctx, me, c.Params("id"))
	if err != nil {
		return a.fail(c, err)
	}
	ct, err := a.svc.Contact(ctx, me, conv.ContactID)
	if err != nil {
		return a.fail(c, err)
	}
	items, n, err := a.svc.Conversations(ctx, me, inbox.ConversationFilter{ContactID: ct.ID, Limit: limit, Offset: offset})
	if err != nil {
		return a.fail(c, err)
	}
	return c.JSON(ContactPanel{Contact: ct, Conversations: List[inbox.Conversation]{
		Items: items, Total: n, Limit: a.svc.PageSize(limit), Offset: offset,
	}})
}
