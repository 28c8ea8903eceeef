package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/inbox/api"
)

// POST /api/v1/conversations/{id}/messages/{messageId}/retry sends a
// failed reply to its channel again: the conversation's agent (or a
// supervisor) may, nobody else; only a failed reply; refusals as every
// route's, changing nothing.
func TestRetryDelivery(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ann := h.agentSession("Ann Agent", inbox.RoleAgent)
	bob := h.agentSession("Bob Agent", inbox.RoleAgent)
	line := h.seedLine("Telegram", ann.agent.ID, bob.agent.ID)
	in, _, err := h.svc.ChannelReceive(ctx, inbox.ChannelMessage{LineID: line.ID, Channel: inbox.ChannelTelegram,
		From: inbox.ChannelContact{TelegramUserID: 42, Name: "Anna", Username: "anna"}, ClientID: "tg:42:1", Text: "Hello"})
	if err != nil {
		t.Fatal(err)
	}
	conv := "/api/v1/conversations/" + in.ConversationID
	h.do(http.MethodPost, conv+"/accept", nil, ann).want(http.StatusOK)
	// Only e-mail replies have a subject.
	h.do(http.MethodPost, conv+"/messages", map[string]any{"text": "Hi", "subject": "Hello"}, ann).wantError(http.StatusBadRequest, "invalid", "subject")
	var posted api.PostedMessage
	h.do(http.MethodPost, conv+"/messages", map[string]any{"text": "Hi Anna"}, ann).want(http.StatusCreated).decode(&posted)
	reply := posted.Message
	if reply.Delivery == nil || reply.Delivery.State != inbox.DeliveryPending {
		t.Fatalf("reply's delivery %+v, want pending", reply.Delivery)
	}
	retry := conv + "/messages/" + reply.ID + "/retry"
	h.do(http.MethodPost, retry, nil, ann).wantError(http.StatusConflict, "conflict", "")
	jobs, err := h.svc.PendingDeliveries(ctx, line.ID, inbox.ChannelTelegram)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("jobs %+v %v", jobs, err)
	}
	if err := h.svc.DeliveryFailed(ctx, &jobs[0], "Bad Request: chat not found", false); err != nil {
		t.Fatal(err)
	}
	before := h.snap()
	h.do(http.MethodPost, retry, nil, nil).wantError(http.StatusUnauthorized, "unauthorized", "")
	h.do(http.MethodPost, retry, nil, ann, noCSRF).wantError(http.StatusForbidden, "csrf", "")
	h.do(http.MethodPost, retry, nil, bob).wantError(http.StatusForbidden, "forbidden", "")
	h.do(http.MethodPost, conv+"/messages/nope/retry", nil, ann).wantError(http.StatusNotFound, "not_found", "")
	h.do(http.MethodPost, "/api/v1/conversations/nope/messages/"+reply.ID+"/retry", nil, ann).wantError(http.StatusNotFound, "not_found", "")
	h.serve()
	h.do(http.MethodPost, retry, `{"x":"`+strings.Repeat("x", bodyLimit+1)+`"}`, ann).wantError(http.StatusRequestEntityTooLarge, "request_entity_too_large", "")
	h.unchanged(before, "refused retries")
	if jobs, _ := h.svc.PendingDeliveries(ctx, line.ID, inbox.ChannelTelegram); len(jobs) != 0 {
		t.Fatalf("a refused retry queued %d", len(jobs))
	}
	var again inbox.Message
	h.do(http.MethodPost, retry, nil, ann).want(http.StatusOK).decode(&again)
	if again.ID != reply.ID || again.Delivery == nil || again.Delivery.State != inbox.DeliveryPending {
		t.Fatalf("retried: %+v", again)
	}
	if jobs, _ := h.svc.PendingDeliveries(ctx, line.ID, inbox.ChannelTelegram); len(jobs) != 1 || jobs[0].ID != reply.ID {
		t.Fatalf("jobs after the retry %+v", jobs)
	}
}
