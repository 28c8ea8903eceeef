package files_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/inbox/files"
	"go.mongodb.org/mongo-driver/v2/bson"
)

const svgDoc = `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`

func pngBytes(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 3))
	img.Set(1, 1, color.RGBA{R: 255, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// app mounts Upload and Send the way the gateway would; lastErr keeps the
// error Upload returned.
func app(st *files.Store, lastErr *error) *fiber.App { return appBudget(st, lastErr, 0) }

// appBudget is app with an upload budget for every request. Like the
// gateway, it streams bodies and never parses multipart forms ahead.
func appBudget(st *files.Store, lastErr *error, budget int64) *fiber.App {
	a := fiber.New(fiber.Config{BodyLimit: 64 << 10, StreamRequestBody: true, DisablePreParseMultipartForm: true})
	a.Post("/files", func(c *fiber.Ctx) error {
		atts, err := st.Upload(c, "visitor:v1", "line-1", budget)
		*lastErr = err
		switch {
		case errors.Is(err, inbox.ErrQuota):
			return c.SendStatus(fiber.StatusRequestEntityTooLarge)
		case errors.Is(err, files.ErrTooLarge):
			return c.SendStatus(fiber.StatusRequestEntityTooLarge)
		case errors.Is(err, inbox.ErrInvalid):
			return c.SendStatus(fiber.StatusBadRequest)
		case err != nil:
			return err
		}
		return c.JSON(fiber.Map{"files": atts})
	})
	a.Get("/files/:id", func(c *fiber.Ctx) error {
		err := st.Send(c, c.Params("id"))
		if errors.Is(err, inbox.ErrNotFound) {
			return c.SendStatus(fiber.StatusNotFound)
		}
		return err
	})
	return a
}

type part struct {
	name, contentType string
	data              []byte
}

func multipartBody(t *testing.T, parts ...part) (io.Reader, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	if err := w.WriteField("note", "not a file"); err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, p.name))
		if p.contentType != "" {
			h.Set("Content-Type", p.contentType)
		}
		pw, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pw.Write(p.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return &b, w.FormDataContentType()
}

func do(t *testing.T, a *fiber.App, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := a.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func upload(t *testing.T, a *fiber.App, parts ...part) (*http.Response, []inbox.Attachment) {
	t.Helper()
	body, ct := multipartBody(t, parts...)
	req := httptest.NewRequest(http.MethodPost, "/files", body)
	req.Header.Set("Content-Type", ct)
	resp, raw := do(t, a, req)
	var out struct {
		Files []inbox.Attachment `json:"files"`
	}
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%v: %s", err, raw)
		}
	}
	return resp, out.Files
}

func TestUpload(t *testing.T) {
	st, _, ctx := newStore(t, 0)
	var lastErr error
	a := app(st, &lastErr)
	one, two := randomBytes(200<<10, 4), []byte("second file")
	resp, atts := upload(t, a, part{"one.bin", "application/pdf", one}, part{"C:\\docs\\two.txt", "text/plain", two})
	if resp.StatusCode != http.StatusOK || len(atts) != 2 {
		t.Fatalf("status %d, %d attachments, err %v", resp.StatusCode, len(atts), lastErr)
	}
	if atts[0].Name != "one.bin" || atts[0].ContentType != "application/pdf" || atts[0].Size != int64(len(one)) {
		t.Errorf("first = %+v", atts[0])
	}
	if atts[1].Name != "two.txt" || atts[1].ContentType != "text/plain" || atts[1].Size != int64(len(two)) {
		t.Errorf("second = %+v", atts[1])
	}
	for i, want := range [][]byte{one, two} {
		m, err := st.Meta(ctx, atts[i].FileID)
		if err != nil {
			t.Fatal(err)
		}
		if m.Owner != "visitor:v1" || m.Size != int64(len(want)) {
			t.Errorf("meta %d = %+v", i, m)
		}
	}
}

