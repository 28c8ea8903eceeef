package api

import (
	"bufio"
	"encoding/csv"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/switchboard-chat/switchboard/inbox"
)

// Statistics: GET /api/v1/stats (the report as JSON) and
// GET /api/v1/stats.csv (its series as a spreadsheet), with the same
// query. Who sees what is the inbox's rule (inbox.Service.Report): staff
// everyone's figures, an agent their own.

func (a *API) stats(c *fiber.Ctx) error {
	r, err := a.report(c)
	if err != nil {
		return a.fail(c, err)
	}
	return c.JSON(r)
}

func (a *API) report(c *fiber.Ctx) (*inbox.Report, error) {
	q, err := parseStatsQuery(c.Context().QueryArgs().String())
	if err != nil {
		return nil, err
	}
	return a.svc.Report(c.UserContext(), actor(c), q)
}

// parseStatsQuery reads the statistics' query string. Lists may repeat
// their parameter and/or separate values with commas; a scalar given twice
// takes the last value. Unknown parameters are refused, as the
// conversation list's: a typo never silently widens a report.
func parseStatsQuery(raw string) (inbox.ReportQuery, error) {
	var q inbox.ReportQuery
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return q, &inbox.FieldError{Field: "query", Message: "malformed query string"}
	}
	for _, key := range slices.Sorted(maps.Keys(vals)) { // the same bad parameter is named every time
		vs := vals[key]
		v := vs[len(vs)-1]
		switch key {
		case "from":
			q.From = v
		case "to":
			q.To = v
		case "tz":
			q.TimeZone = v
		case "group":
			q.Group = inbox.Grouping(v)
		case "lineId":
			q.LineIDs = splitList(vs)
		case "agentId":
			q.AgentIDs = splitList(vs)
		case "groupId":
			q.GroupIDs = splitList(vs)
		case "channel":
			for _, s := range splitList(vs) {
				q.Channels = append(q.Channels, inbox.Channel(s))
			}
		default:
			return q, &inbox.FieldError{Field: key, Message: "is not a known parameter"}
		}
	}
	return q, nil
}

// statsCSV is GET /api/v1/stats.csv: the report's series, one row per
// day, week or month, headed in the agent's language; durations in
// seconds, an empty cell where there is no value. The body is written as
// it is sent.
func (a *API) statsCSV(c *fiber.Ctx) error {
	return a.reportCSV(c, "stats", statsColumns, func(r *inbox.Report) [][]string {
		rows := make([][]string, 0, len(r.Series))
		for _, b := range r.Series {
			rows = append(rows, statsRow(b))
		}
		return rows
	})
}

// statsAgentsCSV is GET /api/v1/stats/agents.csv: the report's per-agent
// figures, one row per agent listed (an agent's own report: theirs only).
func (a *API) statsAgentsCSV(c *fiber.Ctx) error {
	return a.reportCSV(c, "agents", agentColumns, func(r *inbox.Report) [][]string {
		rows := make([][]string, 0, len(r.Agents))
		for _, st := range r.Agents {
			rows = append(rows, agentRow(st))
		}
		return rows
	})
}

