package mailparse

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime/quotedprintable"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// entity reads one MIME entity whose header is h and whose raw body is
// body, depth multiparts down. parent is the subtype of the enclosing
// multipart ("mixed", "alternative", "related", "report", "digest"), "" at
// the top.
func (p *parser) entity(h textproto.Header, body io.Reader, depth int, parent string) {
	def := "text/plain"
	if parent == "digest" {
		def = "message/rfc822"
	}
	mt, params := mediaType(h.Get("Content-Type"), def)
	disp, dparams := mediaType(h.Get("Content-Disposition"), "")
	name := dparams["filename"]
	if name == "" {
		name = params["name"]
	}

	switch {
	case strings.HasPrefix(mt, "multipart/"):
		p.multipart(mt, params, body, depth)
	case p.report != nil && (mt == "message/delivery-status" || mt == "message/global-delivery-status"):
		p.deliveryStatus(p.decoded(h, body))
	case p.report != nil && mt == "text/rfc822-headers":
		p.originalHeaders(p.decoded(h, body))
	case (mt == "text/plain" || mt == "text/html") && (depth == 0 || disp != "attachment" && name == ""):
		p.text(mt, params, h, body)
	default:
		p.attachment(mt, name, disp, h, body, parent)
	}
}

// multipart reads the parts of a multipart entity, within MaxParts and
// MaxDepth.
func (p *parser) multipart(mt string, params map[string]string, body io.Reader, depth int) {
	if depth >= p.l.MaxDepth {
		if p.once("depth") {
			p.note(fmt.Sprintf("MIME parts nested deeper than %d levels were ignored", p.l.MaxDepth))
		}
		return
	}
	boundary := params["boundary"]
	if boundary == "" {
		p.note("a multipart part has no boundary and was ignored")
		return
	}
	sub := strings.TrimPrefix(mt, "multipart/")
	if sub == "report" && strings.EqualFold(params["report-type"], "delivery-status") && p.report == nil && depth == 0 {
		p.report = &Bounce{}
	}
	mr := textproto.NewMultipartReader(body, boundary)
	for !p.stop {
		part, err := mr.NextPart()
		if err == io.EOF {
			return
		}
		if err != nil {
			if !p.src.truncated && !errors.Is(err, errHeaderTooBig) && !p.flags["eof"] {
				p.note("the MIME structure is broken (" + clip(err.Error(), 80) + "); the parts after the break were ignored")
			}
			return
		}
		p.parts++
		if p.parts > p.l.MaxParts {
			p.stop = true
			p.note(fmt.Sprintf("the mail has more than %d MIME parts; the rest were ignored", p.l.MaxParts))
			return
		}
		p.entity(part.Header, part, depth+1, sub)
	}
}

// decoded undoes the Content-Transfer-Encoding of a body.
func (p *parser) decoded(h textproto.Header, body io.Reader) io.Reader {
	switch enc := strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))); enc {
	case "quoted-printable":
		return quotedprintable.NewReader(body)
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, &base64Filter{r: body})
	case "", "7bit", "8bit", "binary", "none", "7-bit", "8-bit":
		return body
	default:
		if p.once("cte:" + enc) {
			p.note(fmt.Sprintf("unknown transfer encoding %q; the part was kept as it is", clip(enc, 40)))
		}
		return body
	}
}

// readUpTo reads at most n bytes of r; more reports whether r went on.
// The rest of r is left for the multipart reader to skip.
func readUpTo(r io.Reader, n int64) (data []byte, more bool, err error) {
	data, err = io.ReadAll(io.LimitReader(r, n))
	if err != nil {
		return data, false, err
	}
	var one [1]byte
	k, _ := io.ReadFull(r, one[:])
	return data, k > 0, nil
}

// readCapped reads r to its end. It returns what it read when that is at
// most limit bytes, else nil and the size. Reading in chunks keeps the
// peak memory near the limit (io.ReadAll's growing copies would double it).
func readCapped(r io.Reader, limit int64) (data []byte, total int64, err error) {
	var chunks [][]byte
	join := func() []byte {
		if len(chunks) == 1 {
			return chunks[0]
		}
		return bytes.Join(chunks, nil)
	}
	for size := 4 << 10; total <= limit; size = min(2*size, 1<<20) {
		buf := make([]byte, size)
		n := 0
		var rerr error
		for n < size && rerr == nil {
			var k int
			k, rerr = r.Read(buf[n:])
			n += k
		}
		total += int64(n)
		if n > 0 {
			chunks = append(chunks, buf[:n:n])
		}
		if rerr == io.EOF {
			return join(), total, nil
		}
		if rerr != nil {
			return join(), total, rerr
		}
	}
	chunks = nil
	n, err := io.Copy(io.Discard, r)
	return nil, total + n, err
}

