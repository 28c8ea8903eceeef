package inbox

import (
	"slices"
	"testing"
	"time"
)

// nodeOrder hands each node's batches on in Seq order: a batch after a gap
// waits for the skipped one; a gap given up on lets the held ones go, in
// order; a node first seen past Seq 1 is probed, not counted as lost;
// batches from before the tail's start are counted, not handed on.
func TestNodeOrder(t *testing.T) {
	start := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	var got []string
	o := newNodeOrder(start, func(b EventBatch) { got = append(got, b.ID) })
	batch := func(node string, seq int64, at time.Time) EventBatch {
		return EventBatch{ID: node + string(rune('0'+seq)), Node: node, Seq: seq, At: at}
	}
	after := start.Add(time.Second)
	steps := []struct {
		b        EventBatch
		accepted bool
	}{
		{batch("A", 1, after), true},
		{batch("A", 3, after), false}, // A2 not yet visible
		{batch("A", 4, after), false},
		{batch("A", 2, after), true},                    // A2, then A3 and A4
		{batch("B", 7, after), false},                   // first seen past 1: probed
		{batch("B", 6, start.Add(-time.Second)), false}, // older than the start
	}
	for i, s := range steps {
		if ok := o.add(s.b); ok != s.accepted {
			t.Fatalf("step %d (%s): add = %v, want %v", i, s.b.ID, ok, s.accepted)
		}
	}
	if want := []string{"A1", "A2", "A3", "A4"}; !slices.Equal(got, want) {
		t.Fatalf("handed on %v, want %v", got, want)
	}
	if o.lost() {
		t.Error("a probed node's earlier batches count as lost")
	}
	o.giveUp() // B6 is before the start: counted, not handed on
	if want := []string{"A1", "A2", "A3", "A4", "B7"}; !slices.Equal(got, want) {
		t.Fatalf("after giving up, handed on %v, want %v", got, want)
	}
	// A gap after a node's first batch is a loss once given up on.
	if o.add(batch("A", 6, after)) || !o.lost() {
		t.Fatal("A6 after A4 is not held as a loss")
	}
	o.giveUp()
	if got[len(got)-1] != "A6" || o.lost() {
		t.Errorf("after giving up on A5: %v", got)
	}
	if !o.add(batch("A", 5, after)) || got[len(got)-1] != "A5" { // come at last
		t.Errorf("a late A5 is not handed on: %v", got)
	}
}
