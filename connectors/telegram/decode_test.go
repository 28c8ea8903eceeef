package telegram

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/switchboard-chat/switchboard/inbox"
)

// Updates in the Bot API's own JSON shapes (core.telegram.org/bots/api#update).
const (
	tgFrom    = `"from":{"id":42,"is_bot":false,"first_name":"Anna","last_name":"Kowalska","username":"anna_k"}`
	tgPrivate = `"chat":{"id":42,"type":"private","first_name":"Anna"}`
)

func upd(body string) []byte {
	return []byte(`{"update_id":1001,"message":{"message_id":7,` + tgFrom + `,` + tgPrivate + `,"date":1700000000,` + body + `}}`)
}

func TestTranslateEveryKind(t *testing.T) {
	cases := []struct {
		name      string
		raw       []byte
		text      string // substring the text must hold
		files     []string
		phone     string
		startWith string
	}{
		{"text", upd(`"text":"Hello"`), "Hello", nil, "", ""},
		{"hidden link", upd(`"text":"see our shop ✨ now","entities":[{"type":"text_link","offset":4,"length":8,"url":"https://shop.example"}]`),
			"see our shop (https://shop.example) ✨ now", nil, "", ""},
		{"link after an emoji counts UTF-16", upd(`"text":"😀 docs","entities":[{"type":"text_link","offset":3,"length":4,"url":"https://d.example"}]`),
			"😀 docs (https://d.example)", nil, "", ""},
		{"photo takes the largest", upd(`"photo":[{"file_id":"small","file_unique_id":"s","width":90,"height":90,"file_size":1000},{"file_id":"big","file_unique_id":"b","width":1280,"height":960,"file_size":90000},{"file_id":"mid","file_unique_id":"m","width":320,"height":240}],"caption":"our invoice"`),
			"our invoice", []string{"big:photo_7.jpg:image/jpeg"}, "", ""},
		{"document", upd(`"document":{"file_id":"d1","file_unique_id":"u","file_name":"contract.pdf","mime_type":"application/pdf","file_size":5000}`),
			"", []string{"d1:contract.pdf:application/pdf"}, "", ""},
		{"audio", upd(`"audio":{"file_id":"a1","file_unique_id":"u","duration":3,"mime_type":"audio/mpeg","file_size":5}`), "", []string{"a1:audio_7.mp3:audio/mpeg"}, "", ""},
		{"voice", upd(`"voice":{"file_id":"v1","file_unique_id":"u","duration":3,"mime_type":"audio/ogg"}`), "", []string{"v1:voice_7.ogg:audio/ogg"}, "", ""},
		{"video", upd(`"video":{"file_id":"vi","file_unique_id":"u","width":1,"height":1,"duration":3}`), "", []string{"vi:video_7.mp4:video/mp4"}, "", ""},
		{"video note", upd(`"video_note":{"file_id":"vn","file_unique_id":"u","length":240,"duration":3}`), "", []string{"vn:video_note_7.mp4:video/mp4"}, "", ""},
		{"animation", upd(`"animation":{"file_id":"an","file_unique_id":"u","width":1,"height":1,"duration":1,"file_name":"cat.mp4","mime_type":"video/mp4"}`), "", []string{"an:cat.mp4:video/mp4"}, "", ""},
		{"still sticker", upd(`"sticker":{"file_id":"st","file_unique_id":"u","width":512,"height":512,"is_animated":false,"emoji":"👍"}`), "👍", []string{"st:sticker_7.webp:image/webp"}, "", ""},
		{"animated sticker is its emoji", upd(`"sticker":{"file_id":"st","file_unique_id":"u","width":512,"height":512,"is_animated":true,"emoji":"🎉"}`), "🎉", nil, "", ""},
		{"location", upd(`"location":{"latitude":52.2297,"longitude":21.0122}`), "52.229700, 21.012200\nhttps://www.openstreetmap.org/?mlat=52.229700&mlon=21.012200", nil, "", ""},
		{"venue", upd(`"location":{"latitude":52.2,"longitude":21.0},"venue":{"location":{"latitude":52.2,"longitude":21.0},"title":"Café Nowy","address":"Marszałkowska 1"}`), "Café Nowy\nMarszałkowska 1\n52.200000, 21.000000", nil, "", ""},
		{"someone else's contact is a card", upd(`"contact":{"phone_number":"+48600100200","first_name":"Jan","user_id":77}`), "👤 Jan\n+48600100200", nil, "", ""},
		{"own contact fills the phone", upd(`"contact":{"phone_number":"+48600999888","first_name":"Anna","user_id":42}`), "+48600999888", nil, "+48600999888", ""},
		{"start with payload", upd(`"text":"/start crm-4711"`), "/start crm-4711", nil, "", "crm-4711"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u, err := decodeUpdate(tc.raw)
			if err != nil {
				t.Fatal(err)
			}
			in := translate(u, false)
			if in.Kind != inMessage {
				t.Fatalf("kind %v (%s), want a message", in.Kind, in.Why)
			}
			if !strings.Contains(in.Text, tc.text) {
				t.Errorf("text %q, want it to hold %q", in.Text, tc.text)
			}
			var files []string
			for _, f := range in.Files {
				files = append(files, f.ID+":"+f.Name+":"+f.ContentType)
			}
			if strings.Join(files, ",") != strings.Join(tc.files, ",") {
				t.Errorf("files %v, want %v", files, tc.files)
			}
			if in.Phone != tc.phone || in.StartParam != tc.startWith {
				t.Errorf("phone %q start %q, want %q %q", in.Phone, in.StartParam, tc.phone, tc.startWith)
			}
			if in.FromID != 42 || in.FromUsername != "anna_k" || in.FromName != "Anna Kowalska" || in.ChatID != 42 || in.MessageID != 7 {
				t.Errorf("sender %+v", in)
			}
		})
	}
}