// text reads a text/plain or text/html body part.
func (p *parser) text(mt string, params map[string]string, h textproto.Header, body io.Reader) {
	limit := int64(3 * p.l.MaxTextBytes)
	if mt == "text/html" {
		limit = int64(p.l.MaxHTMLBytes)
	}
	raw, more, err := readUpTo(p.decoded(h, body), limit)
	if err != nil {
		p.brokenPart(mt, err)
	}
	label := params["charset"]
	if label == "" && mt == "text/html" {
		label = htmlCharset(raw)
	}
	if p.bodyCharset == "" && !isUTF8Label(label) {
		p.bodyCharset = label
	}
	s, problem := decodeCharset(label, raw)
	p.charsetNote(label, problem)
	s = string(normalizeNewlines([]byte(s)))
	if mt == "text/html" {
		if more || len(s) > p.l.MaxHTMLBytes {
			s = cutUTF8(s, p.l.MaxHTMLBytes)
			p.note(fmt.Sprintf("the HTML part is longer than %s and was cut", size(int64(p.l.MaxHTMLBytes))))
		}
		p.html = append(p.html, s)
		return
	}
	if strings.EqualFold(params["format"], "flowed") {
		s = unflow(s, strings.EqualFold(params["delsp"], "yes"))
	}
	if p.report != nil && p.reportTxt == "" {
		p.reportTxt = firstLines(s, 3)
	}
	s = strings.TrimRight(s, " \t\n")
	room := p.l.MaxTextBytes - p.plainLen
	if more || len(s) > room {
		s = cutUTF8(s, max(room, 0))
		p.textCutNote()
	}
	if s != "" {
		p.plain = append(p.plain, s)
		p.plainLen += len(s) + 2
	}
}

// charsetNote explains a charset guess.
func (p *parser) charsetNote(label, problem string) {
	switch problem {
	case "unknown":
		p.note(fmt.Sprintf("unknown charset %q; the text is shown as best-effort UTF-8", clip(label, 40)))
	case "invalid-utf8":
		p.note("a text part said to be UTF-8 is not valid UTF-8; broken characters were replaced")
	case "undeclared":
		if label == "" {
			p.note("a text part has no charset and is not UTF-8; it was read as windows-1252")
		} else {
			p.note(fmt.Sprintf("a text part said to be %s holds 8-bit characters; it was read as windows-1252", clip(label, 40)))
		}
	}
}

func (p *parser) brokenPart(mt string, err error) {
	switch {
	case p.src.truncated:
	case errors.Is(err, io.ErrUnexpectedEOF):
		if p.once("eof") {
			p.note("the mail ends inside a MIME part (its closing boundary is missing); what was read is kept")
		}
	default:
		p.note(fmt.Sprintf("a part of type %s could not be read to its end (%s); what was read is kept", mt, clip(err.Error(), 80)))
	}
}

// attachment keeps a part as a Part, within MaxFileBytes.
func (p *parser) attachment(mt, name, disp string, h textproto.Header, body io.Reader, parent string) {
	data, total, err := readCapped(p.decoded(h, body), p.l.MaxFileBytes)
	if err != nil {
		p.brokenPart(mt, err)
	}
	isMessage := mt == "message/rfc822" || mt == "message/global"
	if isMessage && p.report != nil {
		p.originalHeaders(bytes.NewReader(data))
	}
	name = safeFileName(name)
	if name == "" && isMessage {
		if subj := safeFileName(p.innerSubject(data)); subj != "" {
			name = subj + ".eml"
		}
	}
	if name == "" {
		name = madeUpName(mt, len(p.m.Parts)+1)
	}
	if data == nil && total > 0 {
		p.note(fmt.Sprintf("attachment %q (%s) is larger than %s and was not kept", name, sizeOf(total), size(p.l.MaxFileBytes)))
		return
	}
	cid := strings.TrimSpace(h.Get("Content-Id"))
	cid = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(cid, "<"), ">"))
	inline := disp == "inline" || (disp == "" && cid != "" && parent == "related")
	p.m.Parts = append(p.m.Parts, Part{
		Name:        name,
		ContentType: mt,
		ContentID:   cid,
		Inline:      inline,
		Data:        data,
	})
}

// sizeOf formats the size of a skipped attachment.
func sizeOf(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%d bytes, %.1f MiB", n, float64(n)/(1<<20))
	case n >= 10<<10:
		return fmt.Sprintf("%d bytes, %d KiB", n, n>>10)
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}

// innerSubject reads the Subject of an attached message.
func (p *parser) innerSubject(data []byte) string {
	h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(data)))
	if err != nil && h.Len() == 0 {
		return ""
	}
	return p.headerText(h.Get("Subject"))
}

// base64Filter passes on only the base64 alphabet, so line breaks, spaces
// and stray characters do not stop the decoder.
type base64Filter struct{ r io.Reader }

func (f *base64Filter) Read(b []byte) (int, error) {
	for {
		n, err := f.r.Read(b)
		k := 0
		for _, c := range b[:n] {
			if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '=' {
				b[k] = c
				k++
			}
		}
		if k > 0 || err != nil {
			return k, err
		}
	}
}

// firstLines returns up to n non-blank lines of s, joined by spaces.
func firstLines(s string, n int) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
			if len(out) == n {
				break
			}
		}
	}
	return clip(strings.Join(out, " "), 300)
}
