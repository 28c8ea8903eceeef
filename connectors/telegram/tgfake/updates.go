package tgfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// longPollMaxTimeout is the reference server's cap on getUpdates' timeout.
const longPollMaxTimeout = 50

const (
	conflictWebhook    = "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
	conflictGetUpdates = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
	conflictSetWebhook = "Conflict: terminated by setWebhook request"
)

// updateTypes are the update types Telegram knows, in the order of the
// Update object's documentation.
var updateTypes = []string{
	"message", "edited_message", "channel_post", "edited_channel_post",
	"business_connection", "business_message", "edited_business_message",
	"deleted_business_messages", "message_reaction", "message_reaction_count",
	"inline_query", "chosen_inline_result", "callback_query", "shipping_query",
	"pre_checkout_query", "purchased_paid_media", "poll", "poll_answer",
	"my_chat_member", "chat_member", "chat_join_request", "chat_boost",
	"removed_chat_boost",
}

// optInUpdateTypes are only delivered when allowed_updates names them.
var optInUpdateTypes = map[string]bool{"chat_member": true, "message_reaction": true, "message_reaction_count": true}

type queuedUpdate struct {
	id  int64
	raw []byte // the Update JSON, update_id included
}

// poller is a getUpdates request waiting for updates.
type poller struct {
	done   chan struct{}
	reason string // the 409 description once terminated
}

func (p *poller) terminate(reason string) {
	p.reason = reason
	close(p.done)
}

// PushUpdate adds an update for the bot. update is a Bot API Update without
// update_id, e.g. {"message": {...}}; the server assigns the bot's next
// update_id and returns it. With a webhook set the update is delivered
// there, otherwise it waits for getUpdates.
//
// As on Telegram, an update of a type the bot's allowed_updates (set by
// getUpdates or setWebhook) excludes is dropped; PushUpdate then returns 0.
// By default every type but chat_member, message_reaction and
// message_reaction_count is allowed. Chats and messages in the update are
// remembered, so that the bot's replies carry their chat object and
// reply_to_message.
//
// PushUpdate panics when the token was not added or the update cannot be
// marshalled.
func (s *Server) PushUpdate(token string, update map[string]any) (updateID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.mustBot(token)
	if !b.allows(updateType(update)) {
		return 0
	}
	obj := maps.Clone(update)
	obj["update_id"] = b.nextUpdateID
	raw, err := json.Marshal(obj)
	if err != nil {
		panic(fmt.Sprintf("tgfake: PushUpdate: %v", err))
	}
	updateID = b.nextUpdateID
	b.nextUpdateID++
	b.queue = append(b.queue, queuedUpdate{id: updateID, raw: raw})
	b.learnUpdate(raw)
	b.notify()
	return updateID
}

// updateType returns the update's type: its first key, in documentation
// order, that is not update_id.
func updateType(update map[string]any) string {
	for _, t := range updateTypes {
		if _, ok := update[t]; ok {
			return t
		}
	}
	keys := slices.Sorted(maps.Keys(update))
	for _, k := range keys {
		if k != "update_id" {
			return k
		}
	}
	return ""
}

func (b *bot) allows(typ string) bool {
	if !slices.Contains(updateTypes, typ) {
		return true // unknown to the fake: never filtered
	}
	if b.allowed == nil {
		return !optInUpdateTypes[typ]
	}
	return b.allowed[typ]
}

// setAllowed applies an allowed_updates parameter as Telegram does: absent
// or unparsable leaves the setting alone, a list naming no known type
// restores the default.
func (b *bot) setAllowed(param string) {
	if param == "" {
		return
	}
	var names []string
	if err := json.Unmarshal([]byte(param), &names); err != nil {
		return
	}
	allowed := make(map[string]bool)
	for _, n := range names {
		if n = strings.ToLower(n); slices.Contains(updateTypes, n) {
			allowed[n] = true
		}
	}
	if len(allowed) == 0 {
		allowed = nil
	}
	b.allowed = allowed
}

// allowedList returns the explicit allowed_updates, nil for the default.
func (b *bot) allowedList() []string {
	if b.allowed == nil {
		return nil
	}
	var list []string
	for _, t := range updateTypes {
		if b.allowed[t] {
			list = append(list, t)
		}
	}
	return list
}

