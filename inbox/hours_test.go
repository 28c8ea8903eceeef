package inbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the same zone rules wherever the tests run

	"go.mongodb.org/mongo-driver/v2/bson"
)

const (
	berlin  = "Europe/Berlin"
	newYork = "America/New_York"
)

func sp(from, to string) Span { return Span{From: from, To: to} }

// hrs is an enabled schedule.
func hrs(tz string, days map[string][]Span, ex ...HoursException) BusinessHours {
	return BusinessHours{Enabled: true, TimeZone: tz, Days: days, Exceptions: ex}
}

// officeDays is Monday to Friday, 09:00–17:00.
func officeDays() map[string][]Span {
	d := map[string][]Span{}
	for _, k := range []string{"mon", "tue", "wed", "thu", "fri"} {
		d[k] = []Span{sp("09:00", "17:00")}
	}
	return d
}

func closedOn(date string) HoursException { return HoursException{Date: date, Closed: true} }

func specialOn(date string, spans ...Span) HoursException {
	return HoursException{Date: date, Spans: spans}
}

// instant parses an RFC 3339 time with its offset, so expectations say
// exactly which side of a clock change they mean.
func instant(t testing.TB, s string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// describe prints transitions as "open 2026-03-30T09:00:00+02:00", in the
// schedule's zone.
func describe(trs []HoursTransition) []string {
	out := make([]string, 0, len(trs))
	for _, tr := range trs {
		state := "close"
		if tr.Open {
			state = "open"
		}
		out = append(out, state+" "+tr.At.Format(time.RFC3339))
	}
	return out
}

func TestHoursTransitions(t *testing.T) {
	cases := []struct {
		name  string
		hours BusinessHours
		from  string
		n     int
		want  []string
	}{
		{"Berlin spring forward keeps 09:00", hrs(berlin, officeDays()), "2026-03-27T12:00:00+01:00", 3,
			[]string{"close 2026-03-27T17:00:00+01:00", "open 2026-03-30T09:00:00+02:00", "close 2026-03-30T17:00:00+02:00"}},
		{"Berlin fall back keeps 09:00", hrs(berlin, officeDays()), "2026-10-23T12:00:00+02:00", 3,
			[]string{"close 2026-10-23T17:00:00+02:00", "open 2026-10-26T09:00:00+01:00", "close 2026-10-26T17:00:00+01:00"}},
		{"New York spring forward keeps 09:00", hrs(newYork, officeDays()), "2026-03-06T12:00:00-05:00", 3,
			[]string{"close 2026-03-06T17:00:00-05:00", "open 2026-03-09T09:00:00-04:00", "close 2026-03-09T17:00:00-04:00"}},
		{"New York fall back keeps 09:00", hrs(newYork, officeDays()), "2026-10-30T12:00:00-04:00", 3,
			[]string{"close 2026-10-30T17:00:00-04:00", "open 2026-11-02T09:00:00-05:00", "close 2026-11-02T17:00:00-05:00"}},

		{"Berlin opening in the skipped hour is at 03:00", hrs(berlin, map[string][]Span{"sun": {sp("02:30", "05:00")}}), "2026-03-28T12:00:00+01:00", 4,
			[]string{"open 2026-03-29T03:00:00+02:00", "close 2026-03-29T05:00:00+02:00", "open 2026-04-05T02:30:00+02:00", "close 2026-04-05T05:00:00+02:00"}},
		{"Berlin closing in the skipped hour is at 03:00", hrs(berlin, map[string][]Span{"sun": {sp("01:00", "02:30")}}), "2026-03-28T12:00:00+01:00", 2,
			[]string{"open 2026-03-29T01:00:00+01:00", "close 2026-03-29T03:00:00+02:00"}},
		{"Berlin span wholly in the skipped hour never opens", hrs(berlin, map[string][]Span{"sun": {sp("02:00", "02:45")}}), "2026-03-28T12:00:00+01:00", 2,
			[]string{"open 2026-04-05T02:00:00+02:00", "close 2026-04-05T02:45:00+02:00"}},
		{"Berlin opening in the repeated hour is at its first occurrence", hrs(berlin, map[string][]Span{"sun": {sp("02:30", "04:00")}}), "2026-10-24T12:00:00+02:00", 2,
			[]string{"open 2026-10-25T02:30:00+02:00", "close 2026-10-25T04:00:00+01:00"}},
		{"Berlin closing in the repeated hour is at its first occurrence", hrs(berlin, map[string][]Span{"sun": {sp("00:00", "02:30")}}), "2026-10-24T12:00:00+02:00", 2,
			[]string{"open 2026-10-25T00:00:00+02:00", "close 2026-10-25T02:30:00+02:00"}},
		{"New York opening in the skipped hour is at 03:00", hrs(newYork, map[string][]Span{"sun": {sp("02:30", "04:00")}}), "2026-03-07T12:00:00-05:00", 2,
			[]string{"open 2026-03-08T03:00:00-04:00", "close 2026-03-08T04:00:00-04:00"}},
		{"New York repeated hour: first 01:30, second 03:00", hrs(newYork, map[string][]Span{"sun": {sp("01:30", "03:00")}}), "2026-10-31T12:00:00-04:00", 2,
			[]string{"open 2026-11-01T01:30:00-04:00", "close 2026-11-01T03:00:00-05:00"}},

		{"overnight Saturday into Sunday", hrs(berlin, map[string][]Span{"sat": {sp("22:00", "06:00")}}), "2026-01-03T12:00:00+01:00", 3,
			[]string{"open 2026-01-03T22:00:00+01:00", "close 2026-01-04T06:00:00+01:00", "open 2026-01-10T22:00:00+01:00"}},
		{"overnight Sunday into next week's Monday", hrs(berlin, map[string][]Span{"sun": {sp("22:00", "06:00")}}), "2026-01-04T12:00:00+01:00", 2,
			[]string{"open 2026-01-04T22:00:00+01:00", "close 2026-01-05T06:00:00+01:00"}},
		{"overnight asked from its tail", hrs(berlin, map[string][]Span{"sun": {sp("22:00", "06:00")}}), "2026-01-05T03:00:00+01:00", 2,
			[]string{"close 2026-01-05T06:00:00+01:00", "open 2026-01-11T22:00:00+01:00"}},
		{"overnight across spring forward lasts 7h", hrs(berlin, map[string][]Span{"sat": {sp("22:00", "06:00")}}), "2026-03-28T12:00:00+01:00", 2,
			[]string{"open 2026-03-28T22:00:00+01:00", "close 2026-03-29T06:00:00+02:00"}},
		{"overnight across fall back lasts 9h", hrs(berlin, map[string][]Span{"sat": {sp("22:00", "06:00")}}), "2026-10-24T12:00:00+02:00", 2,
			[]string{"open 2026-10-24T22:00:00+02:00", "close 2026-10-25T06:00:00+01:00"}},
		{"22:00 to 00:00 ends at midnight", hrs(berlin, map[string][]Span{"fri": {sp("22:00", "00:00")}}), "2026-01-02T12:00:00+01:00", 2,
			[]string{"open 2026-01-02T22:00:00+01:00", "close 2026-01-03T00:00:00+01:00"}},

		{"several spans a day, given out of order", hrs(berlin, map[string][]Span{"mon": {sp("13:00", "17:00"), sp("09:00", "12:00")}}), "2026-06-01T00:00:00+02:00", 4,
			[]string{"open 2026-06-01T09:00:00+02:00", "close 2026-06-01T12:00:00+02:00", "open 2026-06-01T13:00:00+02:00", "close 2026-06-01T17:00:00+02:00"}},
		{"touching spans of a day are one opening", hrs(berlin, map[string][]Span{"mon": {sp("09:00", "12:00"), sp("12:00", "15:00")}}), "2026-06-01T00:00:00+02:00", 2,
			[]string{"open 2026-06-01T09:00:00+02:00", "close 2026-06-01T15:00:00+02:00"}},
		{"24:00 touching next day's 00:00 is one opening", hrs(berlin, map[string][]Span{"mon": {sp("09:00", "24:00")}, "tue": {sp("00:00", "02:00")}}), "2026-06-01T00:00:00+02:00", 2,
			[]string{"open 2026-06-01T09:00:00+02:00", "close 2026-06-02T02:00:00+02:00"}},
		{"Sunday 24:00 touching Monday 00:00 is one opening", hrs(berlin, map[string][]Span{"sun": {sp("20:00", "24:00")}, "mon": {sp("00:00", "08:00")}}), "2026-06-07T12:00:00+02:00", 2,
			[]string{"open 2026-06-07T20:00:00+02:00", "close 2026-06-08T08:00:00+02:00"}},
		{"overnight tail touching next day's span is one opening", hrs(berlin, map[string][]Span{"fri": {sp("22:00", "06:00")}, "sat": {sp("06:00", "10:00")}}), "2026-06-05T12:00:00+02:00", 2,
			[]string{"open 2026-06-05T22:00:00+02:00", "close 2026-06-06T10:00:00+02:00"}},

		{"holidays are skipped", hrs(berlin, officeDays(), closedOn("2026-12-24"), closedOn("2026-12-25")), "2026-12-23T18:00:00+01:00", 2,
			[]string{"open 2026-12-28T09:00:00+01:00", "close 2026-12-28T17:00:00+01:00"}},
		{"special opening hours replace the weekday's", hrs(berlin, officeDays(), specialOn("2026-12-31", sp("10:00", "14:00"))), "2026-12-30T18:00:00+01:00", 4,
			[]string{"open 2026-12-31T10:00:00+01:00", "close 2026-12-31T14:00:00+01:00", "open 2027-01-01T09:00:00+01:00", "close 2027-01-01T17:00:00+01:00"}},
		{"special opening hours on a closed weekday", hrs(berlin, officeDays(), specialOn("2026-06-06", sp("10:00", "12:00"))), "2026-06-05T18:00:00+02:00", 2,
			[]string{"open 2026-06-06T10:00:00+02:00", "close 2026-06-06T12:00:00+02:00"}},
		{"a closed date cuts the night before at midnight", hrs(berlin, map[string][]Span{"wed": {sp("22:00", "06:00")}}, closedOn("2026-12-24")), "2026-12-23T12:00:00+01:00", 3,
			[]string{"open 2026-12-23T22:00:00+01:00", "close 2026-12-24T00:00:00+01:00", "open 2026-12-30T22:00:00+01:00"}},
		{"special hours keep the night before", hrs(berlin, map[string][]Span{"wed": {sp("22:00", "06:00")}}, specialOn("2026-12-24", sp("10:00", "14:00"))), "2026-12-23T12:00:00+01:00", 4,
			[]string{"open 2026-12-23T22:00:00+01:00", "close 2026-12-24T06:00:00+01:00", "open 2026-12-24T10:00:00+01:00", "close 2026-12-24T14:00:00+01:00"}},
		{"an exception's overnight span runs into the next date", hrs(berlin, nil, specialOn("2026-12-31", sp("20:00", "02:00"))), "2026-12-30T12:00:00+01:00", 2,
			[]string{"open 2026-12-31T20:00:00+01:00", "close 2027-01-01T02:00:00+01:00"}},
		{"unless the next date is closed", hrs(berlin, nil, specialOn("2026-12-31", sp("20:00", "02:00")), closedOn("2027-01-01")), "2026-12-30T12:00:00+01:00", 2,
			[]string{"open 2026-12-31T20:00:00+01:00", "close 2027-01-01T00:00:00+01:00"}},

		{"asked while open: first the close", hrs(berlin, officeDays()), "2026-06-01T10:00:00+02:00", 2,
			[]string{"close 2026-06-01T17:00:00+02:00", "open 2026-06-02T09:00:00+02:00"}},
		{"a transition at from is not after it", hrs(berlin, officeDays()), "2026-06-01T09:00:00+02:00", 2,
			[]string{"close 2026-06-01T17:00:00+02:00", "open 2026-06-02T09:00:00+02:00"}},
		{"from in another zone, answers in the schedule's", hrs(berlin, officeDays()), "2026-06-01T06:00:00Z", 1,
			[]string{"open 2026-06-01T09:00:00+02:00"}},
		{"exception within two years is found", hrs(berlin, nil, specialOn("2027-06-01", sp("09:00", "17:00"))), "2026-06-01T00:00:00+02:00", 1,
			[]string{"open 2027-06-01T09:00:00+02:00"}},
		{"exception beyond two years is not", hrs(berlin, nil, specialOn("2029-01-01", sp("09:00", "17:00"))), "2026-06-01T00:00:00+02:00", 1, nil},
		{"always open has no transitions", hrs(berlin, allDay()), "2026-06-01T00:00:00+02:00", 5, nil},
		{"never open has no transitions", hrs(berlin, nil), "2026-06-01T00:00:00+02:00", 5, nil},
		{"disabled has no transitions", BusinessHours{TimeZone: berlin, Days: officeDays()}, "2026-06-01T00:00:00+02:00", 5, nil},
		{"n = 0", hrs(berlin, officeDays()), "2026-06-01T00:00:00+02:00", 0, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := validHours(c.hours); err != nil {
				t.Fatalf("validHours: %v", err)
			}
			got, err := c.hours.Transitions(instant(t, c.from), c.n)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := strings.Join(describe(got), "\n"), strings.Join(c.want, "\n"); g != w {
				t.Errorf("Transitions(%s, %d):\n%s\nwant:\n%s", c.from, c.n, g, w)
			}
		})
	}
}

