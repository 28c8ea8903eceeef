package inbox

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// dayKeys names the weekdays as BusinessHours.Days spells them, indexed by
// time.Weekday. Read only.
var dayKeys = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// validHours checks business hours given as input: everything compileHours
// needs to read them, plus the limits, that no two spans of a day overlap,
// and a real IANA zone ("Local" is the server's, not one).
//
// The evaluation methods only need compileHours: hours stored before these
// checks existed (overlapping spans, more spans a day) stay readable, as the
// union of their spans.
func validHours(b BusinessHours) error {
	if b.TimeZone == "Local" {
		return invalid("businessHours.timeZone", "unknown time zone %q", b.TimeZone)
	}
	for _, key := range dayKeys {
		if len(b.Days[key]) > MaxHoursSpansPerDay {
			return invalid("businessHours.days."+key, "at most %d spans a day", MaxHoursSpansPerDay)
		}
	}
	if len(b.Exceptions) > MaxHoursExceptions {
		return invalid("businessHours.exceptions", "at most %d exceptions", MaxHoursExceptions)
	}
	for i, e := range b.Exceptions {
		if len(e.Spans) > MaxHoursSpansPerDay {
			return invalid(fmt.Sprintf("businessHours.exceptions[%d].spans", i), "at most %d spans a day", MaxHoursSpansPerDay)
		}
	}
	if _, err := compileHours(b); err != nil {
		return err
	}
	for i := range 7 {
		key := dayKeys[(i+1)%7] // mon … sun
		if err := noOverlaps("businessHours.days."+key, b.Days[key]); err != nil {
			return err
		}
	}
	for i, e := range b.Exceptions {
		if err := noOverlaps(fmt.Sprintf("businessHours.exceptions[%d].spans", i), e.Spans); err != nil {
			return err
		}
	}
	return nil
}

// noOverlaps refuses two spans of one day, already readable, that share a
// minute; touching spans are fine. An overnight span's part after midnight
// is not compared with the next day's spans.
func noOverlaps(field string, spans []Span) error {
	ms, err := parseSpans(field, spans)
	if err != nil {
		return err
	}
	for k := 1; k < len(ms); k++ {
		a, b := ms[k-1], ms[k]
		if b.from < a.to {
			i, j := min(a.idx, b.idx), max(a.idx, b.idx)
			return invalid(fmt.Sprintf("%s[%d]", field, j), "overlaps %s[%d] (%s–%s)", field, i, spans[i].From, spans[i].To)
		}
	}
	return nil
}

// compileHours reads a schedule for evaluation. It refuses, with a field
// error, what it cannot read: a missing or unknown time zone, an unknown
// day, a malformed span, a malformed or repeated exception date, an
// exception both closed and with spans or neither.
func compileHours(b BusinessHours) (*hoursPlan, error) {
	p := &hoursPlan{loc: time.UTC}
	if b.TimeZone != "" {
		loc, err := time.LoadLocation(b.TimeZone)
		if err != nil {
			return nil, invalid("businessHours.timeZone", "unknown time zone %q", b.TimeZone)
		}
		p.loc = loc
	} else if b.Enabled {
		return nil, invalid("businessHours.timeZone", "is required when business hours are enabled")
	}
	var unknown []string
	for day := range b.Days {
		if !weekdays[day] {
			unknown = append(unknown, day)
		}
	}
	if len(unknown) > 0 {
		return nil, invalid("businessHours.days", "unknown day %q (use mon … sun)", slices.Min(unknown))
	}
	for wd, key := range dayKeys {
		spans, err := parseSpans("businessHours.days."+key, b.Days[key])
		if err != nil {
			return nil, err
		}
		p.week[wd] = spans
	}
	if len(b.Exceptions) > 0 {
		p.exceptions = make(map[int64]hoursDay, len(b.Exceptions))
	}
	for i, e := range b.Exceptions {
		f := fmt.Sprintf("businessHours.exceptions[%d]", i)
		date, err := time.Parse(time.DateOnly, e.Date)
		if err != nil {
			return nil, invalid(f+".date", "%q is not a date like 2026-12-24", e.Date)
		}
		day := dayNumber(date.Date())
		if _, dup := p.exceptions[day]; dup {
			return nil, invalid(f+".date", "%s is already businessHours.exceptions[%d]", e.Date, firstException(b.Exceptions, day))
		}
		switch {
		case e.Closed && len(e.Spans) > 0:
			return nil, invalid(f+".spans", "must be empty when closed is true")
		case !e.Closed && len(e.Spans) == 0:
			return nil, invalid(f+".spans", "are required unless closed is true")
		}
		spans, err := parseSpans(f+".spans", e.Spans)
		if err != nil {
			return nil, err
		}
		p.exceptions[day] = hoursDay{closed: e.Closed, spans: spans}
	}
	return p, nil
}

// firstException returns the index of the first exception on day.
func firstException(es []HoursException, day int64) int {
	for i, e := range es {
		if d, err := time.Parse(time.DateOnly, e.Date); err == nil && dayNumber(d.Date()) == day {
			return i
		}
	}
	return -1
}

// parseSpans reads the spans of one day into minutes, sorted by start;
// field names the list in errors.
func parseSpans(field string, spans []Span) ([]minuteSpan, error) {
	if len(spans) == 0 {
		return nil, nil
	}
	out := make([]minuteSpan, len(spans))
	for i, sp := range spans {
		from, okFrom := parseClock(sp.From)
		to, okTo := parseClock(sp.To)
		f := func() string { return fmt.Sprintf("%s[%d]", field, i) }
		switch {
		case !okFrom || !okTo:
			return nil, invalid(f(), "times must look like 09:00, from 00:00 to 24:00 (got %q–%q)", sp.From, sp.To)
		case from == minutesPerDay:
			return nil, invalid(f(), "from cannot be 24:00 (use 00:00)")
		case from == to:
			return nil, invalid(f(), "from and to are equal (use 00:00–24:00 for a whole day)")
		case to < from:
			to += minutesPerDay // overnight
		}
		out[i] = minuteSpan{from: from, to: to, idx: i}
	}
	slices.SortFunc(out, func(a, b minuteSpan) int { return cmp.Compare(a.from, b.from) })
	return out, nil
}

// parseClock reads "09:30" as minutes after midnight; "24:00" is 1440.
func parseClock(s string) (int, bool) {
	if !hhmm.MatchString(s) {
		return 0, false
	}
	return int(s[0]-'0')*600 + int(s[1]-'0')*60 + int(s[3]-'0')*10 + int(s[4]-'0'), true
}
