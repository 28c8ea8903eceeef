package mailparse

import (
	"regexp"
	"strings"
)

// The patterns below recognise the lines mail clients put above quoted
// history. They are kept strict: a line that only looks a little like one
// does not fold anything.
var (
	// attributionRe matches "On … wrote:" and its translations, as Gmail,
	// Apple Mail and Thunderbird write them (after joining a line that
	// Gmail wrapped).
	attributionRe = regexp.MustCompile(`(?i)^(` +
		`on\s.{4,250}\swrote:` +
		`|am\s.{4,250}\sschrieb\s?.{0,250}:` +
		`|(w dniu|dnia)\s.{4,250}\s(pisze|napisał|napisała|napisał\(a\)|napisal\(a\)):` +
		`|.{4,250}\s(пишет|написал|написала|написал\(а\)):` +
		`|le\s.{4,250}\sa écrit\s?:` +
		`|el\s.{4,250}\sescribió:` +
		`)$`)
	// attributionStartRe is how a wrapped attribution's first line begins.
	attributionStartRe = regexp.MustCompile(`(?i)^(on|am|w dniu|dnia|le|el)\s`)
	// dateAddrRe matches attributions without a verb, such as Yandex's
	// "05.03.2024, 10:12, "Иван" <ivan@example.ru>:" or Mail.ru's
	// "Вторник, 5 марта 2024, 10:12 +03:00 от Ивана <ivan@example.ru>:".
	dateAddrRe = regexp.MustCompile(`^.{0,200}\d.{0,200}<[^<>\s]+@[^<>\s]+>\s?:$`)
	// separatorRe matches Outlook's "-----Original Message-----" lines.
	separatorRe = regexp.MustCompile(`(?i)^-{2,}\s*(original message|ursprüngliche nachricht|originalnachricht|oryginalna wiadomość|wiadomość oryginalna|исходное сообщение|message d'origine|mensaje original)\s*-{2,}$`)
	// forwardRe matches the lines above a forwarded mail, which is the
	// content of the mail and never folded.
	forwardRe = regexp.MustCompile(`(?i)^(-{2,}\s*(forwarded message|weitergeleitete nachricht|wiadomość przekazana|przekazana wiadomość|пересылаемое сообщение|пересланное сообщение|message transféré)\s*-{2,}|begin forwarded message:|anfang der weitergeleiteten nachricht:|-{2,}\s*forwarded message\s*-{2,})$`)
	// rulerRe is the line Outlook puts above its header block.
	rulerRe = regexp.MustCompile(`^(_{10,}|-{10,})$`)

	headerFromRe    = regexp.MustCompile(`(?i)^\*?(from|von|od|от|de|van)\*?\s?:\s*\S`)
	headerSentRe    = regexp.MustCompile(`(?i)^\*?(sent|date|gesendet|datum|wysłano|data|отправлено|дата|envoyé|enviado)\*?\s?:\s*\S`)
	headerSubjectRe = regexp.MustCompile(`(?i)^\*?(to|an|do|кому|à|para|cc|subject|betreff|temat|тема|objet|asunto)\*?\s?:`)
)

// maxSignatureLines is the longest signature folded: a "-- " line with
// more below it may be a separator in the text rather than a signature.
const maxSignatureLines = 15

// foldQuotes returns text without the quoted history below the new text
// and without the signature. It folds only what it recognises and never
// returns "" for a non-empty text.
func foldQuotes(text string) string {
	if text == "" {
		return ""
	}
	lines := strings.Split(text, "\n")
	cut := historyStart(lines)
	cut = signatureStart(lines, cut)
	shown := strings.TrimSpace(strings.Join(lines[:cut], "\n"))
	if shown == "" {
		return strings.TrimSpace(text)
	}
	return shown
}

