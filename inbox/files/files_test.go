package files_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/inbox/files"
	"github.com/switchboard-chat/switchboard/inbox/inboxtest"
)

var engine *inboxtest.Engine

func TestMain(m *testing.M) { inboxtest.Main(m, &engine) }

// newStore gives a files store over a fresh database, with its indexes.
func newStore(t *testing.T, maxBytes int64) (*files.Store, *mongo.Database, context.Context) {
	t.Helper()
	db := engine.Store(t).Database()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	st := files.New(db, maxBytes)
	if err := st.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	return st, db, ctx
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// stored counts the documents of the GridFS bucket.
func stored(t *testing.T, ctx context.Context, db *mongo.Database) (filesN, chunksN int64) {
	t.Helper()
	var err error
	if filesN, err = db.Collection("files.files").CountDocuments(ctx, bson.D{}); err != nil {
		t.Fatal(err)
	}
	if chunksN, err = db.Collection("files.chunks").CountDocuments(ctx, bson.D{}); err != nil {
		t.Fatal(err)
	}
	return filesN, chunksN
}

func TestPutOpenRoundTrip(t *testing.T) {
	st, _, ctx := newStore(t, 0)
	data := randomBytes(3<<20, 1)
	before := time.Now().Add(-time.Second)
	att, err := st.Put(ctx, "agent:a1", "report.bin", "application/x-custom", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if att.Size != int64(len(data)) || att.Name != "report.bin" || att.ContentType != "application/x-custom" || len(att.FileID) != 32 {
		t.Fatalf("attachment = %+v", att)
	}
	rc, m, err := st.Open(ctx, att.FileID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes, not the %d stored", len(got), len(data))
	}
	meta, err := st.Meta(ctx, att.FileID)
	if err != nil {
		t.Fatal(err)
	}
	for _, mm := range []*files.Meta{m, meta} {
		if mm.ID != att.FileID || mm.Name != "report.bin" || mm.ContentType != "application/x-custom" ||
			mm.Size != int64(len(data)) || mm.Owner != "agent:a1" || mm.CreatedAt.Before(before) || mm.CreatedAt.After(time.Now()) {
			t.Fatalf("meta = %+v", mm)
		}
	}
	if meta.Attachment() != att {
		t.Fatalf("meta.Attachment() = %+v, want %+v", meta.Attachment(), att)
	}
	owner, desc, err := st.Owner(ctx, att.FileID)
	if err != nil || owner != "agent:a1" || desc != att {
		t.Fatalf("Owner = %q, %+v, %v", owner, desc, err)
	}
}

func TestConcurrentPuts(t *testing.T) {
	st, _, ctx := newStore(t, 0)
	data := randomBytes(100<<10, 8)
	errs := make(chan error, 8)
	for range cap(errs) {
		go func() {
			att, err := st.Put(ctx, "agent:a1", "same.bin", "", bytes.NewReader(data))
			if err == nil {
				var rc io.ReadCloser
				if rc, _, err = st.Open(ctx, att.FileID); err == nil {
					var got []byte
					got, err = io.ReadAll(rc)
					_ = rc.Close()
					if err == nil && !bytes.Equal(got, data) {
						err = errors.New("content differs")
					}
				}
			}
			errs <- err
		}()
	}
	for range cap(errs) {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func TestEmptyFile(t *testing.T) {
	st, _, ctx := newStore(t, 0)
	att, err := st.Put(ctx, "visitor:v1", "", "", strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	if att.Name != "file" || att.Size != 0 {
		t.Fatalf("attachment = %+v", att)
	}
	rc, _, err := st.Open(ctx, att.FileID)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if b, err := io.ReadAll(rc); err != nil || len(b) != 0 {
		t.Fatalf("read %q, %v", b, err)
	}
}

func TestSizeLimit(t *testing.T) {
	const max = 600 << 10 // more than two chunks
	st, db, ctx := newStore(t, max)
	data := randomBytes(max+1, 2)

	_, err := st.Put(ctx, "visitor:v1", "big.bin", "", bytes.NewReader(data))
	if !errors.Is(err, files.ErrTooLarge) || !strings.Contains(err.Error(), "big.bin") {
		t.Fatalf("max+1 bytes: err = %v, want ErrTooLarge naming the file", err)
	}
	if errors.Is(err, fiber.ErrRequestEntityTooLarge) {
		t.Fatalf("Put is not the HTTP edge, yet its error is an HTTP one: %v", err)
	}
	if f, c := stored(t, ctx, db); f != 0 || c != 0 {
		t.Fatalf("after a refused file: %d files, %d chunks stored", f, c)
	}

	// A reader that lies about nothing but never ends is cut off too.
	_, err = st.Put(ctx, "visitor:v1", "endless", "", endless{})
	if !errors.Is(err, files.ErrTooLarge) {
		t.Fatalf("endless reader: err = %v", err)
	}

	att, err := st.Put(ctx, "visitor:v1", "exact.bin", "", bytes.NewReader(data[:max]))
	if err != nil {
		t.Fatalf("exactly max bytes: %v", err)
	}
	if att.Size != max {
		t.Fatalf("size = %d", att.Size)
	}
	if f, c := stored(t, ctx, db); f != 1 || c != 3 {
		t.Fatalf("after one file of 600 KiB: %d files, %d chunks stored, want 1 and 3", f, c)
	}
}

// The driver writes chunks whenever 16 MiB are buffered, so with a larger
// limit a refused file has chunks in the database before the limit is
// reached; they must go too.
func TestSizeLimitPastTheUploadBuffer(t *testing.T) {
	const max = 17 << 20
	st, db, ctx := newStore(t, max)
	data := randomBytes(max+1, 9)
	if _, err := st.Put(ctx, "visitor:v1", "big.bin", "", bytes.NewReader(data)); !errors.Is(err, files.ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	if f, c := stored(t, ctx, db); f != 0 || c != 0 {
		t.Fatalf("after a refused file: %d files, %d chunks stored", f, c)
	}
	att, err := st.Put(ctx, "visitor:v1", "big.bin", "", bytes.NewReader(data[:max]))
	if err != nil {
		t.Fatal(err)
	}
	rc, _, err := st.Open(ctx, att.FileID)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if got, err := io.ReadAll(rc); err != nil || !bytes.Equal(got, data[:max]) {
		t.Fatalf("read back %d bytes, %v", len(got), err)
	}
}

func TestPutReaderError(t *testing.T) {
	st, db, ctx := newStore(t, 0)
	broken := errors.New("connection reset")
	r := io.MultiReader(bytes.NewReader(randomBytes(100<<10, 10)), iotest.ErrReader(broken))
	if _, err := st.Put(ctx, "visitor:v1", "cut.bin", "", r); !errors.Is(err, broken) || !strings.Contains(err.Error(), "cut.bin") {
		t.Fatalf("err = %v, want the reader's error naming the file", err)
	}
	if f, c := stored(t, ctx, db); f != 0 || c != 0 {
		t.Fatalf("after a failed read: %d files, %d chunks stored", f, c)
	}
}

type endless struct{}

func (endless) Read(p []byte) (int, error) { return len(p), nil }

func TestContentTypeRecorded(t *testing.T) {
	st, _, ctx := newStore(t, 0)
	for _, tc := range []struct {
		name, claim string
		data        []byte
		want        string
	}{
		{"png claimed as text", "text/plain", pngBytes(t), "image/png"},
		{"text claiming png", "image/png", []byte("just text"), "application/octet-stream"},
		{"text claiming jpeg", "image/jpeg; q=1", []byte("just text"), "application/octet-stream"},
		{"svg", "image/svg+xml", []byte(svgDoc), "image/svg+xml"},
		{"html", "text/html; charset=UTF-8; x=y", []byte("<html></html>"), "text/html; charset=utf-8"},
		{"garbage claim", "not a type", []byte("x"), "application/octet-stream"},
		{"no claim", "", []byte("x"), "application/octet-stream"},
	} {
		att, err := st.Put(ctx, "agent:a1", tc.name, tc.claim, bytes.NewReader(tc.data))
		if err != nil {
			t.Fatal(err)
		}
		if att.ContentType != tc.want {
			t.Errorf("%s: content type %q, want %q", tc.name, att.ContentType, tc.want)
		}
	}
}

func TestPutNeedsOwner(t *testing.T) {
	st, _, ctx := newStore(t, 0)
	if _, err := st.Put(ctx, "", "a.txt", "", strings.NewReader("x")); !errors.Is(err, inbox.ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
}

func TestUnknownID(t *testing.T) {
	st, _, ctx := newStore(t, 0)
	for _, id := range []string{"0123456789abcdef0123456789abcdef", "nope", "", `{"$ne":1}`} {
		if _, err := st.Meta(ctx, id); !errors.Is(err, inbox.ErrNotFound) {
			t.Errorf("Meta(%q): %v", id, err)
		}
		if _, _, err := st.Owner(ctx, id); !errors.Is(err, inbox.ErrNotFound) {
			t.Errorf("Owner(%q): %v", id, err)
		}
		if _, _, err := st.Open(ctx, id); !errors.Is(err, inbox.ErrNotFound) {
			t.Errorf("Open(%q): %v", id, err)
		}
		if err := st.Delete(ctx, id); !errors.Is(err, inbox.ErrNotFound) {
			t.Errorf("Delete(%q): %v", id, err)
		}
		if ids, err := st.AttachedTo(ctx, id); err != nil || len(ids) != 0 {
			t.Errorf("AttachedTo(%q) = %v, %v", id, ids, err)
		}
	}
}

func TestDelete(t *testing.T) {
	st, db, ctx := newStore(t, 0)
	att, err := st.Put(ctx, "agent:a1", "a.bin", "", bytes.NewReader(randomBytes(300<<10, 3)))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Delete(ctx, att.FileID); err != nil {
		t.Fatal(err)
	}
	if f, c := stored(t, ctx, db); f != 0 || c != 0 {
		t.Fatalf("after delete: %d files, %d chunks", f, c)
	}
	if _, err := st.Meta(ctx, att.FileID); !errors.Is(err, inbox.ErrNotFound) {
		t.Fatalf("Meta after delete: %v", err)
	}
}

func TestAttachedTo(t *testing.T) {
	st, db, ctx := newStore(t, 0)
	att, err := st.Put(ctx, "agent:a1", "a.txt", "text/plain", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	other, err := st.Put(ctx, "agent:a1", "b.txt", "text/plain", strings.NewReader("other"))
	if err != nil {
		t.Fatal(err)
	}
	msgs := []any{
		bson.M{"_id": "m1", "conversationId": "c1", "text": "see file", "attachments": []bson.M{{"fileId": att.FileID, "name": "a.txt"}}},
		bson.M{"_id": "m2", "conversationId": "c1", "attachments": []bson.M{{"fileId": other.FileID}, {"fileId": att.FileID}}},
		bson.M{"_id": "m3", "conversationId": "c2", "comment": true, "attachments": []bson.M{{"fileId": att.FileID}}},
		bson.M{"_id": "m4", "conversationId": "c3", "attachments": []bson.M{{"fileId": other.FileID}}},
		bson.M{"_id": "m5", "conversationId": "c4", "attachments": []bson.M{}},
	}
	if _, err := db.Collection("messages").InsertMany(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	got, err := st.AttachedTo(ctx, att.FileID)
	if err != nil || !slices.Equal(got, []string{"c1"}) {
		t.Fatalf("AttachedTo = %v, %v; want [c1] (the comment in c2 is internal)", got, err)
	}
	if got, err = st.AttachedToWithComments(ctx, att.FileID); err != nil || !slices.Equal(got, []string{"c1", "c2"}) {
		t.Fatalf("AttachedToWithComments = %v, %v; want [c1 c2]", got, err)
	}
}
