package api_test

import (
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/inbox/api"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// TestConversationListFilters opens five conversations an hour apart in
// different states and checks every filter, the sort and paging.
func TestConversationListFilters(t *testing.T) {
	h := newHarness(t)
	ann := h.agentSession("Ann Agent", inbox.RoleAgent)
	l1 := h.seedLine("One", ann.agent.ID)
	l2 := h.seedLine("Two", ann.agent.ID)

	at := func(hours int) time.Time { return t0.Add(time.Duration(hours) * time.Hour) }
	open := func(hours int, line *inbox.Line, name string) *inbox.Conversation {
		h.clock.Set(at(hours))
		return h.openIncoming(line.ID, name, "hello from "+name)
	}
	c1 := open(1, l1, "Alice Smith")  // new
	c2 := open(2, l1, "Bob Jones")    // closed
	c3 := open(3, l2, "alice cooper") // spam
	c4 := open(4, l2, "Carol")        // accepted by Ann
	c5 := open(5, l1, "Dave")         // answered by Ann
	h.clock.Set(at(6))
	h.do(http.MethodPost, "/api/v1/conversations/"+c2.ID+"/close", nil, h.admin).want(http.StatusOK)
	h.do(http.MethodPost, "/api/v1/conversations/"+c3.ID+"/spam", nil, h.admin).want(http.StatusOK)
	h.do(http.MethodPost, "/api/v1/conversations/"+c4.ID+"/accept", nil, ann).want(http.StatusOK)
	h.do(http.MethodPost, "/api/v1/conversations/"+c5.ID+"/accept", nil, ann).want(http.StatusOK)
	h.do(http.MethodPost, "/api/v1/conversations/"+c5.ID+"/messages", map[string]any{"text": "hi Dave"}, ann).want(http.StatusCreated)

	byID := map[string]int64{}
	for _, c := range []*inbox.Conversation{c1, c2, c3, c4, c5} {
		byID[c.ID] = c.Number
	}
	if !slices.Equal([]int64{c1.Number, c2.Number, c3.Number, c4.Number, c5.Number}, []int64{1, 2, 3, 4, 5}) {
		t.Fatalf("numbers %d %d %d %d %d, want 1 to 5", c1.Number, c2.Number, c3.Number, c4.Number, c5.Number)
	}
	wantStatus := map[int64]inbox.Status{1: inbox.StatusNew, 2: inbox.StatusClosed, 3: inbox.StatusSpam, 4: inbox.StatusAccepted, 5: inbox.StatusAnswered}
	for _, c := range h.conversations(h.admin, "").Items {
		if c.Status != wantStatus[c.Number] {
			t.Fatalf("conversation %d is %s, want %s", c.Number, c.Status, wantStatus[c.Number])
		}
	}

	rfc := func(hours int) string { return at(hours).Format(time.RFC3339) }
	cases := []struct {
		query string
		want  []int64 // numbers, in order
	}{
		{"", []int64{5, 4, 3, 2, 1}},
		{q("sort", "number"), []int64{1, 2, 3, 4, 5}},
		{q("sort", "-number"), []int64{5, 4, 3, 2, 1}},
		{q("sort", "client"), []int64{1, 2, 4, 5, 3}}, // byte order: lower case after upper
		{q("sort", "-client"), []int64{3, 5, 4, 2, 1}},
		{q("sort", "detailedStatus"), []int64{1, 4, 5, 2, 3}},
		{q("sort", "-status"), []int64{3, 2, 5, 4, 1}},
		{q("sort", "created"), []int64{1, 2, 3, 4, 5}},
		{q("sort", "-created"), []int64{5, 4, 3, 2, 1}},
		{q("detailedStatus", "new"), []int64{1}},
		{q("detailedStatus", "accepted"), []int64{4}},
		{q("detailedStatus", "closed,spam", "sort", "number"), []int64{2, 3}},
		{q("detailedStatus", "closed", "detailedStatus", "answered"), []int64{5, 2}},
		{q("status", "closed"), []int64{3, 2}},
		{q("status", "waiting"), []int64{4, 1}},
		{q("status", "answered"), []int64{5}},
		{q("status", "waiting,answered"), []int64{5, 4, 1}},
		{q("active", "true"), []int64{5, 4, 1}},
		{q("active", "false"), []int64{5, 4, 3, 2, 1}},
		{q("client", "ALICE"), []int64{3, 1}},
		{q("client", "ice"), []int64{3, 1}},
		{q("client", "bob jones"), []int64{2}},
		{q("client", ".*"), nil},
		{q("client", "nobody"), nil},
		{q("line", l1.ID), []int64{5, 2, 1}},
		{q("line", l2.ID), []int64{4, 3}},
		{q("line", l1.ID+","+l2.ID), []int64{5, 4, 3, 2, 1}},
		{q("line", missingID), nil},
		{q("spam", "true"), []int64{3}},
		{q("spam", "false"), []int64{5, 4, 2, 1}},
		{q("agent", ann.agent.ID), []int64{5, 4}},
		{q("agent", h.admin.agent.ID), nil},
		{q("unassigned", "true"), []int64{3, 2, 1}},
		{q("number", "3"), []int64{3}},
		{q("createdFrom", rfc(2)), []int64{5, 4, 3, 2}},
		{q("createdTo", rfc(3)), []int64{2, 1}},
		{q("createdFrom", rfc(2), "createdTo", rfc(4)), []int64{3, 2}},
		{q("createdFrom", rfc(2), "createdTo", rfc(2)), nil},
		{q("createdFrom", at(2).Add(time.Millisecond).Format(time.RFC3339Nano)), []int64{5, 4, 3}},
		{q("closedFrom", rfc(6)), []int64{3, 2}},
		{q("line", l1.ID, "active", "true"), []int64{5, 1}},
		{q("client", "a", "status", "waiting", "sort", "number"), []int64{1, 4}},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			var l api.List[inbox.Conversation]
			r := h.do(http.MethodGet, "/api/v1/conversations?"+c.query, nil, h.admin)
			r.t = t
			r.want(http.StatusOK).decode(&l)
			var got []int64
			for _, it := range l.Items {
				got = append(got, it.Number)
				if byID[it.ID] != it.Number {
					t.Errorf("item %s has number %d, want %d", it.ID, it.Number, byID[it.ID])
				}
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("numbers %v, want %v", got, c.want)
			}
			if l.Total != int64(len(c.want)) || l.Offset != 0 || l.Limit != inbox.DefaultPageSize {
				t.Errorf("total %d limit %d offset %d, want total %d, the default page size, offset 0", l.Total, l.Limit, l.Offset, len(c.want))
			}
			if l.Items == nil {
				t.Errorf("items is null, want []")
			}
		})
	}

	t.Run("paging", func(t *testing.T) {
		pages := []struct {
			query        string
			want         []int64
			total        int64
			limit, offst int
		}{
			{q("sort", "number", "limit", "2"), []int64{1, 2}, 5, 2, 0},
			{q("sort", "number", "limit", "2", "offset", "2"), []int64{3, 4}, 5, 2, 2},
			{q("sort", "number", "limit", "2", "offset", "4"), []int64{5}, 5, 2, 4},
			{q("sort", "number", "limit", "2", "offset", "5"), nil, 5, 2, 5},
			{q("sort", "-number", "limit", "3", "offset", "1"), []int64{4, 3, 2}, 5, 3, 1},
			{q("status", "closed", "sort", "number", "limit", "1", "offset", "1"), []int64{3}, 2, 1, 1},
			{q("limit", "0"), []int64{5, 4, 3, 2, 1}, 5, inbox.DefaultPageSize, 0},
		}
		for _, p := range pages {
			l := h.conversations(h.admin, p.query)
			var got []int64
			for _, it := range l.Items {
				got = append(got, it.Number)
			}
			if !slices.Equal(got, p.want) || l.Total != p.total || l.Limit != p.limit || l.Offset != p.offst {
				t.Errorf("%s: numbers %v total %d limit %d offset %d, want %v %d %d %d",
					p.query, got, l.Total, l.Limit, l.Offset, p.want, p.total, p.limit, p.offst)
			}
		}
	})

	t.Run("agent's view is filtered too", func(t *testing.T) {
		// Ann is in both lines: she sees the unassigned ones and her own.
		var got []int64
		for _, it := range h.conversations(ann, q("active", "true", "sort", "number")).Items {
			got = append(got, it.Number)
		}
		if !slices.Equal(got, []int64{1, 4, 5}) {
			t.Errorf("Ann's active conversations %v, want [1 4 5]", got)
		}
	})
}

