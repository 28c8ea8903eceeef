package tgfake

import (
	"encoding/json"
	"html"
	"maps"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// chatFor resolves chat_id: an integer id, or @username of a chat seen in
// an update. Every id is a chat the bot may write to unless blocked.
func (b *bot) chatFor(p map[string]string) (int64, *apiError) {
	v := strings.TrimSpace(p["chat_id"])
	if v == "" {
		return 0, badRequest("chat_id is empty")
	}
	var id int64
	if name, ok := strings.CutPrefix(v, "@"); ok {
		for cid, chat := range b.chats {
			if u, _ := chat["username"].(string); name != "" && strings.EqualFold(u, name) {
				id = cid
			}
		}
	} else {
		id, _ = strconv.ParseInt(v, 10, 64)
	}
	if id == 0 {
		return 0, badRequest("chat not found")
	}
	if b.blocked[id] {
		return 0, errBlocked
	}
	return id, nil
}

// chatJSON returns the chat object of id: as last seen in an update, or a
// minimal one typed by the id's sign.
func (b *bot) chatJSON(id int64) map[string]any {
	if chat := b.chats[id]; chat != nil {
		return chat
	}
	typ := "private"
	switch {
	case id <= -1000000000000:
		typ = "supergroup"
	case id < 0:
		typ = "group"
	}
	return map[string]any{"id": id, "type": typ}
}

// newMessage starts a Message from the bot in chat with the chat's next
// message_id (message ids are shared by both sides of a chat).
func (b *bot) newMessage(chat int64, at time.Time, replyTo int, markup map[string]any) map[string]any {
	b.lastMsgID[chat]++
	msg := map[string]any{
		"message_id": b.lastMsgID[chat],
		"from":       b.user,
		"chat":       b.chatJSON(chat),
		"date":       at.Unix(),
	}
	if replyTo > 0 {
		replied := b.messages[msgKey{chat, replyTo}]
		if replied == nil {
			replied = map[string]any{"message_id": replyTo, "chat": b.chatJSON(chat), "date": 0}
		}
		msg["reply_to_message"] = replied
	}
	if markup != nil {
		msg["reply_markup"] = markup
	}
	return msg
}

// record remembers a sent message and appends its Sent.
func (b *bot) record(msg map[string]any, sent Sent) {
	sent.MessageID = msg["message_id"].(int)
	sent.Params = maps.Clone(sent.Params)
	b.remember(sent.ChatID, sent.MessageID, msg)
	b.sent = append(b.sent, sent)
	b.notify()
}

// remember keeps a message for later reply_to_message objects, which do
// not nest further replies.
func (b *bot) remember(chat int64, id int, msg map[string]any) {
	m := maps.Clone(msg)
	delete(m, "reply_to_message")
	b.messages[msgKey{chat, id}] = m
}

// attachMedia stores an uploaded file (or looks up a referenced one), adds
// the file object(s) to msg, and returns the SentFile.
func (b *bot) attachMedia(msg map[string]any, kind mediaKind, in mediaInput, meta func(string) int64) SentFile {
	sf := SentFile{Field: kind.field}
	var f *storedFile
	if in.up != nil {
		ext := kind.ext
		if ext == "" {
			ext = strings.ToLower(path.Ext(in.up.name))
		}
		f = b.addFile(b.newFileID(kind.prefix), in.up.name, kind.dir, ext, in.up.data)
		sf.Name, sf.Data = in.up.name, in.up.data
	} else {
		sf.Ref = in.ref
		if f = b.files[in.ref]; f == nil {
			id := in.ref
			if strings.HasPrefix(id, "http://") || strings.HasPrefix(id, "https://") {
				id = b.newFileID(kind.prefix)
			}
			f = &storedFile{id: id, uniqueID: uniqueID(b.token, id), name: path.Base(in.ref)}
		}
	}
	sf.FileID = f.id
	switch kind.field {
	case "photo":
		msg["photo"] = b.photoSizes(f)
	case "animation":
		msg["animation"] = fileObject(kind, f, meta)
		msg["document"] = fileObject(albumKinds["document"], f, meta)
	default:
		msg[kind.field] = fileObject(kind, f, meta)
	}
	return sf
}

// photoSizes returns a photo's PhotoSize array: a thumbnail of at most 90
// pixels (when the photo is larger) and the photo itself.
func (b *bot) photoSizes(f *storedFile) []any {
	size := func(f *storedFile, w, h int) map[string]any {
		m := map[string]any{"file_id": f.id, "file_unique_id": f.uniqueID, "width": w, "height": h}
		if f.size > 0 {
			m["file_size"] = f.size
		}
		return m
	}
	full := size(f, f.width, f.height)
	if max(f.width, f.height) <= 90 {
		return []any{full}
	}
	tw, th := 90, f.height*90/f.width
	if f.height > f.width {
		tw, th = f.width*90/f.height, 90
	}
	thumbID := f.id + "_s"
	thumb := b.files[thumbID]
	if thumb == nil {
		thumb = b.addFile(thumbID, f.name, "photos", ".jpg", f.data)
	}
	return []any{size(thumb, max(tw, 1), max(th, 1)), full}
}

// fileObject returns the Document, Audio, Video, Voice or Animation object.
func fileObject(kind mediaKind, f *storedFile, meta func(string) int64) map[string]any {
	m := map[string]any{"file_id": f.id, "file_unique_id": f.uniqueID}
	if f.size > 0 {
		m["file_size"] = f.size
	}
	if kind.field != "voice" && f.name != "" {
		m["file_name"] = f.name
	}
	m["mime_type"] = f.mimeType(kind.mime)
	switch kind.field {
	case "video", "animation":
		w, h := meta("width"), meta("height")
		if w == 0 && h == 0 {
			w, h = int64(f.width), int64(f.height)
		}
		m["width"], m["height"], m["duration"] = w, h, meta("duration")
	case "audio", "voice":
		m["duration"] = meta("duration")
	}
	return m
}

// replyOptions reads reply_parameters (or the older reply_to_message_id)
// and an inline reply_markup.
func replyOptions(p map[string]string) (replyTo int, markup map[string]any, e *apiError) {
	if v := p["reply_parameters"]; v != "" {
		var rp struct {
			MessageID int `json:"message_id"`
		}
		if json.Unmarshal([]byte(v), &rp) != nil {
			return 0, nil, badRequest("can't parse reply parameters JSON object")
		}
		replyTo = rp.MessageID
	} else {
		replyTo = int(intParam(p, "reply_to_message_id", 0))
	}
	if v := p["reply_markup"]; v != "" {
		if json.Unmarshal([]byte(v), &markup) != nil || markup == nil {
			return 0, nil, badRequest("can't parse reply keyboard markup JSON object")
		}
		if _, inline := markup["inline_keyboard"]; !inline {
			markup = nil // only inline keyboards are part of the Message
		}
	}
	return replyTo, markup, nil
}

func checkParseMode(pm string) *apiError {
	switch strings.ToLower(pm) {
	case "", "html", "markdown", "markdownv2":
		return nil
	}
	return badRequest("unsupported parse_mode")
}

var htmlTag = regexp.MustCompile(`<[^>]*>`)

// visibleText approximates the text Telegram keeps after parsing entities
// (tags or markup characters removed) and trimming whitespace; its length is
// what Telegram's limits apply to.
func visibleText(text, parseMode string) string {
	switch strings.ToLower(parseMode) {
	case "html":
		text = html.UnescapeString(htmlTag.ReplaceAllString(text, ""))
	case "markdown":
		text = stripMarkdown(text, false)
	case "markdownv2":
		text = stripMarkdown(text, true)
	}
	return strings.TrimSpace(text)
}

// stripMarkdown removes markup characters and link targets; v2 also
// resolves backslash escapes.
func stripMarkdown(text string, v2 bool) string {
	var sb strings.Builder
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case v2 && c == '\\' && i+1 < len(text):
			i++
			sb.WriteByte(text[i])
		case c == ']' && i+1 < len(text) && text[i+1] == '(':
			if end := strings.IndexByte(text[i:], ')'); end > 0 {
				i += end
			}
		case strings.IndexByte("*_`[", c) >= 0, v2 && strings.IndexByte("~|", c) >= 0:
		default:
			sb.WriteByte(c)
		}
	}
	return sb.String()
}