func allDay() map[string][]Span {
	d := map[string][]Span{}
	for _, k := range dayKeys {
		d[k] = []Span{sp("00:00", "24:00")}
	}
	return d
}

// TestHoursTransitionsTypicalWeek lists what a person expects of an office
// open Monday to Friday, 09:00–17:00, asked on a Sunday evening.
func TestHoursTransitionsTypicalWeek(t *testing.T) {
	got, err := hrs(berlin, officeDays()).Transitions(instant(t, "2026-05-31T20:00:00+02:00"), 12)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, tr := range got {
		state := "closes"
		if tr.Open {
			state = "opens"
		}
		lines = append(lines, tr.At.Format("Mon 2006-01-02 15:04 MST ")+state)
	}
	want := []string{
		"Mon 2026-06-01 09:00 CEST opens", "Mon 2026-06-01 17:00 CEST closes",
		"Tue 2026-06-02 09:00 CEST opens", "Tue 2026-06-02 17:00 CEST closes",
		"Wed 2026-06-03 09:00 CEST opens", "Wed 2026-06-03 17:00 CEST closes",
		"Thu 2026-06-04 09:00 CEST opens", "Thu 2026-06-04 17:00 CEST closes",
		"Fri 2026-06-05 09:00 CEST opens", "Fri 2026-06-05 17:00 CEST closes",
		"Mon 2026-06-08 09:00 CEST opens", "Mon 2026-06-08 17:00 CEST closes",
	}
	if g, w := strings.Join(lines, "\n"), strings.Join(want, "\n"); g != w {
		t.Errorf("got:\n%s\nwant:\n%s", g, w)
	}
}

