package api

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
)

// The export's columns: the conversation table's (inbox.TableColumns),
// headed with the table's own words and showing what the table shows,
// made for a spreadsheet: numbers as numbers, dates as dates, durations
// in seconds, an empty cell where the table shows a dash.

// exportLangs are the languages of exportTexts' columns.
var exportLangs = []string{"en", "de", "pl", "ru"}

// exportTexts are the inbox UI's words the export uses, by the UI's key
// (inbox/web/assets/i18n.js and i18n-table.js), in exportLangs' order.
// TestExportTextsAreTheUIs holds each to the UI's.
var exportTexts = map[string][4]string{
	"col.number":             {"No.", "Nr.", "Nr", "№"},
	"col.line":               {"Line", "Offener Kanal", "Otwarty kanał", "Открытая линия"},
	"col.type":               {"Type", "Typ", "Typ", "Тип"},
	"col.status":             {"Status", "Status", "Status", "Статус"},
	"col.detailedStatus":     {"Detailed status", "Status (detailliert)", "Status (szczegółowy)", "Статус (детальный)"},
	"col.spam":               {"Spam", "Spam", "Spam", "Спам"},
	"col.missed":             {"Missed", "Verpasst", "Nieodebrana", "Пропущен"},
	"col.channel":            {"Channel", "Kanal", "Kanał", "Канал"},
	"col.client":             {"Client", "Kunde", "Klient", "Клиент"},
	"col.agent":              {"Agent", "Mitarbeiter", "Pracownik", "Сотрудник"},
	"col.crm":                {"CRM record", "CRM-Eintrag", "Rekord w CRM", "Запись в CRM"},
	"col.sitePage":           {"Site page", "Seite der Website", "Strona witryny", "Страница сайта"},
	"col.formFilled":         {"Form filled", "Formular ausgefüllt", "Wysłany formularz", "Заполнил форму"},
	"col.historyRequested":   {"History requested", "Verlauf angefordert", "Wysłano prośbę o historię", "Запросил историю"},
	"col.pinned":             {"Pinned", "Angeheftet", "Przypisano", "Закреплен"},
	"col.clientRating":       {"Client rating", "Kundenbewertung", "Ocena klienta", "Оценка клиента"},
	"col.supervisorComment":  {"Supervisor comment", "Kommentar des Vorgesetzten", "Komentarz przełożonego", "Комментарий руководителя"},
	"col.supervisorRating":   {"Supervisor rating", "Bewertung des Vorgesetzten", "Ocena przełożonego", "Оценка руководителя"},
	"col.created":            {"Created", "Erstellt am", "Utworzono", "Дата создания"},
	"col.queued":             {"Forwarded to agents", "Weitergeleitet an Mitarbeiter am", "Żądanie przekazano do konsultanta", "Дата перевода в очередь"},
	"col.answered":           {"Agent answered", "Mitarbeiter hat geantwortet am", "Konsultant odpowiedział", "Дата ответа оператора"},
	"col.accepted":           {"Agent accepted", "Mitarbeiter hat Konversation gestartet am", "Konsultant zaakceptował żądanie", "Дата начала работы оператора"},
	"col.lastMessage":        {"Last message", "Letzte Nachricht veröffentlicht am", "Wysłanie ostatniej wiadomości", "Дата последнего сообщения"},
	"col.closedByAgent":      {"Closed by agent", "Mitarbeiter hat geschlossen am", "Konsultant zamknął", "Дата закрытия оператором"},
	"col.closed":             {"Closed", "Geschlossen am", "Zamknięto", "Дата закрытия"},
	"col.modified":           {"Modified", "Geändert am", "Zmodyfikowano", "Дата изменения"},
	"col.waitingForAnswer":   {"Waiting for agent's answer", "Auf die Antwort des Mitarbeiters wird gewartet", "Oczekiwanie na reakcję konsultanta", "Ожидание ответа оператора"},
	"col.timeToAccept":       {"Time to accept", "Mitarbeiter wird antworten (ohne Chat-Bot)", "Czas reakcji konsultanta", "Время до начала работы оператора"},
	"col.timeToCloseByAgent": {"Time to close by agent", "Dauer bevor Schließung durch Mitarbeiter", "Czas do zamknięcia przez konsultanta", "Время до закрытия оператором"},
	"col.duration":           {"Conversation duration", "Konversationsdauer", "Czas trwania rozmowy", "Длительность диалога"},
	"col.firstReaction":      {"First reaction time", "Ursprüngliche Reaktionszeit", "Czas początkowej reakcji", "Время ответа на первое сообщение"},
	"col.chatBot":            {"Chat-bot time", "Arbeitszeit des Chat-Bots", "Czas pracy chatbota", "Время работы чат-бота"},
	"col.responseTotal":      {"Total response time", "Reaktionszeit gesamt", "Łączny czas reakcji", "Общее время ответов на сообщения"},
	"col.responseAverage":    {"Average response time", "Durchschnittliche Reaktionszeit", "Średni czas reakcji", "Среднее время ответа на сообщения"},
	"col.responseMax":        {"Maximum response time", "Maximale Reaktionszeit", "Maksymalny czas reakcji", "Максимальное время ответа на сообщения"},
	"type.incoming":          {"Incoming", "Eingehend", "Przychodząca", "Входящий"},
	"type.outgoing":          {"Outgoing", "Ausgehend", "Wychodząca", "Исходящий"},
	"general.waiting":        {"Client waits for the agent's answer", "Kunde wartet auf die Antwort des Mitarbeiters", "Klient oczekuje na odpowiedź operatora", "Клиент ожидает ответа оператора"},
	"general.answered":       {"Agent answered", "Mitarbeiter hat geantwortet", "Operator odpowiedział klientowi", "Оператор ответил клиенту"},
	"general.closed":         {"Conversation closed", "Konversation geschlossen", "Rozmowa zamknięta", "Диалог завершен"},
	"status.new":             {"New conversation opened", "Neue Konversation eröffnet", "Rozpoczęto nową rozmowę", "Открыт новый диалог"},
	"status.queued":          {"Agent put the conversation in the queue", "Mitarbeiter hat die Konversation in die Warteschleife gestellt", "Konsultant dodał rozmowę do kolejki", "Оператор направил диалог в очередь"},
	"status.accepted":        {"Agent took the conversation", "Mitarbeiter hat die Konversation übernommen", "Konsultant zareagował na rozmowę", "Оператор взял диалог в работу"},
	"status.waiting":         {"Client waits for the agent's answer", "Kunde wartet auf die Antwort des Mitarbeiters", "Klient oczekuje na odpowiedź operatora", "Клиент ожидает ответа оператора"},
	"status.waiting_again":   {"Client waits for the agent's answer (new question after an answer)", "Kunde wartet auf die Antwort des Mitarbeiters (neue Frage nach einer Antwort)", "Klient oczekuje na odpowiedź operatora (ma dodatkowe pytanie)", "Клиент ожидает ответа оператора (новый вопрос после ответа)"},
	"status.answered":        {"Agent answered the client", "Mitarbeiter hat dem Kunden geantwortet", "Konsultant zareagował", "Оператор ответил клиенту"},
	"status.closing":         {"Closing (waiting for the client's rating)", "Wird geschlossen (Warten auf die Bewertung des Kunden)", "Rozmowa oczekuje na zakończenie (oczekuje na ocenę)", "Диалог в режиме закрытия (ожидание голосования)"},
	"status.closed":          {"Conversation closed", "Konversation geschlossen", "Rozmowa zamknięta", "Диалог завершен"},
	"status.spam":            {"Spam / force-closed", "Spam / zwangsweise geschlossen", "Spam / Wymuś zakończenie", "Спам / Принудительное завершение"},
	"channel.livechat":       {"Live chat", "Live-Chat", "Czat na żywo", "Онлайн-чат"},
	"channel.telegram":       {"Telegram", "Telegram", "Telegram", "Telegram"},
	"channel.email":          {"E-mail", "E-Mail", "E-mail", "E-mail"},
	"table.yes":              {"yes", "ja", "tak", "да"},
	"table.no":               {"no", "nein", "nie", "нет"},
	"visitor.name":           {"Visitor {n}", "Besucher {n}", "Odwiedzający {n}", "Посетитель {n}"},
	"unit.s":                 {"s", "s", "s", "с"},
	"tab.conversations":      {"Conversations", "Konversationen", "Lista rozmów", "Список диалогов"},
}

