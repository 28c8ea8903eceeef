package tgfake

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Telegram's length limits, in characters (Unicode code points) after
// entity parsing and trimming.
const (
	maxTextLength    = 4096
	maxCaptionLength = 1024
	maxAlbumSize     = 10
)

// mediaKind describes a file-sending method.
type mediaKind struct {
	field  string // the file parameter and the Message field
	dir    string // file_path directory
	ext    string // file_path extension; "" keeps the upload's
	prefix string // file_id prefix
	mime   string // default MIME type ("" to guess)
}

// mediaMethods are the single-file send methods.
var mediaMethods = map[string]mediaKind{
	"sendPhoto":     {field: "photo", dir: "photos", ext: ".jpg", prefix: "AgAC", mime: "image/jpeg"},
	"sendDocument":  {field: "document", dir: "documents", prefix: "BQAC"},
	"sendAudio":     {field: "audio", dir: "music", ext: ".mp3", prefix: "CQAC", mime: "audio/mpeg"},
	"sendVideo":     {field: "video", dir: "videos", ext: ".mp4", prefix: "BAAC", mime: "video/mp4"},
	"sendVoice":     {field: "voice", dir: "voice", ext: ".oga", prefix: "AwAC", mime: "audio/ogg"},
	"sendAnimation": {field: "animation", dir: "animations", ext: ".mp4", prefix: "CgAC", mime: "video/mp4"},
}

// albumKinds are the InputMedia types sendMediaGroup accepts.
var albumKinds = map[string]mediaKind{
	"photo":    mediaMethods["sendPhoto"],
	"video":    mediaMethods["sendVideo"],
	"audio":    mediaMethods["sendAudio"],
	"document": mediaMethods["sendDocument"],
}

var chatActions = map[string]bool{
	"typing": true, "upload_photo": true, "record_video": true, "upload_video": true,
	"record_voice": true, "upload_voice": true, "upload_document": true, "choose_sticker": true,
	"find_location": true, "record_video_note": true, "upload_video_note": true,
}

var errBlocked = &apiError{code: 403, desc: "Forbidden: bot was blocked by the user"}

// mediaInput is a file given to a send method: an upload, or a reference
// (file_id or URL).
type mediaInput struct {
	up  *upload
	ref string
}

// fileInput resolves a file parameter's value: "attach://<name>" names a
// multipart part, another non-empty value is a file_id or URL, and an empty
// value falls back to the multipart part named field.
func fileInput(r *request, value, field string) (mediaInput, bool) {
	if name, ok := strings.CutPrefix(value, "attach://"); ok {
		value, field = "", name
	}
	if value != "" {
		return mediaInput{ref: value}, true
	}
	if up, ok := r.files[field]; ok && field != "" {
		return mediaInput{up: &up}, true
	}
	return mediaInput{}, false
}

func (s *Server) sendMessage(b *bot, r *request) (any, *apiError) {
	p := r.params
	pm := p["parse_mode"]
	if e := checkParseMode(pm); e != nil {
		return nil, e
	}
	text := visibleText(p["text"], pm)
	if text == "" {
		return nil, badRequest("message text is empty")
	}
	if utf8.RuneCountInString(text) > maxTextLength {
		return nil, badRequest("message is too long")
	}
	reply, markup, e := replyOptions(p)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	chat, e := b.chatFor(p)
	if e != nil {
		return nil, e
	}
	msg := b.newMessage(chat, r.at, reply, markup)
	msg["text"] = text
	b.record(msg, Sent{Method: r.method, ChatID: chat, Text: p["text"], ReplyTo: reply, At: r.at, ParseMode: pm, Params: p})
	return msg, nil
}

func (s *Server) sendMedia(b *bot, r *request) (any, *apiError) {
	kind := mediaMethods[r.method]
	p := r.params
	in, ok := fileInput(r, p[kind.field], kind.field)
	if !ok {
		return nil, badRequest("there is no " + kind.field + " in the request")
	}
	if in.up != nil && len(in.up.data) == 0 {
		return nil, badRequest("file must be non-empty")
	}
	pm := p["parse_mode"]
	if e := checkParseMode(pm); e != nil {
		return nil, e
	}
	caption := visibleText(p["caption"], pm)
	if utf8.RuneCountInString(caption) > maxCaptionLength {
		return nil, badRequest("message caption is too long")
	}
	reply, markup, e := replyOptions(p)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	chat, e := b.chatFor(p)
	if e != nil {
		return nil, e
	}
	msg := b.newMessage(chat, r.at, reply, markup)
	if caption != "" {
		msg["caption"] = caption
	}
	meta := func(k string) int64 { return intParam(p, k, 0) }
	sf := b.attachMedia(msg, kind, in, meta)
	b.record(msg, Sent{Method: r.method, ChatID: chat, Caption: p["caption"], ReplyTo: reply,
		Files: []SentFile{sf}, At: r.at, ParseMode: pm, Params: p})
	return msg, nil
}