func TestHoursOpenAt(t *testing.T) {
	overnight := hrs(berlin, map[string][]Span{"sat": {sp("22:00", "06:00")}, "sun": {sp("22:00", "06:00")}})
	spring := hrs(berlin, map[string][]Span{"sun": {sp("02:30", "05:00")}})
	fall := hrs(berlin, map[string][]Span{"sun": {sp("02:30", "04:00")}})
	nightBeforeHoliday := hrs(berlin, map[string][]Span{"wed": {sp("22:00", "06:00")}}, closedOn("2026-12-24"))
	nightBeforeSpecial := hrs(berlin, map[string][]Span{"wed": {sp("22:00", "06:00")}}, specialOn("2026-12-24", sp("10:00", "14:00")))
	yearEnd := hrs(berlin, officeDays(), closedOn("2026-12-24"), specialOn("2026-12-31", sp("10:00", "14:00")))
	// Stored before overlaps were refused: read as the union.
	legacy := hrs(berlin, map[string][]Span{"mon": {sp("09:00", "13:00"), sp("12:00", "17:00")}})
	cases := []struct {
		name  string
		hours BusinessHours
		at    string
		want  bool
	}{
		{"week: before opening", hrs(berlin, officeDays()), "2026-06-01T08:59:59+02:00", false},
		{"week: at opening", hrs(berlin, officeDays()), "2026-06-01T09:00:00+02:00", true},
		{"week: before closing", hrs(berlin, officeDays()), "2026-06-01T16:59:59+02:00", true},
		{"week: at closing", hrs(berlin, officeDays()), "2026-06-01T17:00:00+02:00", false},
		{"week: Saturday", hrs(berlin, officeDays()), "2026-06-06T12:00:00+02:00", false},
		{"week: instant given in UTC", hrs(berlin, officeDays()), "2026-06-01T07:30:00Z", true},
		{"New York after spring forward", hrs(newYork, officeDays()), "2026-03-09T09:00:00-04:00", true},
		{"New York before opening after spring forward", hrs(newYork, officeDays()), "2026-03-09T08:59:00-04:00", false},
		{"overnight: before", overnight, "2026-01-03T21:59:00+01:00", false},
		{"overnight: start", overnight, "2026-01-03T22:00:00+01:00", true},
		{"overnight: after midnight", overnight, "2026-01-04T03:00:00+01:00", true},
		{"overnight: end", overnight, "2026-01-04T06:00:00+01:00", false},
		{"overnight: Sunday's into Monday", overnight, "2026-01-05T05:59:00+01:00", true},
		{"overnight: Monday morning after", overnight, "2026-01-05T06:00:00+01:00", false},
		{"spring: before the gap", spring, "2026-03-29T01:59:59+01:00", false},
		{"spring: first instant after the gap", spring, "2026-03-29T03:00:00+02:00", true},
		{"fall: first 02:15 is before the opening", fall, "2026-10-25T02:15:00+02:00", false},
		{"fall: first 02:30 opens", fall, "2026-10-25T02:30:00+02:00", true},
		{"fall: second 02:15 is open", fall, "2026-10-25T02:15:00+01:00", true},
		{"fall: 04:00 closes", fall, "2026-10-25T04:00:00+01:00", false},
		{"holiday", yearEnd, "2026-12-24T10:00:00+01:00", false},
		{"special hours: before", yearEnd, "2026-12-31T09:30:00+01:00", false},
		{"special hours: open", yearEnd, "2026-12-31T10:00:00+01:00", true},
		{"special hours: closed", yearEnd, "2026-12-31T14:00:00+01:00", false},
		{"night before a closed date: before midnight", nightBeforeHoliday, "2026-12-23T23:00:00+01:00", true},
		{"night before a closed date: after midnight", nightBeforeHoliday, "2026-12-24T01:00:00+01:00", false},
		{"night before special hours: after midnight", nightBeforeSpecial, "2026-12-24T01:00:00+01:00", true},
		{"stored overlapping spans: overlap", legacy, "2026-06-01T12:30:00+02:00", true},
		{"stored overlapping spans: second", legacy, "2026-06-01T16:00:00+02:00", true},
		{"never open", hrs(berlin, nil), "2026-06-01T12:00:00+02:00", false},
		{"always open", hrs(berlin, allDay()), "2026-06-01T00:00:00+02:00", true},
		{"disabled is always open", BusinessHours{Days: officeDays()}, "2026-06-06T03:00:00+02:00", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.hours.OpenAt(instant(t, c.at))
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("OpenAt(%s) = %v, want %v", c.at, got, c.want)
			}
		})
	}
}

