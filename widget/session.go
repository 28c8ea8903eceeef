package widget

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/switchboard-chat/switchboard/inbox"
)

// sessionRequest is the body of POST /widget/v1/session.
type sessionRequest struct {
	LineID   string     `json:"lineId"`
	Origin   string     `json:"origin"`
	Token    string     `json:"token"`
	Page     string     `json:"page"`
	Language string     `json:"language"`
	User     *userInput `json:"user"`
}

// userInput is what Switchboard.setUser passes.
type userInput struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
	Hash  string `json:"hash"`
}

type sessionResponse struct {
	Token        string            `json:"token"`
	VisitorID    string            `json:"visitorId"`
	Mode         inbox.Mode        `json:"mode"`
	Line         lineView          `json:"line"`
	Conversation *conversationView `json:"conversation"`
	Messages     []inbox.Message   `json:"messages"`
}

type lineView struct {
	Name     string `json:"name"`
	Greeting string `json:"greeting"`
	// ContactForm: the line asks for name and e-mail in the chat, before
	// the first message in live-chat mode too.
	ContactForm bool `json:"contactForm"`
	// The look (inbox.WidgetLook): the window's title (empty: Name), the
	// greeting in messenger mode, the brand colour and the text colour on
	// it, the launcher's corner and label.
	Title             string `json:"title"`
	MessengerGreeting string `json:"messengerGreeting"`
	Color             string `json:"color"`
	TextColor         string `json:"textColor"`
	Position          string `json:"position"`
	LauncherLabel     string `json:"launcherLabel"`
}

// conversationView is what a visitor learns about their conversation.
type conversationView struct {
	ID     string       `json:"id"`
	Status inbox.Status `json:"status"`
	Seq    int64        `json:"seq"`
}

func viewOf(c *inbox.Conversation) *conversationView {
	if c == nil {
		return nil
	}
	return &conversationView{ID: c.ID, Status: c.Status, Seq: c.Seq}
}

const (
	// visitorName is a new visitor's stored name: none until the form or
	// setUser gives one. The inbox numbers them instead (VisitorSeen) and
	// shows "Visitor 1234" in each agent's language.
	visitorName    = ""
	maxUserIDChars = 200
)

func (w *Widget) createSession(c *fiber.Ctx) error {
	// The answer carries the visitor token: no cache may keep it.
	c.Set(fiber.HeaderCacheControl, "no-store")
	if !w.sessions.allow(c.IP()) {
		return w.fail(c, errRateLimited)
	}
	var req sessionRequest
	if err := decodeBody(c, &req); err != nil {
		return w.fail(c, err)
	}
	ctx := c.UserContext()
	if req.LineID == "" {
		return w.fail(c, &inbox.FieldError{Field: "lineId", Message: "is required"})
	}
	line, err := w.widgetLine(ctx, req.LineID)
	if err != nil {
		return w.fail(c, err)
	}
	if err := w.checkOrigin(line, c.Get(fiber.HeaderOrigin), req.Origin, needClaim); err != nil {
		return w.fail(c, err)
	}
	w.cors(c)
	if err := checkSessionInput(&req); err != nil {
		return w.fail(c, err)
	}
	id, err := w.identity(c, line, req.User)
	if err != nil {
		return w.fail(c, err)
	}
	var contact *inbox.Contact
	if prev, ok := w.tokenVisitor(req.Token, line.ID); ok {
		if contact, err = w.svc.ResumeVisitor(ctx, prev.in(), id); err != nil {
			return w.fail(c, err)
		}
	}
	if contact == nil {
		if contact, err = w.svc.StartVisitor(ctx, line.ID, visitorName, id); err != nil {
			return w.fail(c, err)
		}
	}
	w.svc.VisitorSeen(ctx, contact.ID, c.Get(fiber.HeaderUserAgent))
	v := visitor{ID: contact.ID, LineID: line.ID}
	mode, err := w.svc.LineMode(ctx, line.ID)
	if err != nil {
		return w.fail(c, err)
	}
	conv, err := w.currentConversation(ctx, v)
	if err != nil {
		return w.fail(c, err)
	}
	msgs := []inbox.Message{}
	if conv != nil {
		if msgs, err = w.lastVisible(ctx, v, conv, w.cfg.HistoryLimit); err != nil {
			return w.fail(c, err)
		}
	}
	tok, err := w.signToken(v, w.svc.Now())
	if err != nil {
		return w.fail(c, err)
	}
	look, color := line.Channels.Widget.WidgetLook, line.Channels.Widget.Color
	if color == "" {
		color = inbox.DefaultWidgetColor
	}
	textColor, _ := inbox.TextOn(color)
	return c.JSON(sessionResponse{
		Token: tok, VisitorID: v.ID, Mode: mode,
		Line: lineView{Name: line.Name, Greeting: line.Settings.Greeting, ContactForm: line.Settings.ContactFormBot,
			Title: look.Title, MessengerGreeting: look.MessengerGreeting, Color: color, TextColor: textColor,
			Position: look.Position, LauncherLabel: look.LauncherLabel},
		Conversation: viewOf(conv), Messages: msgs,
	})
}