// exportDefaultColumns are the table's columns for an agent who never
// chose (DEFAULT_COLUMNS of inbox/web/assets/views/table-columns.js).
var exportDefaultColumns = []string{"number", "line", "status", "detailedStatus", "channel", "client", "agent", "created", "lastMessage", "waitingForAnswer", "firstReaction", "actions"}

// exportUIOnlyColumns are table columns with nothing to export: the row's buttons.
var exportUIOnlyColumns = map[string]bool{"actions": true}

// cellKind is how a column's cells are written.
type cellKind uint8

const (
	textCell    cellKind = iota // a string
	numberCell                  // a whole number (int64)
	dateCell                    // a time.Time: "YYYY-MM-DD HH:MM:SS" in the zone, a date-time in XLSX
	secondsCell                 // a duration in seconds (float64)
)

// exportColumn is one column: its key (inbox.TableColumns), kind, XLSX
// width in characters, and its value in a row: nil (an empty cell), or
// the kind's Go type.
type exportColumn struct {
	key   string
	kind  cellKind
	width float64
	value func(r *exportRow) any
}

// exportRow is a conversation with what its cells need to know.
type exportRow struct {
	c      *inbox.Conversation
	lang   int
	lines  map[string]string // line id → name
	agents map[string]string // agent id → name
	crm    map[string]inbox.CRMRef
}

