package inbox

import "time"

// BusinessHours says when a line is open: its agents are put online at the
// start of each opening and offline at its end, and outside them the widget
// is in messenger mode. OpenAt, Transitions and NextOpening evaluate it; they
// read no clock, the caller passes the instant.
//
// All times are wall-clock times in TimeZone (an IANA name). Days maps
// "mon".."sun" to that weekday's spans; a missing day is closed. A span
// belongs to the date on which it starts:
//
//   - "09:00"–"17:30" is open from 09:00 until 17:30 the same day; "24:00" as
//     To means the end of the day.
//   - A span whose From is later than its To is overnight: "22:00"–"06:00" is
//     open from 22:00 until 06:00 the next day (so Sunday's runs into Monday).
//   - Spans that touch or overlap, within a day or across midnight, form one
//     opening: "mon 09:00–24:00" and "tue 00:00–02:00" open once and close
//     once, with no transition at midnight.
//
// Exceptions are dated: each replaces the weekly spans of its Date (a local
// date in TimeZone). Closed means the whole date, 00:00 to 24:00, is closed:
// an overnight span of the day before ends at midnight, and the date's own
// weekly spans do not run. An exception with Spans replaces only the spans
// starting on the date: an overnight span of the day before still runs into
// it, and the exception's own overnight span runs into the next date (unless
// that one is a closed exception).
//
// Daylight-saving changes keep wall-clock times: "09:00" opens at 09:00 local
// time on both sides of a change. A time the clocks skip (02:30 on the day
// Europe/Berlin jumps from 02:00 to 03:00) happens at the first instant after
// the gap (03:00 new time); a span wholly inside the gap never opens. A time
// the clocks show twice (02:30 on the day they go back from 03:00 to 02:00)
// happens at its first occurrence.
//
// A disabled schedule (Enabled false) is always open and has no transitions.
type BusinessHours struct {
	Enabled  bool   `bson:"enabled" json:"enabled"`
	TimeZone string `bson:"timeZone" json:"timeZone"`
	// Days maps "mon".."sun" to opening spans; a missing day is closed.
	Days map[string][]Span `bson:"days" json:"days"`
	// Exceptions replace the weekly spans of single dates; none when empty.
	Exceptions []HoursException `bson:"exceptions,omitempty" json:"exceptions,omitempty"`
}

// Span is an opening span starting on one day, "09:00" to "17:30"; a From
// later than To runs overnight into the next day, and To may be "24:00".
type Span struct {
	From string `bson:"from" json:"from"`
	To   string `bson:"to" json:"to"`
}

// HoursException replaces the weekly spans of one date, "2026-12-24": either
// Closed for the whole date, or open during Spans instead.
type HoursException struct {
	Date   string `bson:"date" json:"date"`
	Closed bool   `bson:"closed,omitempty" json:"closed,omitempty"`
	Spans  []Span `bson:"spans,omitempty" json:"spans,omitempty"`
}

// HoursTransition is an instant at which a schedule opens (Open) or closes.
type HoursTransition struct {
	At   time.Time `json:"at"`
	Open bool      `json:"open"`
}

// Limits of a schedule, checked when business hours are set.
const (
	// MaxHoursExceptions is the most dated exceptions a schedule may have.
	MaxHoursExceptions = 366
	// MaxHoursSpansPerDay is the most spans a weekday or an exception may have.
	MaxHoursSpansPerDay = 10
)

// hoursLookaheadDays bounds how far Transitions and NextOpening look ahead.
const hoursLookaheadDays = 2 * 366

// minutesPerDay is the length of a day on the wall clock.
const minutesPerDay = 24 * 60

// OpenAt reports whether the schedule is open at instant t. A disabled
// schedule is always open. The error, a *FieldError, is for a schedule that
// cannot be read (unknown time zone, malformed time or date).
func (b BusinessHours) OpenAt(t time.Time) (bool, error) {
	p, err := compileHours(b)
	if err != nil {
		return false, err
	}
	if !b.Enabled {
		return true, nil
	}
	return p.openAt(t), nil
}

// Transitions returns the next n instants strictly after from at which the
// schedule opens or closes, in order and alternating, in the schedule's time
// zone. Touching spans make no transition between them. It looks ahead about
// two years and returns fewer than n (possibly none) if the schedule changes
// less often: always open, never open, or disabled (which has none). The
// error is as for OpenAt.
func (b BusinessHours) Transitions(from time.Time, n int) ([]HoursTransition, error) {
	p, err := compileHours(b)
	if err != nil || !b.Enabled || n <= 0 {
		return nil, err
	}
	return p.transitions(from, n), nil
}

// NextOpening returns the first instant strictly after from at which the
// schedule opens — for the widget's "we open again at …". When open at from,
// that is the start of the opening after the current one. ok is false if
// there is none within about two years, or the schedule is disabled (always
// open). The error is as for OpenAt.
func (b BusinessHours) NextOpening(from time.Time) (at time.Time, ok bool, err error) {
	p, err := compileHours(b)
	if err != nil || !b.Enabled {
		return time.Time{}, false, err
	}
	p.scan(from, func(tr HoursTransition) bool {
		if tr.Open {
			at, ok = tr.At, true
		}
		return !ok
	})
	return at, ok, nil
}

