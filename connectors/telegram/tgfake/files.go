package tgfake

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"image"
	_ "image/gif" // image.DecodeConfig of uploaded photos
	_ "image/jpeg"
	_ "image/png"
	"io"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

// maxDownloadSize is the largest file getFile serves, as on Telegram (20 MB).
const maxDownloadSize = 20 << 20

// storedFile is a file known to a bot, downloadable at path.
type storedFile struct {
	id, uniqueID string
	path, name   string
	data         []byte
	size         int64
	contentless  bool // registered by AddBigFile: size zero bytes are served
	width        int  // image dimensions, when the data is a decodable image
	height       int
}

// AddFile registers a file the bot can fetch with getFile(fileID) and then
// download. Its file_path is chosen from fileName's extension the way
// Telegram lays files out ("photos/file_3.jpg", "documents/file_4.pdf",
// "music/...", "voice/...", "videos/..."). It returns the file's
// file_unique_id and size. AddFile panics when the token was not added.
func (s *Server) AddFile(token, fileID, fileName string, data []byte) (fileUniqueID string, size int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	dir, ext := layout(fileName)
	f := s.mustBot(token).addFile(fileID, fileName, dir, ext, data)
	return f.uniqueID, len(data)
}

// AddBigFile registers a file of the given declared size without content.
// getFile answers 400 "Bad Request: file is too big" for it when size
// exceeds 20 MB, as Telegram does; otherwise downloading it yields size
// zero bytes. AddBigFile panics when the token was not added.
func (s *Server) AddBigFile(token, fileID string, size int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.mustBot(token).addFile(fileID, "", "documents", "", nil)
	f.size, f.contentless = size, true
}

// layout returns the file_path directory and extension for a file name.
func layout(fileName string) (dir, ext string) {
	ext = strings.ToLower(path.Ext(fileName))
	switch ext {
	case ".jpg", ".jpeg":
		return "photos", ".jpg"
	case ".mp3", ".m4a", ".flac":
		return "music", ext
	case ".ogg", ".oga", ".opus":
		return "voice", ".oga"
	case ".mp4", ".mov":
		return "videos", ext
	}
	return "documents", ext
}

// addFile stores a file under id (replacing any file of that id) with a
// fresh file_path in dir. The caller holds s.mu.
func (b *bot) addFile(id, name, dir, ext string, data []byte) *storedFile {
	b.fileSeq++
	f := &storedFile{
		id:       id,
		uniqueID: uniqueID(b.token, id),
		path:     fmt.Sprintf("%s/file_%d%s", dir, b.fileSeq, ext),
		name:     name,
		data:     data,
		size:     int64(len(data)),
	}
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(data)); err == nil {
		f.width, f.height = cfg.Width, cfg.Height
	}
	if old := b.files[id]; old != nil {
		delete(b.paths, old.path)
	}
	b.files[id] = f
	b.paths[f.path] = f
	return f
}

// uniqueID derives a stable 16-character file_unique_id.
func uniqueID(token, fileID string) string {
	sum := sha256.Sum256([]byte(token + "\x00" + fileID))
	return "AQAD" + base64.RawURLEncoding.EncodeToString(sum[:9])
}

// newFileID returns a fresh opaque file_id with Telegram's prefix for the
// kind of file. The caller holds s.mu.
func (b *bot) newFileID(prefix string) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s|%d|%d", b.token, b.fileSeq, time.Now().UnixNano()))
	return prefix + "AgADAQADAg" + base64.RawURLEncoding.EncodeToString(sum[:27])
}

// mimeType guesses a file's MIME type from its name, then its content.
func (f *storedFile) mimeType(fallback string) string {
	for _, n := range []string{f.name, f.path} {
		if t := mime.TypeByExtension(path.Ext(n)); t != "" {
			t, _, _ = strings.Cut(t, ";")
			return t
		}
	}
	if fallback == "" && len(f.data) > 0 {
		t, _, _ := strings.Cut(http.DetectContentType(f.data), ";")
		return t
	}
	if fallback == "" {
		fallback = "application/octet-stream"
	}
	return fallback
}

func (s *Server) getFile(b *bot, r *request) (any, *apiError) {
	id := r.params["file_id"]
	if id == "" {
		return nil, badRequest("file_id not specified")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f := b.files[id]
	if f == nil {
		return nil, badRequest("invalid file_id")
	}
	if f.size > maxDownloadSize {
		return nil, badRequest("file is too big")
	}
	return map[string]any{
		"file_id":        f.id,
		"file_unique_id": f.uniqueID,
		"file_size":      f.size,
		"file_path":      f.path,
	}, nil
}

// serveFile answers GET /file/bot{token}/{file_path}.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request, rest string) {
	token, filePath, _ := strings.Cut(rest, "/")
	s.mu.Lock()
	b := s.bot(token)
	var f *storedFile
	if b != nil {
		f = b.paths[filePath]
	}
	s.mu.Unlock()
	switch {
	case b == nil:
		writeError(w, errUnauthorized)
		return
	case f == nil || f.size > maxDownloadSize:
		writeError(w, errNotFound)
		return
	}
	var content io.ReadSeeker = bytes.NewReader(f.data)
	if f.contentless {
		content = io.NewSectionReader(zeros{}, 0, f.size)
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	http.ServeContent(w, r, "", time.Time{}, content)
}

// zeros is an endless io.ReaderAt of zero bytes.
type zeros struct{}

func (zeros) ReadAt(p []byte, _ int64) (int, error) {
	clear(p)
	return len(p), nil
}
