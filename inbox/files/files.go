// Package files keeps attachments in GridFS (bucket "files": collections
// files.files and files.chunks), on MongoDB and on the embedded engine alike.
// It enforces the per-file size limit while streaming, records a content
// type it can defend, and serves files so a browser never runs them.
//
// It checks no permissions: the caller decides who may read a file, from
// Meta.Owner (or Owner) and from AttachedTo / AttachedToWithComments.
package files

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/switchboard-chat/switchboard/inbox"
)

// ErrTooLarge is a file over the size limit. Errors wrapping it name the file.
var ErrTooLarge = errors.New("file too large")

// tooLargeError names the file refused with ErrTooLarge. At the HTTP edge
// (Upload) it also matches fiber.ErrRequestEntityTooLarge.
type tooLargeError struct {
	name  string
	limit int64
	edge  bool
}

func (e *tooLargeError) Error() string {
	return fmt.Sprintf("file %q is larger than the limit of %d bytes", e.name, e.limit)
}

func (e *tooLargeError) Unwrap() []error {
	if e.edge {
		return []error{ErrTooLarge, fiber.ErrRequestEntityTooLarge}
	}
	return []error{ErrTooLarge}
}

// DefaultMaxBytes is the limit New uses when given zero or less.
const DefaultMaxBytes = 10 << 20

// bucketName names the GridFS bucket.
const bucketName = "files"

// cleanupTimeout bounds the removal of a half-stored file.
const cleanupTimeout = 30 * time.Second

// Meta describes a stored file.
type Meta struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	ContentType string    `json:"contentType"`
	Size        int64     `json:"size"`
	Owner       string    `json:"owner"`
	CreatedAt   time.Time `json:"createdAt"`
}

// Attachment is the message attachment that refers to the file.
func (m *Meta) Attachment() inbox.Attachment {
	return inbox.Attachment{FileID: m.ID, Name: m.Name, ContentType: m.ContentType, Size: m.Size}
}

// metadata is the GridFS "metadata" field of a file.
type metadata struct {
	Owner       string `bson:"owner"`
	ContentType string `bson:"contentType"`
	// Line is the line a visitor's upload came through (per-line quotas).
	Line string `bson:"line,omitempty"`
}

// fileDoc is a files.files document.
type fileDoc struct {
	ID         string    `bson:"_id"`
	Length     int64     `bson:"length"`
	UploadDate time.Time `bson:"uploadDate"`
	Filename   string    `bson:"filename"`
	Metadata   metadata  `bson:"metadata"`
}

func (d *fileDoc) meta() *Meta {
	return &Meta{ID: d.ID, Name: d.Filename, ContentType: d.Metadata.ContentType, Size: d.Length,
		Owner: d.Metadata.Owner, CreatedAt: d.UploadDate.UTC()}
}

// Store keeps files in GridFS. It is safe for concurrent use.
type Store struct {
	db       *mongo.Database
	files    *mongo.Collection
	chunks   *mongo.Collection
	messages *mongo.Collection
	max      int64
}

// New returns a store over db that refuses files over maxBytes (zero or
// less means DefaultMaxBytes).
func New(db *mongo.Database, maxBytes int64) *Store {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	return &Store{
		db:       db,
		files:    db.Collection(bucketName + ".files"),
		chunks:   db.Collection(bucketName + ".chunks"),
		messages: db.Collection("messages"),
		max:      min(maxBytes, math.MaxInt64-1),
	}
}

// MaxBytes is the per-file size limit.
func (s *Store) MaxBytes() int64 { return s.max }

// bucket returns a fresh GridFS bucket. The driver's bucket is not safe for
// concurrent use (it keeps a shared read buffer and a first-write flag), so
// every operation gets its own.
func (s *Store) bucket() *mongo.GridFSBucket {
	return s.db.GridFSBucket(options.GridFSBucket().SetName(bucketName))
}