// TestIdempotentMessage posts the same clientId twice: the second answer is
// 200 with duplicate=true and the first message; nothing else is stored.
func TestIdempotentMessage(t *testing.T) {
	h := newHarness(t)
	ann := h.agentSession("Ann Agent", inbox.RoleAgent)
	l := h.seedLine("Main", ann.agent.ID)
	conv := h.openIncoming(l.ID, "Client", "hello")
	h.do(http.MethodPost, "/api/v1/conversations/"+conv.ID+"/accept", nil, ann).want(http.StatusOK)
	path := "/api/v1/conversations/" + conv.ID + "/messages"

	var first, second api.PostedMessage
	h.do(http.MethodPost, path, map[string]any{"text": "hi there", "clientId": "retry-1"}, ann).
		want(http.StatusCreated).decode(&first)
	if first.Duplicate || first.Message == nil || first.Message.Seq != 2 || first.Message.ClientID != "retry-1" {
		t.Fatalf("first post = %+v %+v, want a new message with seq 2", first, first.Message)
	}
	var after api.ConversationView
	h.get("/api/v1/conversations/"+conv.ID, ann, &after)

	before := h.snap()
	// The same clientId with another text is no retry: a 409 naming it.
	h.do(http.MethodPost, path, map[string]any{"text": "hi there, edited", "clientId": "retry-1"}, ann).
		wantError(http.StatusConflict, "client_id_reused", "clientId")
	for _, body := range []map[string]any{
		{"text": "hi there", "clientId": "retry-1"},
		{"text": "hi there", "clientId": "retry-1"},
	} {
		h.do(http.MethodPost, path, body, ann).want(http.StatusOK).decode(&second)
		if !second.Duplicate || second.Message == nil {
			t.Fatalf("retry = %+v, want duplicate=true with the message", second)
		}
		if second.Message.ID != first.Message.ID || second.Message.Seq != first.Message.Seq || second.Message.Text != "hi there" {
			t.Errorf("retry answered message %s seq %d %q, want %s seq %d %q",
				second.Message.ID, second.Message.Seq, second.Message.Text, first.Message.ID, first.Message.Seq, "hi there")
		}
	}
	h.unchanged(before, "a repeated clientId")

	var msgs api.List[inbox.Message]
	h.get(path, ann, &msgs)
	if len(msgs.Items) != 2 {
		t.Fatalf("messages %d, want the client's and one reply: %+v", len(msgs.Items), msgs.Items)
	}
	if n := h.count("messages", bson.M{"conversationId": conv.ID, "clientId": "retry-1"}); n != 1 {
		t.Errorf("%d stored messages with clientId retry-1, want 1", n)
	}
	var v api.ConversationView
	h.get("/api/v1/conversations/"+conv.ID, ann, &v)
	if v.Conversation.Seq != 2 || v.Conversation.Version != after.Conversation.Version {
		t.Errorf("conversation seq %d version %d after retries, want seq 2 version %d",
			v.Conversation.Seq, v.Conversation.Version, after.Conversation.Version)
	}

	// Many concurrent retries of one message store it once.
	var wg sync.WaitGroup
	results := make([]*response, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = h.do(http.MethodPost, path, map[string]any{"text": "racing", "clientId": "race-1"}, ann)
		}()
	}
	wg.Wait()
	created, ids := 0, map[string]bool{}
	for _, r := range results {
		var p api.PostedMessage
		switch r.status {
		case http.StatusCreated:
			created++
		case http.StatusOK:
		default:
			t.Fatalf("%v; want 201 or 200", r)
		}
		r.decode(&p)
		if p.Duplicate != (r.status == http.StatusOK) {
			t.Errorf("%v: duplicate=%v with status %d", r, p.Duplicate, r.status)
		}
		ids[p.Message.ID] = true
	}
	if created != 1 || len(ids) != 1 {
		t.Errorf("concurrent retries: %d created, %d distinct messages; want 1 and 1", created, len(ids))
	}
	if n := h.count("messages", bson.M{"conversationId": conv.ID, "clientId": "race-1"}); n != 1 {
		t.Errorf("%d stored messages with clientId race-1, want 1", n)
	}
	if n := h.count("messages", bson.M{"conversationId": conv.ID}); n != 3 {
		t.Errorf("%d messages in the conversation, want 3", n)
	}

	// A retry that arrives after the conversation closed still gets its
	// message, not a conflict.
	h.do(http.MethodPost, "/api/v1/conversations/"+conv.ID+"/close", nil, ann).want(http.StatusOK)
	before = h.snap()
	h.do(http.MethodPost, path, map[string]any{"text": "hi there", "clientId": "retry-1"}, ann).want(http.StatusOK).decode(&second)
	if !second.Duplicate || second.Message.ID != first.Message.ID {
		t.Errorf("retry after close = %+v, want the first message as a duplicate", second)
	}
	h.unchanged(before, "a retry after close")
	// A new message to the closed conversation is a conflict.
	h.do(http.MethodPost, path, map[string]any{"text": "too late", "clientId": "late-1"}, ann).wantError(http.StatusConflict, "conflict", "")
	h.unchanged(before, "a message to a closed conversation")

	// The same clientId in another conversation is another message.
	other := h.openIncoming(l.ID, "Other", "hello")
	h.do(http.MethodPost, "/api/v1/conversations/"+other.ID+"/accept", nil, ann).want(http.StatusOK)
	var third api.PostedMessage
	h.do(http.MethodPost, "/api/v1/conversations/"+other.ID+"/messages", map[string]any{"text": "hi there", "clientId": "retry-1"}, ann).
		want(http.StatusCreated).decode(&third)
	if third.Duplicate || third.Message.ID == first.Message.ID {
		t.Errorf("same clientId in another conversation = %+v, want a new message", third)
	}
	// Without a clientId every post is new.
	for i := 0; i < 2; i++ {
		var p api.PostedMessage
		h.do(http.MethodPost, "/api/v1/conversations/"+other.ID+"/messages", map[string]any{"text": "again"}, ann).
			want(http.StatusCreated).decode(&p)
		if p.Duplicate || p.Message.Seq != int64(3+i) {
			t.Errorf("post %d without clientId = %+v seq %d, want new with seq %d", i, p, p.Message.Seq, 3+i)
		}
	}
}

