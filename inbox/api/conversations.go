package api

import (
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/switchboard-chat/switchboard/inbox"
)

// ConversationView is a conversation with its messages.
type ConversationView struct {
	Conversation *inbox.Conversation `json:"conversation"`
	Messages     []inbox.Message     `json:"messages"`
}

// MaxHistory is how many messages GET /conversations/{id} includes; older
// ones are read with /messages.
const MaxHistory = 500

func (a *API) getConversation(c *fiber.Ctx) error {
	ctx, id := c.UserContext(), c.Params("id")
	conv, err := a.svc.Conversation(ctx, actor(c), id)
	if err != nil {
		return a.fail(c, err)
	}
	from := max(conv.Seq-MaxHistory, 0)
	msgs, err := a.svc.Messages(ctx, actor(c), id, from, MaxHistory)
	if err != nil {
		return a.fail(c, err)
	}
	return c.JSON(ConversationView{Conversation: conv, Messages: msgs})
}

func (a *API) listMessages(c *fiber.Ctx) error {
	after, err := intQuery(c, "after")
	if err != nil {
		return a.fail(c, err)
	}
	limit, _, err := paging(c)
	if err != nil {
		return a.fail(c, err)
	}
	msgs, err := a.svc.Messages(c.UserContext(), actor(c), c.Params("id"), after, limit)
	if err != nil {
		return a.fail(c, err)
	}
	return c.JSON(List[inbox.Message]{Items: msgs, Total: int64(len(msgs)), Limit: len(msgs)})
}

func intQuery(c *fiber.Ctx, name string) (int64, error) {
	v := c.Query(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, &inbox.FieldError{Field: name, Message: "must be a whole number ≥ 0"}
	}
	return n, nil
}

// PostMessage is the body of POST /conversations/{id}/messages.
type PostMessage struct {
	Text        string             `json:"text"`
	Comment     bool               `json:"comment"`
	ClientID    string             `json:"clientId"`
	Attachments []inbox.Attachment `json:"attachments"`
	// As lets admins and supervisors write as a bot, and admins as the
	// contact (integrations); agents always write as themselves.
	As inbox.AuthorKind `json:"as"`
	// AuthorName names the bot.
	AuthorName string `json:"authorName"`
	// Subject is an e-mail reply's subject (e-mail conversations only).
	Subject string `json:"subject"`
}

// PostedMessage is the answer to a posted message.
type PostedMessage struct {
	Message   *inbox.Message `json:"message"`
	Duplicate bool           `json:"duplicate"`
}

func (a *API) postMessage(c *fiber.Ctx) error {
	var in PostMessage
	if err := decode(c, &in); err != nil {
		return a.fail(c, err)
	}
	if in.As == "" {
		in.As = inbox.AuthorAgent
	} else if !in.As.Valid() {
		return a.fail(c, &inbox.FieldError{Field: "as", Message: "must be agent, bot, contact or system"})
	}
	atts, err := a.ownAttachments(c.UserContext(), who(c).agent.ID, in.Attachments)
	if err != nil {
		return a.fail(c, err)
	}
	in.Attachments = atts
	m, dup, err := a.svc.Append(c.UserContext(), actor(c), c.Params("id"), inbox.MessageInput{
		AuthorKind: in.As, AuthorName: in.AuthorName, Text: in.Text, Comment: in.Comment,
		ClientID: in.ClientID, Attachments: in.Attachments, Subject: in.Subject,
	})
	if err != nil {
		return a.fail(c, err)
	}
	status := fiber.StatusCreated
	if dup {
		status = fiber.StatusOK
	}
	return c.Status(status).JSON(PostedMessage{Message: m, Duplicate: dup})
}

func (a *API) openConversation(c *fiber.Ctx) error {
	var in inbox.OpenInput
	if err := decode(c, &in); err != nil {
		return a.fail(c, err)
	}
	if in.Message != nil {
		atts, err := a.ownAttachments(c.UserContext(), who(c).agent.ID, in.Message.Attachments)
		if err != nil {
			return a.fail(c, inbox.FieldPrefix("message.", err))
		}
		in.Message.Attachments = atts
	}
	conv, m, err := a.svc.Open(c.UserContext(), actor(c), in)
	if err != nil {
		return a.fail(c, err)
	}
	msgs := []inbox.Message{}
	if m != nil {
		msgs = append(msgs, *m)
	}
	return c.Status(fiber.StatusCreated).JSON(ConversationView{Conversation: conv, Messages: msgs})
}

type convOp func(c *fiber.Ctx) (*inbox.Conversation, error)

func (a *API) op(f convOp) fiber.Handler {
	return func(c *fiber.Ctx) error {
		conv, err := f(c)
		if err != nil {
			return a.fail(c, err)
		}
		return c.JSON(conv)
	}
}