func TestUploadRefusesBadRequests(t *testing.T) {
	st, _, _ := newStore(t, 0)
	var lastErr error
	a := app(st, &lastErr)
	resp, _ := upload(t, a) // multipart, but no "file" part
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("no file part: status %d (%v)", resp.StatusCode, lastErr)
	}
	req := httptest.NewRequest(http.MethodPost, "/files", strings.NewReader(`{"file":"x"}`))
	req.Header.Set("Content-Type", "application/json")
	if resp, _ := do(t, a, req); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("not multipart: status %d (%v)", resp.StatusCode, lastErr)
	}
}

func TestUploadTooLargeRollsBack(t *testing.T) {
	const max = 300 << 10
	st, db, ctx := newStore(t, max)
	var lastErr error
	a := app(st, &lastErr)
	resp, _ := upload(t, a,
		part{"a.txt", "text/plain", []byte("first")},
		part{"b.bin", "", randomBytes(max, 5)},
		part{"huge.bin", "", randomBytes(max+1, 6)},
		part{"d.txt", "text/plain", []byte("never reached")},
	)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413 (%v)", resp.StatusCode, lastErr)
	}
	if !errors.Is(lastErr, files.ErrTooLarge) || !errors.Is(lastErr, fiber.ErrRequestEntityTooLarge) || !strings.Contains(lastErr.Error(), "huge.bin") {
		t.Fatalf("err = %v, want ErrTooLarge and fiber's 413 naming huge.bin", lastErr)
	}
	if f, c := stored(t, ctx, db); f != 0 || c != 0 {
		t.Fatalf("after a refused upload: %d files, %d chunks stored", f, c)
	}
}

// TestUploadBudget: all files of a request together are held to the
// budget; the file that passes it fails the request and nothing of the
// request stays stored.
func TestUploadBudget(t *testing.T) {
	st, db, ctx := newStore(t, 0)
	var lastErr error
	a := appBudget(st, &lastErr, 250<<10)
	resp, atts := upload(t, a, part{"a.bin", "", randomBytes(200<<10, 1)})
	if resp.StatusCode != http.StatusOK || len(atts) != 1 {
		t.Fatalf("within the budget: %d (%v)", resp.StatusCode, lastErr)
	}
	if _, err := st.Meta(ctx, atts[0].FileID); err != nil {
		t.Fatal(err)
	}
	resp, _ = upload(t, a, part{"b.bin", "", randomBytes(200<<10, 2)}, part{"c.bin", "", randomBytes(100<<10, 3)})
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !errors.Is(lastErr, inbox.ErrQuota) {
		t.Fatalf("past the budget: %d, %v; want 413 and ErrQuota", resp.StatusCode, lastErr)
	}
	if f, _ := stored(t, ctx, db); f != 1 {
		t.Fatalf("after a refused upload %d files are stored, want the 1 before it", f)
	}
	used, err := st.Used(ctx, "visitor:v1", "", time.Now().Add(-time.Hour))
	if err != nil || used != 200<<10 {
		t.Fatalf("used by the visitor: %d, %v; want %d", used, err, 200<<10)
	}
	used, err = st.Used(ctx, "", "line-1", time.Now().Add(-time.Hour))
	if err != nil || used != 200<<10 {
		t.Fatalf("used on the line: %d, %v; want %d", used, err, 200<<10)
	}
	if used, _ := st.Used(ctx, "visitor:v1", "", time.Now().Add(time.Hour)); used != 0 {
		t.Fatalf("used since a later time: %d, want 0", used)
	}
}

// TestUploadFileCount: more files than MaxFilesPerUpload is a 400 and
// stores nothing.
func TestUploadFileCount(t *testing.T) {
	st, db, ctx := newStore(t, 0)
	var lastErr error
	a := app(st, &lastErr)
	parts := make([]part, files.MaxFilesPerUpload+1)
	for i := range parts {
		parts[i] = part{fmt.Sprintf("f%d.txt", i), "text/plain", []byte("x")}
	}
	if resp, _ := upload(t, a, parts...); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("%d files: status %d (%v), want 400", len(parts), resp.StatusCode, lastErr)
	}
	if f, c := stored(t, ctx, db); f != 0 || c != 0 {
		t.Fatalf("after a refused upload: %d files, %d chunks stored", f, c)
	}
}