// albumItem is one parsed InputMedia of sendMediaGroup.
type albumItem struct {
	kind       mediaKind
	in         mediaInput
	caption    string // visible caption
	rawCaption string
	parseMode  string
	obj        map[string]any
}

func (s *Server) sendMediaGroup(b *bot, r *request) (any, *apiError) {
	p := r.params
	items, e := parseAlbum(r, p["media"])
	if e != nil {
		return nil, e
	}
	reply, _, e := replyOptions(p)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	chat, e := b.chatFor(p)
	if e != nil {
		return nil, e
	}
	groupID := ""
	if len(items) > 1 {
		b.albumSeq++
		groupID = strconv.FormatInt(13800000000000000+b.albumSeq, 10)
	}
	msgs := make([]any, 0, len(items))
	for _, it := range items {
		msg := b.newMessage(chat, r.at, reply, nil)
		if groupID != "" {
			msg["media_group_id"] = groupID
		}
		if it.caption != "" {
			msg["caption"] = it.caption
		}
		meta := func(k string) int64 { n, _ := jsonInt(it.obj[k]); return n }
		sf := b.attachMedia(msg, it.kind, it.in, meta)
		b.record(msg, Sent{Method: r.method, ChatID: chat, Caption: it.rawCaption, ReplyTo: reply,
			Files: []SentFile{sf}, At: r.at, ParseMode: it.parseMode, Params: p})
		msgs = append(msgs, msg)
	}
	return msgs, nil
}

// parseAlbum parses and checks sendMediaGroup's media parameter. Like
// Telegram, it accepts a single item (sent without a media_group_id).
func parseAlbum(r *request, media string) ([]albumItem, *apiError) {
	if media == "" {
		return nil, badRequest(`parameter "media" is required`)
	}
	var list []json.RawMessage
	var v any
	if err := json.Unmarshal([]byte(media), &v); err != nil {
		return nil, badRequest("can't parse media JSON object")
	}
	if err := json.Unmarshal([]byte(media), &list); err != nil {
		return nil, badRequest("expected an Array of InputMedia")
	}
	var items []albumItem
	types := map[string]bool{}
	for _, raw := range list {
		it, e := parseInputMedia(r, raw)
		if e != nil {
			return nil, e
		}
		types[it.kind.field] = true
		items = append(items, it)
	}
	switch {
	case len(items) == 0:
		return nil, badRequest("there are no messages to send")
	case len(items) > maxAlbumSize:
		return nil, badRequest("too many messages to send as an album")
	case types["document"] && len(types) > 1:
		return nil, badRequest("document can't be mixed with other media types")
	case types["audio"] && len(types) > 1:
		return nil, badRequest("audio can't be mixed with other media types")
	}
	return items, nil
}

func parseInputMedia(r *request, raw json.RawMessage) (albumItem, *apiError) {
	fail := func(why string) (albumItem, *apiError) {
		return albumItem{}, badRequest("can't parse InputMedia: " + why)
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	var obj map[string]any
	if dec.Decode(&obj) != nil || obj == nil {
		return fail("expected an Object")
	}
	typ, _ := obj["type"].(string)
	if typ == "" {
		return fail(`field "type" must be a non-empty String`)
	}
	kind, ok := albumKinds[typ]
	if !ok {
		if typ == "animation" {
			return fail(`type "animation" can't be used in sendMediaGroup`)
		}
		return fail(`type "` + typ + `" is unsupported`)
	}
	media, _ := obj["media"].(string)
	in, ok := fileInput(r, media, "")
	if media == "" || !ok {
		return fail("media not found")
	}
	if in.up != nil && len(in.up.data) == 0 {
		return albumItem{}, badRequest("file must be non-empty")
	}
	it := albumItem{kind: kind, in: in, obj: obj}
	it.rawCaption, _ = obj["caption"].(string)
	it.parseMode, _ = obj["parse_mode"].(string)
	if e := checkParseMode(it.parseMode); e != nil {
		return albumItem{}, e
	}
	it.caption = visibleText(it.rawCaption, it.parseMode)
	if utf8.RuneCountInString(it.caption) > maxCaptionLength {
		return albumItem{}, badRequest("message caption is too long")
	}
	return it, nil
}

func (s *Server) sendChatAction(b *bot, r *request) (any, *apiError) {
	action := r.params["action"]
	if action == "" {
		return nil, badRequest(`parameter "action" is required`)
	}
	if !chatActions[action] {
		return nil, badRequest("wrong parameter action in request")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, e := b.chatFor(r.params); e != nil {
		return nil, e
	}
	return true, nil
}
