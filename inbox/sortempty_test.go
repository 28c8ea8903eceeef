package inbox_test

import (
	"slices"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
)

// Sorting the conversation list on a date or timing column puts the
// conversations without a value last, whichever the direction, and pages
// through the two groups as through one list.

// sortEmptyFixture opens five conversations, one a second, and has the
// agent accept the 2nd, the 5th and the 4th, in that order: the 1st and the
// 3rd have no "accepted" date and no "time to accept".
func sortEmptyFixture(t *testing.T) (*fixture, []int64) {
	t.Helper()
	f := newFixture(t)
	var convs []*inbox.Conversation
	for _, name := range []string{"One", "Two", "Three", "Four", "Five"} {
		convs = append(convs, f.open(t, name))
		f.clock.Advance(time.Second)
	}
	for _, i := range []int{1, 4, 3} {
		f.clock.Advance(5 * time.Second)
		if _, err := f.svc.Accept(f.ctx, f.agent, convs[i].ID); err != nil {
			t.Fatal(err)
		}
	}
	numbers := make([]int64, len(convs))
	for i, c := range convs {
		numbers[i] = c.Number
	}
	return f, numbers
}

func listNumbers(t *testing.T, f *fixture, sort string, offset, limit int) ([]int64, int64) {
	t.Helper()
	list, total, err := f.svc.Conversations(f.ctx, inbox.System, inbox.ConversationFilter{Sort: sort, Offset: offset, Limit: limit})
	if err != nil {
		t.Fatalf("sort %s offset %d limit %d: %v", sort, offset, limit, err)
	}
	out := make([]int64, len(list))
	for i, c := range list {
		out[i] = c.Number
	}
	return out, total
}

func TestSortEmptyValuesLastBothDirections(t *testing.T) {
	f, n := sortEmptyFixture(t)
	cases := []struct {
		sort string
		want []int64
	}{
		// Set values in order, then the empty ones by number in the same direction.
		{"accepted", []int64{n[1], n[4], n[3], n[0], n[2]}},
		{"-accepted", []int64{n[3], n[4], n[1], n[2], n[0]}},
		// Time to accept: Two waited 9 s, Five 11 s, Four 17 s.
		{"timeToAccept", []int64{n[1], n[4], n[3], n[0], n[2]}},
		{"-timeToAccept", []int64{n[3], n[4], n[1], n[2], n[0]}},
		// Nobody answered: every value is empty, the order is by number.
		{"waitingForAnswer", []int64{n[0], n[1], n[2], n[3], n[4]}},
		{"-waitingForAnswer", []int64{n[4], n[3], n[2], n[1], n[0]}},
		// Created is always set: a plain sort.
		{"created", []int64{n[0], n[1], n[2], n[3], n[4]}},
		{"-created", []int64{n[4], n[3], n[2], n[1], n[0]}},
	}
	for _, c := range cases {
		got, total := listNumbers(t, f, c.sort, 0, 50)
		if !slices.Equal(got, c.want) || total != 5 {
			t.Errorf("sort %s: %v (total %d), want %v (total 5)", c.sort, got, total, c.want)
		}
	}
}

func TestSortEmptyValuesLastPaging(t *testing.T) {
	f, n := sortEmptyFixture(t)
	for _, sort := range []string{"accepted", "-accepted", "timeToAccept", "-timeToAccept"} {
		all, _ := listNumbers(t, f, sort, 0, 50)
		for limit := 1; limit <= 6; limit++ {
			var paged []int64
			for offset := 0; offset < 7; offset += limit {
				page, total := listNumbers(t, f, sort, offset, limit)
				if total != 5 {
					t.Errorf("sort %s offset %d limit %d: total %d, want 5", sort, offset, limit, total)
				}
				want := all[min(offset, len(all)):min(offset+limit, len(all))]
				if !slices.Equal(page, want) {
					t.Errorf("sort %s offset %d limit %d: %v, want %v", sort, offset, limit, page, want)
				}
				paged = append(paged, page...)
			}
			if !slices.Equal(paged, all) {
				t.Errorf("sort %s limit %d: the pages make %v, want %v", sort, limit, paged, all)
			}
		}
	}
	// The page boundary between the groups: the last set value and the
	// first empty one on one page, then the empty ones alone.
	if got, _ := listNumbers(t, f, "accepted", 2, 2); !slices.Equal(got, []int64{n[3], n[0]}) {
		t.Errorf("accepted, offset 2, limit 2: %v, want [%d %d]", got, n[3], n[0])
	}
	if got, _ := listNumbers(t, f, "-accepted", 3, 2); !slices.Equal(got, []int64{n[2], n[0]}) {
		t.Errorf("-accepted, offset 3, limit 2: %v, want [%d %d]", got, n[2], n[0])
	}
	if got, total := listNumbers(t, f, "-accepted", 9, 2); len(got) != 0 || total != 5 {
		t.Errorf("-accepted past the end: %v (total %d), want none (total 5)", got, total)
	}
	// Filters apply to both groups: the active preset still counts all five.
	list, total, err := f.svc.Conversations(f.ctx, inbox.System, inbox.ConversationFilter{Sort: "accepted", Active: true, Limit: 3, Offset: 2})
	if err != nil || total != 5 || len(list) != 3 || list[0].Number != n[3] || list[1].Number != n[0] {
		t.Errorf("active, accepted, offset 2: %d items, total %d, err %v", len(list), total, err)
	}
}
