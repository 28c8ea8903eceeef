package api

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/gofiber/fiber/v2"
	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/inbox/files"
)

// FileStore is what the API needs of the attachment store.
type FileStore interface {
	// Upload stores the request's multipart files for owner, held to
	// budget bytes in all when budget > 0 (see files.Store.Upload).
	Upload(c *fiber.Ctx, owner, line string, budget int64) ([]inbox.Attachment, error)
	Send(c *fiber.Ctx, id string) error
	Owner(ctx context.Context, id string) (string, inbox.Attachment, error)
	AttachedToWithComments(ctx context.Context, id string) ([]string, error)
	// Open reads a file (an e-mail's inline image, put into its HTML).
	Open(ctx context.Context, id string) (io.ReadCloser, *files.Meta, error)
}

// Uploaded answers an upload.
type Uploaded struct {
	Files []inbox.Attachment `json:"files"`
}

func agentOwner(id string) string { return "agent:" + id }

// MountFiles adds POST /api/v1/files and GET /api/v1/files/:id. Call it
// before Mount, whose catch-all 404 ends /api/v1.
func (a *API) MountFiles(r fiber.Router, files FileStore) {
	a.files = files
	g := r.Group("/api/v1/files", a.authenticate)
	g.Post("/", a.upload)
	g.Get("/:id", a.download)
}

func (a *API) upload(c *fiber.Ctx) error {
	atts, err := a.files.Upload(c, agentOwner(who(c).agent.ID), "", 0)
	if err != nil {
		return a.fail(c, err)
	}
	if len(atts) == 0 {
		return a.fail(c, &inbox.FieldError{Field: "file", Message: "send one or more files in multipart field \"file\""})
	}
	return c.Status(fiber.StatusCreated).JSON(Uploaded{Files: atts})
}

// download serves a file the agent uploaded, or one attached to a
// conversation the agent may see.
func (a *API) download(c *fiber.Ctx) error {
	ctx, id, me := c.UserContext(), c.Params("id"), actor(c)
	owner, _, err := a.files.Owner(ctx, id)
	if err != nil {
		return a.fail(c, err)
	}
	if owner != agentOwner(me.AgentID) && !me.SeesAll() {
		convs, err := a.files.AttachedToWithComments(ctx, id)
		if err != nil {
			return a.fail(c, err)
		}
		allowed := false
		for _, cid := range convs {
			if _, err := a.svc.Conversation(ctx, me, cid); err == nil {
				allowed = true
				break
			}
		}
		if !allowed {
			return a.fail(c, inbox.ErrForbidden)
		}
	}
	return a.files.Send(c, id)
}

// ownAttachments replaces the attachments an agent names with the stored
// descriptions, refusing files the agent did not upload.
func (a *API) ownAttachments(ctx context.Context, agentID string, atts []inbox.Attachment) ([]inbox.Attachment, error) {
	if len(atts) == 0 {
		return atts, nil
	}
	if a.files == nil {
		return nil, &inbox.FieldError{Field: "attachments", Message: "file uploads are not enabled"}
	}
	out := make([]inbox.Attachment, len(atts))
	for i, at := range atts {
		owner, stored, err := a.files.Owner(ctx, at.FileID)
		if errors.Is(err, inbox.ErrNotFound) || (err == nil && owner != agentOwner(agentID)) {
			return nil, &inbox.FieldError{Field: fmt.Sprintf("attachments[%d].fileId", i), Message: "is not a file you uploaded"}
		}
		if err != nil {
			return nil, err
		}
		out[i] = stored
	}
	return out, nil
}