func checkSessionInput(req *sessionRequest) error {
	if req.Page != "" && !validPage(req.Page) {
		return &inbox.FieldError{Field: "page", Message: fmt.Sprintf("must be an absolute http(s) URL of at most %d characters", inbox.MaxURLChars)}
	}
	if req.Language != "" && !inbox.ValidLanguage(req.Language) {
		return &inbox.FieldError{Field: "language", Message: "must be en, de, pl or ru"}
	}
	if u := req.User; u != nil {
		if u.ID == "" || len(u.ID) > maxUserIDChars {
			return &inbox.FieldError{Field: "user.id", Message: fmt.Sprintf("is required, at most %d bytes", maxUserIDChars)}
		}
	}
	return nil
}

func validPage(p string) bool {
	u, err := url.Parse(p)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && len(p) <= inbox.MaxURLChars
}

// widgetLine loads a line whose widget is enabled.
func (w *Widget) widgetLine(ctx context.Context, id string) (*inbox.Line, error) {
	l, err := w.svc.Line(ctx, id)
	if errors.Is(err, inbox.ErrNotFound) || (err == nil && !l.Channels.Widget.Enabled) {
		return nil, refuse(fiber.StatusNotFound, "not_found", "unknown line or widget disabled")
	}
	return l, err
}

// identity is what the session request says about the visitor: setUser's
// details (the user id verified against the line's secret, when it has
// one) and, where blocking by address is on, the client address.
func (w *Widget) identity(c *fiber.Ctx, line *inbox.Line, u *userInput) (inbox.VisitorIdentity, error) {
	var id inbox.VisitorIdentity
	if w.cfg.BlockByAddress {
		id.Address = c.IP()
	}
	if u == nil {
		return id, nil
	}
	if secret := line.Channels.Widget.IdentitySecret; secret != "" {
		if !identityValid(secret, u.ID, u.Hash) {
			return id, refuse(fiber.StatusForbidden, "identity", "identity verification failed: wrong or missing hash")
		}
		id.Verified = true
	}
	id.UserID, id.Name, id.Email = u.ID, u.Name, u.Email
	return id, nil
}

// tokenVisitor is the visitor of a valid token for this line; false for
// no, bad, expired or foreign-line token.
func (w *Widget) tokenVisitor(tok, lineID string) (visitor, bool) {
	if tok == "" {
		return visitor{}, false
	}
	v, err := w.parseToken(tok, w.svc.Now())
	if err != nil || v.LineID != lineID {
		return visitor{}, false
	}
	return v, true
}

// currentConversation is the visitor's open live chat on their line, or nil.
func (w *Widget) currentConversation(ctx context.Context, v visitor) (*inbox.Conversation, error) {
	return w.svc.VisitorCurrent(ctx, v.in())
}

// ownConversation loads one of the visitor's conversations on their line;
// anybody else's is "not found".
func (w *Widget) ownConversation(ctx context.Context, v visitor, id string) (*inbox.Conversation, error) {
	return w.svc.VisitorConversation(ctx, v.in(), id)
}

// lastVisible returns the newest n visible messages, oldest first. Seq
// counts comments too, so the window widens until it holds n or all.
func (w *Widget) lastVisible(ctx context.Context, v visitor, c *inbox.Conversation, n int) ([]inbox.Message, error) {
	for window := int64(n); ; window *= 2 {
		after := max(c.Seq-window, 0)
		msgs, err := w.svc.VisitorMessages(ctx, v.in(), c.ID, after, int(c.Seq-after)+1)
		if err != nil {
			return nil, fmt.Errorf("widget: history of %s: %w", c.ID, err)
		}
		if len(msgs) >= n || after == 0 {
			if len(msgs) > n {
				msgs = msgs[len(msgs)-n:]
			}
			return msgs, nil
		}
	}
}

// authenticate reads the Bearer (or ?token=) visitor token and enforces
// the token's line's origin allowlist.
func (w *Widget) authenticate(c *fiber.Ctx, rule originRule) (visitor, *inbox.Line, error) {
	tok := c.Query("token")
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		scheme, rest, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") {
			return visitor{}, nil, errBadToken
		}
		tok = strings.TrimSpace(rest)
	}
	v, err := w.parseToken(tok, w.svc.Now())
	if err != nil {
		return visitor{}, nil, err
	}
	line, err := w.widgetLine(c.UserContext(), v.LineID)
	if err != nil {
		return visitor{}, nil, err
	}
	if err := w.checkOrigin(line, c.Get(fiber.HeaderOrigin), c.Query("origin"), rule); err != nil {
		return visitor{}, nil, err
	}
	w.cors(c)
	return v, line, nil
}