// retryDelivery sends a failed reply to its channel again.
func (a *API) retryDelivery(c *fiber.Ctx) error {
	m, err := a.svc.RetryDelivery(c.UserContext(), actor(c), c.Params("id"), c.Params("mid"))
	if err != nil {
		return a.fail(c, err)
	}
	return c.JSON(m)
}

func (a *API) accept(c *fiber.Ctx) error {
	return a.op(func(c *fiber.Ctx) (*inbox.Conversation, error) {
		return a.svc.Accept(c.UserContext(), actor(c), c.Params("id"))
	})(c)
}

func (a *API) close(c *fiber.Ctx) error {
	return a.op(func(c *fiber.Ctx) (*inbox.Conversation, error) {
		return a.svc.Close(c.UserContext(), actor(c), c.Params("id"))
	})(c)
}

func (a *API) spam(c *fiber.Ctx) error {
	return a.op(func(c *fiber.Ctx) (*inbox.Conversation, error) {
		return a.svc.MarkSpam(c.UserContext(), actor(c), c.Params("id"))
	})(c)
}

func (a *API) forward(c *fiber.Ctx) error {
	return a.op(func(c *fiber.Ctx) (*inbox.Conversation, error) {
		var t inbox.ForwardTarget
		if err := decode(c, &t); err != nil {
			return nil, err
		}
		return a.svc.Forward(c.UserContext(), actor(c), c.Params("id"), t)
	})(c)
}

type assignBody struct {
	AgentID string `json:"agentId"`
	GroupID string `json:"groupId"`
}

func (a *API) assign(c *fiber.Ctx) error {
	return a.op(func(c *fiber.Ctx) (*inbox.Conversation, error) {
		var b assignBody
		if err := decode(c, &b); err != nil {
			return nil, err
		}
		return a.svc.Assign(c.UserContext(), actor(c), c.Params("id"), b.AgentID, b.GroupID)
	})(c)
}

type pinBody struct {
	Pinned *bool `json:"pinned"`
}

func (a *API) pin(c *fiber.Ctx) error {
	return a.op(func(c *fiber.Ctx) (*inbox.Conversation, error) {
		var b pinBody
		if err := decode(c, &b); err != nil {
			return nil, err
		}
		if b.Pinned == nil {
			return nil, &inbox.FieldError{Field: "pinned", Message: "is required"}
		}
		return a.svc.Pin(c.UserContext(), actor(c), c.Params("id"), *b.Pinned)
	})(c)
}

type ratingBody struct {
	Rating  *int   `json:"rating"`
	Comment string `json:"comment"`
}

func (b ratingBody) rating() (int, error) {
	if b.Rating == nil {
		return 0, &inbox.FieldError{Field: "rating", Message: "is required"}
	}
	return *b.Rating, nil
}

func (a *API) supervisorRating(c *fiber.Ctx) error {
	return a.op(func(c *fiber.Ctx) (*inbox.Conversation, error) {
		var b ratingBody
		if err := decode(c, &b); err != nil {
			return nil, err
		}
		r, err := b.rating()
		if err != nil {
			return nil, err
		}
		return a.svc.RateBySupervisor(c.UserContext(), actor(c), c.Params("id"), r, b.Comment)
	})(c)
}

type clientRatingBody struct {
	Rating *int `json:"rating"`
}

func (a *API) clientRating(c *fiber.Ctx) error {
	return a.op(func(c *fiber.Ctx) (*inbox.Conversation, error) {
		var b clientRatingBody
		if err := decode(c, &b); err != nil {
			return nil, err
		}
		r, err := ratingBody{Rating: b.Rating}.rating()
		if err != nil {
			return nil, err
		}
		return a.svc.RateByClient(c.UserContext(), actor(c), c.Params("id"), r)
	})(c)
}

func (a *API) deleteConversation(c *fiber.Ctx) error {
	if err := a.svc.DeleteConversation(c.UserContext(), actor(c), c.Params("id")); err != nil {
		return a.fail(c, err)
	}
	return c.SendStatus(fiber.StatusNoContent)
}

type bulkBody struct {
	IDs    []string            `json:"ids"`
	Action inbox.BulkAction    `json:"action"`
	Target inbox.ForwardTarget `json:"target"`
}

// BulkResults answers a bulk action.
type BulkResults struct {
	Results []inbox.BulkResult `json:"results"`
}

func (a *API) bulk(c *fiber.Ctx) error {
	var b bulkBody
	if err := decode(c, &b); err != nil {
		return a.fail(c, err)
	}
	res, err := a.svc.Bulk(c.UserContext(), actor(c), b.IDs, b.Action, b.Target)
	if err != nil {
		return a.fail(c, err)
	}
	return c.JSON(BulkResults{Results: res})
}