// TestDeleteOrphans: uploads older than the cutoff that no message carries
// are deleted; attached ones and newer ones stay.
func TestDeleteOrphans(t *testing.T) {
	st, db, ctx := newStore(t, 0)
	put := func(name string) inbox.Attachment {
		a, err := st.Put(ctx, "visitor:v1", name, "text/plain", strings.NewReader(name))
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	orphan, sent, comment := put("orphan.txt"), put("sent.txt"), put("comment.txt")
	for _, m := range []bson.M{
		{"_id": "m1", "conversationId": "c1", "comment": false, "attachments": bson.A{bson.M{"fileId": sent.FileID}}},
		{"_id": "m2", "conversationId": "c1", "comment": true, "attachments": bson.A{bson.M{"fileId": comment.FileID}}},
	} {
		if _, err := db.Collection("messages").InsertOne(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := st.DeleteOrphans(ctx, time.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Fatalf("cutoff before the uploads: deleted %d, %v; want 0", n, err)
	}
	if n, err := st.DeleteOrphans(ctx, time.Now().Add(time.Minute)); err != nil || n != 1 {
		t.Fatalf("cutoff after the uploads: deleted %d, %v; want 1", n, err)
	}
	if _, err := st.Meta(ctx, orphan.FileID); !errors.Is(err, inbox.ErrNotFound) {
		t.Fatalf("the orphan is still there: %v", err)
	}
	for _, a := range []inbox.Attachment{sent, comment} {
		if _, err := st.Meta(ctx, a.FileID); err != nil {
			t.Fatalf("attached file %s: %v", a.Name, err)
		}
	}
	if f, c := stored(t, ctx, db); f != 2 || c != 2 {
		t.Fatalf("%d files, %d chunks left, want 2 and 2", f, c)
	}
	if n, err := st.DeleteOrphans(ctx, time.Now().Add(time.Minute)); err != nil || n != 0 {
		t.Fatalf("second sweep: deleted %d, %v; want 0", n, err)
	}
}

// TestSweeperTTL: an unsent upload stays while it is younger than the TTL
// and goes once the (injected) clock passes it.
func TestSweeperTTL(t *testing.T) {
	st, _, ctx := newStore(t, 0)
	clock := time.Now()
	sw := files.Sweeper{Store: st, Now: func() time.Time { return clock }, TTL: 24 * time.Hour}
	a, err := st.Put(ctx, "visitor:v1", "unsent.txt", "text/plain", strings.NewReader("never sent"))
	if err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(23 * time.Hour)
	if n, err := sw.SweepUploads(ctx); err != nil || n != 0 {
		t.Fatalf("after 23 h: swept %d, %v; want 0", n, err)
	}
	clock = clock.Add(2 * time.Hour)
	if n, err := sw.SweepUploads(ctx); err != nil || n != 1 {
		t.Fatalf("after 25 h: swept %d, %v; want 1", n, err)
	}
	if _, err := st.Meta(ctx, a.FileID); !errors.Is(err, inbox.ErrNotFound) {
		t.Fatalf("the unsent upload is still there: %v", err)
	}
}

func get(t *testing.T, a *fiber.App, id string) (*http.Response, []byte) {
	t.Helper()
	return do(t, a, httptest.NewRequest(http.MethodGet, "/files/"+id, nil))
}

// checkSafeHeaders checks the headers every file response carries.
func checkSafeHeaders(t *testing.T, name string, resp *http.Response) {
	t.Helper()
	for h, want := range map[string]string{
		"X-Content-Type-Options":  "nosniff",
		"Content-Security-Policy": "sandbox; default-src 'none'",
		"Cache-Control":           "private",
	} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s: %s = %q, want %q", name, h, got, want)
		}
	}
}

func TestSendInlineImage(t *testing.T) {
	st, _, ctx := newStore(t, 0)
	var lastErr error
	a := app(st, &lastErr)
	img := pngBytes(t)
	// The client calls it text; the bytes say PNG.
	att, err := st.Put(ctx, "agent:a1", "pixel.png", "text/plain", bytes.NewReader(img))
	if err != nil {
		t.Fatal(err)
	}
	resp, body := get(t, a, att.FileID)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, img) {
		t.Fatalf("status %d, %d bytes", resp.StatusCode, len(body))
	}
	if ct := resp.Header.Get("Content-Type"); ct != "image/png" {
		t.Errorf("Content-Type = %q", ct)
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "inline;") || !strings.Contains(cd, `filename="pixel.png"`) {
		t.Errorf("Content-Disposition = %q", cd)
	}
	checkSafeHeaders(t, "png", resp)
	if resp.ContentLength != int64(len(img)) {
		t.Errorf("Content-Length = %d", resp.ContentLength)
	}
	resp, body = do(t, a, httptest.NewRequest(http.MethodHead, "/files/"+att.FileID, nil))
	if resp.StatusCode != http.StatusOK || len(body) != 0 || resp.Header.Get("Content-Type") != "image/png" {
		t.Errorf("HEAD: status %d, %d bytes, %v", resp.StatusCode, len(body), resp.Header)
	}
}