// TestHoursOpenAtMatchesTransitions checks the two views agree: the state
// flips at each transition and holds between them.
func TestHoursOpenAtMatchesTransitions(t *testing.T) {
	schedules := map[string]BusinessHours{
		"office Berlin":   hrs(berlin, officeDays(), closedOn("2026-12-24"), specialOn("2026-12-31", sp("10:00", "14:00"))),
		"office New York": hrs(newYork, officeDays()),
		"nights":          hrs(berlin, map[string][]Span{"fri": {sp("22:00", "06:00")}, "sat": {sp("06:00", "10:00"), sp("22:00", "03:00")}, "sun": {sp("02:30", "05:00")}}),
		"split days":      hrs(berlin, map[string][]Span{"mon": {sp("00:00", "02:30"), sp("08:00", "12:00"), sp("13:00", "24:00")}, "tue": {sp("00:00", "01:00")}}),
	}
	starts := []string{"2026-03-20T00:00:00+01:00", "2026-10-18T00:00:00+02:00", "2026-12-20T00:00:00+01:00"}
	for name, h := range schedules {
		for _, s := range starts {
			from := instant(t, s)
			trs, err := h.Transitions(from, 40)
			if err != nil {
				t.Fatal(err)
			}
			if len(trs) != 40 {
				t.Fatalf("%s from %s: %d transitions, want 40", name, s, len(trs))
			}
			prev := from
			state, _ := h.OpenAt(from)
			for i, tr := range trs {
				if !tr.At.After(prev) || tr.Open == state {
					t.Fatalf("%s from %s: transition %d %v after state %v at %v", name, s, i, describe(trs[i:i+1]), state, prev)
				}
				mid := prev.Add(tr.At.Sub(prev) / 2)
				before := tr.At.Add(-time.Second)
				for _, probe := range []time.Time{mid, before} {
					if got, _ := h.OpenAt(probe); got != state {
						t.Errorf("%s: OpenAt(%v) = %v, want %v", name, probe, got, state)
					}
				}
				if got, _ := h.OpenAt(tr.At); got != tr.Open {
					t.Errorf("%s: OpenAt(%v) = %v at its transition", name, tr.At, got)
				}
				prev, state = tr.At, tr.Open
			}
		}
	}
}