type historyResponse struct {
	Conversation *conversationView `json:"conversation"`
	Messages     []inbox.Message   `json:"messages"`
	// More: with after (or none), further messages follow the last one:
	// ask again with its seq; with before, older ones precede the first.
	More bool `json:"more"`
}

// history is GET /widget/v1/history?after=SEQ|before=SEQ[&conversationId=ID].
func (w *Widget) history(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	v, _, err := w.authenticate(c, tokenRead)
	if err != nil {
		return w.fail(c, err)
	}
	ctx := c.UserContext()
	after, before := int64(-1), int64(-1)
	if s := c.Query("after"); s != "" {
		if after, err = strconv.ParseInt(s, 10, 64); err != nil || after < 0 {
			return w.fail(c, &inbox.FieldError{Field: "after", Message: "must be a whole number ≥ 0"})
		}
	}
	if s := c.Query("before"); s != "" {
		if before, err = strconv.ParseInt(s, 10, 64); err != nil || before < 1 {
			return w.fail(c, &inbox.FieldError{Field: "before", Message: "must be a whole number ≥ 1"})
		}
		if after >= 0 {
			return w.fail(c, &inbox.FieldError{Field: "before", Message: "give after or before, not both"})
		}
	}
	var conv *inbox.Conversation
	if id := c.Query("conversationId"); id != "" {
		conv, err = w.ownConversation(ctx, v, id)
	} else {
		conv, err = w.currentConversation(ctx, v)
	}
	if err != nil {
		return w.fail(c, err)
	}
	out := historyResponse{Conversation: viewOf(conv), Messages: []inbox.Message{}}
	switch {
	case conv == nil:
	case before > 0:
		// A page further back: the newest messages before the cursor;
		// more says older ones remain.
		out.Messages, err = w.svc.VisitorMessagesBefore(ctx, v.in(), conv.ID, before, w.cfg.HistoryLimit+1)
		if len(out.Messages) > w.cfg.HistoryLimit {
			out.Messages, out.More = out.Messages[1:], true
		}
	case after < 0:
		out.Messages, err = w.lastVisible(ctx, v, conv, w.cfg.HistoryLimit)
	default:
		out.Messages, err = w.svc.VisitorMessages(ctx, v.in(), conv.ID, after, w.cfg.HistoryLimit+1)
		if len(out.Messages) > w.cfg.HistoryLimit {
			out.Messages, out.More = out.Messages[:w.cfg.HistoryLimit], true
		}
	}
	if err != nil {
		return w.fail(c, err)
	}
	return c.JSON(out)
}

type contactRequest struct {
	Name  *string `json:"name"`
	Email *string `json:"email"`
}

// contactForm is POST /widget/v1/contact: the contact form fills the
// contact and marks the open conversation "form filled".
func (w *Widget) contactForm(c *fiber.Ctx) error {
	v, _, err := w.authenticate(c, needOrigin)
	if err != nil {
		return w.fail(c, err)
	}
	var req contactRequest
	if err := decodeBody(c, &req); err != nil {
		return w.fail(c, err)
	}
	if (req.Name == nil || *req.Name == "") && (req.Email == nil || *req.Email == "") {
		return w.fail(c, &inbox.FieldError{Field: "name", Message: "give a name or an e-mail address"})
	}
	if req.Name != nil && *req.Name == "" {
		req.Name = nil
	}
	ct, err := w.svc.VisitorContactForm(c.UserContext(), v.in(), req.Name, req.Email)
	if err != nil {
		return w.fail(c, err)
	}
	return c.JSON(fiber.Map{"name": ct.Name, "email": ct.Email})
}

// decodeBody reads a JSON object; unknown fields are ignored so that
// newer clients keep working, wrong types are a field-named 400.
func decodeBody(c *fiber.Ctx, out any) error {
	body := c.Body()
	if len(strings.TrimSpace(string(body))) == 0 {
		return &inbox.FieldError{Field: "body", Message: "a JSON body is required"}
	}
	if !utf8.Valid(body) {
		return &inbox.FieldError{Field: "body", Message: "is not valid UTF-8"}
	}
	if err := json.Unmarshal(body, out); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return &inbox.FieldError{Field: te.Field, Message: "has the wrong type"}
		}
		return &inbox.FieldError{Field: "body", Message: "malformed JSON"}
	}
	return nil
}
