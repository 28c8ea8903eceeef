package api

import (
	"bufio"
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/switchboard-chat/switchboard/inbox"
)

// The conversation list as a spreadsheet: GET /api/v1/conversations.csv
// and GET /api/v1/conversations.xlsx take the list's query (every page of
// it: limit and offset are ignored) and two of their own:
//
//	tz       IANA time zone of the dates (default UTC)
//	columns  comma-separated column ids (inbox.TableColumns), in order;
//	         default: the agent's saved table columns, else the table's
//	         defaults. The row buttons ("actions") are never exported.
//
// Who sees what is the list's rule: an agent exports what their list
// shows them, staff everything. A bad query is a 400 naming the
// parameter, before anything is sent; the rows are then written as they
// are read (export_write.go).

// Named limits of the exports.
const (
	// ExportsAtOnce caps the exports running at once over all agents;
	// each agent runs one at a time. More are refused with 429.
	ExportsAtOnce = 4
	// ExportMaxDuration ends an export that runs longer (a client reading
	// very slowly holds a database cursor and a slot).
	ExportMaxDuration = 30 * time.Minute
	// exportRetryAfter is the Retry-After of a refused export, in seconds.
	exportRetryAfter = "10"
)

func (a *API) exportCSV(c *fiber.Ctx) error { return a.export(c, csvExport) }

func (a *API) exportXLSX(c *fiber.Ctx) error { return a.export(c, xlsxExport) }

// exportFormat is a file type of the export.
type exportFormat struct {
	ext         string
	contentType string
	write       func(ctx context.Context, w *bufio.Writer, j *exportJob) error
}

var (
	csvExport  = exportFormat{"csv", "text/csv; charset=utf-8", writeExportCSV}
	xlsxExport = exportFormat{"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", writeExportXLSX}
)

// exportQuery is an export's own parameters and the list's filter.
type exportQuery struct {
	filter  inbox.ConversationFilter
	loc     *time.Location
	columns []string // nil: the agent's
}

// parseExportQuery takes tz and columns out of the query string and reads
// the rest as the list's filter (parseFilter).
func parseExportQuery(raw string) (exportQuery, error) {
	eq := exportQuery{loc: time.UTC}
	q, err := url.ParseQuery(raw)
	if err != nil {
		return eq, &inbox.FieldError{Field: "query", Message: "malformed query string"}
	}
	if vs, ok := q["tz"]; ok {
		if eq.loc, err = exportZone(vs[len(vs)-1]); err != nil {
			return eq, err
		}
		delete(q, "tz")
	}
	if vs, ok := q["columns"]; ok {
		if eq.columns, err = exportColumnsParam(vs); err != nil {
			return eq, err
		}
		delete(q, "columns")
	}
	if eq.filter, err = parseFilter(q.Encode()); err != nil {
		return eq, err
	}
	eq.filter.Limit, eq.filter.Offset = 0, 0
	return eq, nil
}

// exportZone reads an IANA time zone name; "" is UTC, "Local" (the
// server's own zone) is refused.
func exportZone(name string) (*time.Location, error) {
	if name == "" {
		return time.UTC, nil
	}
	bad := &inbox.FieldError{Field: "tz", Message: fmt.Sprintf("unknown time zone %.64q: name an IANA zone such as Europe/Berlin", name)}
	if name == "Local" || len(name) > 64 || strings.ContainsAny(name, "\\\x00") {
		return nil, bad
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, bad
	}
	return loc, nil
}

// exportColumnsParam checks the columns parameter: known column ids, each
// once, at least one that is exported.
func exportColumnsParam(vals []string) ([]string, error) {
	bad := func(format string, args ...any) error {
		return &inbox.FieldError{Field: "columns", Message: fmt.Sprintf(format, args...)}
	}
	cols := splitList(vals)
	exported := 0
	for i, k := range cols {
		if !slices.Contains(inbox.TableColumns, k) {
			return nil, bad("%.40q is not a column", k)
		}
		if slices.Contains(cols[:i], k) {
			return nil, bad("%q is named twice", k)
		}
		if !exportUIOnlyColumns[k] {
			exported++
		}
	}
	if exported == 0 {
		return nil, bad("must name at least one column to export")
	}
	return cols, nil
}