func TestSendDownloads(t *testing.T) {
	st, _, ctx := newStore(t, 0)
	var lastErr error
	a := app(st, &lastErr)
	big := randomBytes(1<<20, 7)
	for _, tc := range []struct {
		name, claim string
		data        []byte
	}{
		{"drawing.svg", "image/svg+xml", []byte(svgDoc)},
		{"page.html", "text/html", []byte("<!DOCTYPE html><html><script>alert(1)</script></html>")},
		{"notes.png", "image/png", []byte("plain text pretending to be a PNG")},
		{"empty.txt", "text/plain", nil},
		{"data.bin", "", big},
	} {
		att, err := st.Put(ctx, "agent:a1", tc.name, tc.claim, bytes.NewReader(tc.data))
		if err != nil {
			t.Fatal(err)
		}
		resp, body := get(t, a, att.FileID)
		if resp.StatusCode != http.StatusOK || !bytes.Equal(body, tc.data) {
			t.Fatalf("%s: status %d, %d bytes", tc.name, resp.StatusCode, len(body))
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/octet-stream" {
			t.Errorf("%s: Content-Type = %q", tc.name, ct)
		}
		want := fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, tc.name, tc.name)
		if cd := resp.Header.Get("Content-Disposition"); cd != want {
			t.Errorf("%s: Content-Disposition = %q, want %q", tc.name, cd, want)
		}
		checkSafeHeaders(t, tc.name, resp)
	}
}

func TestSendSanitisesName(t *testing.T) {
	st, _, ctx := newStore(t, 0)
	var lastErr error
	a := app(st, &lastErr)
	for name, want := range map[string]string{
		"../../etc/passwd\u202Egnp.exe": `attachment; filename="passwdgnp.exe"; filename*=UTF-8''passwdgnp.exe`,
		"отчёт \"Q1\"%.txt":             `attachment; filename="_____ _Q1__.txt"; filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82%20%22Q1%22%25.txt`,
		"a\r\nSet-Cookie: x=1.txt":      `attachment; filename="aSet-Cookie: x=1.txt"; filename*=UTF-8''aSet-Cookie%3A%20x%3D1.txt`,
	} {
		att, err := st.Put(ctx, "visitor:v1", name, "application/x-msdownload", strings.NewReader("MZ"))
		if err != nil {
			t.Fatal(err)
		}
		resp, _ := get(t, a, att.FileID)
		cd := resp.Header.Get("Content-Disposition")
		if cd != want {
			t.Errorf("%q: Content-Disposition = %q, want %q", name, cd, want)
		}
		if resp.Header.Get("Set-Cookie") != "" || strings.Contains(cd, "..") || strings.Contains(cd, "/") || strings.ContainsRune(cd, '\u202E') {
			t.Errorf("%q: unsafe headers %v", name, resp.Header)
		}
	}
}

func TestSendUnknown(t *testing.T) {
	st, _, _ := newStore(t, 0)
	var lastErr error
	a := app(st, &lastErr)
	for _, id := range []string{"0123456789abcdef0123456789abcdef", "..%2F..%2Fetc"} {
		if resp, _ := get(t, a, id); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: status %d", id, resp.StatusCode)
		}
	}
}
