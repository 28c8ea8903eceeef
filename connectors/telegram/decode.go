package telegram

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// An update becomes one of these: a message in the common format, with
// the files still to fetch, or an edit of one.

type inKind int

const (
	inIgnore inKind = iota
	inMessage
	inEdit
)

// fileRef is a file a message carries, to fetch through getFile.
type fileRef struct {
	ID          string
	Name        string
	ContentType string
	Size        int64
}

// inbound is a decoded update.
type inbound struct {
	Kind inKind
	// Why says why an update is ignored (logged).
	Why       string
	UpdateID  int
	ChatID    int64
	ChatTitle string
	Group     bool
	MessageID int
	// FromID, FromName and FromUsername are the sender; Phone is theirs
	// when they shared their own contact.
	FromID       int64
	FromName     string
	FromUsername string
	Phone        string
	Text         string
	Files        []fileRef
	AlbumID      string
	ReplyTo      int
	StartParam   string
	Date         int
}

// decodeUpdate parses an update's JSON; bad JSON is an error (the update
// is dropped and logged), an update of a kind the inbox does not take is
// inIgnore.
func decodeUpdate(raw []byte) (tgbotapi.Update, error) {
	var u tgbotapi.Update
	if err := json.Unmarshal(raw, &u); err != nil {
		return u, fmt.Errorf("%w: %v", errBadUpdate, err)
	}
	if u.UpdateID <= 0 {
		return u, fmt.Errorf("%w: update_id must be a positive number", errBadUpdate)
	}
	return u, nil
}

// errBadUpdate is an update that is not a Bot API Update.
var errBadUpdate = errors.New("telegram: bad update")

// translate turns an update into what the inbox stores.
func translate(u tgbotapi.Update, allowGroups bool) inbound {
	in := inbound{UpdateID: u.UpdateID}
	m := u.Message
	switch {
	case u.Message != nil:
		in.Kind = inMessage
	case u.EditedMessage != nil:
		in.Kind, m = inEdit, u.EditedMessage
	case u.ChannelPost != nil || u.EditedChannelPost != nil:
		if !allowGroups {
			return inbound{Kind: inIgnore, Why: "channel post", UpdateID: u.UpdateID}
		}
		in.Kind, m = inMessage, u.ChannelPost
		if m == nil {
			in.Kind, m = inEdit, u.EditedChannelPost
		}
	default:
		return inbound{Kind: inIgnore, Why: "not a message", UpdateID: u.UpdateID}
	}
	if m.Chat == nil {
		return inbound{Kind: inIgnore, Why: "no chat", UpdateID: u.UpdateID}
	}
	in.ChatID, in.MessageID, in.AlbumID, in.Date = m.Chat.ID, m.MessageID, m.MediaGroupID, m.Date
	in.Group = m.Chat.Type != "private"
	if in.Group && !allowGroups {
		return inbound{Kind: inIgnore, Why: "group message", UpdateID: u.UpdateID}
	}
	if m.From != nil {
		if m.From.IsBot {
			return inbound{Kind: inIgnore, Why: "from a bot", UpdateID: u.UpdateID}
		}
		in.FromID, in.FromUsername = m.From.ID, m.From.UserName
		in.FromName = strings.TrimSpace(m.From.FirstName + " " + m.From.LastName)
	}
	if in.Group {
		in.ChatTitle = m.Chat.Title
	} else if in.FromID == 0 {
		return inbound{Kind: inIgnore, Why: "no sender", UpdateID: u.UpdateID}
	}
	if m.ReplyToMessage != nil {
		in.ReplyTo = m.ReplyToMessage.MessageID
	}
	in.Text = withLinks(m.Text, m.Entities)
	if m.Caption != "" {
		in.Text = withLinks(m.Caption, m.CaptionEntities)
	}
	if p, ok := strings.CutPrefix(m.Text, "/start"); ok && (p == "" || p[0] == ' ') {
		in.StartParam = strings.TrimSpace(p)
	}
	in.Files, in.Text = media(m, in.Text)
	if m.Contact != nil && m.Contact.UserID != 0 && m.Contact.UserID == in.FromID {
		in.Phone = m.Contact.PhoneNumber // their own number: it fills the contact
	}
	if in.Kind == inMessage && strings.TrimSpace(in.Text) == "" && len(in.Files) == 0 {
		return inbound{Kind: inIgnore, Why: "nothing the inbox shows (service message, poll, game)", UpdateID: u.UpdateID}
	}
	return in
}

