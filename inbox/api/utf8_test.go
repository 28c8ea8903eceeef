package api_test

import (
	"net/http"
	"testing"
)

// Invalid UTF-8 inside a JSON string is refused, not quietly stored as
// U+FFFD (which encoding/json would do).
func TestInvalidUTF8IsRefused(t *testing.T) {
	h := newHarness(t)
	line := h.seedLine("Support")
	conv := h.openIncoming(line.ID, "Carol", "hello")
	before := h.snap()
	h.do(http.MethodPost, "/api/v1/conversations/"+conv.ID+"/messages", []byte("{\"text\":\"bad \xff\xfe byte\"}"), h.admin).
		wantError(http.StatusBadRequest, "invalid", "body")
	h.do(http.MethodPost, "/api/v1/groups", []byte("{\"name\":\"\xc3\x28\"}"), h.admin).
		wantError(http.StatusBadRequest, "invalid", "body")
	h.unchanged(before, "invalid UTF-8")
}
