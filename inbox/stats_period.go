package inbox

import (
	"sort"
	"strings"
	"time"
)

// period is a report's period in the viewer's zone, with its buckets.
type period struct {
	loc        *time.Location
	start, end time.Time // local midnights of From and To
	group      Grouping
	// starts are the buckets' local midnights, first to last; labels
	// their local dates.
	starts []time.Time
	labels []string
}

const dateLayout = "2006-01-02"

// parseDate reads a local date as a civil date (midnight UTC).
func parseDate(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, invalid(field, "is required: a date like 2026-03-01")
	}
	d, err := time.Parse(dateLayout, v)
	if err != nil {
		return time.Time{}, invalid(field, "must be a date like 2026-03-01, not %q", v)
	}
	return d, nil
}

// loadZone reads an IANA time zone name. "Local" (the server's zone)
// and "" are refused: a viewer names their own.
func loadZone(name string) (*time.Location, error) {
	if name == "" {
		return nil, invalid("tz", "is required: an IANA time zone such as Europe/Berlin")
	}
	if name == "Local" || len(name) > 64 || strings.ContainsAny(name, "\\\x00") {
		return nil, invalid("tz", "unknown time zone %q", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, invalid("tz", "unknown time zone %q", name)
	}
	return loc, nil
}

// midnight is the local midnight of the civil date d in loc, as an
// instant in UTC. Where a clock change skips midnight, Go's time.Date
// picks an instant of the day's first local hour.
func midnight(d time.Time, loc *time.Location) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc).UTC()
}

// period validates the query's dates, zone and grouping.
func (q *ReportQuery) period() (*period, error) {
	from, err := parseDate("from", q.From)
	if err != nil {
		return nil, err
	}
	to, err := parseDate("to", q.To)
	if err != nil {
		return nil, err
	}
	if !to.After(from) {
		return nil, invalid("to", "must be after from (to is excluded: from=2026-03-01&to=2026-04-01 is March)")
	}
	// Civil dates at UTC midnight: every day is 24 hours long.
	if days := int(to.Sub(from) / (24 * time.Hour)); days > MaxReportDays {
		return nil, invalid("to", "the period is %d days long; the limit is %d", days, MaxReportDays)
	}
	loc, err := loadZone(q.TimeZone)
	if err != nil {
		return nil, err
	}
	if q.Group == "" {
		q.Group = GroupDay
	}
	var next func(time.Time) time.Time
	first := from
	switch q.Group {
	case GroupDay:
		next = func(d time.Time) time.Time { return d.AddDate(0, 0, 1) }
	case GroupWeek:
		first = from.AddDate(0, 0, -((int(from.Weekday()) + 6) % 7)) // back to Monday
		next = func(d time.Time) time.Time { return d.AddDate(0, 0, 7) }
	case GroupMonth:
		first = time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC)
		next = func(d time.Time) time.Time { return d.AddDate(0, 1, 0) }
	default:
		return nil, invalid("group", "must be day, week or month, not %q", q.Group)
	}
	p := &period{loc: loc, start: midnight(from, loc), end: midnight(to, loc), group: q.Group}
	for d := first; d.Before(to); d = next(d) {
		p.starts = append(p.starts, midnight(d, loc))
		p.labels = append(p.labels, d.Format(dateLayout))
	}
	return p, nil
}

// bucket is the index of the bucket holding instant t of the period.
func (p *period) bucket(t time.Time) int {
	return sort.Search(len(p.starts), func(i int) bool { return p.starts[i].After(t) }) - 1
}