// TestDeleteLineConfirm deletes a line that has conversations: 409 without
// ?confirm=true, then with it the line, its conversations and their
// messages are gone and other lines are untouched.
func TestDeleteLineConfirm(t *testing.T) {
	h := newHarness(t)
	doomed := h.seedLine("Doomed", h.admin.agent.ID)
	kept := h.seedLine("Kept", h.admin.agent.ID)
	a := h.openIncoming(doomed.ID, "A", "one")
	b := h.openIncoming(doomed.ID, "B", "two")
	h.do(http.MethodPost, "/api/v1/conversations/"+b.ID+"/close", nil, h.admin).want(http.StatusOK)
	k := h.openIncoming(kept.ID, "K", "three")

	before := h.snap()
	for _, p := range []string{"", "?confirm=false", "?confirm=1", "?confirm=TRUE", "?confirm="} {
		r := h.do(http.MethodDelete, "/api/v1/lines/"+doomed.ID+p, nil, h.admin)
		e := r.wantError(http.StatusConflict, "confirm", "confirm")
		if !containsAll(e.Message, "2 conversations", "confirm=true") {
			t.Errorf("%v: message should say how many conversations and how to confirm", r)
		}
	}
	h.unchanged(before, "unconfirmed line deletion")

	var d api.DeletedLine
	h.do(http.MethodDelete, "/api/v1/lines/"+doomed.ID+"?confirm=true", nil, h.admin).want(http.StatusOK).decode(&d)
	if d.DeletedConversations != 2 {
		t.Errorf("deletedConversations %d, want 2", d.DeletedConversations)
	}
	h.do(http.MethodGet, "/api/v1/lines/"+doomed.ID, nil, h.admin).wantError(http.StatusNotFound, "not_found", "")
	for _, c := range []*inbox.Conversation{a, b} {
		h.do(http.MethodGet, "/api/v1/conversations/"+c.ID, nil, h.admin).wantError(http.StatusNotFound, "not_found", "")
		h.do(http.MethodGet, "/api/v1/conversations/"+c.ID+"/messages", nil, h.admin).wantError(http.StatusNotFound, "not_found", "")
		if n := h.count("messages", bson.M{"conversationId": c.ID}); n != 0 {
			t.Errorf("%d messages of deleted conversation %s left", n, c.ID)
		}
	}
	if l := h.conversations(h.admin, ""); l.Total != 1 || l.Items[0].ID != k.ID {
		t.Errorf("conversations after deleting the line: %+v, want only %s", l.Items, k.ID)
	}
	var lines api.List[inbox.Line]
	h.get("/api/v1/lines", h.admin, &lines)
	if len(lines.Items) != 1 || lines.Items[0].ID != kept.ID {
		t.Errorf("lines after delete: %+v", lines.Items)
	}
	var v api.ConversationView
	h.get("/api/v1/conversations/"+k.ID, h.admin, &v)
	if len(v.Messages) != 1 {
		t.Errorf("kept conversation has %d messages, want 1", len(v.Messages))
	}
	// Deleting it again is a 404, with or without confirmation.
	h.do(http.MethodDelete, "/api/v1/lines/"+doomed.ID+"?confirm=true", nil, h.admin).wantError(http.StatusNotFound, "not_found", "")

	// A line without conversations needs no confirmation.
	empty := h.seedLine("Empty")
	h.do(http.MethodDelete, "/api/v1/lines/"+empty.ID, nil, h.admin).want(http.StatusOK).decode(&d)
	if d.DeletedConversations != 0 {
		t.Errorf("deletedConversations %d for an empty line", d.DeletedConversations)
	}
	h.do(http.MethodGet, "/api/v1/lines/"+empty.ID, nil, h.admin).wantError(http.StatusNotFound, "not_found", "")
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
