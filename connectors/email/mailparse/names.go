package mailparse

import (
	"fmt"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// extensions gives the file name extension of a made-up name. It is a
// fixed table, not mime.ExtensionsByType, so that names do not depend on
// the machine's mime.types.
var extensions = map[string]string{
	"application/pdf":    ".pdf",
	"application/zip":    ".zip",
	"application/json":   ".json",
	"application/xml":    ".xml",
	"application/msword": ".doc",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
	"application/vnd.ms-excel": ".xls",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":         ".xlsx",
	"application/vnd.ms-powerpoint":                                             ".ppt",
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
	"application/vnd.oasis.opendocument.text":                                   ".odt",
	"application/vnd.oasis.opendocument.spreadsheet":                            ".ods",
	"application/pgp-signature":                                                 ".asc",
	"application/pkcs7-signature":                                               ".p7s",
	"application/x-pkcs7-signature":                                             ".p7s",
	"application/ics":                                                           ".ics",
	"image/png":                                                                 ".png",
	"image/jpeg":                                                                ".jpg",
	"image/jpg":                                                                 ".jpg",
	"image/pjpeg":                                                               ".jpg",
	"image/gif":                                                                 ".gif",
	"image/webp":                                                                ".webp",
	"image/bmp":                                                                 ".bmp",
	"image/tiff":                                                                ".tiff",
	"image/svg+xml":                                                             ".svg",
	"image/heic":                                                                ".heic",
	"audio/mpeg":                                                                ".mp3",
	"audio/ogg":                                                                 ".ogg",
	"video/mp4":                                                                 ".mp4",
	"text/plain":                                                                ".txt",
	"text/html":                                                                 ".html",
	"text/csv":                                                                  ".csv",
	"text/calendar":                                                             ".ics",
	"text/vcard":                                                                ".vcf",
	"text/x-vcard":                                                              ".vcf",
	"message/rfc822":                                                            ".eml",
	"message/global":                                                            ".eml",
	"message/delivery-status":                                                   ".txt",
	"text/rfc822-headers":                                                       ".txt",
}

// madeUpName names a part that has no name: "image-1.png",
// "message-2.eml", "attachment-3.pdf"; n is its place among the parts.
func madeUpName(mt string, n int) string {
	prefix := "attachment"
	switch {
	case strings.HasPrefix(mt, "image/"):
		prefix = "image"
	case strings.HasPrefix(mt, "message/"):
		prefix = "message"
	}
	ext, ok := extensions[mt]
	if !ok {
		ext = ".bin"
	}
	return fmt.Sprintf("%s-%d%s", prefix, n, ext)
}

// safeFileName keeps the last path element of a name, without control
// characters and at most 200 bytes long (the extension kept). It returns
// "" when nothing is left.
func safeFileName(name string) string {
	name = strings.ReplaceAll(name, `\`, "/")
	name = path.Base(strings.TrimRight(name, "/"))
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, name)
	name = strings.Join(strings.Fields(name), " ")
	name = strings.Trim(name, " .")
	if name == "" || name == "/" {
		return ""
	}
	if len(name) > 200 {
		ext := path.Ext(name)
		if len(ext) > 20 {
			ext = ""
		}
		name = cutUTF8(name, 200-len(ext)) + ext
	}
	return name
}

// unflow joins the soft line breaks of format=flowed text (RFC 3676).
// Quoted lines keep their quote marks; the signature line "-- " is never
// joined.
func unflow(s string, delSp bool) string {
	lines := strings.Split(s, "\n")
	var out []string
	var cur strings.Builder
	curDepth, open := 0, false
	for _, line := range lines {
		depth := 0
		for depth < len(line) && line[depth] == '>' {
			depth++
		}
		content := strings.TrimPrefix(line[depth:], " ") // space-stuffing
		if open && depth != curDepth {
			out = append(out, quotePrefix(curDepth)+cur.String())
			cur.Reset()
			open = false
		}
		flowed := strings.HasSuffix(content, " ") && content != "-- "
		if flowed && delSp {
			content = content[:len(content)-1]
		}
		cur.WriteString(content)
		curDepth = depth
		if flowed {
			open = true
			continue
		}
		out = append(out, quotePrefix(depth)+cur.String())
		cur.Reset()
		open = false
	}
	if open {
		out = append(out, quotePrefix(curDepth)+cur.String())
	}
	return strings.Join(out, "\n")
}

func quotePrefix(depth int) string {
	if depth == 0 {
		return ""
	}
	return strings.Repeat(">", depth) + " "
}