// EnsureIndexes creates the GridFS indexes and the index AttachedTo uses
// on messages.attachments.fileId. Call it at start-up.
func (s *Store) EnsureIndexes(ctx context.Context) error {
	for _, ix := range []struct {
		coll  *mongo.Collection
		model mongo.IndexModel
	}{
		{s.files, mongo.IndexModel{Keys: bson.D{{Key: "filename", Value: int32(1)}, {Key: "uploadDate", Value: int32(1)}}}},
		{s.chunks, mongo.IndexModel{Keys: bson.D{{Key: "files_id", Value: int32(1)}, {Key: "n", Value: int32(1)}},
			Options: options.Index().SetUnique(true)}},
		{s.messages, mongo.IndexModel{Keys: bson.D{{Key: "attachments.fileId", Value: 1}}}},
	} {
		if _, err := ix.coll.Indexes().CreateOne(ctx, ix.model); err != nil {
			return fmt.Errorf("files: index on %s: %w", ix.coll.Name(), err)
		}
	}
	return nil
}

// newFileID is a random, unguessable file id: 128 bits in hex.
func newFileID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// validID reports whether id can name a stored file.
func validID(id string) bool {
	if len(id) != 32 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil
}

func notFound(id string) error {
	return fmt.Errorf("files: file %q: %w", id, inbox.ErrNotFound)
}

// Put stores r as a file of owner (an opaque "agent:ID" or "visitor:ID").
// The name is sanitised; the content type is sniffed for images and
// otherwise taken from contentType if it parses. A file over the limit is
// refused with ErrTooLarge and nothing of it stays stored; the limit is
// counted on the bytes read, whatever the client declared.
func (s *Store) Put(ctx context.Context, owner, name, contentType string, r io.Reader) (inbox.Attachment, error) {
	return s.put(ctx, putSpec{owner: owner, name: name, contentType: contentType, limit: s.max}, r)
}

// putSpec describes one file to store.
type putSpec struct {
	owner, line, name, contentType string
	// limit is the most bytes the file may have; past it the file is
	// refused: with ErrTooLarge when limit is the per-file limit, with
	// inbox.ErrQuota when quota set it lower.
	limit int64
	quota bool
}

func (s *Store) put(ctx context.Context, p putSpec, r io.Reader) (inbox.Attachment, error) {
	name := SanitizeName(p.name)
	if p.owner == "" {
		return inbox.Attachment{}, fmt.Errorf("files: store %q: no owner: %w", name, inbox.ErrInvalid)
	}
	lr := io.LimitReader(r, p.limit+1)
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(lr, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return inbox.Attachment{}, fmt.Errorf("files: read %q: %w", name, err)
	}
	head = head[:n]
	ct := recordedType(head, p.contentType)
	id := newFileID()
	up, err := s.bucket().OpenUploadStreamWithID(ctx, id, name,
		options.GridFSUpload().SetMetadata(metadata{Owner: p.owner, ContentType: ct, Line: p.line}))
	if err != nil {
		return inbox.Attachment{}, fmt.Errorf("files: open upload of %q: %w", name, err)
	}
	size, err := copyTo(up, head, lr)
	switch {
	case err != nil:
		err = fmt.Errorf("files: store %q: %w", name, err)
	case size > p.limit && p.quota:
		err = fmt.Errorf("files: store %q: the upload quota allows %d more bytes: %w", name, p.limit, inbox.ErrQuota)
	case size > p.limit:
		err = &tooLargeError{name: name, limit: p.limit}
	}
	if err != nil {
		_ = up.Abort()
		s.discard(ctx, id)
		return inbox.Attachment{}, err
	}
	if err := up.Close(); err != nil {
		s.discard(ctx, id)
		return inbox.Attachment{}, fmt.Errorf("files: store %q: %w", name, err)
	}
	return inbox.Attachment{FileID: id, Name: name, ContentType: ct, Size: size}, nil
}

// copyTo writes head and then the rest of r to w, counting the bytes.
func copyTo(w io.Writer, head []byte, r io.Reader) (int64, error) {
	if _, err := w.Write(head); err != nil {
		return 0, fmt.Errorf("write: %w", err)
	}
	n, err := io.Copy(w, r)
	if err != nil {
		return 0, fmt.Errorf("copy: %w", err)
	}
	return int64(len(head)) + n, nil
}

