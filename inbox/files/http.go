package files

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-chat/switchboard/inbox"
)

// uploadField is the multipart field that carries files.
const uploadField = "file"

// Upload stores every multipart part named "file" of the request as a file
// of owner and returns their attachments, in request order. Each file is
// held to the store's limit; a part over it fails the whole request with
// an error naming the file that matches both ErrTooLarge and
// fiber.ErrRequestEntityTooLarge. On that or any other error the files
// already stored by this request are deleted. A request that is not
// multipart or has no "file" part gives inbox.ErrInvalid.
//
// Fiber reads the whole body before the handler runs, so the app's
// fiber.Config.BodyLimit must exceed MaxBytes × the files allowed per
// request (plus a little for the multipart framing); a larger body is
// refused by Fiber with 413 before Upload sees it.
func (s *Store) Upload(c *fiber.Ctx, owner string) ([]inbox.Attachment, error) {
	ctx := c.UserContext()
	form, err := c.MultipartForm()
	if err != nil {
		return nil, fmt.Errorf("files: read multipart form: %w: %w", inbox.ErrInvalid, err)
	}
	parts := form.File[uploadField]
	if len(parts) == 0 {
		return nil, fmt.Errorf("files: no part named %q: %w", uploadField, inbox.ErrInvalid)
	}
	out := make([]inbox.Attachment, 0, len(parts))
	for _, fh := range parts {
		att, err := s.putPart(ctx, owner, fh)
		if err != nil {
			for _, a := range out {
				s.discard(ctx, a.FileID)
			}
			if tl := (*tooLargeError)(nil); errors.As(err, &tl) {
				err = &tooLargeError{name: tl.name, limit: tl.limit, edge: true}
			}
			return nil, err
		}
		out = append(out, att)
	}
	return out, nil
}

// putPart stores one opened multipart part.
func (s *Store) putPart(ctx context.Context, owner string, fh *multipart.FileHeader) (inbox.Attachment, error) {
	f, err := fh.Open()
	if err != nil {
		return inbox.Attachment{}, fmt.Errorf("files: open part %q: %w", SanitizeName(fh.Filename), err)
	}
	defer f.Close()
	return s.Put(ctx, owner, fh.Filename, fh.Header.Get(fiber.HeaderContentType), f)
}

// Send writes file id as the response. Only PNG, JPEG, GIF and WebP —
// judged by sniffing the stored bytes, never by the recorded or claimed
// type — are served inline with their type; everything else, SVG and HTML
// included, is a download (Content-Disposition: attachment) of type
// application/octet-stream. Every response carries nosniff, a sandboxing
// CSP and Cache-Control: private. An unknown id gives inbox.ErrNotFound
// and writes nothing.
//
// The body streams from the store after Send returns, under a context
// that keeps the request context's values but not its cancellation, and
// is closed by Fiber when the response is done; the server's WriteTimeout
// bounds a stalled client.
func (s *Store) Send(c *fiber.Ctx, id string) error {
	ctx := context.WithoutCancel(c.UserContext())
	rc, m, err := s.Open(ctx, id)
	if err != nil {
		return err
	}
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(rc, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		_ = rc.Close()
		return fmt.Errorf("files: read %s: %w", id, err)
	}
	head = head[:n]
	kind, ct := "attachment", octetStream
	if t := sniffImage(head); t != "" {
		kind, ct = "inline", t
	}
	c.Set(fiber.HeaderContentType, ct)
	c.Set(fiber.HeaderContentDisposition, contentDisposition(kind, m.Name))
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderContentSecurityPolicy, "sandbox; default-src 'none'")
	c.Set(fiber.HeaderCacheControl, "private")
	body := &readCloser{Reader: io.MultiReader(bytes.NewReader(head), rc), Closer: rc}
	return c.SendStream(body, int(m.Size))
}

// readCloser reads from one source and closes another.
type readCloser struct {
	io.Reader
	io.Closer
}
