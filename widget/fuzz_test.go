package widget

import (
	"bytes"
	"errors"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzDecodeFrame: any bytes from a visitor decode to a frame with a type
// or to a bad_frame refusal; nothing panics, and invalid UTF-8 never
// passes.
func FuzzDecodeFrame(f *testing.F) {
	for _, s := range []string{
		`{"type":"hello","lastSeq":3}`,
		`{"type":"send","clientId":"c-1","text":"hi","attachments":[{"fileId":"x"}]}`,
		`{"type":"typing","typing":true}`, `{"type":"read","seq":9}`, `{"type":"rate","rating":5}`,
		`{"type":"transcript","email":"a@b.c"}`, `{}`, `[]`, `null`, `"send"`, `{"type":1}`,
		"{\"type\":\"send\",\"text\":\"\xff\"}", `{"type":"send","seq":1e999}`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := decodeFrame(data)
		if err != nil {
			var r *refusal
			if !errors.As(err, &r) || r.code != "bad_frame" {
				t.Fatalf("decode %q: %v, want a bad_frame refusal", data, err)
			}
			return
		}
		if fr.Type == "" {
			t.Fatalf("decode %q: a frame without a type passed", data)
		}
		if !utf8.Valid(data) {
			t.Fatalf("decode %q: invalid UTF-8 passed", data)
		}
	})
}

// FuzzParseToken: a presented token is valid only when this widget signed
// it; nothing panics, and what a valid token says is what was signed.
func FuzzParseToken(f *testing.F) {
	w := &Widget{cfg: Config{Secret: bytes.Repeat([]byte("k"), 32), TokenTTL: time.Hour}}
	now := time.Unix(1_800_000_000, 0)
	good, err := w.signToken(visitor{ID: "c1", LineID: "l1"}, now)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{good, good + "x", "x" + good, ".", "..", "a.b", "eyJ2IjoiYyJ9.", good[:len(good)-2]} {
		f.Add(s, "c1", "l1")
	}
	f.Fuzz(func(t *testing.T, tok, id, line string) {
		if v, err := w.parseToken(tok, now); err == nil {
			if v.ID == "" || v.LineID == "" {
				t.Fatalf("token %q parsed to an empty visitor", tok)
			}
		} else if !errors.Is(err, errBadToken) {
			t.Fatalf("token %q: %v, want errBadToken", tok, err)
		}
		// Whatever is signed parses back to itself until it expires.
		if id == "" || line == "" || !utf8.ValidString(id) || !utf8.ValidString(line) {
			return
		}
		signed, err := w.signToken(visitor{ID: id, LineID: line}, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(signed) > maxTokenChars {
			return
		}
		v, err := w.parseToken(signed, now)
		if err != nil || v.ID != id || v.LineID != line {
			t.Fatalf("signed %q/%q parsed back to %+v, %v", id, line, v, err)
		}
		if _, err := w.parseToken(signed, now.Add(2*time.Hour)); !errors.Is(err, errBadToken) {
			t.Fatalf("an expired token parsed: %v", err)
		}
		// One flipped byte anywhere breaks it.
		b := []byte(signed)
		b[len(b)/2] ^= 1
		if v2, err := w.parseToken(string(b), now); err == nil && (v2.ID != id || v2.LineID != line) {
			t.Fatalf("a tampered token parsed to %+v", v2)
		}
	})
}
