// Package mailparse turns one raw RFC 5322 mail, as fetched over IMAP, into
// what an inbox message needs: ids for threading, decoded header fields,
// the text with quoted history folded away (Shown), sanitised HTML,
// attachments and inline images, notes on what could not be read, whether
// the mail was sent by a machine (Auto) and, for bounces, what bounced.
//
// # How it reads a mail
//
// Parse streams. The raw mail goes through a reader that hashes it and
// stops at Limits.MaxBytes; go-message's textproto splits the header and
// the multipart tree part by part, so a part that is skipped (too deep,
// past MaxParts, over MaxFileBytes) is read through and dropped, never
// held. Transfer encodings are undone here (quoted-printable leniently,
// base64 ignoring stray characters), charsets by golang.org/x/text with the
// WHATWG labels first (ISO-8859-1 read as windows-1252, GB2312 as GBK) and
// the IANA names second. Text without a charset is read as ISO-2022-JP when
// it holds that charset's escape sequences, as UTF-8 when it is valid, and
// as windows-1252 otherwise (with a note). Header fields are decoded by a
// lenient RFC 2047 reader that joins adjacent encoded words before
// converting them, so characters split across words survive; RFC 2231
// parameters are read by mime.ParseMediaType or, where it gives up, by a
// lenient reader that knows every charset. Addresses are read by net/mail
// and, where it refuses, by a best-effort reader (see ParseAddress).
//
// HTML is sanitised by bluemonday's UGC policy, with cid: and data: images
// and a short list of harmless styles allowed, relative URLs refused, and
// remote images deferred: their src moves to data-remote-src before the
// policy runs. Text is made from HTML (when there is no text/plain part)
// with golang.org/x/net/html's tokenizer; blockquotes become "> " lines so
// that quoted history folds the same way in both.
//
// Folding (Shown) is conservative: it cuts at the first "-----Original
// Message-----" line, Outlook header block (From/Sent/To or their German,
// Polish, Russian, French and Spanish forms), or attribution line ("On …
// wrote:", "Am … schrieb …:", "W dniu … pisze:", "… пишет:", or a date and
// an address ending in ":") that is followed only by quoted lines; a
// trailing block of "> " lines; and a short signature below a "-- " line.
// Quotes with answers between them, forwarded mails and anything not
// recognised are shown.
//
// # Cost
//
// Measured on the project's 2-core machine with
//
//	go test ./connectors/email/mailparse/ -run XXX -bench ParseLimits -benchtime 1x
//
// (peak-MiB is the heap in use during the parse above what was in use
// before it, sampled; the raw mail itself, held by the benchmark, is not
// counted):
//
//	mail (size)                                  time/op     B/op       peak-MiB
//	30 MB, one 22 MB attachment (31.5 MB)        0.10-0.14 s 11.7 MB    11.0
//	5,000 parts, 500 looked at (0.65 MB)         2.6-5 ms    3.5 MB     2.6
//	1,000 multiparts deep, 20 read (68 KB)       2.2-8 ms    0.19 MB    0.12
//
// The 30 MB mail costs what hashing and base64-decoding it cost; its
// attachment is held up to MaxFileBytes (10 MiB), then dropped with a note.
// The 37 mails of the corpus (BenchmarkParseCorpus, 28 KB in all) take
// 2.1 ms together, about 57 µs and 44 KB allocated per mail.
package mailparse