func (a *API) listConversations(c *fiber.Ctx) error {
	f, err := parseFilter(c.Context().QueryArgs().String())
	if err != nil {
		return a.fail(c, err)
	}
	items, n, err := a.svc.Conversations(c.UserContext(), actor(c), f)
	if err != nil {
		return a.fail(c, err)
	}
	return c.JSON(List[inbox.Conversation]{Items: items, Total: n, Limit: a.svc.PageSize(f.Limit), Offset: f.Offset})
}

// parseFilter reads the list's query string. Unknown parameters are
// refused so a typo never silently widens a result.
func parseFilter(raw string) (inbox.ConversationFilter, error) {
	var f inbox.ConversationFilter
	q, err := url.ParseQuery(raw)
	if err != nil {
		return f, &inbox.FieldError{Field: "query", Message: "malformed query string"}
	}
	dates := map[string]bool{}
	for _, d := range inbox.DateColumns {
		dates[d] = true
	}
	keys := slices.Sorted(maps.Keys(q)) // the same bad parameter is named every time
	for _, key := range keys {
		vals := q[key]
		v := vals[len(vals)-1]
		list := splitList(vals)
		bad := func(msg string) error { return &inbox.FieldError{Field: key, Message: msg} }
		switch key {
		case "number":
			if f.Number, err = strconv.ParseInt(v, 10, 64); err != nil || f.Number <= 0 {
				return f, bad("must be a conversation number")
			}
		case "agent":
			f.AgentIDs = list
		case "unassigned":
			if f.Unassigned, err = strconv.ParseBool(v); err != nil {
				return f, bad("must be true or false")
			}
		case "group":
			f.GroupIDs = list
		case "line":
			f.LineIDs = list
		case "channel":
			for _, s := range list {
				if !inbox.Channel(s).Valid() {
					return f, bad("unknown channel " + strconv.Quote(s))
				}
				f.Channels = append(f.Channels, inbox.Channel(s))
			}
		case "type":
			for _, s := range list {
				if s != string(inbox.Incoming) && s != string(inbox.Outgoing) {
					return f, bad("must be incoming or outgoing")
				}
				f.Types = append(f.Types, inbox.ConversationType(s))
			}
		case "status":
			for _, s := range list {
				if !inbox.GeneralStatus(s).Valid() {
					return f, bad("must be waiting, answered or closed")
				}
				f.General = append(f.General, inbox.GeneralStatus(s))
			}
		case "detailedStatus":
			for _, s := range list {
				if !inbox.Status(s).Valid() {
					return f, bad("unknown status " + strconv.Quote(s))
				}
				f.Statuses = append(f.Statuses, inbox.Status(s))
			}
		case "active":
			if f.Active, err = strconv.ParseBool(v); err != nil {
				return f, bad("must be true or false")
			}
		case "client":
			f.Client = v
		case "contact":
			f.ContactID = v
		case "spam", "pinned", "formFilled", "historyRequested", "missed":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return f, bad("must be true or false")
			}
			*map[string]**bool{"spam": &f.Spam, "pinned": &f.Pinned, "formFilled": &f.FormFilled, "historyRequested": &f.HistoryRequested, "missed": &f.Missed}[key] = ptr(b)
		case "clientRating", "supervisorRating":
			for _, s := range list {
				n, err := strconv.Atoi(s)
				if err != nil || n < 0 || n > 5 {
					return f, bad("ratings are 0 (none) to 5")
				}
				if key == "clientRating" {
					f.ClientRating = append(f.ClientRating, n)
				} else {
					f.SupervisorRating = append(f.SupervisorRating, n)
				}
			}
		case "sort":
			f.Sort = v
		case "limit", "offset":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return f, bad("must be a whole number ≥ 0")
			}
			if key == "limit" {
				f.Limit = n
			} else {
				f.Offset = n
			}
		default:
			col, end, ok := strings.Cut(key, "From")
			if !ok || end != "" {
				col, end, ok = strings.Cut(key, "To")
			}
			if !ok || end != "" || !dates[col] {
				return f, bad("is not a known filter")
			}
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return f, bad("must be an RFC 3339 time like 2026-01-31T09:00:00Z")
			}
			if f.Dates == nil {
				f.Dates = map[string]inbox.TimeRange{}
			}
			r := f.Dates[col]
			if strings.HasSuffix(key, "From") {
				r.From = t
			} else {
				r.To = t
			}
			f.Dates[col] = r
		}
	}
	return f, nil
}

func ptr[T any](v T) *T { return &v }

func splitList(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}
