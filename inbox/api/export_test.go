package api_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/inbox/api"
	"github.com/switchboard-chat/switchboard/inbox/httperr"
)

// exportWorld: on Monday 5 May 2025 (t0, 09:00Z) six conversations with
// every kind of cell, and names a spreadsheet would run or split:
//
//	1  09:00 Support, client "=cmd|' /C calc'!A0": Ann accepts at +30 s and
//	   answers at +61.5 s; Sue rates it 4, "+49 30 1234567: call back".
//	2  09:05 Support, client `Müller, "Max"` and a new line, "GmbH": Ben
//	   accepts at +10 s, answers at +20 s, closes at +5 min; the client
//	   rates 5; Sue comments "-5 points: rude".
//	3  09:10 "Vertrieb, Süd" (Ben's line), client "Борис Петров": nobody
//	   takes it; Sue comments "@channel escalate".
//	4  09:15 Support, client "Zoë Ärger" with a CRM record, from a site
//	   page, form filled: Ann accepts at +2 min; Sue marks it spam at +3 min.
//	101 09:20 Support, Telegram, "Anna Kowalska" @anna_k (stored as the
//	   connector stores it): Ann's, pinned, history requested, missed,
//	   every date and timing set, fractions of seconds.
//	102 09:25 Support, a visitor without a name (4711): nobody's.
//
// Ann sees 1, 4, 101 (hers) and 102 (her line's unassigned); Ben 2, 3
// (his line's unassigned) and 102; Sue everything.
type exportWorld struct {
	h             *harness
	ann, ben, sue *session
	support       *inbox.Line
	sales         *inbox.Line
}

