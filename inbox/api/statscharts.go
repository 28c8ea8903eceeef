package api

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/switchboard-chat/switchboard/inbox"
)

// chartCSP keeps a chart opened by itself from running or fetching
// anything: it is drawn with inline styles only.
const chartCSP = "default-src 'none'; style-src 'unsafe-inline'"

// statsChart is GET /api/v1/stats/charts/{chart}: a chart of the
// statistics as SVG, with the query of GET /api/v1/stats and its rule of
// who sees what, its texts in the agent's language. {chart} is one of
// conversations.svg, times.svg, agents.svg, presence.svg, ratings.svg and
// heatmap.svg; another name is 404.
func (a *API) statsChart(c *fiber.Ctx) error {
	chart := c.Params("chart")
	if !slices.Contains(chartNames, chart) {
		return a.fail(c, fmt.Errorf("no chart %q: charts are %s: %w", chart, strings.Join(chartNames, ", "), inbox.ErrNotFound))
	}
	r, err := a.report(c)
	if err != nil {
		return a.fail(c, err)
	}
	svg, err := renderStatsChart(r, chart, who(c).agent.Language)
	if err != nil {
		return a.fail(c, err)
	}
	c.Set(fiber.HeaderContentType, "image/svg+xml; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderContentSecurityPolicy, chartCSP)
	return c.Send(svg)
}

// chartSVGRoot matches the library's root element, with its viewBox.
var chartSVGRoot = regexp.MustCompile(`^<svg xmlns="http://www.w3.org/2000/svg"[^<>]*? viewBox="0 0 (\d+) (\d+)"[^<>]*>`)

// finishChartSVG makes the library's SVG a standalone document: an XML
// declaration, the size as width and height beside the viewBox (so it
// scales), an accessible name (role, aria-label and a title element).
func finishChartSVG(raw []byte, title string) ([]byte, error) {
	m := chartSVGRoot.FindSubmatchIndex(raw)
	if m == nil {
		return nil, errors.New("chart: unexpected SVG root element")
	}
	w, h := raw[m[2]:m[3]], raw[m[4]:m[5]]
	var b bytes.Buffer
	b.Grow(len(raw) + 256 + 2*len(title))
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<svg width="`)
	b.Write(w)
	b.WriteString(`" height="`)
	b.Write(h)
	b.WriteString(`" role="img" aria-label="`)
	_ = xml.EscapeText(&b, []byte(title))
	b.WriteString(`"`)
	b.Write(raw[len("<svg"):m[1]])
	b.WriteString(`<title>`)
	_ = xml.EscapeText(&b, []byte(title))
	b.WriteString(`</title>`)
	b.Write(raw[m[1]:])
	return b.Bytes(), nil
}