// historyStart returns the index of the first line of quoted history, or
// len(lines) when there is none.
func historyStart(lines []string) int {
	for i := 0; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if l == "" || isQuoted(l) {
			continue
		}
		switch {
		case forwardRe.MatchString(l):
			return len(lines) // what follows is forwarded: keep it all
		case separatorRe.MatchString(l):
			return i
		case headerBlock(lines, i):
			if j := prevNonBlank(lines, i); j >= 0 && rulerRe.MatchString(strings.TrimSpace(lines[j])) {
				return j
			}
			return i
		}
		if n := attribution(lines, i); n > 0 && restQuoted(lines, i+n) {
			return i
		}
	}
	return trailingQuote(lines)
}

// attribution returns how many lines (1 or 2) the attribution starting at
// line i takes, or 0.
func attribution(lines []string, i int) int {
	l := strings.TrimSpace(lines[i])
	if len(l) > 500 {
		return 0
	}
	if strings.HasSuffix(l, ":") && (attributionRe.MatchString(l) || dateAddrRe.MatchString(l)) {
		return 1
	}
	if i+1 < len(lines) && attributionStartRe.MatchString(l) && !strings.HasSuffix(l, ":") {
		joined := l + " " + strings.TrimSpace(lines[i+1])
		if strings.HasSuffix(joined, ":") && attributionRe.MatchString(joined) {
			return 2
		}
	}
	return 0
}

// restQuoted reports whether the lines from i on are quoted history: at
// least one quoted line and nothing but quoted or blank lines.
func restQuoted(lines []string, i int) bool {
	quoted := false
	for _, l := range lines[i:] {
		l = strings.TrimSpace(l)
		switch {
		case l == "":
		case isQuoted(l):
			quoted = true
		default:
			return false
		}
	}
	return quoted
}

// headerBlock reports whether line i starts an Outlook-style header block:
// a From line followed within six lines by a Sent/Date line and a To or
// Subject line, in any of the languages known.
func headerBlock(lines []string, i int) bool {
	if !headerFromRe.MatchString(strings.TrimSpace(lines[i])) {
		return false
	}
	sent, subject := false, false
	for _, l := range lines[i+1 : min(i+7, len(lines))] {
		l = strings.TrimSpace(l)
		sent = sent || headerSentRe.MatchString(l)
		subject = subject || headerSubjectRe.MatchString(l)
	}
	return sent && subject
}

// trailingQuote returns the start of a block of quoted lines that ends the
// text (with the attribution-like line above it, if any), or len(lines).
// Quotes with the writer's answers below them are kept.
func trailingQuote(lines []string) int {
	end := prevNonBlank(lines, len(lines))
	if end < 0 || !isQuoted(strings.TrimSpace(lines[end])) {
		return len(lines)
	}
	start := end
	for j := end - 1; j >= 0; j-- {
		l := strings.TrimSpace(lines[j])
		if l != "" && !isQuoted(l) {
			break
		}
		if l != "" {
			start = j
		}
	}
	if j := prevNonBlank(lines, start); j >= 0 {
		l := strings.TrimSpace(lines[j])
		if strings.HasSuffix(l, ":") && len(l) < 300 && strings.ContainsAny(l, "@0123456789") {
			start = j
			if k := prevNonBlank(lines, j); k >= 0 && attribution(lines, k) == 2 {
				start = k
			}
		}
	}
	if prevNonBlank(lines, start) < 0 {
		return len(lines) // all quoted: nothing to show instead
	}
	return start
}

// signatureStart returns the index of the "-- " line that starts a short
// signature above cut, or cut.
func signatureStart(lines []string, cut int) int {
	for i := 1; i < cut; i++ {
		if l := strings.TrimRight(lines[i], " \t"); l == "--" && cut-i <= maxSignatureLines {
			return i
		}
	}
	return cut
}

// prevNonBlank returns the index of the last non-blank line before i, or -1.
func prevNonBlank(lines []string, i int) int {
	for j := i - 1; j >= 0; j-- {
		if strings.TrimSpace(lines[j]) != "" {
			return j
		}
	}
	return -1
}

func isQuoted(trimmed string) bool { return strings.HasPrefix(trimmed, ">") }