// word is the UI's text of key in the row's language; the key's last
// part when the UI has none (a value this version does not know).
func (r *exportRow) word(key string) string {
	if t, ok := exportTexts[key]; ok {
		return t[r.lang]
	}
	_, v, _ := strings.Cut(key, ".")
	return v
}

func (r *exportRow) yesNo(b bool) any {
	if b {
		return r.word("table.yes")
	}
	return r.word("table.no")
}

// text is s, or an empty cell.
func cellText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// rating is a rating's digit, or an empty cell for none (0).
func cellRating(n int) any {
	if n <= 0 {
		return nil
	}
	return int64(n)
}

func cellDate(t *time.Time) any {
	if t == nil {
		return nil
	}
	return *t
}

// seconds is a timing in seconds, or an empty cell when it is unset.
func cellSeconds(ms *int64) any {
	if ms == nil {
		return nil
	}
	return float64(*ms) / 1000
}

// exportLegacyVisitor is a client stored as "Visitor 1234" before visitor
// numbers (views/names.js).
var exportLegacyVisitor = regexp.MustCompile(`^Visitor (\d{1,9})$`)

// client is the table's client cell: the name (a visitor without one by
// number, "Besucher 1234"), and the @handle where the channel has one.
func (r *exportRow) client() any {
	c := r.c
	label := c.ContactName
	if m := exportLegacyVisitor.FindStringSubmatch(label); m != nil {
		label = strings.ReplaceAll(r.word("visitor.name"), "{n}", m[1])
	} else if label == "" && c.VisitorNumber != 0 {
		label = strings.ReplaceAll(r.word("visitor.name"), "{n}", strconv.Itoa(c.VisitorNumber))
	}
	if h := strings.TrimPrefix(strings.TrimSpace(c.ContactHandle), "@"); h != "" {
		label = strings.TrimSpace(label + " @" + h)
	}
	return cellText(label)
}