func TestTranslateRepliesAlbumsEditsAndIgnored(t *testing.T) {
	u, _ := decodeUpdate(upd(`"text":"yes","reply_to_message":{"message_id":5,` + tgPrivate + `,"date":1,"text":"ok?"}`))
	if in := translate(u, false); in.ReplyTo != 5 {
		t.Errorf("reply to %d, want 5", in.ReplyTo)
	}
	u, _ = decodeUpdate(upd(`"media_group_id":"g1","photo":[{"file_id":"p","file_unique_id":"u","width":1,"height":1}]`))
	if in := translate(u, false); in.AlbumID != "g1" || len(in.Files) != 1 {
		t.Errorf("album part %+v", in)
	}
	u, _ = decodeUpdate([]byte(`{"update_id":5,"edited_message":{"message_id":7,` + tgFrom + `,` + tgPrivate + `,"date":1,"edit_date":2,"text":"fixed"}}`))
	if in := translate(u, false); in.Kind != inEdit || in.Text != "fixed" || in.MessageID != 7 {
		t.Errorf("edit %+v", in)
	}
	group := []byte(`{"update_id":6,"message":{"message_id":1,` + tgFrom + `,"chat":{"id":-100123,"type":"supergroup","title":"Team"},"date":1,"text":"hi all"}}`)
	u, _ = decodeUpdate(group)
	if in := translate(u, false); in.Kind != inIgnore {
		t.Errorf("group message taken without allowGroups: %+v", in)
	}
	if in := translate(u, true); in.Kind != inMessage || !in.Group || in.ChatID != -100123 || in.ChatTitle != "Team" || in.FromName != "Anna Kowalska" {
		t.Errorf("group message with allowGroups: %+v", in)
	}
	channel := []byte(`{"update_id":7,"channel_post":{"message_id":1,"chat":{"id":-100999,"type":"channel","title":"News"},"date":1,"text":"post"}}`)
	u, _ = decodeUpdate(channel)
	if in := translate(u, false); in.Kind != inIgnore {
		t.Errorf("channel post taken: %+v", in)
	}
	for _, raw := range []string{
		`{"update_id":8,"callback_query":{"id":"1","from":{"id":1,"is_bot":false,"first_name":"x"},"chat_instance":"c"}}`,
		`{"update_id":9,"message":{"message_id":1,` + tgFrom + `,` + tgPrivate + `,"date":1,"new_chat_title":"x"}}`,
		`{"update_id":10,"message":{"message_id":1,"from":{"id":9,"is_bot":true,"first_name":"b"},` + tgPrivate + `,"date":1,"text":"bot"}}`,
	} {
		u, err := decodeUpdate([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		if in := translate(u, false); in.Kind != inIgnore {
			t.Errorf("%s taken: %+v", raw, in)
		}
	}
	for _, bad := range []string{``, `[]`, `{"update_id":"x"}`, `{"message":{}}`, `{"update_id":-3}`} {
		if _, err := decodeUpdate([]byte(bad)); err == nil {
			t.Errorf("%q decoded", bad)
		}
	}
}

func TestPlanSplitsAsTelegramRequires(t *testing.T) {
	img := func(n string) inbox.Attachment {
		return inbox.Attachment{FileID: n, Name: n + ".png", ContentType: "image/png", Size: 1}
	}
	doc := inbox.Attachment{FileID: "d", Name: "d.pdf", ContentType: "application/pdf", Size: 1}
	long := strings.Repeat("word ", 2000) // 10,000 characters
	cases := []struct {
		name string
		m    inbox.Message
		want string
	}{
		{"text", inbox.Message{Text: "hi"}, "text"},
		{"long text is split", inbox.Message{Text: long}, "text,text,text"},
		{"text and two images: an album with a caption", inbox.Message{Text: "see", Attachments: []inbox.Attachment{img("a"), img("b")}}, "album(see)"},
		{"long caption goes as text first", inbox.Message{Text: strings.Repeat("x", 1100), Attachments: []inbox.Attachment{img("a")}}, "text,photo"},
		{"images and a document", inbox.Message{Attachments: []inbox.Attachment{img("a"), doc}}, "photo,document"},
		{"eleven images: two albums", inbox.Message{Attachments: []inbox.Attachment{img("1"), img("2"), img("3"), img("4"), img("5"), img("6"), img("7"), img("8"), img("9"), img("10"), img("11")}}, "album,photo"},
	}
	for _, tc := range cases {
		var got []string
		for _, p := range plan(&tc.m) {
			s := p.kind
			if p.text != "" && p.kind != "text" {
				s += "(" + p.text + ")"
			}
			got = append(got, s)
		}
		if strings.Join(got, ",") != tc.want {
			t.Errorf("%s: %v, want %s", tc.name, got, tc.want)
		}
	}
	parts := splitText(strings.TrimSpace(long), MaxTextUnits)
	if strings.Join(parts, " ") != strings.TrimSpace(long) {
		t.Error("split text does not join back")
	}
	for _, p := range parts {
		if units(p) > MaxTextUnits {
			t.Errorf("piece of %d units", units(p))
		}
	}
	emoji := strings.Repeat("😀", 3000) // 6,000 UTF-16 units
	for _, p := range splitText(emoji, MaxTextUnits) {
		if units(p) > MaxTextUnits || !utf8.ValidString(p) {
			t.Errorf("emoji piece of %d units", units(p))
		}
	}
}

// FuzzDecodeUpdate: no update, however malformed, panics the decoder or
// the translation, and a translated message is valid UTF-8.
func FuzzDecodeUpdate(f *testing.F) {
	f.Add(upd(`"text":"Hello"`))
	f.Add(upd(`"text":"😀 docs","entities":[{"type":"text_link","offset":3,"length":400,"url":"https://d.example"}]`))
	f.Add(upd(`"photo":[{"file_id":"small","file_unique_id":"s","width":90,"height":90}],"media_group_id":"1"`))
	f.Add([]byte(`{"update_id":5,"edited_message":{"message_id":7,"chat":{"id":1,"type":"private"},"date":1,"text":"x"}}`))
	f.Add([]byte(`{"update_id":1,"message":{"message_id":1,"chat":{"id":1,"type":"private"},"date":1,"text":"x","entities":[{"type":"text_link","offset":-1,"length":2,"url":"u"}]}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		u, err := decodeUpdate(raw)
		if err != nil {
			return
		}
		for _, groups := range []bool{false, true} {
			in := translate(u, groups)
			if in.Kind == inMessage && !utf8.ValidString(in.Text) && utf8.Valid(raw) {
				t.Errorf("text %q is not UTF-8", in.Text)
			}
		}
	})
}