func TestHoursNextOpening(t *testing.T) {
	cases := []struct {
		name   string
		hours  BusinessHours
		from   string
		want   string
		wantOK bool
	}{
		{"closed for the weekend", hrs(berlin, officeDays()), "2026-06-05T18:00:00+02:00", "2026-06-08T09:00:00+02:00", true},
		{"open now: the opening after this one", hrs(berlin, officeDays()), "2026-06-01T10:00:00+02:00", "2026-06-02T09:00:00+02:00", true},
		{"after holidays", hrs(berlin, officeDays(), closedOn("2026-12-24"), closedOn("2026-12-25")), "2026-12-23T17:00:00+01:00", "2026-12-28T09:00:00+01:00", true},
		{"in the tail of an overnight span", hrs(berlin, map[string][]Span{"sun": {sp("22:00", "06:00")}}), "2026-01-05T03:00:00+01:00", "2026-01-11T22:00:00+01:00", true},
		{"across spring forward", hrs(newYork, officeDays()), "2026-03-06T18:00:00-05:00", "2026-03-09T09:00:00-04:00", true},
		{"never open", hrs(berlin, nil), "2026-06-01T10:00:00+02:00", "", false},
		{"always open", hrs(berlin, allDay()), "2026-06-01T10:00:00+02:00", "", false},
		{"disabled", BusinessHours{TimeZone: berlin, Days: officeDays()}, "2026-06-06T10:00:00+02:00", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			at, ok, err := c.hours.NextOpening(instant(t, c.from))
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if ok {
				got = at.Format(time.RFC3339)
			}
			if ok != c.wantOK || got != c.want {
				t.Errorf("NextOpening(%s) = %q, %v; want %q, %v", c.from, got, ok, c.want, c.wantOK)
			}
		})
	}
}

