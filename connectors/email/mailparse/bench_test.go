package mailparse

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"
)

const benchHeader = "From: Load Test <load@example.com>\r\n" +
	"To: support@switchboard.example\r\n" +
	"Subject: load\r\n" +
	"Date: Mon, 11 Mar 2024 10:00:00 +0000\r\n" +
	"Message-ID: <load@example.com>\r\n" +
	"MIME-Version: 1.0\r\n"

// bigMail builds a mail of about size bytes: a short text and one base64
// attachment that takes the rest.
func bigMail(size int) []byte {
	var b bytes.Buffer
	b.WriteString(benchHeader)
	b.WriteString("Content-Type: multipart/mixed; boundary=\"BIG\"\r\n\r\n")
	b.WriteString("--BIG\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe dump is attached.\r\n")
	b.WriteString("--BIG\r\nContent-Type: application/octet-stream\r\n" +
		"Content-Disposition: attachment; filename=\"dump.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	line := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xA5, 0x5A, 0x3C}, 19)) + "\r\n" // 78 bytes
	for b.Len() < size-100 {
		b.WriteString(line)
	}
	b.WriteString("--BIG--\r\n")
	return b.Bytes()
}

// manyPartsMail builds a multipart/mixed mail of n small attachments after
// the text.
func manyPartsMail(n int) []byte {
	var b bytes.Buffer
	b.WriteString(benchHeader)
	b.WriteString("Content-Type: multipart/mixed; boundary=\"MANY\"\r\n\r\n")
	b.WriteString("--MANY\r\nContent-Type: text/plain\r\n\r\nMany parts follow.\r\n")
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "--MANY\r\nContent-Type: text/csv; name=\"part%d.csv\"\r\n"+
			"Content-Disposition: attachment; filename=\"part%d.csv\"\r\n\r\nid,value\r\n%d,x\r\n", i, i, i)
	}
	b.WriteString("--MANY--\r\n")
	return b.Bytes()
}

// deepMail builds a mail of depth multipart/mixed levels, each with its
// own boundary, and a text part at the bottom.
func deepMail(depth int) []byte {
	var b bytes.Buffer
	b.WriteString(benchHeader)
	for i := 0; i < depth; i++ {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"D%d\"\r\n\r\n--D%d\r\n", i, i)
	}
	b.WriteString("Content-Type: text/plain\r\n\r\nThe bottom.\r\n")
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--D%d--\r\n", i)
	}
	return b.Bytes()
}

// peakHeap samples the heap in use while it runs, until stop is called,
// which returns the highest value seen above the value at the start.
func peakHeap() (stop func() uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	base := sample[0].Value.Uint64()
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(200 * time.Microsecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		if peak < base {
			return 0
		}
		return peak - base
	}
}

// BenchmarkParseLimits parses the three mails the limits are for, with the
// default limits, and reports beside time and allocations the peak heap
// in use during the parse above what was in use before (the raw mail, held
// by the benchmark, is not counted; sampled, so a lower bound):
//
//	go test ./connectors/email/mailparse/ -run XXX -bench ParseLimits -benchtime 1x
func BenchmarkParseLimits(b *testing.B) {
	cases := []struct {
		name string
		mail func() []byte
		note string
	}{
		{"30MB", func() []byte { return bigMail(30 << 20) }, "larger than 10 MiB"},
		{"5000parts", func() []byte { return manyPartsMail(5000) }, "more than 500 MIME parts"},
		{"1000deep", func() []byte { return deepMail(1000) }, "deeper than 20 levels"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			raw := c.mail()
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			runtime.GC()
			stop := peakHeap()
			var m *Mail
			b.ResetTimer()
			for range b.N {
				var err error
				if m, err = Parse(bytes.NewReader(raw), Limits{}); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			peak := stop()
			b.ReportMetric(float64(peak)/(1<<20), "peak-MiB")
			if !strings.Contains(strings.Join(m.Notes, "\n"), c.note) {
				b.Errorf("no note %q in %q", c.note, m.Notes)
			}
		})
	}
}

// BenchmarkParseCorpus parses every mail of the corpus once per op: the
// cost of ordinary mail.
func BenchmarkParseCorpus(b *testing.B) {
	var mails [][]byte
	var total int64
	for _, file := range corpusFiles(b) {
		raw, err := os.ReadFile(file)
		if err != nil {
			b.Fatal(err)
		}
		mails = append(mails, raw)
		total += int64(len(raw))
	}
	b.SetBytes(total)
	b.ReportAllocs()
	for range b.N {
		for _, raw := range mails {
			if _, err := Parse(bytes.NewReader(raw), Limits{}); err != nil {
				b.Fatal(err)
			}
		}
	}
}