// hoursPlan is a schedule read for evaluation: spans in minutes, exceptions
// by day number, the time zone loaded.
type hoursPlan struct {
	loc        *time.Location
	week       [7][]minuteSpan // by time.Weekday
	exceptions map[int64]hoursDay
}

// hoursDay is the spans starting on one date, or a closed date.
type hoursDay struct {
	closed bool
	spans  []minuteSpan
}

// minuteSpan is a span in minutes from its day's midnight, sorted by from;
// to is past minutesPerDay for an overnight span. idx is its place in the
// input, for error messages.
type minuteSpan struct{ from, to, idx int }

// interval is an opening between two instants, start included, end not.
type interval struct{ start, end time.Time }

// dayNumber counts days from 1970-01-01 to the given civil date.
func dayNumber(y int, m time.Month, d int) int64 {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// civilDate is the inverse of dayNumber.
func civilDate(day int64) (int, time.Month, int) {
	return time.Unix(day*86400, 0).UTC().Date()
}

// spansOn returns the spans starting on a day, and whether the day is a
// closed exception.
func (p *hoursPlan) spansOn(day int64) (spans []minuteSpan, closed bool) {
	if e, ok := p.exceptions[day]; ok {
		return e.spans, e.closed
	}
	wd := (day%7 + 7 + 4) % 7 // 1970-01-01 was a Thursday
	return p.week[wd], false
}

// appendIntervals appends the openings of the spans starting on day, in
// order of start; an overnight span ends at midnight if the next day is a
// closed exception.
func (p *hoursPlan) appendIntervals(buf []interval, day int64) []interval {
	spans, _ := p.spansOn(day)
	if len(spans) == 0 {
		return buf
	}
	_, nextClosed := p.spansOn(day + 1)
	y, m, d := civilDate(day)
	for _, s := range spans {
		to := s.to
		if nextClosed && to > minutesPerDay {
			to = minutesPerDay
		}
		buf = append(buf, interval{wallInstant(p.loc, y, m, d, s.from), wallInstant(p.loc, y, m, d, to)})
	}
	return buf
}

// openAt reports whether t is inside an opening. Openings are half-open:
// open at the start, closed at the end.
func (p *hoursPlan) openAt(t time.Time) bool {
	y, m, d := t.In(p.loc).Date()
	today := dayNumber(y, m, d)
	var arr [MaxHoursSpansPerDay]interval
	for day := today - 1; day <= today; day++ {
		for _, iv := range p.appendIntervals(arr[:0], day) {
			if !t.Before(iv.start) && t.Before(iv.end) {
				return true
			}
		}
	}
	return false
}

// transitions collects up to n transitions after from.
func (p *hoursPlan) transitions(from time.Time, n int) []HoursTransition {
	out := make([]HoursTransition, 0, min(n, 64))
	p.scan(from, func(tr HoursTransition) bool {
		out = append(out, tr)
		return len(out) < n
	})
	return out
}

// scan calls yield with each transition strictly after from, in order,
// until yield returns false or the look-ahead ends. It walks the dates from
// the day before from's (whose overnight spans reach into it), merging
// openings that touch or overlap. An opening is announced when it starts and
// its close once the next opening is known to start later.
func (p *hoursPlan) scan(from time.Time, yield func(HoursTransition) bool) {
	horizon := from.Add(hoursLookaheadDays * 24 * time.Hour)
	y, m, d := from.In(p.loc).Date()
	first := dayNumber(y, m, d) - 1
	last := first + hoursLookaheadDays + 2 // its openings start after horizon
	emit := func(at time.Time, open bool) bool {
		if !at.After(from) {
			return true
		}
		if at.After(horizon) {
			return false
		}
		return yield(HoursTransition{At: at, Open: open})
	}
	var (
		cur  interval
		have bool
		arr  [MaxHoursSpansPerDay]interval
	)
	for day := first; day <= last; day++ {
		for _, iv := range p.appendIntervals(arr[:0], day) {
			if !iv.end.After(iv.start) {
				continue // wholly inside a skipped hour
			}
			if have && !iv.start.After(cur.end) {
				if iv.end.After(cur.end) {
					cur.end = iv.end
				}
				continue
			}
			if have && !emit(cur.end, false) {
				return
			}
			cur, have = iv, true
			if !emit(cur.start, true) {
				return
			}
		}
	}
	if have {
		emit(cur.end, false)
	}
}

// wallInstant returns the first instant at which the wall clock of loc shows
// minute (which may pass midnight) of the date y-m-d. A minute the clock
// skips maps to the first instant after the gap; one it shows twice, to the
// first occurrence.
func wallInstant(loc *time.Location, y int, m time.Month, d, minute int) time.Time {
	t := time.Date(y, m, d, 0, minute, 0, 0, loc)
	want := time.Date(y, m, d, 0, minute, 0, 0, time.UTC).Unix()
	_, off := t.Zone()
	if got := t.Unix() + int64(off); got != want {
		// In a gap: time.Date picked an offset from one side; the gap
		// ends where that offset's period starts or ends.
		start, end := t.ZoneBounds()
		if got > want {
			return start
		}
		return end
	}
	// Shown twice if the previous offset also maps to it, before t's
	// period starts.
	if start, _ := t.ZoneBounds(); !start.IsZero() {
		_, prev := start.Add(-time.Second).Zone()
		if u := want - int64(prev); u < start.Unix() {
			return time.Unix(u, 0).In(loc)
		}
	}
	return t
}