// crm is the contact's CRM id, or the link to the record when it has no id.
func (r *exportRow) crmCell() any {
	ref := r.crm[r.c.ContactID]
	if ref.ID != "" {
		return ref.ID
	}
	return cellText(ref.URL)
}

// exportCatalogue is every exportable column by key: inbox.TableColumns
// but the UI-only ones (TestExportCatalogueCoversTheTable).
var exportCatalogue = func() map[string]exportColumn {
	cols := []exportColumn{
		{"number", numberCell, 9, func(r *exportRow) any { return r.c.Number }},
		{"line", textCell, 20, func(r *exportRow) any { return cellText(r.lines[r.c.LineID]) }},
		{"type", textCell, 12, func(r *exportRow) any { return r.word("type." + string(r.c.Type)) }},
		{"status", textCell, 30, func(r *exportRow) any { return r.word("general." + string(r.c.General)) }},
		{"detailedStatus", textCell, 36, func(r *exportRow) any { return r.word("status." + string(r.c.Status)) }},
		{"spam", textCell, 8, func(r *exportRow) any { return r.yesNo(r.c.Spam) }},
		{"missed", dateCell, 20, func(r *exportRow) any { return cellDate(r.c.MissedAt) }},
		{"channel", textCell, 12, func(r *exportRow) any { return r.word("channel." + string(r.c.Channel)) }},
		{"client", textCell, 28, func(r *exportRow) any { return r.client() }},
		{"agent", textCell, 20, func(r *exportRow) any { return cellText(r.agents[r.c.AgentID]) }},
		{"crm", textCell, 20, func(r *exportRow) any { return r.crmCell() }},
		{"sitePage", textCell, 30, func(r *exportRow) any { return cellText(r.c.SitePage) }},
		{"formFilled", textCell, 10, func(r *exportRow) any { return r.yesNo(r.c.FormFilled) }},
		{"historyRequested", textCell, 10, func(r *exportRow) any { return r.yesNo(r.c.HistoryRequested) }},
		{"pinned", textCell, 10, func(r *exportRow) any { return r.yesNo(r.c.Pinned) }},
		{"clientRating", numberCell, 10, func(r *exportRow) any { return cellRating(r.c.ClientRating) }},
		{"supervisorComment", textCell, 32, func(r *exportRow) any { return cellText(r.c.SupervisorComment) }},
		{"supervisorRating", numberCell, 10, func(r *exportRow) any { return cellRating(r.c.SupervisorRating) }},
	}
	for _, d := range inbox.DateColumns {
		cols = append(cols, exportColumn{d, dateCell, 20, func(r *exportRow) any { return cellDate(r.c.Dates.Column(d)) }})
	}
	for _, t := range inbox.TimingColumns {
		cols = append(cols, exportColumn{t, secondsCell, 14, func(r *exportRow) any { return cellSeconds(r.c.Timings.Column(t)) }})
	}
	m := make(map[string]exportColumn, len(cols))
	for _, c := range cols {
		m[c.key] = c
	}
	return m
}()

// exportLang is the index of lang in exportLangs; English for any other.
func exportLang(lang string) int {
	for i, l := range exportLangs {
		if l == lang {
			return i
		}
	}
	return 0
}

// header is the column's name in language lang (an exportLangs index):
// the table's, with the unit of a duration, "(s)", after it.
func (col exportColumn) header(lang int) string {
	h := exportTexts["col."+col.key][lang]
	if col.kind == secondsCell {
		h += " (" + exportTexts["unit.s"][lang] + ")"
	}
	return h
}

// pickColumns are the exportable columns of keys, in their order; keys
// the export does not know are left out.
func pickExportColumns(keys []string) []exportColumn {
	var out []exportColumn
	for _, k := range keys {
		if col, ok := exportCatalogue[k]; ok {
			out = append(out, col)
		}
	}
	return out
}