// discard removes whatever was stored of file id, even when ctx is already
// cancelled (a client that went away must not leave chunks behind).
func (s *Store) discard(ctx context.Context, id string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	_, _ = s.files.DeleteOne(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$eq", Value: id}}}})
	_, _ = s.chunks.DeleteMany(ctx, bson.D{{Key: "files_id", Value: bson.D{{Key: "$eq", Value: id}}}})
}

// Delete removes a file and its chunks.
func (s *Store) Delete(ctx context.Context, id string) error {
	if !validID(id) {
		return notFound(id)
	}
	err := s.bucket().Delete(ctx, id)
	if errors.Is(err, mongo.ErrFileNotFound) {
		return notFound(id)
	}
	if err != nil {
		return fmt.Errorf("files: delete %s: %w", id, err)
	}
	return nil
}

// Meta describes file id.
func (s *Store) Meta(ctx context.Context, id string) (*Meta, error) {
	if !validID(id) {
		return nil, notFound(id)
	}
	var d fileDoc
	err := s.files.FindOne(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$eq", Value: id}}}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, notFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("files: load %s: %w", id, err)
	}
	return d.meta(), nil
}

// Owner returns the owner given to Put and the file as an attachment, so
// a caller can check who may attach it and trust its description.
func (s *Store) Owner(ctx context.Context, id string) (string, inbox.Attachment, error) {
	m, err := s.Meta(ctx, id)
	if err != nil {
		return "", inbox.Attachment{}, err
	}
	return m.Owner, m.Attachment(), nil
}

// Open returns the content of file id and its description. The reader
// reads with ctx, so ctx must outlive it; the caller closes it.
func (s *Store) Open(ctx context.Context, id string) (io.ReadCloser, *Meta, error) {
	if !validID(id) {
		return nil, nil, notFound(id)
	}
	ds, err := s.bucket().OpenDownloadStream(ctx, id)
	if errors.Is(err, mongo.ErrFileNotFound) {
		return nil, nil, notFound(id)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("files: open %s: %w", id, err)
	}
	f := ds.GetFile()
	m := &Meta{ID: id, Name: f.Name, Size: f.Length, CreatedAt: f.UploadDate.UTC()}
	var md metadata
	if len(f.Metadata) > 0 {
		if err := bson.Unmarshal(f.Metadata, &md); err != nil {
			_ = ds.Close()
			return nil, nil, fmt.Errorf("files: metadata of %s: %w", id, err)
		}
	}
	m.Owner, m.ContentType = md.Owner, md.ContentType
	return ds, m, nil
}

// AttachedTo lists, sorted, the conversation ids of the customer-visible
// messages (never internal comments) that carry file id: the conversations
// whose customer may see the file. A file attached to nothing, or unknown,
// gives an empty list.
func (s *Store) AttachedTo(ctx context.Context, id string) ([]string, error) {
	return s.conversationsWith(ctx, id, false)
}

// AttachedToWithComments is AttachedTo with internal comments included:
// for checks on the agents' side, never for customers.
func (s *Store) AttachedToWithComments(ctx context.Context, id string) ([]string, error) {
	return s.conversationsWith(ctx, id, true)
}

func (s *Store) conversationsWith(ctx context.Context, id string, comments bool) ([]string, error) {
	if !validID(id) {
		return []string{}, nil
	}
	filter := bson.D{{Key: "attachments.fileId", Value: id}}
	if !comments {
		filter = append(filter, bson.E{Key: "comment", Value: bson.D{{Key: "$ne", Value: true}}})
	}
	cur, err := s.messages.Find(ctx, filter, options.Find().SetProjection(bson.D{{Key: "conversationId", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("files: find messages: %w", err)
	}
	var docs []struct {
		ConversationID string `bson:"conversationId"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("files: read messages: %w", err)
	}
	ids := make([]string, 0, len(docs))
	for _, d := range docs {
		if d.ConversationID != "" {
			ids = append(ids, d.ConversationID)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}
