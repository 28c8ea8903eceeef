package widget_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
)

// upload posts one file as the visitor and returns its attachment.
func (h *harness) upload(token, name, content string) inbox.Attachment {
	h.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = io.WriteString(fw, content)
	_ = mw.Close()
	hdr := bearer(token)
	hdr["Content-Type"] = mw.FormDataContentType()
	var out struct {
		Files []inbox.Attachment `json:"files"`
	}
	if resp := h.call("POST", "/widget/v1/files", hdr, &body, &out); resp.StatusCode != http.StatusOK || len(out.Files) != 1 {
		h.t.Fatalf("upload: %d %+v", resp.StatusCode, out)
	}
	return out.Files[0]
}

func TestVisitorsCannotReachEachOther(t *testing.T) {
	h := newHarness(t)
	a, b := h.session(nil), h.session(nil)
	file := h.upload(b.Token, "invoice.txt", "B's invoice")
	cb, _ := h.connect(b.Token, nil)
	cb.write(map[string]any{"type": "send", "clientId": "b-1", "text": "see attached",
		"attachments": []map[string]any{{"fileId": file.FileID, "name": "renamed.exe", "contentType": "image/png", "size": 1}}})
	ack := cb.waitFor("ack")
	stored, _ := h.svc.Messages(h.ctx, inbox.System, ack.ConversationID, 0, 10)
	if len(stored) != 1 || len(stored[0].Attachments) != 1 || stored[0].Attachments[0] != file {
		t.Fatalf("attachment as stored: %+v (uploaded %+v)", stored, file)
	}

	get := func(tok, path string) int {
		return h.call("GET", path, map[string]string{"Authorization": "Bearer " + tok}, nil, nil).StatusCode
	}
	if st := get(a.Token, "/widget/v1/history?conversationId="+ack.ConversationID); st != http.StatusNotFound {
		t.Fatalf("A reading B's history: %d", st)
	}
	if st := get(b.Token, "/widget/v1/history?conversationId="+ack.ConversationID); st != http.StatusOK {
		t.Fatalf("B reading their history: %d", st)
	}
	var own struct {
		Conversation *struct{ ID string } `json:"conversation"`
		Messages     []inbox.Message      `json:"messages"`
	}
	h.call("GET", "/widget/v1/history", bearer(a.Token), nil, &own)
	if own.Conversation != nil || len(own.Messages) != 0 {
		t.Fatalf("A's own history: %+v", own)
	}
	if st := get(a.Token, "/widget/v1/files/"+file.FileID); st != http.StatusNotFound {
		t.Fatalf("A downloading B's file: %d", st)
	}
	if st := h.call("GET", "/widget/v1/files/"+file.FileID+"?token="+a.Token, nil, nil, nil).StatusCode; st != http.StatusNotFound {
		t.Fatalf("A downloading B's file by ?token=: %d", st)
	}
	resp := h.call("GET", "/widget/v1/files/"+file.FileID+"?token="+b.Token, nil, nil, nil)
	if body, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK || string(body) != "B's invoice" {
		t.Fatalf("B downloading their file: %d %q", resp.StatusCode, body)
	}
	// A cannot smuggle B's file into their own message either.
	ca, _ := h.connect(a.Token, nil)
	ca.write(map[string]any{"type": "send", "clientId": "a-1", "text": "mine now",
		"attachments": []map[string]any{{"fileId": file.FileID, "name": "x", "size": 1}}})
	if f := ca.waitFor2("ack", "error"); f.Type != "error" || f.Code != "invalid" || f.ClientID != "a-1" {
		t.Fatalf("A attaching B's file: %+v", f)
	}

	// An agent's file attached to B's conversation: B may see it; attached
	// to a comment only, B may not.
	agentFile, err := h.files.Put(h.ctx, "agent:"+h.agent.AgentID, "a.txt", "text/plain", strings.NewReader("A"))
	if err != nil {
		t.Fatal(err)
	}
	noteFile, err := h.files.Put(h.ctx, "agent:"+h.agent.AgentID, "n.txt", "text/plain", strings.NewReader("N"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []inbox.MessageInput{
		{AuthorKind: inbox.AuthorAgent, Attachments: []inbox.Attachment{agentFile}},
		{AuthorKind: inbox.AuthorAgent, Comment: true, Attachments: []inbox.Attachment{noteFile}},
	} {
		if _, _, err := h.svc.Append(h.ctx, h.agent, ack.ConversationID, m); err != nil {
			t.Fatal(err)
		}
	}
	if st := get(b.Token, "/widget/v1/files/"+agentFile.FileID); st != http.StatusOK {
		t.Fatalf("B downloading the agent's file in their chat: %d", st)
	}
	if st := get(b.Token, "/widget/v1/files/"+noteFile.FileID); st != http.StatusNotFound {
		t.Fatalf("B downloading a file of an internal comment: %d", st)
	}
	if st := get(a.Token, "/widget/v1/files/"+agentFile.FileID); st != http.StatusNotFound {
		t.Fatalf("A downloading the agent's file in B's chat: %d", st)
	}
}

func TestContactFormAndTranscript(t *testing.T) {
	h := newHarness(t)
	s := h.session(nil)
	c, _ := h.connect(s.Token, nil)
	ack := c.sendMessage("c-1", "Hello")

	if resp := h.call("POST", "/widget/v1/contact", bearer(s.Token), map[string]any{"email": "nope"}, nil); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad e-mail: %d", resp.StatusCode)
	}
	var out struct{ Name, Email string }
	if resp := h.call("POST", "/widget/v1/contact", bearer(s.Token), map[string]any{"name": "Ada", "email": "ada@example.com"}, &out); resp.StatusCode != http.StatusOK || out.Name != "Ada" {
		t.Fatalf("contact form: %d %+v", resp.StatusCode, out)
	}
	conv, _ := h.svc.Conversation(h.ctx, inbox.System, ack.ConversationID)
	ct, _ := h.svc.Contact(h.ctx, inbox.System, s.VisitorID)
	if !conv.FormFilled || conv.ContactName != "Ada" || ct.Email != "ada@example.com" {
		t.Fatalf("after the form: %+v %+v", conv, ct)
	}

	c.write(map[string]any{"type": "transcript", "email": "not an address"})
	if f := c.waitFor("error"); f.Code != "invalid" {
		t.Fatalf("transcript to a bad address: %+v", f)
	}
	c.write(map[string]any{"type": "transcript", "email": "ada@work.example.com"})
	deadline := time.Now().Add(wait)
	for {
		conv, _ = h.svc.Conversation(h.ctx, inbox.System, ack.ConversationID)
		ct, _ = h.svc.Contact(h.ctx, inbox.System, s.VisitorID)
		if conv.HistoryRequested && ct.Email == "ada@work.example.com" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("transcript request not recorded: %+v %+v", conv, ct)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// In messenger mode the form comes before any message: the conversation the
// visitor's first message opens is "form filled" all the same.
func TestContactFormBeforeTheFirstMessage(t *testing.T) {
	h := newHarness(t)
	s := h.session(nil)
	if resp := h.call("POST", "/widget/v1/contact", bearer(s.Token), map[string]any{"name": "Bea", "email": "bea@example.com"}, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("contact form: %d", resp.StatusCode)
	}
	c, _ := h.connect(s.Token, nil)
	ack := c.sendMessage("c-1", "Hello, anyone?")
	conv, err := h.svc.Conversation(h.ctx, inbox.System, ack.ConversationID)
	if err != nil || !conv.FormFilled || conv.ContactName != "Bea" || conv.SitePage != shopOrigin+"/pricing" {
		t.Fatalf("conversation after a form sent first: %v %+v", err, conv)
	}
}