func newExportWorld(t *testing.T) *exportWorld {
	h := newHarness(t)
	w := &exportWorld{h: h,
		ann: h.agentSession("Ann Agent", inbox.RoleAgent),
		ben: h.agentSession("Ben Agent", inbox.RoleAgent),
		sue: h.agentSession("Sue Super", inbox.RoleSupervisor)}
	ctx := context.Background()
	w.support = h.seedLine("Support", w.ann.agent.ID, w.ben.agent.ID)
	w.sales = h.seedLine("Vertrieb, Süd", w.ben.agent.ID)
	post := func(path string, body any, s *session, status int) {
		t.Helper()
		method := http.MethodPost
		if strings.HasSuffix(path, "/rating") {
			method = http.MethodPut
		}
		h.do(method, path, body, s).want(status)
	}
	at := func(d time.Duration) { h.clock.Set(t0.Add(d)) }

	c1 := h.openIncoming(w.support.ID, hostileName, "hello")
	at(30 * time.Second)
	post("/api/v1/conversations/"+c1.ID+"/accept", nil, w.ann, http.StatusOK)
	at(61500 * time.Millisecond)
	post("/api/v1/conversations/"+c1.ID+"/messages", map[string]any{"text": "Hi, how can I help?"}, w.ann, http.StatusCreated)

	at(5 * time.Minute)
	c2 := h.openIncoming(w.support.ID, "Müller, \"Max\"\nGmbH", "Guten Tag")
	at(5*time.Minute + 10*time.Second)
	post("/api/v1/conversations/"+c2.ID+"/accept", nil, w.ben, http.StatusOK)
	at(5*time.Minute + 20*time.Second)
	post("/api/v1/conversations/"+c2.ID+"/messages", map[string]any{"text": "Hallo!"}, w.ben, http.StatusCreated)
	at(10 * time.Minute)
	post("/api/v1/conversations/"+c2.ID+"/close", nil, w.ben, http.StatusOK)
	post("/api/v1/conversations/"+c2.ID+"/client-rating", map[string]any{"rating": 5}, h.admin, http.StatusOK)

	at(10 * time.Minute)
	c3 := h.openIncoming(w.sales.ID, "Борис Петров", "Здравствуйте")

	at(15 * time.Minute)
	name, crmID, crmURL := "Zoë Ärger", "CRM-42", "https://crm.example/42"
	c4, _, err := h.svc.Open(ctx, inbox.System, inbox.OpenInput{LineID: w.support.ID, SitePage: "https://shop.example/pricing?plan=pro",
		FormFilled: true, Contact: &inbox.ContactInput{Name: &name, CRMID: &crmID, CRMURL: &crmURL}, Message: &inbox.MessageInput{Text: "Preise?"}})
	if err != nil {
		t.Fatal(err)
	}
	at(17 * time.Minute)
	post("/api/v1/conversations/"+c4.ID+"/accept", nil, w.ann, http.StatusOK)
	at(18 * time.Minute)
	post("/api/v1/conversations/"+c4.ID+"/spam", nil, w.sue, http.StatusOK)

	at(19 * time.Minute)
	post("/api/v1/conversations/"+c1.ID+"/rating", map[string]any{"rating": 4, "comment": "+49 30 1234567: call back"}, w.sue, http.StatusOK)
	post("/api/v1/conversations/"+c2.ID+"/rating", map[string]any{"rating": 0, "comment": "-5 points: rude"}, w.sue, http.StatusOK)
	post("/api/v1/conversations/"+c3.ID+"/rating", map[string]any{"rating": 0, "comment": "@channel escalate"}, w.sue, http.StatusOK)

	tm := func(d time.Duration) *time.Time { v := t0.Add(d); return &v }
	ms := func(v int64) *int64 { return &v }
	anna := &inbox.Conversation{ID: "conv-anna", Number: 101, LineID: w.support.ID, Channel: inbox.ChannelTelegram, Type: inbox.Incoming,
		ContactID: "contact-anna", ContactName: "Anna Kowalska", ContactHandle: "@anna_k", AgentID: w.ann.agent.ID,
		Pinned: true, HistoryRequested: true, ClientRating: 3, MissedAt: tm(20*time.Minute + 30*time.Second),
		Dates: inbox.Dates{Created: t0.Add(20 * time.Minute), Queued: tm(20*time.Minute + 5*time.Second), Accepted: tm(21 * time.Minute),
			Answered: tm(21*time.Minute + 250*time.Millisecond), LastMessage: tm(30 * time.Minute), ClosedByAgent: tm(31 * time.Minute),
			Closed: tm(31 * time.Minute), Modified: t0.Add(31 * time.Minute)},
		Timings: inbox.Timings{WaitingForAnswerMs: ms(60250), TimeToAcceptMs: ms(60000), TimeToCloseByAgentMs: ms(660000),
			DurationMs: ms(600000), FirstReactionMs: ms(60250), ChatBotMs: ms(4500), ResponseTotalMs: ms(90250),
			ResponseAverageMs: ms(45125), ResponseMaxMs: ms(60250)}}
	anna.Status, anna.StatusCode, anna.General = inbox.StatusClosed, inbox.StatusClosed.Code(), inbox.GeneralClosed
	visitor := &inbox.Conversation{ID: "conv-visitor", Number: 102, LineID: w.support.ID, Channel: inbox.ChannelLiveChat, Type: inbox.Incoming,
		ContactID: "contact-visitor", VisitorNumber: 4711, Dates: inbox.Dates{Created: t0.Add(25 * time.Minute), Modified: t0.Add(25 * time.Minute)}}
	visitor.Status, visitor.StatusCode, visitor.General = inbox.StatusNew, inbox.StatusNew.Code(), inbox.GeneralWaiting
	for _, c := range []*inbox.Conversation{anna, visitor} {
		if err := h.store.InsertConversation(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	h.clock.Set(t0.Add(2 * time.Hour))
	return w
}

// setLanguage sets an agent's language.
func (w *exportWorld) setLanguage(s *session, lang string) {
	w.h.t.Helper()
	if _, err := w.h.svc.UpdateAgent(context.Background(), inbox.System, s.agent.ID, inbox.AgentInput{Language: &lang}); err != nil {
		w.h.t.Fatal(err)
	}
}

// exportAllColumns names every column of the table.
var exportAllColumns = strings.Join(inbox.TableColumns, ",")

// exportRows reads an export CSV: a byte-order mark, CRLF lines.
func exportRows(t *testing.T, r *response) [][]string {
	t.Helper()
	body := string(r.body)
	if !strings.HasPrefix(body, "\ufeff") || !strings.HasSuffix(body, "\r\n") {
		t.Fatalf("%v: want a byte-order mark and CRLF line ends", r)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatalf("%v: %v", r, err)
	}
	return rows
}

// exportCells is the cells of the column headed head, without the header.
func exportCells(t *testing.T, rows [][]string, head string) []string {
	t.Helper()
	i := slices.Index(rows[0], head)
	if i < 0 {
		t.Fatalf("no column %q in %q", head, rows[0])
	}
	out := make([]string, 0, len(rows)-1)
	for _, r := range rows[1:] {
		out = append(out, r[i])
	}
	return out
}

// The exports byte for byte: a supervisor's every column in German
// (Berlin time), an agent's default columns in Russian (Moscow time).
// Names and comments a spreadsheet would run as formulas get an
// apostrophe; commas, quotes and line breaks are quoted.
func TestExportCSVGolden(t *testing.T) {
	w := newExportWorld(t)
	h := w.h
	w.setLanguage(w.sue, "de")
	r := h.do(http.MethodGet, "/api/v1/conversations.csv?"+q("columns", exportAllColumns, "tz", "Europe/Berlin"), nil, w.sue).want(http.StatusOK)
	golden(t, "export-de.csv", r.body)
	if ct := r.resp.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cd := r.resp.Header.Get("Content-Disposition"); cd != `attachment; filename="switchboard-conversations-2025-05-05.csv"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	body := string(r.body)
	for _, want := range []string{"\ufeffNr.,Offener Kanal,Typ,", "\r\n", `,'=cmd|' /C calc'!A0,`, `'+49 30 1234567: call back`,
		`'-5 points: rude`, `'@channel escalate`, "\"Müller, \"\"Max\"\"\r\nGmbH\"", `"Vertrieb, Süd"`, "Борис Петров", "Anna Kowalska @anna_k",
		"Besucher 4711", "CRM-42", "2025-05-05 11:00:00", "61.5", "60.25"} {
		if !strings.Contains(body, want) {
			t.Errorf("the German export lacks %q", want)
		}
	}
	w.setLanguage(w.ann, "ru")
	r = h.do(http.MethodGet, "/api/v1/conversations.csv?tz=Europe/Moscow", nil, w.ann).want(http.StatusOK)
	golden(t, "export-ru.csv", r.body)
	rows := exportRows(t, r)
	if want := []string{"№", "Открытая линия", "Статус", "Статус (детальный)", "Канал", "Клиент", "Сотрудник", "Дата создания",
		"Дата последнего сообщения", "Ожидание ответа оператора (с)", "Время ответа на первое сообщение (с)"}; !slices.Equal(rows[0], want) {
		t.Errorf("Ann's default header %q, want %q", rows[0], want)
	}
	if got := exportCells(t, rows, "№"); !slices.Equal(got, []string{"102", "101", "4", "1"}) {
		t.Errorf("Ann's export numbers %q", got)
	}
}

// The columns are the agent's saved table columns in their order, or the
// columns parameter's; the row buttons are left out; headers are in the
// agent's language with the table's words; durations are seconds.
func TestExportColumns(t *testing.T) {
	w := newExportWorld(t)
	h := w.h
	h.do(http.MethodPut, "/api/v1/me/preferences", map[string]any{"table": map[string]any{
		"columns": []string{"client", "actions", "waitingForAnswer", "number", "firstReaction", "clientRating"}}}, w.ann).want(http.StatusOK)
	rows := exportRows(t, h.do(http.MethodGet, "/api/v1/conversations.csv", nil, w.ann).want(http.StatusOK))
	wantRows := [][]string{
		{"Client", "Waiting for agent's answer (s)", "No.", "First reaction time (s)", "Client rating"},
		{"Visitor 4711", "", "102", "", ""},
		{"Anna Kowalska @anna_k", "60.25", "101", "60.25", "3"},
		{"Zoë Ärger", "", "4", "180", ""}, // first reaction: to the close as spam
		{"'" + hostileName, "61.5", "1", "61.5", ""},
	}
	if !slices.EqualFunc(rows, wantRows, slices.Equal) {
		t.Errorf("Ann's saved columns:\n got %q\nwant %q", rows, wantRows)
	}
	// The parameter wins over the saved columns; the same with XLSX.
	rows = exportRows(t, h.do(http.MethodGet, "/api/v1/conversations.csv?columns=number,agent,line&sort=number", nil, w.ann).want(http.StatusOK))
	if want := [][]string{{"No.", "Agent", "Line"}, {"1", "Ann Agent", "Support"}, {"4", "Ann Agent", "Support"},
		{"101", "Ann Agent", "Support"}, {"102", "", "Support"}}; !slices.EqualFunc(rows, want, slices.Equal) {
		t.Errorf("columns parameter: %q", rows)
	}
	// Headers in each language.
	for lang, want := range map[string][]string{
		"en": {"No.", "Waiting for agent's answer (s)", "Created", "Spam", "Detailed status"},
		"de": {"Nr.", "Auf die Antwort des Mitarbeiters wird gewartet (s)", "Erstellt am", "Spam", "Status (detailliert)"},
		"pl": {"Nr", "Oczekiwanie na reakcję konsultanta (s)", "Utworzono", "Spam", "Status (szczegółowy)"},
		"ru": {"№", "Ожидание ответа оператора (с)", "Дата создания", "Спам", "Статус (детальный)"},
	} {
		w.setLanguage(w.ann, lang)
		rows := exportRows(t, h.do(http.MethodGet, "/api/v1/conversations.csv?columns=number,waitingForAnswer,created,spam,detailedStatus&number=4", nil, w.ann).want(http.StatusOK))
		if !slices.Equal(rows[0], want) {
			t.Errorf("%s header %q, want %q", lang, rows[0], want)
		}
		yes := map[string]string{"en": "yes", "de": "ja", "pl": "tak", "ru": "да"}[lang]
		if len(rows) != 2 || rows[1][3] != yes || rows[1][2] != "2025-05-05 09:15:00" {
			t.Errorf("%s row %q", lang, rows[1:])
		}
	}
	// An agent who never chose gets the table's defaults.
	rows = exportRows(t, h.do(http.MethodGet, "/api/v1/conversations.csv?number=2", nil, w.ben).want(http.StatusOK))
	if want := []string{"No.", "Line", "Status", "Detailed status", "Channel", "Client", "Agent", "Created", "Last message",
		"Waiting for agent's answer (s)", "First reaction time (s)"}; !slices.Equal(rows[0], want) {
		t.Errorf("default header %q", rows[0])
	}
	if want := []string{"2", "Support", "Conversation closed", "Conversation closed", "Live chat", "Müller, \"Max\"\nGmbH", "Ben Agent",
		"2025-05-05 09:05:00", "2025-05-05 09:05:20", "20", "20"}; len(rows) != 2 || !slices.Equal(rows[1], want) {
		t.Errorf("Ben's row %q, want %q", rows[1:], want)
	}
}

// The export holds exactly what the list shows the same agent for the
// same query, on all its pages and in its order; the query's limit and
// offset do not narrow it.
func TestExportIsTheList(t *testing.T) {
	w := newExportWorld(t)
	h := w.h
	queries := []string{"", "channel=telegram", "channel=livechat&status=waiting", "detailedStatus=spam,closed",
		"createdFrom=2025-05-05T09:04:00Z&createdTo=2025-05-05T09:21:00Z", "sort=waitingForAnswer", "sort=-lastMessage",
		"sort=client", "sort=-line", "sort=missed", "client=müller", "active=true", "spam=false&sort=created",
		"agent=" + w.ann.agent.ID, "unassigned=true", "line=" + w.sales.ID, "clientRating=3,5&sort=-clientRating"}
	for _, s := range []*session{w.ann, w.ben, w.sue} {
		for _, query := range queries {
			want := []string{}
			for offset := 0; ; offset += 2 {
				l := h.conversations(s, query+"&limit=2&offset="+strconv.Itoa(offset))
				for _, c := range l.Items {
					want = append(want, strconv.FormatInt(c.Number, 10))
				}
				if int64(offset+2) >= l.Total {
					break
				}
			}
			rows := exportRows(t, h.do(http.MethodGet, "/api/v1/conversations.csv?"+query+"&columns=number&limit=1&offset=1", nil, s).want(http.StatusOK))
			if got := exportCells(t, rows, "No."); !slices.Equal(got, want) {
				t.Errorf("%s, %q: export %q, list %q", s.agent.Name, query, got, want)
			}
		}
	}
}

// Bad parameters are a 400 naming the parameter, before anything is
// sent, and change nothing; no session, no export.
func TestExportRefusals(t *testing.T) {
	w := newExportWorld(t)
	h := w.h
	before := h.snap()
	cases := []struct{ query, field string }{
		{"tz=Mars/Olympus", "tz"},
		{"tz=Local", "tz"},
		{"columns=number,nonsense", "columns"},
		{"columns=number,number", "columns"},
		{"columns=actions", "columns"},
		{"columns=", "columns"},
		{"channel=fax", "channel"},
		{"sort=bogus", "sort"},
		{"createdFrom=yesterday", "createdFrom"},
		{"foo=1", "foo"},
		{"offset=-1", "offset"},
		{"tz=Europe/Berlin&columns=number&status=open", "status"},
	}
	for _, c := range cases {
		for _, path := range []string{"/api/v1/conversations.csv?", "/api/v1/conversations.xlsx?"} {
			r := h.do(http.MethodGet, path+c.query, nil, w.sue)
			r.wantError(http.StatusBadRequest, "invalid", c.field)
			if cd := r.resp.Header.Get("Content-Disposition"); cd != "" {
				t.Errorf("%v: Content-Disposition %q on a refusal", r, cd)
			}
		}
	}
	for _, path := range []string{"/api/v1/conversations.csv", "/api/v1/conversations.xlsx"} {
		h.do(http.MethodGet, path, nil, nil).wantError(http.StatusUnauthorized, "unauthorized", "")
	}
	h.unchanged(before, "refused exports")
}

// exportApp mounts a second API over svc, as the harness does, for tests
// that need the API itself (its export gate) or another store.
func exportApp(t testing.TB, svc *inbox.Service) (*fiber.App, *api.API) {
	t.Helper()
	app := fiber.New(fiber.Config{StreamRequestBody: true, DisablePreParseMultipartForm: true, Immutable: true,
		BodyLimit: bodyLimit, DisableStartupMessage: true, ErrorHandler: api.ErrorHandler(nil)})
	app.Use(httperr.LimitBodies(bodyLimit, 1<<20, nil))
	a := api.New(svc, api.Config{LoginMaxFailures: maxFailures, LoginWindow: time.Minute, PublicURL: "https://switchboard.test"}, nil)
	a.Mount(app)
	return app, a
}

// Exports are heavy: one at a time per agent, ExportsAtOnce over all; a
// refused one is a 429 "throttled". A finished or refused export gives
// its place back.
func TestExportThrottle(t *testing.T) {
	w := newExportWorld(t)
	h := w.h
	app, a := exportApp(t, h.svc)
	h.app = app
	get := func(s *session) *response {
		return h.do(http.MethodGet, "/api/v1/conversations.csv?columns=number", nil, s)
	}
	release, ok := api.HoldExport(a, w.ann.agent.ID) // Ann's export is running
	if !ok {
		t.Fatal("the gate refused a first export")
	}
	r := get(w.ann)
	r.wantError(http.StatusTooManyRequests, "throttled", "")
	if r.resp.Header.Get("Retry-After") == "" {
		t.Errorf("%v: no Retry-After", r)
	}
	h.do(http.MethodGet, "/api/v1/conversations.xlsx", nil, w.ann).wantError(http.StatusTooManyRequests, "throttled", "")
	get(w.ben).want(http.StatusOK) // someone else's runs
	release()
	for range 3 { // one after the other: each gives its place back
		get(w.ann).want(http.StatusOK)
	}
	h.do(http.MethodGet, "/api/v1/conversations.csv?tz=Mars", nil, w.ann).wantError(http.StatusBadRequest, "invalid", "tz")
	h.do(http.MethodGet, "/api/v1/conversations.csv?sort=bogus", nil, w.ann).wantError(http.StatusBadRequest, "invalid", "sort")
	head := h.do(http.MethodHead, "/api/v1/conversations.xlsx", nil, w.ann).want(http.StatusOK)
	if cd := head.resp.Header.Get("Content-Disposition"); !strings.HasSuffix(cd, `.xlsx"`) || len(head.body) != 0 {
		t.Errorf("HEAD: Content-Disposition %q, %d bytes", cd, len(head.body))
	}
	if release, ok := api.HoldExport(a, w.ann.agent.ID); !ok {
		t.Error("Ann's place was not given back")
	} else {
		release()
	}
	// ExportsAtOnce others are running: nobody else may start.
	var others []func()
	for i := range api.ExportsAtOnce {
		release, ok := api.HoldExport(a, "other-"+strconv.Itoa(i))
		if !ok {
			t.Fatalf("export %d of %d refused", i+1, api.ExportsAtOnce)
		}
		others = append(others, release)
	}
	get(w.ann).wantError(http.StatusTooManyRequests, "throttled", "")
	get(w.sue).wantError(http.StatusTooManyRequests, "throttled", "")
	others[0]()
	others[0]() // a second release changes nothing
	get(w.sue).want(http.StatusOK)
	for _, r := range others[1:] {
		r()
	}
	if release, ok := api.HoldExport(a, "other-0"); ok {
		release()
	} else {
		t.Error("place not given back")
	}
}

// On a shared store (MongoDB's path: a cursor instead of the working
// set) the exports are the same, byte for byte.
func TestExportSharedStoreAgrees(t *testing.T) {
	w := newExportWorld(t)
	h := w.h
	ctx := context.Background()
	if err := h.store.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	shared, err := inbox.Connect(ctx, engine.URI(), h.store.Database().Name(), inbox.StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = shared.Close(ctx) }()
	app, _ := exportApp(t, inbox.NewService(shared, inbox.Options{Clock: h.clock.Now, PasswordCost: 4}))
	other := *h
	other.app = app
	w.setLanguage(w.sue, "pl")
	for _, c := range []struct {
		s     *session
		query string
	}{
		{w.sue, q("columns", exportAllColumns, "tz", "America/New_York")},
		{w.ann, ""},
		{w.ben, "sort=-waitingForAnswer&columns=number,waitingForAnswer,client"},
		{w.sue, "sort=lastMessage&columns=number,lastMessage,crm"},
		{w.sue, "sort=-missed&columns=number,missed"},
		{w.sue, "sort=client&detailedStatus=spam,new,closed&columns=number,client"},
	} {
		want := h.do(http.MethodGet, "/api/v1/conversations.csv?"+c.query, nil, c.s).want(http.StatusOK).body
		got := other.do(http.MethodGet, "/api/v1/conversations.csv?"+c.query, nil, c.s).want(http.StatusOK).body
		if string(got) != string(want) {
			t.Errorf("%s, %q: the shared store's export differs:\n got %q\nwant %q", c.s.agent.Name, c.query, got, want)
		}
	}
}
