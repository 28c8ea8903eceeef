package api

import (
	"encoding/base64"
	"io"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// maxInlineImage caps an inline (cid:) image put into a mail's HTML.
const maxInlineImage = 2 << 20

// mailCSP is the policy of a mail's HTML: no scripts, nothing fetched but
// its own inline images — and, when the agent asks, remote images — shown
// only in the inbox's own sandboxed frame.
const mailCSP = "default-src 'none'; style-src 'unsafe-inline'; font-src data:; frame-ancestors 'self'; sandbox allow-popups allow-popups-to-escape-sandbox; img-src data:"

// mailHTML serves an e-mail message's sanitised HTML for the inbox's
// sandboxed frame: inline images embedded, remote images only with
// ?images=1.
func (a *API) mailHTML(c *fiber.Ctx) error {
	ctx := c.UserContext()
	m, err := a.svc.MailHTML(ctx, actor(c), c.Params("id"), c.Params("mid"))
	if err != nil {
		return a.fail(c, err)
	}
	html := m.Email.HTML
	csp := mailCSP
	if c.Query("images") == "1" {
		html = strings.ReplaceAll(html, " data-remote-src=", " src=")
		csp += " https: http:"
	}
	if a.files != nil {
		for _, at := range m.Attachments {
			ref := "cid:" + at.ContentID + `"` // the sanitiser quotes attributes with "
			if at.ContentID == "" || at.Size > maxInlineImage || !strings.HasPrefix(at.ContentType, "image/") || !strings.Contains(html, ref) {
				continue
			}
			rc, _, err := a.files.Open(ctx, at.FileID)
			if err != nil {
				continue
			}
			b, err := io.ReadAll(io.LimitReader(rc, maxInlineImage+1))
			_ = rc.Close()
			if err != nil || len(b) > maxInlineImage {
				continue
			}
			html = strings.ReplaceAll(html, ref, "data:"+at.ContentType+";base64,"+base64.StdEncoding.EncodeToString(b)+`"`)
		}
	}
	c.Set("Content-Security-Policy", csp)
	c.Set("X-Frame-Options", "SAMEORIGIN")
	c.Set("Referrer-Policy", "no-referrer")
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.SendString("<!doctype html><meta charset=\"utf-8\"><base target=\"_blank\">" + html)
}
