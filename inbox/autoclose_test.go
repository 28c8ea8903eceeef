package inbox_test

import (
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
)

// TestAutoCloseAfterClientSilence: a line's autoCloseMinutes closes the
// conversations whose client has been silent that long, never one whose
// client waits for an answer, and leaves "closed by agent" empty.
func TestAutoCloseAfterClientSilence(t *testing.T) {
	f := newFixture(t)
	ctx, sys := f.ctx, inbox.System
	st := f.line.Settings
	st.AutoCloseMinutes = 10
	if _, err := f.svc.UpdateLine(ctx, sys, f.line.ID, inbox.LineInput{Settings: &st}); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(t0)
	answered := f.open(t, "Answered")
	waiting := f.open(t, "Waiting")
	if _, _, err := f.svc.Append(ctx, f.agent, answered.ID, inbox.MessageInput{AuthorKind: inbox.AuthorAgent, Text: "Done?"}); err != nil {
		t.Fatal(err)
	}
	closeAt := func(at time.Duration, want int) {
		t.Helper()
		f.clock.Set(t0.Add(at))
		n, err := f.svc.CloseInactive(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Fatalf("at +%s closed %d, want %d", at, n, want)
		}
	}
	closeAt(9*time.Minute+59*time.Second, 0)
	closeAt(10*time.Minute, 1)
	got, err := f.svc.Conversation(ctx, sys, answered.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != inbox.StatusClosed || got.Dates.Closed == nil || got.Dates.ClosedByAgent != nil {
		t.Errorf("closed by timeout: status %s, closed %v, closed by agent %v", got.Status, got.Dates.Closed, got.Dates.ClosedByAgent)
	}
	if w, _ := f.svc.Conversation(ctx, sys, waiting.ID); w.Status != inbox.StatusNew {
		t.Errorf("the waiting client's conversation is %s, want still new", w.Status)
	}
	closeAt(time.Hour, 0) // a waiting client is never closed
	// A line without the setting closes nothing.
	st.AutoCloseMinutes = 0
	if _, err := f.svc.UpdateLine(ctx, sys, f.line.ID, inbox.LineInput{Settings: &st}); err != nil {
		t.Fatal(err)
	}
	again := f.open(t, "Again")
	if _, _, err := f.svc.Append(ctx, f.agent, again.ID, inbox.MessageInput{AuthorKind: inbox.AuthorAgent, Text: "Hi"}); err != nil {
		t.Fatal(err)
	}
	closeAt(48*time.Hour, 0)
	st.AutoCloseMinutes = inbox.MaxAutoCloseMinutes + 1
	if _, err := f.svc.UpdateLine(ctx, sys, f.line.ID, inbox.LineInput{Settings: &st}); err == nil {
		t.Error("an auto-close over a week was accepted")
	}
}
