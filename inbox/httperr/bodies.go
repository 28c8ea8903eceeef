package httperr

import (
	"fmt"
	"io"

	"github.com/gofiber/fiber/v2"
)

// LimitBodies holds every body but an upload's to limit. The server
// streams request bodies (only a few KiB are read before a handler runs),
// so a body is refused by its declared length before it is read, and a
// chunked body is read no further than limit. Uploads (isUpload; nil:
// none) are left to stream. The app must run with StreamRequestBody.
//
// The unread rest of a refused body is read and thrown away, up to drain
// bytes, so the client (still sending) gets the answer instead of a reset
// connection; past drain the connection is simply closed. Nothing of it is
// kept in memory.
func LimitBodies(limit, drain int64, isUpload func(*fiber.Ctx) bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if isUpload != nil && isUpload(c) {
			err := c.Next()
			if c.Response().StatusCode() >= 400 || err != nil {
				discardBody(c, drain)
			}
			return err
		}
		req := c.Request()
		tooLarge := func() error {
			discardBody(c, drain)
			return fiber.NewError(fiber.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", limit))
		}
		if int64(req.Header.ContentLength()) > limit {
			return tooLarge()
		}
		if stream := c.Context().RequestBodyStream(); stream != nil && req.Header.ContentLength() < 0 {
			body, err := io.ReadAll(io.LimitReader(stream, limit+1))
			if err != nil {
				c.Context().SetConnectionClose()
				return fiber.NewError(fiber.StatusBadRequest, "unreadable request body")
			}
			if int64(len(body)) > limit {
				return tooLarge()
			}
			req.SetBody(body)
		}
		return c.Next()
	}
}

// discardBody reads what is left of a refused request's body, up to max
// bytes, into nothing, and closes the connection after the answer.
func discardBody(c *fiber.Ctx, max int64) {
	c.Context().SetConnectionClose()
	if stream := c.Context().RequestBodyStream(); stream != nil {
		_, _ = io.CopyN(io.Discard, stream, max)
	}
}
