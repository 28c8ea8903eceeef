package api

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// The statistics charts' texts: en, de, pl, ru, as statsColumns. Where a
// chart shows a figure of the CSV, it is named with the CSV's words.

// chartText indexes chartTexts.
type chartText int

const (
	ctNoData chartText = iota
	ctPeriod
	ctConversations
	ctNew
	ctAnswered
	ctMissed
	ctCount
	ctDay
	ctWeek
	ctMonth
	ctTimes
	ctWaiting
	ctFirstReaction
	ctResponse
	ctSeconds
	ctMinutes
	ctUnitSeconds
	ctUnitMinutes
	ctAgents
	ctHandled
	ctAgentAnswered
	ctAgentMissed
	ctDeletedAgent
	ctPresence
	ctOnline
	ctInvisible
	ctOffline
	ctHours
	ctRatings
	ctRatingsSummary
	ctRatingsCount
	ctRating
	ctHeatmap
	ctHour
	ctTimeZone
)

// chartTexts are the charts' words. Formats take their values with
// fmt verbs; summaries with %d and %s keep that order in every language.
var chartTexts = [...][4]string{
	ctNoData: {"No data for this period", "Keine Daten für diesen Zeitraum", "Brak danych za ten okres", "Нет данных за этот период"},
	ctPeriod: {"%s to %s", "%s bis %s", "%s – %s", "%s – %s"},

	ctConversations: {"Conversations", "Konversationen", "Rozmowy", "Диалоги"},
	ctNew:           {"New conversations", "Neue Konversationen", "Nowe rozmowy", "Новые диалоги"},
	ctAnswered:      {"Agent answered", "Mitarbeiter hat geantwortet", "Operator odpowiedział", "Оператор ответил"},
	ctMissed:        {"Missed", "Verpasst", "Nieodebrane", "Пропущенные"},
	ctCount:         {"Conversations", "Konversationen", "Rozmowy", "Диалоги"},
	ctDay:           {"Day", "Tag", "Dzień", "День"},
	ctWeek:          {"Week (from Monday)", "Woche (ab Montag)", "Tydzień (od poniedziałku)", "Неделя (с понедельника)"},
	ctMonth:         {"Month", "Monat", "Miesiąc", "Месяц"},

	ctTimes:         {"Average times (%s)", "Durchschnittliche Zeiten (%s)", "Średnie czasy (%s)", "Среднее время (%s)"},
	ctWaiting:       {"Waiting for agent's answer", "Auf die Antwort des Mitarbeiters wird gewartet", "Oczekiwanie na reakcję konsultanta", "Ожидание ответа оператора"},
	ctFirstReaction: {"First reaction time", "Ursprüngliche Reaktionszeit", "Czas początkowej reakcji", "Время ответа на первое сообщение"},
	ctResponse:      {"Response time", "Reaktionszeit", "Czas reakcji", "Время ответа на сообщения"},
	ctSeconds:       {"Seconds", "Sekunden", "Sekundy", "Секунды"},
	ctMinutes:       {"Minutes", "Minuten", "Minuty", "Минуты"},
	ctUnitSeconds:   {"s", "s", "s", "с"},
	ctUnitMinutes:   {"min", "Min.", "min", "мин"},

	ctAgents:        {"Conversations per agent", "Konversationen pro Mitarbeiter", "Rozmowy według konsultantów", "Диалоги по операторам"},
	ctHandled:       {"Handled", "Bearbeitet", "Obsłużone", "Обработанные"},
	ctAgentAnswered: {"Answered", "Beantwortet", "Odpowiedziane", "Отвеченные"},
	ctAgentMissed:   {"Missed", "Verpasst", "Nieodebrane", "Пропущенные"},
	ctDeletedAgent:  {"(deleted agent)", "(gelöschter Mitarbeiter)", "(usunięty konsultant)", "(удаленный оператор)"},

	ctPresence:  {"Agents' presence (hours)", "Anwesenheit der Mitarbeiter (Stunden)", "Obecność konsultantów (godziny)", "Присутствие операторов (часы)"},
	ctOnline:    {"Online", "Online", "Dostępny", "В сети"},
	ctInvisible: {"Invisible", "Unsichtbar", "Niewidoczny", "Невидимый"},
	ctOffline:   {"Offline", "Offline", "Niedostępny", "Не в сети"},
	ctHours:     {"Hours", "Stunden", "Godziny", "Часы"},

	ctRatings:        {"Client ratings", "Kundenbewertungen", "Oceny klientów", "Оценки клиентов"},
	ctRatingsSummary: {"Ratings: %d, average %s", "Bewertungen: %d, Durchschnitt %s", "Liczba ocen: %d, średnio %s", "Количество оценок: %d, в среднем %s"},
	ctRatingsCount:   {"Number of ratings", "Anzahl der Bewertungen", "Liczba ocen", "Количество оценок"},
	ctRating:         {"Rating", "Bewertung", "Ocena", "Оценка"},

	ctHeatmap:  {"Conversations by weekday and hour", "Konversationen nach Wochentag und Uhrzeit", "Rozmowy według dnia tygodnia i godziny", "Диалоги по дням недели и часам"},
	ctHour:     {"Hour of the day", "Uhrzeit (Stunde)", "Godzina", "Час дня"},
	ctTimeZone: {"Time zone: %s", "Zeitzone: %s", "Strefa czasowa: %s", "Часовой пояс: %s"},
}

// chartWeekdays are the weekdays' short names, Monday first.
var chartWeekdays = [7][4]string{
	{"Mon", "Mo", "pon.", "Пн"},
	{"Tue", "Di", "wt.", "Вт"},
	{"Wed", "Mi", "śr.", "Ср"},
	{"Thu", "Do", "czw.", "Чт"},
	{"Fri", "Fr", "pt.", "Пт"},
	{"Sat", "Sa", "sob.", "Сб"},
	{"Sun", "So", "niedz.", "Вс"},
}

// chartLang is a chart's language: its index in the tables, and how it
// writes numbers and dates.
type chartLang int

// chartLangOf is lang's index in the tables (English for any other).
func chartLangOf(lang string) chartLang {
	i := slices.Index([]string{"en", "de", "pl", "ru"}, lang)
	if i < 0 {
		i = 0
	}
	return chartLang(i)
}

// t is the text in the language.
func (l chartLang) t(k chartText) string { return chartTexts[k][l] }

// number writes v with at most decimals decimals, trailing zeros dropped,
// with the language's decimal separator (a comma but in English).
func (l chartLang) number(v float64, decimals int) string {
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	if l != 0 {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// date writes a bucket's first day, d (YYYY-MM-DD): a day or week as day
// and month, with the year when the period spans years; a month as month
// and year. Dates it cannot read are shown as they are.
func (l chartLang) date(d string, g string, withYear bool) string {
	t, err := time.Parse(time.DateOnly, d)
	if err != nil {
		return d
	}
	en := l == 0
	switch {
	case g == "month" && en:
		return t.Format("Jan 2006")
	case g == "month":
		return t.Format("01.2006")
	case en && withYear:
		return t.Format("Jan 2, 2006")
	case en:
		return t.Format("Jan 2")
	case withYear:
		return t.Format("02.01.2006")
	case l == 1: // German writes the day's and the month's point
		return t.Format("02.01.")
	}
	return t.Format("02.01")
}
