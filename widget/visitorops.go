package widget

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	"github.com/switchboard-chat/switchboard/inbox"
)

// deliver stores a visitor's message. With no open conversation it opens
// one (incoming live chat, the page as its site page) and routes it to an
// agent; a retry returns the message stored the first time.
func (w *Widget) deliver(ctx context.Context, v visitor, f inFrame) (*inbox.Message, error) {
	atts, err := w.ownAttachments(ctx, v, f.Attachments)
	if err != nil {
		return nil, err
	}
	msg := inbox.MessageInput{AuthorKind: inbox.AuthorContact, Text: f.Text, Attachments: atts, ClientID: f.ClientID}
	// One visitor's tabs must not open two conversations at once.
	defer w.visitorLocks.Lock(v.ID)()
	conv, err := w.currentConversation(ctx, v)
	if err != nil {
		return nil, err
	}
	if conv != nil {
		m, _, err := w.svc.Append(ctx, inbox.System, conv.ID, msg)
		if err == nil && conv.AgentID == "" && conv.Status.Active() {
			// Still in the queue (nobody was online, or routing failed when
			// it opened): offer it again now that the visitor wrote.
			if _, rerr := w.svc.Route(ctx, conv.ID); rerr != nil {
				w.log.Error("route waiting conversation", "conversation", conv.ID, "err", rerr)
			}
		}
		return m, err
	}
	// A retry of a message stored before its conversation closed is
	// answered from there rather than stored again in a new one.
	last, err := w.svc.LatestConversation(ctx, v.ID, v.LineID, inbox.ChannelLiveChat)
	switch {
	case err == nil:
		m, _, err := w.svc.Append(ctx, inbox.System, last.ID, msg)
		if err == nil || !errors.Is(err, inbox.ErrConflict) {
			return m, err
		}
	case !errors.Is(err, inbox.ErrNotFound):
		return nil, err
	}
	page := f.Page
	if page != "" && !validPage(page) {
		page = "" // a bad page URL is no reason to lose the message
	}
	formFilled := false
	if ct, err := w.svc.Contact(ctx, inbox.System, v.ID); err == nil {
		formFilled = ct.CustomFields[formFilledField] != ""
	}
	conv, m, err := w.svc.Open(ctx, inbox.System, inbox.OpenInput{
		LineID: v.LineID, Channel: inbox.ChannelLiveChat, Type: inbox.Incoming,
		ContactID: v.ID, SitePage: page, FormFilled: formFilled, Message: &msg,
	})
	if err != nil {
		return nil, unprefix(err)
	}
	if _, err := w.svc.Route(ctx, conv.ID); err != nil {
		// The message is stored and the conversation waits in the queue.
		w.log.Error("route new conversation", "conversation", conv.ID, "err", err)
	}
	return m, nil
}

// formFilledField is the contact's custom field that records when the
// visitor sent the contact form.
const formFilledField = "formFilledAt"

// unprefix drops Open's "message." from a field error: for the visitor it
// is their message's field.
func unprefix(err error) error {
	var fe *inbox.FieldError
	if errors.As(err, &fe) && len(fe.Field) > 8 && fe.Field[:8] == "message." {
		return &inbox.FieldError{Field: fe.Field[8:], Message: fe.Message}
	}
	return err
}

// typing tells the agents that the visitor is (or stopped) typing. The
// event is transient: it goes to this node's hub only and is not stored.
func (w *Widget) typing(ctx context.Context, v visitor, typing bool) error {
	conv, err := w.currentConversation(ctx, v)
	if err != nil || conv == nil {
		return err
	}
	return w.publish(ctx, inbox.Event{Type: inbox.EventTyping, ConversationID: conv.ID, LineID: conv.LineID,
		Typing: typing, SubjectID: strconv.FormatBool(typing)})
}

// read tells the agents how far the visitor has read.
func (w *Widget) read(ctx context.Context, v visitor, seq int64) error {
	if seq < 0 {
		return &inbox.FieldError{Field: "seq", Message: "must be a whole number ≥ 0"}
	}
	conv, err := w.currentConversation(ctx, v)
	if err != nil || conv == nil {
		return err
	}
	return w.publish(ctx, inbox.Event{Type: inbox.EventRead, ConversationID: conv.ID, LineID: conv.LineID,
		Seq: seq, SubjectID: strconv.FormatInt(seq, 10)})
}

func (w *Widget) publish(ctx context.Context, ev inbox.Event) error {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	ev.ID, ev.At = hex.EncodeToString(b), w.svc.Now()
	if err := w.hub.Publish(ctx, ev); err != nil {
		return fmt.Errorf("widget: publish %s: %w", ev.Type, err)
	}
	return nil
}

// rate stores the visitor's rating of their closing or closed
// conversation; a closing one is closed by it.
func (w *Widget) rate(ctx context.Context, v visitor, rating int) error {
	if rating < 1 || rating > 5 {
		return &inbox.FieldError{Field: "rating", Message: "must be 1 to 5"}
	}
	conv, err := w.svc.LatestConversation(ctx, v.ID, v.LineID, inbox.ChannelLiveChat)
	if err != nil {
		return err
	}
	if conv.Status.Active() || conv.Status == inbox.StatusSpam {
		return fmt.Errorf("conversation %s is %s, not closing: %w", conv.ID, conv.Status, inbox.ErrConflict)
	}
	if _, err := w.svc.RateByClient(ctx, inbox.System, conv.ID, rating); err != nil {
		return fmt.Errorf("widget: rate %s: %w", conv.ID, err)
	}
	return nil
}

// transcript records that the visitor asked for the transcript ("history
// requested"), keeping the e-mail address it should go to.
func (w *Widget) transcript(ctx context.Context, v visitor, email string) error {
	conv, err := w.svc.LatestConversation(ctx, v.ID, v.LineID, inbox.ChannelLiveChat)
	if err != nil {
		return err
	}
	if email != "" {
		if _, err := w.svc.UpdateContact(ctx, inbox.System, v.ID, inbox.ContactInput{Email: &email}); err != nil {
			return err
		}
	}
	yes := true
	if _, err := w.svc.SetFlags(ctx, conv.ID, inbox.Flags{HistoryRequested: &yes}); err != nil {
		return fmt.Errorf("widget: transcript of %s: %w", conv.ID, err)
	}
	return nil
}
