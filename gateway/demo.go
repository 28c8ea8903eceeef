package main

import (
	"html"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// mountDemo serves /demo: a page that embeds the demo line's widget with
// the one tag a site owner pastes, so a newcomer sees the widget working
// right after the first start.
func mountDemo(app *fiber.App, lineID string) {
	if lineID == "" {
		return
	}
	page := demoHTML(lineID)
	app.Get("/demo", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		c.Set(fiber.HeaderCacheControl, "no-cache")
		// The snippet to copy names the gateway as this browser reached it.
		return c.SendString(strings.ReplaceAll(page, demoGateway, html.EscapeString(c.BaseURL())))
	})
}

// demoHTML is the demo page for the line: every occurrence of the
// placeholder carries the line's id, the live tag as well as the snippet.
func demoHTML(lineID string) string {
	return strings.ReplaceAll(demoPage, demoLine, html.EscapeString(lineID))
}

// Placeholders of demoPage.
const (
	demoLine    = "LINE_ID"
	demoGateway = "GATEWAY_URL"
)

const demoPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Switchboard demo shop</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem;color:#222}
pre{background:#f3f4f6;padding:.75rem;overflow-x:auto;white-space:pre-wrap;word-break:break-all}</style>
</head><body>
<h1>Demo shop</h1>
<p>This page embeds the Switchboard widget of the demo line with one tag, as any website would.
Open the chat with the button at the bottom right. Sign in to the inbox in another window to answer:
while an agent of the line is online the widget is in live-chat mode, otherwise in messenger mode.</p>
<p>To put the chat on your own site, add the site's origin (for example <code>https://shop.example.com</code>)
to the line's allowed origins and paste this tag into its pages:</p>
<pre data-testid="demo-snippet">&lt;script src="GATEWAY_URL/widget.js" data-line="LINE_ID" async&gt;&lt;/script&gt;</pre>
<script src="/widget.js" data-line="LINE_ID" async></script>
</body></html>
`