func TestHoursValidation(t *testing.T) {
	many := func(n int) []Span {
		out := make([]Span, n)
		for i := range out {
			out[i] = sp(fmt.Sprintf("%02d:00", i), fmt.Sprintf("%02d:30", i))
		}
		return out
	}
	exceptions := func(n int) []HoursException {
		out := make([]HoursException, n)
		day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := range out {
			out[i] = closedOn(day.AddDate(0, 0, i).Format(time.DateOnly))
		}
		return out
	}
	mon := func(spans ...Span) map[string][]Span { return map[string][]Span{"mon": spans} }
	cases := []struct {
		name  string
		hours BusinessHours
		field string // "" when valid
	}{
		{"stored shape", hrs(berlin, map[string][]Span{"mon": {sp("09:00", "17:30")}, "tue": {sp("09:00", "17:30")}}), ""},
		{"disabled without a zone", BusinessHours{Days: officeDays()}, ""},
		{"overnight", hrs(berlin, mon(sp("22:00", "06:00"))), ""},
		{"until 24:00", hrs(berlin, mon(sp("18:00", "24:00"))), ""},
		{"until 00:00 overnight", hrs(berlin, mon(sp("18:00", "00:00"))), ""},
		{"touching spans", hrs(berlin, mon(sp("09:00", "12:00"), sp("12:00", "24:00"))), ""},
		{"overnight and a morning span", hrs(berlin, mon(sp("22:00", "06:00"), sp("06:00", "10:00"))), ""},
		{"ten spans", hrs(berlin, mon(many(10)...)), ""},
		{"366 exceptions", BusinessHours{Enabled: true, TimeZone: berlin, Exceptions: exceptions(366)}, ""},
		{"leap day", hrs(berlin, nil, closedOn("2028-02-29")), ""},

		{"unknown zone", hrs("Mars/Olympus", nil), "businessHours.timeZone"},
		{"server's zone", hrs("Local", nil), "businessHours.timeZone"},
		{"enabled without a zone", hrs("", officeDays()), "businessHours.timeZone"},
		{"unknown day", hrs(berlin, map[string][]Span{"monday": {sp("09:00", "17:00")}}), "businessHours.days"},
		{"hour without zero", hrs(berlin, mon(sp("9:00", "17:00"))), "businessHours.days.mon[0]"},
		{"hour 25", hrs(berlin, mon(sp("25:00", "26:00"))), "businessHours.days.mon[0]"},
		{"from 24:00", hrs(berlin, mon(sp("24:00", "06:00"))), "businessHours.days.mon[0]"},
		{"from equals to", hrs(berlin, map[string][]Span{"tue": {sp("08:00", "09:00"), sp("10:00", "10:00")}}), "businessHours.days.tue[1]"},
		{"overlap names the later span", hrs(berlin, mon(sp("09:00", "12:00"), sp("13:00", "17:00"), sp("11:00", "14:00"))), "businessHours.days.mon[2]"},
		{"overlap with overnight span", hrs(berlin, map[string][]Span{"fri": {sp("22:00", "06:00"), sp("23:00", "23:30")}}), "businessHours.days.fri[1]"},
		{"eleven spans", hrs(berlin, map[string][]Span{"wed": many(11)}), "businessHours.days.wed"},
		{"no such date", hrs(berlin, nil, closedOn("2026-12-24"), closedOn("2026-02-30")), "businessHours.exceptions[1].date"},
		{"date in another format", hrs(berlin, nil, closedOn("24.12.2026")), "businessHours.exceptions[0].date"},
		{"date missing", hrs(berlin, nil, HoursException{Closed: true}), "businessHours.exceptions[0].date"},
		{"date twice", hrs(berlin, nil, closedOn("2026-12-24"), closedOn("2026-12-25"), specialOn("2026-12-24", sp("10:00", "12:00"))), "businessHours.exceptions[2].date"},
		{"closed with spans", hrs(berlin, nil, HoursException{Date: "2026-12-24", Closed: true, Spans: []Span{sp("10:00", "12:00")}}), "businessHours.exceptions[0].spans"},
		{"neither closed nor spans", hrs(berlin, nil, HoursException{Date: "2026-12-24"}), "businessHours.exceptions[0].spans"},
		{"bad exception span", hrs(berlin, nil, specialOn("2026-12-24", sp("10:00", "12:00"), sp("10", "12"))), "businessHours.exceptions[0].spans[1]"},
		{"overlapping exception spans", hrs(berlin, nil, specialOn("2026-12-24", sp("10:00", "12:00"), sp("11:00", "13:00"))), "businessHours.exceptions[0].spans[1]"},
		{"eleven exception spans", hrs(berlin, nil, specialOn("2026-12-24", many(11)...)), "businessHours.exceptions[0].spans"},
		{"367 exceptions", BusinessHours{Enabled: true, TimeZone: berlin, Exceptions: exceptions(367)}, "businessHours.exceptions"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := validHours(c.hours)
			if c.field == "" {
				if err != nil {
					t.Fatalf("validHours: %v", err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("validHours = %v, want a field error for %s", err, c.field)
			}
			if fe.Field != c.field {
				t.Errorf("field %q (%v), want %q", fe.Field, err, c.field)
			}
		})
	}
}

// TestHoursEngineReadsStoredHours: hours stored under the older, looser
// rules still evaluate; what cannot be read is a field error.
func TestHoursEngineReadsStoredHours(t *testing.T) {
	legacy := hrs(berlin, map[string][]Span{"mon": {sp("09:00", "13:00"), sp("12:00", "17:00")}})
	if validHours(legacy) == nil {
		t.Error("validHours accepts overlapping spans")
	}
	trs, err := legacy.Transitions(instant(t, "2026-06-01T00:00:00+02:00"), 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(describe(trs), ", "); got != "open 2026-06-01T09:00:00+02:00, close 2026-06-01T17:00:00+02:00" {
		t.Errorf("overlapping spans: %s", got)
	}
	bad := hrs("Mars/Olympus", officeDays())
	_, err1 := bad.OpenAt(time.Time{})
	_, err2 := bad.Transitions(time.Time{}, 3)
	_, _, err3 := bad.NextOpening(time.Time{})
	for _, err := range []error{err1, err2, err3} {
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != "businessHours.timeZone" {
			t.Errorf("unknown zone: %v", err)
		}
	}
}

// TestHoursStoredShape keeps the JSON and BSON names: hours stored before
// exceptions existed read back unchanged, and new ones are written as the
// API documents them.
func TestHoursStoredShape(t *testing.T) {
	h := hrs(berlin, map[string][]Span{"sat": {sp("22:00", "06:00")}}, closedOn("2026-12-24"), specialOn("2026-12-31", sp("10:00", "14:00")))
	js, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"enabled":true,"timeZone":"Europe/Berlin","days":{"sat":[{"from":"22:00","to":"06:00"}]},` +
		`"exceptions":[{"date":"2026-12-24","closed":true},{"date":"2026-12-31","spans":[{"from":"10:00","to":"14:00"}]}]}`
	if string(js) != want {
		t.Errorf("JSON:\n%s\nwant:\n%s", js, want)
	}

	old := bson.D{{Key: "enabled", Value: true}, {Key: "timeZone", Value: berlin},
		{Key: "days", Value: bson.D{{Key: "mon", Value: bson.A{bson.D{{Key: "from", Value: "09:00"}, {Key: "to", Value: "17:30"}}}}}}}
	raw, err := bson.Marshal(old)
	if err != nil {
		t.Fatal(err)
	}
	var back BusinessHours
	if err := bson.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if !back.Enabled || back.TimeZone != berlin || back.Days["mon"][0] != sp("09:00", "17:30") || back.Exceptions != nil {
		t.Errorf("stored hours read as %+v", back)
	}
	if raw, err = bson.Marshal(back); err != nil {
		t.Fatal(err)
	}
	if _, err := bson.Raw(raw).LookupErr("exceptions"); err == nil {
		t.Error("hours without exceptions are written with an exceptions field")
	}
	if raw, err = bson.Marshal(h); err != nil {
		t.Fatal(err)
	}
	if d := bson.Raw(raw).Lookup("exceptions", "1", "date").StringValue(); d != "2026-12-31" {
		t.Errorf("BSON exceptions.1.date = %q", d)
	}
}

// BenchmarkHoursTransitions measures the next 14 transitions of an office
// week with two holidays: through the public method, which reads the
// schedule and loads its zone each call, and on a schedule read once.
func BenchmarkHoursTransitions(b *testing.B) {
	h := hrs(berlin, officeDays(), closedOn("2026-12-24"), closedOn("2026-12-25"))
	from := instant(b, "2026-12-20T12:00:00+01:00")
	b.Run("BusinessHours", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if trs, err := h.Transitions(from, 14); err != nil || len(trs) != 14 {
				b.Fatal(len(trs), err)
			}
		}
	})
	b.Run("compiled", func(b *testing.B) {
		p, err := compileHours(h)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if trs := p.transitions(from, 14); len(trs) != 14 {
				b.Fatal(len(trs))
			}
		}
	})
}
