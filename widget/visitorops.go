package widget

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/switchboard-chat/switchboard/inbox"
)

// deliver stores a visitor's message through the inbox's visitor
// operations, after checking that its attachments are the visitor's own
// uploads.
func (w *Widget) deliver(ctx context.Context, v visitor, f inFrame) (*inbox.Message, error) {
	atts, err := w.ownAttachments(ctx, v, f.Attachments)
	if err != nil {
		return nil, err
	}
	return w.svc.VisitorSend(ctx, v.in(), inbox.VisitorMessage{ClientID: f.ClientID, Text: f.Text, Attachments: atts, Page: f.Page})
}

// typing tells the agents that the visitor is (or stopped) typing. The
// event is transient: it goes to the hubs (Config.Relay) and is not
// stored as data.
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
	if err := w.cfg.Relay.Publish(ctx, ev); err != nil {
		return fmt.Errorf("widget: publish %s: %w", ev.Type, err)
	}
	return nil
}

// rate stores the visitor's rating of their closing or closed
// conversation; a closing one is closed by it.
func (w *Widget) rate(ctx context.Context, v visitor, rating int) error {
	return w.svc.VisitorRate(ctx, v.in(), rating)
}

// transcript records that the visitor asked for the transcript ("history
// requested"), keeping the e-mail address it should go to.
func (w *Widget) transcript(ctx context.Context, v visitor, email string) error {
	return w.svc.VisitorTranscript(ctx, v.in(), email)
}