// reportCSV answers a CSV of a report's rows, named
// switchboard-<name>-<from>-<to>.csv.
func (a *API) reportCSV(c *fiber.Ctx, name string, columns [][4]string, rows func(*inbox.Report) [][]string) error {
	r, err := a.report(c)
	if err != nil {
		return a.fail(c, err)
	}
	header := headerIn(columns, who(c).agent.Language)
	body := rows(r)
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="switchboard-`+name+`-`+r.From+`-`+r.To+`.csv"`)
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		if err := writeCSV(w, header, body); err != nil {
			a.log.Warn("statistics CSV not sent whole", "name", name, "err", err)
		}
	})
	return nil
}

// writeCSV writes a spreadsheet-ready CSV: a UTF-8 byte-order mark (so
// that spreadsheets read umlauts and Cyrillic right), the header row, the
// rows, every cell made safe (safeCell), CRLF line ends.
func writeCSV(w *bufio.Writer, header []string, rows [][]string) error {
	if _, err := w.WriteString("\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(safeCells(header)); err != nil {
		return err
	}
	for _, row := range rows {
		if err := cw.Write(safeCells(row)); err != nil {
			return err
		}
		cw.Flush() // a row at a time to the connection's buffer
		if err := cw.Error(); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return w.Flush()
}

// statsColumns are the CSV's columns: en, de, pl, ru.
var statsColumns = [][4]string{
	{"Period start", "Beginn des Zeitraums", "Początek okresu", "Начало периода"},
	{"New conversations", "Neue Konversationen", "Nowe rozmowy", "Новые диалоги"},
	{"Incoming", "Eingehend", "Przychodzące", "Входящие"},
	{"Outgoing", "Ausgehend", "Wychodzące", "Исходящие"},
	{"Live chat", "Live-Chat", "Czat na żywo", "Онлайн-чат"},
	{"Telegram", "Telegram", "Telegram", "Telegram"},
	{"E-mail", "E-Mail", "E-mail", "E-mail"},
	{"Agent answered", "Mitarbeiter hat geantwortet", "Operator odpowiedział", "Оператор ответил"},
	{"Missed", "Verpasst", "Nieodebrane", "Пропущенные"},
	{"Missed rate", "Anteil verpasst", "Odsetek nieodebranych", "Доля пропущенных"},
	{"Closed by agent", "Vom Mitarbeiter geschlossen", "Zamknięte przez konsultanta", "Закрыты оператором"},
	{"Closed by timeout", "Wegen Zeitüberschreitung geschlossen", "Zamknięte po upływie czasu", "Закрыты по таймауту"},
	{"Spam", "Spam", "Spam", "Спам"},
	{"Still open", "Noch offen", "Nadal otwarte", "Еще открыты"},
	{"Waiting for agent's answer, average (s)", "Auf die Antwort des Mitarbeiters wird gewartet, Durchschnitt (s)", "Oczekiwanie na reakcję konsultanta, średnio (s)", "Ожидание ответа оператора, в среднем (с)"},
	{"Time to accept, average (s)", "Mitarbeiter wird antworten (ohne Chat-Bot), Durchschnitt (s)", "Czas reakcji konsultanta, średnio (s)", "Время до начала работы оператора, в среднем (с)"},
	{"First reaction time, average (s)", "Ursprüngliche Reaktionszeit, Durchschnitt (s)", "Czas początkowej reakcji, średnio (s)", "Время ответа на первое сообщение, в среднем (с)"},
	{"Chat-bot time, average (s)", "Arbeitszeit des Chat-Bots, Durchschnitt (s)", "Czas pracy chatbota, średnio (s)", "Время работы чат-бота, в среднем (с)"},
	{"Average response time (s)", "Durchschnittliche Reaktionszeit (s)", "Średni czas reakcji (s)", "Среднее время ответа на сообщения (с)"},
	{"Conversation duration, average (s)", "Konversationsdauer, Durchschnitt (s)", "Czas trwania rozmowy, średnio (s)", "Длительность диалога, в среднем (с)"},
	{"Client ratings", "Kundenbewertungen", "Oceny klientów", "Оценки клиентов"},
	{"Client rating, average", "Kundenbewertung, Durchschnitt", "Ocena klienta, średnio", "Оценка клиента, в среднем"},
}

// headerIn is a header row of columns in lang (English for any other).
func headerIn(columns [][4]string, lang string) []string {
	i := slices.Index([]string{"en", "de", "pl", "ru"}, lang)
	if i < 0 {
		i = 0
	}
	out := make([]string, len(columns))
	for j, c := range columns {
		out[j] = c[i]
	}
	return out
}

// agentColumns are the per-agent CSV's columns: en, de, pl, ru.
var agentColumns = [][4]string{
	{"Agent", "Mitarbeiter", "Konsultant", "Оператор"},
	{"Conversations handled", "Bearbeitete Konversationen", "Obsłużone rozmowy", "Обработано диалогов"},
	{"Agent answered", "Mitarbeiter hat geantwortet", "Operator odpowiedział", "Оператор ответил"},
	{"Missed", "Verpasst", "Nieodebrane", "Пропущенные"},
	{"First reaction time, average (s)", "Ursprüngliche Reaktionszeit, Durchschnitt (s)", "Czas początkowej reakcji, średnio (s)", "Время ответа на первое сообщение, в среднем (с)"},
	{"Client ratings", "Kundenbewertungen", "Oceny klientów", "Оценки клиентов"},
	{"Client rating, average", "Kundenbewertung, Durchschnitt", "Ocena klienta, średnio", "Оценка клиента, в среднем"},
	{"Online (s)", "Online (s)", "Online (s)", "В сети (с)"},
	{"Invisible (s)", "Unsichtbar (s)", "Niewidoczny (s)", "Невидимый (с)"},
	{"Offline (s)", "Offline (s)", "Offline (s)", "Не в сети (с)"},
}

// agentRow is an agent's row, in agentColumns' order.
func agentRow(st inbox.AgentStats) []string {
	secs := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	return []string{
		st.Name, num(st.Handled), num(st.Answered), num(st.Missed), optional(st.FirstReactionAverage),
		num(st.ClientRating.Count), optional(st.ClientRating.Average),
		secs(st.Presence.Online), secs(st.Presence.Invisible), secs(st.Presence.Offline),
	}
}

func num(v int64) string { return strconv.FormatInt(v, 10) }

// optional is a figure, or an empty cell when there is none.
func optional(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

// statsRow is a bucket's row, in statsColumns' order.
func statsRow(b inbox.ReportBucket) []string {
	n, f := num, optional
	c, av := b.Conversations, b.Averages
	return []string{
		b.Start, n(c.New), n(c.Incoming), n(c.Outgoing),
		n(c.ByChannel.LiveChat), n(c.ByChannel.Telegram), n(c.ByChannel.Email),
		n(c.Answered), n(c.Missed), f(c.MissedRate),
		n(c.ClosedByAgent), n(c.ClosedByTimeout), n(c.Spam), n(c.StillOpen),
		f(av.WaitingForAnswer), f(av.TimeToAccept), f(av.FirstReaction), f(av.ChatBot), f(av.Response), f(av.Duration),
		n(b.ClientRating.Count), f(b.ClientRating.Average),
	}
}

// safeCell keeps a spreadsheet from running a cell as a formula (OWASP
// "CSV injection"): a cell that starts with =, +, -, @, a tab or a
// carriage return gets a leading apostrophe. encoding/csv then quotes
// what needs quoting.
func safeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func safeCells(cells []string) []string {
	for i, s := range cells {
		cells[i] = safeCell(s)
	}
	return cells
}