// learnUpdate remembers the chats and messages an update carries.
func (b *bot) learnUpdate(raw []byte) {
	var obj map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&obj) != nil {
		return
	}
	for k, v := range obj {
		if m, ok := v.(map[string]any); ok && k != "update_id" {
			b.learnMessage(m)
			if inner, ok := m["message"].(map[string]any); ok {
				b.learnMessage(inner)
			}
		}
	}
}

func (b *bot) learnMessage(m map[string]any) {
	chat, ok := m["chat"].(map[string]any)
	if !ok {
		return
	}
	chatID, ok := jsonInt(chat["id"])
	if !ok {
		return
	}
	b.chats[chatID] = chat
	if id, ok := jsonInt(m["message_id"]); ok && id > 0 {
		b.lastMsgID[chatID] = max(b.lastMsgID[chatID], int(id))
		b.remember(chatID, int(id), m)
	}
}

// jsonInt reads an integer from a decoded JSON value.
func jsonInt(v any) (int64, bool) {
	switch n := v.(type) {
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	case float64:
		return int64(n), true
	}
	return 0, false
}

// intParam reads an integer parameter; absent gives def and garbage 0, as
// in the reference server.
func intParam(p map[string]string, name string, def int64) int64 {
	v := strings.TrimSpace(p[name])
	if v == "" {
		return def
	}
	i, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0
	}
	return i
}

// boolParam reads a Boolean parameter as Telegram does.
func boolParam(p map[string]string, name string) bool {
	switch strings.ToLower(strings.TrimSpace(p[name])) {
	case "true", "yes", "1":
		return true
	}
	return false
}

// confirm applies getUpdates' offset: updates before a positive offset are
// forgotten; a negative offset keeps only the last -offset updates.
func (b *bot) confirm(offset int64) {
	switch {
	case offset < 0:
		if keep := -offset; int64(len(b.queue)) > keep {
			b.queue = slices.Clone(b.queue[int64(len(b.queue))-keep:])
		}
	case offset > 0:
		i := sort.Search(len(b.queue), func(i int) bool { return b.queue[i].id >= offset })
		b.queue = b.queue[i:]
	}
}

func (b *bot) take(limit int64) []json.RawMessage {
	n := min(int(limit), len(b.queue))
	out := make([]json.RawMessage, n)
	for i := range n {
		out[i] = b.queue[i].raw
	}
	return out
}

func (b *bot) dropUpdate(id int64) {
	b.queue = slices.DeleteFunc(b.queue, func(u queuedUpdate) bool { return u.id == id })
}

func (s *Server) getUpdates(b *bot, r *request) (any, *apiError) {
	offset := intParam(r.params, "offset", 0)
	limit := min(max(intParam(r.params, "limit", 100), 1), 100)
	timeout := min(max(intParam(r.params, "timeout", 0), 0), longPollMaxTimeout)

	s.mu.Lock()
	defer s.mu.Unlock()
	if b.webhook.url != "" {
		return nil, &apiError{code: 409, desc: conflictWebhook}
	}
	b.setAllowed(r.params["allowed_updates"])
	if !b.ignoreOffsets {
		b.confirm(offset)
	}
	if b.poll != nil {
		b.poll.terminate(conflictGetUpdates)
		b.poll = nil
	}
	if len(b.queue) > 0 || timeout == 0 {
		return b.take(limit), nil
	}

	p := &poller{done: make(chan struct{})}
	b.poll = p
	defer func() {
		if b.poll == p {
			b.poll = nil
		}
	}()
	timer := time.NewTimer(time.Duration(timeout) * time.Second)
	defer timer.Stop()
	for {
		changed := b.changed
		expired := false
		s.mu.Unlock()
		select {
		case <-changed:
		case <-p.done:
		case <-timer.C:
			expired = true
		case <-r.ctx.Done():
		case <-s.ctx.Done():
		}
		s.mu.Lock()
		switch {
		case p.reason != "":
			return nil, &apiError{code: 409, desc: p.reason}
		case r.ctx.Err() != nil || s.ctx.Err() != nil:
			return []json.RawMessage{}, nil // nobody is listening any more
		case len(b.queue) > 0:
			return b.take(limit), nil
		case expired:
			return []json.RawMessage{}, nil
		}
	}
}
