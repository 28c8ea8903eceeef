package mailparse

import (
	"strings"
	"testing"
)

func TestFoldQuotes(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"gmail english", "Thanks!\n\nOn Mon, Mar 4, 2024 at 10:00 AM Ann <ann@example.com> wrote:\n\n> Hi\n> there\n", "Thanks!"},
		{"gmail wrapped", "Ok.\n\nOn Mon, Mar 4, 2024 at 10:00 AM Ann Long-Name <ann.long-name@example.com>\nwrote:\n> Hi\n", "Ok."},
		{"gmail german", "Danke.\n\nAm Mo., 4. März 2024 um 10:00 Uhr schrieb Ann <ann@example.com>:\n> Hallo\n", "Danke."},
		{"thunderbird german", "Danke.\n\nAm 04.03.24 um 10:00 schrieb Ann:\n> Hallo\n", "Danke."},
		{"polish", "Dzięki.\n\nW dniu pon., 4 mar 2024 o 10:00 Ann <ann@example.com> napisał(a):\n> Cześć\n", "Dzięki."},
		{"russian gmail", "Спасибо.\n\nпн, 4 мар. 2024 г. в 10:00, Анна <ann@example.com>:\n> Привет\n", "Спасибо."},
		{"russian thunderbird", "Спасибо.\n\n04.03.2024 10:00, Анна пишет:\n> Привет\n", "Спасибо."},
		{"outlook original", "Fine.\n\n-----Original Message-----\nFrom: Ann\nSent: Monday\nTo: Bob\nSubject: x\n\nold\n", "Fine."},
		{"outlook german", "Gut.\n\n-----Ursprüngliche Nachricht-----\nVon: Ann\nGesendet: Montag\nAn: Bob\nBetreff: x\n", "Gut."},
		{"outlook russian block", "Хорошо.\n\nОт: Анна <ann@example.com>\nОтправлено: 4 марта 2024 г. 10:00\nКому: Боб\nТема: вопрос\n\nстарое\n", "Хорошо."},
		{"outlook bold", "Yes.\n\n*From:* Ann <ann@example.com>\n*Sent:* Monday\n*To:* Bob\n*Subject:* x\n", "Yes."},
		{"trailing quote", "Answer.\n\n> question\n> more\n", "Answer."},
		{"signature", "Text.\n\n-- \nAnn\nCEO\n", "Text."},
		{"signature then quote", "Text.\n-- \nAnn\n\nOn Mon, Mar 4, 2024 Bob <b@example.com> wrote:\n> q\n", "Text."},
		// Conservative cases: keep.
		{"interleaved", "On Mon, Mar 4, 2024 Bob <b@example.com> wrote:\n> q1\na1\n> q2\na2\n", "On Mon, Mar 4, 2024 Bob <b@example.com> wrote:\n> q1\na1\n> q2\na2"},
		{"attribution without quote", "Hi\n\nOn Monday you wrote:\nsomething unquoted\n", "Hi\n\nOn Monday you wrote:\nsomething unquoted"},
		{"forward", "See below.\n\n---------- Forwarded message ---------\nFrom: A <a@example.com>\nDate: Mon\nSubject: x\nTo: b@example.com\n\nbody\n", "See below.\n\n---------- Forwarded message ---------\nFrom: A <a@example.com>\nDate: Mon\nSubject: x\nTo: b@example.com\n\nbody"},
		{"long text after dashes", "Intro\n--\n" + strings.Repeat("line\n", 20), "Intro\n--\n" + strings.TrimSpace(strings.Repeat("line\n", 20))},
		{"only a quote", "> all quoted\n> text\n", "> all quoted\n> text"},
		{"only a signature", "-- \nAnn\n", "-- \nAnn"},
		{"from in prose", "From: my side all is fine.\nThanks\n", "From: my side all is fine.\nThanks"},
	}
	for _, c := range cases {
		if got := foldQuotes(c.in); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

func TestDecodeHeader(t *testing.T) {
	cases := []struct{ in, fallback, want string }{
		{"=?UTF-8?Q?Gr=C3=BC=C3=9Fe?=", "", "Grüße"},
		{"=?UTF-8?B?0J/RgNC40LLQtdGC?= =?UTF-8?B?LCDQvNC40YA=?=", "", "Привет, мир"},
		{"=?utf-8?B?0J/R?= =?utf-8?B?gNC4?=", "", "При"}, // a character split across words
		{"=?koi8-r?B?8NLJ?= =?koi8-r?B?18XU?=", "", "Привет"},
		{"=?iso-8859-1?Q?caf=E9?= =?utf-8?Q?_=E2=82=AC?=", "", "café €"},
		{"Re: =?utf-8?q?Hallo?= Welt", "", "Re: Hallo Welt"},
		{"=?utf-8*de?Q?Hallo?=", "", "Hallo"},
		{"=?utf-8?B?SGFsbG8?=", "", "Hallo"}, // no padding
		{"=?x-unknown?Q?caf=E9?=", "", "café"},
		{"=?utf-8?Q?unterminated", "", "=?utf-8?Q?unterminated"},
		{"plain \xe4", "", "plain ä"},
		{"\xcf\xf0\xe8\xe2\xe5\xf2", "windows-1251", "Привет"},
		{"\x1b$B@A5a=q\x1b(B", "", "請求書"},
	}
	for _, c := range cases {
		if got := decodeHeader(c.in, c.fallback); got != c.want {
			t.Errorf("decodeHeader(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestMediaType(t *testing.T) {
	cases := []struct {
		in, key, wantType, wantValue string
	}{
		{`text/plain; charset="UTF-8"`, "charset", "text/plain", "UTF-8"},
		{`TEXT/HTML; CHARSET=iso-8859-1`, "charset", "text/html", "iso-8859-1"},
		{`attachment; filename*=UTF-8''%D0%A1%D1%87%D0%B5%D1%82.pdf`, "filename", "attachment", "Счет.pdf"},
		{`attachment; filename*=windows-1251''%D1%F7%E5%F2.pdf`, "filename", "attachment", "Счет.pdf"},
		{`attachment; filename*0*=UTF-8''%D0%A1; filename*1*=%D1%87%D0%B5%D1%82; filename*2=".pdf"`, "filename", "attachment", "Счет.pdf"},
		{`application/pdf; name="=?UTF-8?B?0KHRh9C10YIucGRm?="`, "name", "application/pdf", "Счет.pdf"},
		{`attachment; filename=my file.pdf`, "filename", "attachment", "my file.pdf"},
		{`attachment; filename="a.pdf"; filename="a.pdf"`, "filename", "attachment", "a.pdf"},
		{`text/plain; charset=us-ascii (Plain text)`, "charset", "text/plain", "us-ascii"},
		{`multipart/mixed; boundary="----=_Part_1_2.3"`, "boundary", "multipart/mixed", "----=_Part_1_2.3"},
		{`text`, "charset", "text/plain", ""},
	}
	for _, c := range cases {
		mt, params := mediaType(c.in, "text/plain")
		if c.wantType == "attachment" {
			mt, params = mediaType(c.in, "")
		}
		if mt != c.wantType || params[c.key] != c.wantValue {
			t.Errorf("mediaType(%q) = %q, %q=%q; want %q, %q", c.in, mt, c.key, params[c.key], c.wantType, c.wantValue)
		}
	}
}

func TestSanitizeHTML(t *testing.T) {
	in := `<p onclick="x()">Hi <a href="javascript:alert(1)">js</a> <a href="/relative">rel</a> <a href="https://ok.example/">ok</a></p>` +
		`<img src="https://remote.example/a.png" onerror="x()"><img src="cid:part1@x"><img src="data:image/png;base64,iVBORw0KGgo=">` +
		`<script>bad()</script><iframe src="https://x.example"></iframe><form><input name=a></form>` +
		`<div style="color: blue; background: url(https://t.example/x.png)">styled</div>`
	out, remote := sanitizeHTML(in)
	for _, bad := range []string{"onclick", "onerror", "javascript:", "<script", "bad()", "<iframe", "<form", "<input", "url(", `<img src="https://remote`, `href="/relative"`} {
		if strings.Contains(out, bad) {
			t.Errorf("sanitised HTML holds %q: %s", bad, out)
		}
	}
	for _, good := range []string{`data-remote-src="https://remote.example/a.png"`, `src="cid:part1@x"`, `href="https://ok.example/"`, `style="color: blue"`, "styled", `src="data:image/png;base64,`} {
		if !strings.Contains(out, good) {
			t.Errorf("sanitised HTML lacks %q: %s", good, out)
		}
	}
	if !remote {
		t.Errorf("remote image not reported")
	}
	if _, remote := sanitizeHTML(`<p>no images</p><img src="cid:x">`); remote {
		t.Errorf("remote image reported for cid only")
	}
}

func TestHTMLToText(t *testing.T) {
	in := `<html><head><title>T</title><style>p{}</style></head><body>` +
		`<p>Hello&nbsp;<b>world</b>,</p><p>second   line<br>third</p><ul><li>one</li><li>two</li></ul>` +
		`<a href="https://example.com/x">link</a><script>no()</script>` +
		`<blockquote>quoted<br>more<blockquote>deeper</blockquote></blockquote>after</body></html>`
	want := "Hello world,\n\nsecond line\nthird\n\n- one\n- two\n\nlink <https://example.com/x>\n> quoted\n> more\n> > deeper\nafter"
	if got := htmlToText(in, 1<<20); got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestUnflow(t *testing.T) {
	in := "This is a \nflowed line.\n> quoted \n> flowed\n-- \nsig"
	want := "This is a flowed line.\n> quoted flowed\n-- \nsig"
	if got := unflow(in, false); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := unflow("del \nsp", true); got != "delsp" {
		t.Errorf("delsp: got %q", got)
	}
}

func TestMadeUpNames(t *testing.T) {
	long := safeFileName(strings.Repeat("я", 300) + ".pdf")
	cases := []struct{ got, want string }{
		{madeUpName("image/png", 1), "image-1.png"},
		{madeUpName("application/pdf", 2), "attachment-2.pdf"},
		{madeUpName("message/rfc822", 3), "message-3.eml"},
		{madeUpName("application/x-whatever", 4), "attachment-4.bin"},
		{safeFileName(`C:\Users\x\evil.exe`), "evil.exe"},
		{safeFileName("../../etc/passwd"), "passwd"},
		{safeFileName(" a\x00b.txt "), "ab.txt"},
		{safeFileName(" . "), ""},
		{long[len(long)-4:], ".pdf"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	if len(long) > 200 {
		t.Errorf("long name has %d bytes", len(long))
	}
}

// TestFoldHTML checks that history in HTML-only mail folds once the HTML
// is made text.
func TestFoldHTML(t *testing.T) {
	cases := []struct{ name, html, want string }{
		{"gmail", `<div dir="ltr">New text</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Mon, Mar 4, 2024 at 10:00 AM Ann &lt;<a href="mailto:ann@example.com">ann@example.com</a>&gt; wrote:<br></div><blockquote class="gmail_quote">Old text</blockquote></div>`, "New text"},
		{"outlook", `<div><p class="MsoNormal">New text</p><div style="border:none;border-top:solid #E1E1E1 1.0pt"><p class="MsoNormal"><b>From:</b> Ann &lt;ann@example.com&gt;<br><b>Sent:</b> Monday, March 4, 2024 10:00 AM<br><b>To:</b> Bob<br><b>Subject:</b> Hello</p></div><p class="MsoNormal">Old text</p></div>`, "New text"},
		{"outlook russian", `<p class="MsoNormal">Новый текст</p><div><p class="MsoNormal"><b>От:</b> Анна<br><b>Отправлено:</b> 4 марта 2024 г.<br><b>Кому:</b> Боб<br><b>Тема:</b> Привет</p></div><p>Старый текст</p>`, "Новый текст"},
		{"yandex", `<div>Новый текст</div><div>&nbsp;</div><div>04.03.2024, 10:00, "Анна" &lt;ann@example.ru&gt;:</div><blockquote><div>Старый текст</div></blockquote>`, "Новый текст"},
		{"mail.ru", `<div>Новый текст</div><br>Понедельник, 4 марта 2024, 10:00 +03:00 от Анна &lt;ann@example.ru&gt;:<br><blockquote style="border-left:1px solid #0857A6"><div>Старый текст</div></blockquote>`, "Новый текст"},
	}
	for _, c := range cases {
		text := htmlToText(c.html, 1<<20)
		if got := foldQuotes(text); got != c.want {
			t.Errorf("%s: got %q from %q", c.name, got, text)
		}
	}
}
