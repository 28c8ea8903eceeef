package widget_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/widget"
)

type historyPage struct {
	Messages []inbox.Message `json:"messages"`
	More     bool            `json:"more"`
}

// TestHistoryPagesBackwards: without a cursor the newest page comes;
// before=SEQ pages further back until more is false; every message comes
// exactly once, in order.
func TestHistoryPagesBackwards(t *testing.T) {
	h := newHarness(t, func(c *widget.Config) { c.HistoryLimit = 3; c.MessagesPerMinute = 1000 })
	s := h.session(nil)
	c, _ := h.connect(s.Token, nil)
	for i := 1; i <= 8; i++ {
		c.sendMessage(fmt.Sprintf("c-%d", i), fmt.Sprintf("message %d", i))
	}
	var page historyPage
	if resp := h.call("GET", "/widget/v1/history", bearer(s.Token), nil, &page); resp.StatusCode != http.StatusOK {
		t.Fatalf("history: %d", resp.StatusCode)
	}
	got := page.Messages
	for page.Messages[0].Seq > 1 {
		var older historyPage
		path := fmt.Sprintf("/widget/v1/history?before=%d", page.Messages[0].Seq)
		if resp := h.call("GET", path, bearer(s.Token), nil, &older); resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		if len(older.Messages) == 0 || len(older.Messages) > 3 {
			t.Fatalf("%s: %d messages, want 1 to 3", path, len(older.Messages))
		}
		if older.More != (older.Messages[0].Seq > 1) {
			t.Fatalf("%s: more=%v with the oldest at seq %d", path, older.More, older.Messages[0].Seq)
		}
		got = append(older.Messages, got...)
		page = older
	}
	if len(got) != 8 {
		t.Fatalf("paged back %d messages, want 8", len(got))
	}
	for i, m := range got {
		if m.Seq != int64(i+1) || m.Text != fmt.Sprintf("message %d", i+1) {
			t.Fatalf("message %d: seq %d %q", i, m.Seq, m.Text)
		}
	}
	if resp := h.call("GET", "/widget/v1/history?before=3&after=1", bearer(s.Token), nil, nil); resp.StatusCode != http.StatusBadRequest || errorCode(resp) != "invalid" {
		t.Fatalf("before and after together: %d", resp.StatusCode)
	}
	if resp := h.call("GET", "/widget/v1/history?before=0", bearer(s.Token), nil, nil); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("before=0: %d", resp.StatusCode)
	}
}