// export answers an export in format: checks first (400, 429), then the
// file, written while the conversations are read.
func (a *API) export(c *fiber.Ctx, format exportFormat) error {
	eq, err := parseExportQuery(c.Context().QueryArgs().String())
	if err != nil {
		return a.fail(c, err)
	}
	me := who(c).agent
	release, busy := a.exports.acquire(me.ID)
	if busy != "" {
		c.Set(fiber.HeaderRetryAfter, exportRetryAfter)
		return writeError(c, fiber.StatusTooManyRequests, "throttled", busy, "")
	}
	streaming := false
	defer func() {
		if !streaming {
			release()
		}
	}()
	ctx := c.UserContext()
	j, err := a.exportJob(ctx, actor(c), me.Language, eq)
	if err != nil {
		return a.fail(c, err)
	}
	name := "switchboard-conversations-" + a.svc.Now().In(eq.loc).Format("2006-01-02") + "." + format.ext
	c.Set(fiber.HeaderContentType, format.contentType)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	if c.Method() == fiber.MethodHead { // checked as a GET, nothing to write
		return nil
	}
	// The body is written by a goroutine of its own, from now until after
	// the handler has returned: it uses nothing of c, and the request's
	// context does not end it (a client that goes away fails its writes).
	conn, agentID := c.Context().Conn(), me.ID
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ExportMaxDuration)
	streaming = true
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer release()
		defer cancel()
		if err := format.write(sctx, w, j); err != nil {
			a.log.Warn("conversation export not sent whole", "format", format.ext, "agent", agentID, "err", err)
			// A broken download, not a short file that looks whole.
			_ = conn.Close()
		}
	})
	return nil
}

// exportJob is one export: what it selects, its columns and the names
// its cells show.
type exportJob struct {
	svc    *inbox.Service
	actor  inbox.Actor
	filter inbox.ConversationFilter
	cols   []exportColumn
	lang   int
	loc    *time.Location
	lines  map[string]string
	agents map[string]string
	crm    *inbox.CRMLookup // nil unless the CRM column is exported
}

// exportJob checks the filter and its size, and gathers the columns and
// names.
func (a *API) exportJob(ctx context.Context, ac inbox.Actor, lang string, eq exportQuery) (*exportJob, error) {
	if _, err := a.svc.ExportCount(ctx, ac, eq.filter); err != nil {
		return nil, err
	}
	j := &exportJob{svc: a.svc, actor: ac, filter: eq.filter, lang: exportLang(lang), loc: eq.loc,
		lines: map[string]string{}, agents: map[string]string{}}
	keys := eq.columns
	if keys == nil {
		p, err := a.svc.Prefs(ctx, ac)
		if err != nil {
			return nil, err
		}
		if p.Table != nil {
			keys = p.Table.Columns
		}
	}
	if j.cols = pickExportColumns(keys); len(j.cols) == 0 {
		j.cols = pickExportColumns(exportDefaultColumns)
	}
	lines, err := a.svc.Lines(ctx)
	if err != nil {
		return nil, err
	}
	for _, l := range lines {
		j.lines[l.ID] = l.Name
	}
	agents, err := a.svc.Agents(ctx)
	if err != nil {
		return nil, err
	}
	for _, ag := range agents {
		j.agents[ag.ID] = ag.Name
	}
	if slices.ContainsFunc(j.cols, func(c exportColumn) bool { return c.key == "crm" }) {
		if j.crm, err = a.svc.ContactCRMs(ctx); err != nil {
			return nil, err
		}
	}
	return j, nil
}

// header is the header row in the job's language.
func (j *exportJob) header() []string {
	out := make([]string, len(j.cols))
	for i, col := range j.cols {
		out[i] = col.header(j.lang)
	}
	return out
}

// exportBatchRows is how many conversations are rendered together (one
// CRM lookup for them).
const exportBatchRows = 256

// rows hands fn each row's cells in the columns' order (the slice is
// reused: fn must not keep it), a batch of conversations at a time.
func (j *exportJob) rows(ctx context.Context, fn func(cells []any) error) error {
	batch := make([]*inbox.Conversation, 0, exportBatchRows)
	cells := make([]any, len(j.cols))
	r := exportRow{lang: j.lang, lines: j.lines, agents: j.agents}
	flush := func() error {
		if j.crm != nil {
			ids := make([]string, 0, len(batch))
			for _, c := range batch {
				ids = append(ids, c.ContactID)
			}
			var err error
			if r.crm, err = j.crm.Of(ctx, ids); err != nil {
				return err
			}
		}
		for _, c := range batch {
			r.c = c
			for i, col := range j.cols {
				cells[i] = col.value(&r)
			}
			if err := fn(cells); err != nil {
				return err
			}
		}
		batch = batch[:0]
		return nil
	}
	err := j.svc.ExportConversations(ctx, j.actor, j.filter, func(c *inbox.Conversation) error {
		if batch = append(batch, c); len(batch) == cap(batch) {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

// exportGate lets each agent run one export at a time, and at most max
// over all agents.
type exportGate struct {
	mu      sync.Mutex
	max     int
	running map[string]bool
}

// acquire takes a place for agentID, or says why there is none.
func (g *exportGate) acquire(agentID string) (release func(), busy string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.running[agentID]:
		return nil, "your previous export is still running; try again when it is done"
	case len(g.running) >= g.max:
		return nil, "too many exports are running; try again in a moment"
	}
	g.running[agentID] = true
	var once sync.Once
	return func() {
		once.Do(func() {
			g.mu.Lock()
			defer g.mu.Unlock()
			delete(g.running, agentID)
		})
	}, ""
}
