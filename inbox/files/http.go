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

// MaxFilesPerUpload caps the files of one upload request.
const MaxFilesPerUpload = 10

// multipartOverhead is room for the multipart framing of one request.
const multipartOverhead = 1 << 20

// RequestLimit is the most bytes one upload request may send: every file
// at the limit plus the framing. Past it the request fails with 413.
func (s *Store) RequestLimit() int64 { return s.max*MaxFilesPerUpload + multipartOverhead }

// Upload stores every multipart part named "file" of the request as a file
// of owner and returns their attachments, in request order. The body is
// read as a stream, part by part, straight into the store — never whole
// into memory (the app must run with StreamRequestBody and without
// pre-parsed multipart forms). Each file is held to the store's limit, the
// request to RequestLimit and all its files together to budget (when > 0):
// a file over the per-file or request limit fails the whole request with an
// error matching ErrTooLarge and fiber.ErrRequestEntityTooLarge, one past
// the budget with inbox.ErrQuota. On that or any other error the files
// already stored by this request are deleted. A request that is not
// multipart or has no "file" part gives inbox.ErrInvalid. line is recorded
// with the files for per-line quotas ("" for none).
func (s *Store) Upload(c *fiber.Ctx, owner, line string, budget int64) ([]inbox.Attachment, error) {
	ctx := c.UserContext()
	boundary := string(c.Request().Header.MultipartFormBoundary())
	if boundary == "" {
		return nil, fmt.Errorf("files: not a multipart/form-data request: %w", inbox.ErrInvalid)
	}
	body := &limitedBody{r: requestBody(c), left: s.RequestLimit()}
	mr := multipart.NewReader(body, boundary)
	out := make([]inbox.Attachment, 0, 1)
	var used int64
	fail := func(err error) ([]inbox.Attachment, error) {
		// The rest of the body stays unread: the connection cannot carry
		// another request.
		c.Context().SetConnectionClose()
		for _, a := range out {
			s.discard(ctx, a.FileID)
		}
		if tl := (*tooLargeError)(nil); errors.As(err, &tl) {
			err = &tooLargeError{name: tl.name, limit: tl.limit, edge: true}
		}
		if body.over {
			err = &tooLargeError{name: "request", limit: s.RequestLimit(), edge: true}
		}
		return nil, err
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fail(fmt.Errorf("files: read multipart body: %w: %w", inbox.ErrInvalid, err))
		}
		if part.FormName() != uploadField || part.FileName() == "" {
			// Other fields are read past (the request limit holds them).
			if _, err := io.Copy(io.Discard, part); err != nil {
				return fail(fmt.Errorf("files: read multipart body: %w: %w", inbox.ErrInvalid, err))
			}
			continue
		}
		if len(out) == MaxFilesPerUpload {
			return fail(&inbox.FieldError{Field: uploadField, Message: fmt.Sprintf("at most %d files per request", MaxFilesPerUpload)})
		}
		spec := putSpec{owner: owner, line: line, name: part.FileName(), contentType: part.Header.Get(fiber.HeaderContentType), limit: s.max}
		if budget > 0 && budget-used < spec.limit {
			spec.limit, spec.quota = budget-used, true
		}
		att, err := s.put(ctx, spec, part)
		if err != nil {
			return fail(err)
		}
		used += att.Size
		out = append(out, att)
	}
	if len(out) == 0 {
		return fail(fmt.Errorf("files: no part named %q: %w", uploadField, inbox.ErrInvalid))
	}
	return out, nil
}

// requestBody is the request's body as a stream when the server streams
// it, else the bytes already read.
func requestBody(c *fiber.Ctx) io.Reader {
	if r := c.Context().RequestBodyStream(); r != nil {
		return r
	}
	return bytes.NewReader(c.Body())
}

// limitedBody reads at most left bytes and notes when there was more.
type limitedBody struct {
	r    io.Reader
	left int64
	over bool
}

func (l *limitedBody) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// One byte more tells a body at the limit from one over it.
		var one [1]byte
		if n, _ := l.r.Read(one[:]); n > 0 {
			l.over = true
			return 0, errRequestTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

var errRequestTooLarge = errors.New("request body over the upload limit")

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