// media lists the files of m and adds to text what has no file: a
// sticker's emoji, a place, a contact card.
func media(m *tgbotapi.Message, text string) ([]fileRef, string) {
	var files []fileRef
	add := func(id, name, ct string, size int) {
		files = append(files, fileRef{ID: id, Name: name, ContentType: ct, Size: int64(size)})
	}
	id := strconv.Itoa(m.MessageID)
	or := func(name, def string) string {
		if name != "" {
			return name
		}
		return def
	}
	switch {
	case len(m.Photo) > 0:
		best := m.Photo[0]
		for _, p := range m.Photo[1:] {
			if p.Width*p.Height > best.Width*best.Height || (p.Width*p.Height == best.Width*best.Height && p.FileSize > best.FileSize) {
				best = p
			}
		}
		add(best.FileID, "photo_"+id+".jpg", "image/jpeg", best.FileSize)
	case m.Document != nil:
		add(m.Document.FileID, or(m.Document.FileName, "document_"+id), m.Document.MimeType, m.Document.FileSize)
	case m.Audio != nil:
		add(m.Audio.FileID, or(m.Audio.FileName, "audio_"+id+".mp3"), or(m.Audio.MimeType, "audio/mpeg"), m.Audio.FileSize)
	case m.Voice != nil:
		add(m.Voice.FileID, "voice_"+id+".ogg", or(m.Voice.MimeType, "audio/ogg"), m.Voice.FileSize)
	case m.Video != nil:
		add(m.Video.FileID, or(m.Video.FileName, "video_"+id+".mp4"), or(m.Video.MimeType, "video/mp4"), m.Video.FileSize)
	case m.VideoNote != nil:
		add(m.VideoNote.FileID, "video_note_"+id+".mp4", "video/mp4", m.VideoNote.FileSize)
	case m.Animation != nil:
		add(m.Animation.FileID, or(m.Animation.FileName, "animation_"+id+".mp4"), or(m.Animation.MimeType, "video/mp4"), m.Animation.FileSize)
	case m.Sticker != nil:
		// A still sticker is a WebP image; an animated one has only its
		// emoji to show.
		if !m.Sticker.IsAnimated {
			add(m.Sticker.FileID, "sticker_"+id+".webp", "image/webp", m.Sticker.FileSize)
		}
		if text == "" {
			text = or(m.Sticker.Emoji, "🖼")
		}
	case m.Venue != nil:
		text = join(text, "📍 "+strings.TrimSpace(m.Venue.Title+"\n"+m.Venue.Address)+"\n"+place(m.Venue.Location))
	case m.Location != nil:
		text = join(text, "📍 "+place(*m.Location))
	case m.Contact != nil:
		card := "👤 " + strings.TrimSpace(m.Contact.FirstName+" "+m.Contact.LastName)
		if m.Contact.PhoneNumber != "" {
			card += "\n" + m.Contact.PhoneNumber
		}
		if m.Contact.UserID != 0 {
			card += "\ntg://user?id=" + strconv.FormatInt(m.Contact.UserID, 10)
		}
		text = join(text, card)
	}
	return files, text
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "\n" + b
}

// place is a location's coordinates and a map link.
func place(l tgbotapi.Location) string {
	lat, lon := strconv.FormatFloat(l.Latitude, 'f', 6, 64), strconv.FormatFloat(l.Longitude, 'f', 6, 64)
	return lat + ", " + lon + "\nhttps://www.openstreetmap.org/?mlat=" + lat + "&mlon=" + lon + "#map=17/" + lat + "/" + lon
}

// withLinks keeps text as plain text and adds the targets of its hidden
// links ("text_link" entities) after the linked words. Entity offsets
// count UTF-16 code units.
func withLinks(text string, entities []tgbotapi.MessageEntity) string {
	if len(entities) == 0 {
		return text
	}
	units := utf16.Encode([]rune(text))
	var b strings.Builder
	last := 0
	for _, e := range entities {
		if e.Type != "text_link" || e.URL == "" {
			continue
		}
		end := e.Offset + e.Length
		if e.Offset < last || e.Length <= 0 || end > len(units) {
			continue // overlapping or out of range: keep the text as it is
		}
		b.WriteString(string(utf16.Decode(units[last:end])))
		b.WriteString(" (" + e.URL + ")")
		last = end
	}
	b.WriteString(string(utf16.Decode(units[last:])))
	return b.String()
}
