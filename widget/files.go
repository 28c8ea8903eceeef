package widget

import (
	"context"
	"errors"
	"fmt"

	"github.com/gofiber/fiber/v2"
	"github.com/switchboard-chat/switchboard/inbox"
)

// fileOwner is the owner a visitor's uploads are stored under.
func fileOwner(v visitor) string { return "visitor:" + v.ID }

// uploadFiles is POST /widget/v1/files.
func (w *Widget) uploadFiles(c *fiber.Ctx) error {
	v, _, err := w.authenticate(c, needOrigin)
	if err != nil {
		return w.fail(c, err)
	}
	if w.files == nil {
		return w.fail(c, errNoFiles)
	}
	if !w.messages.allow("upload:" + v.ID) {
		return w.fail(c, errRateLimited)
	}
	// One visitor's uploads are counted one after the other, so parallel
	// requests cannot each spend the same remaining quota.
	defer w.uploadLocks.Lock(v.ID)()
	budget, err := w.uploadBudget(c.UserContext(), v)
	if err != nil {
		return w.fail(c, err)
	}
	atts, err := w.files.Upload(c, fileOwner(v), v.LineID, budget)
	if err != nil {
		return w.fail(c, err)
	}
	if atts == nil {
		atts = []inbox.Attachment{}
	}
	return c.JSON(fiber.Map{"files": atts})
}

// uploadBudget is what the visitor may still upload now: the smaller of
// what is left of their own quota and of their line's, in the last
// UploadQuotaWindow. Nothing left is an ErrQuota refusal.
func (w *Widget) uploadBudget(ctx context.Context, v visitor) (int64, error) {
	since := w.svc.Now().Add(-UploadQuotaWindow)
	mine, err := w.files.Used(ctx, fileOwner(v), "", since)
	if err != nil {
		return 0, fmt.Errorf("widget: uploads of %s: %w", v.ID, err)
	}
	line, err := w.files.Used(ctx, "", v.LineID, since)
	if err != nil {
		return 0, fmt.Errorf("widget: uploads on line %s: %w", v.LineID, err)
	}
	budget := min(w.cfg.VisitorUploadQuota-mine, w.cfg.LineUploadQuota-line)
	if budget <= 0 {
		return 0, fmt.Errorf("widget: upload by %s: no upload quota left for %s: %w", v.ID, UploadQuotaWindow, inbox.ErrQuota)
	}
	return budget, nil
}

// downloadFile is GET /widget/v1/files/:id: a file the visitor uploaded or
// one attached to a visible message of their own conversations. Anything
// else is "not found", so file ids reveal nothing.
func (w *Widget) downloadFile(c *fiber.Ctx) error {
	v, _, err := w.authenticate(c, tokenRead)
	if err != nil {
		return w.fail(c, err)
	}
	if w.files == nil {
		return w.fail(c, inbox.ErrNotFound)
	}
	id := c.Params("id")
	ok, err := w.maySeeFile(c.UserContext(), v, id)
	if err != nil {
		return w.fail(c, err)
	}
	if !ok {
		return w.fail(c, inbox.ErrNotFound)
	}
	return w.files.Send(c, id)
}

func (w *Widget) maySeeFile(ctx context.Context, v visitor, id string) (bool, error) {
	owner, _, err := w.files.Owner(ctx, id)
	if errors.Is(err, inbox.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("widget: file %s: %w", id, err)
	}
	if owner == fileOwner(v) {
		return true, nil
	}
	convs, err := w.files.AttachedTo(ctx, id)
	if err != nil {
		return false, fmt.Errorf("widget: conversations of file %s: %w", id, err)
	}
	for _, cid := range convs {
		_, err := w.ownConversation(ctx, v, cid)
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, inbox.ErrNotFound) {
			return false, err
		}
	}
	return false, nil
}

// ownAttachments checks that every attachment of a send is a file this
// visitor uploaded, and takes its description from the store rather than
// from the client.
func (w *Widget) ownAttachments(ctx context.Context, v visitor, in []inbox.Attachment) ([]inbox.Attachment, error) {
	if len(in) == 0 {
		return []inbox.Attachment{}, nil
	}
	if w.files == nil {
		return nil, &inbox.FieldError{Field: "attachments", Message: "attachments are not available"}
	}
	out := make([]inbox.Attachment, len(in))
	for i, a := range in {
		owner, stored, err := w.files.Owner(ctx, a.FileID)
		if errors.Is(err, inbox.ErrNotFound) || (err == nil && owner != fileOwner(v)) {
			return nil, &inbox.FieldError{Field: fmt.Sprintf("attachments[%d]", i), Message: "unknown file; upload it first"}
		}
		if err != nil {
			return nil, fmt.Errorf("widget: attachment %s: %w", a.FileID, err)
		}
		stored.FileID = a.FileID
		out[i] = stored
	}
	return out, nil
}
