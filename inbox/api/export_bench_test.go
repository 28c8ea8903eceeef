package api_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/inbox/api"
	"github.com/switchboard-chat/switchboard/inbox/inboxtest"
	"github.com/valyala/fasthttp/fasthttputil"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// BenchmarkExport measures a supervisor's export of 100,000 conversations
// from the embedded store's working set, through the real server (an
// in-memory listener), the body read into io.Discard: the table's default
// columns, German headers, Berlin time. It reports rows per second and
// the heap the export adds at its peak over the heap before it (the
// working set itself is the baseline): peak-MiB samples the heap's
// objects every 2 ms (live and not yet collected), live-MiB the live heap
// the collector measured at each cycle during the export.
//
//	go test ./inbox/api/ -run '^$' -bench BenchmarkExport -benchtime 1x
func BenchmarkExport(b *testing.B) {
	const n = 100_000
	ctx := context.Background()
	store := engine.Store(b)
	tmp := b.TempDir()
	b.Setenv("TMPDIR", tmp) // excelize's temporary files go here
	seedExport(b, store, n)
	got, took, err := store.WarmUp(ctx)
	if err != nil || got != n {
		b.Fatalf("warm-up read %d conversations (%v), want %d", got, err, n)
	}
	b.Logf("seeded %d conversations; warm-up %s", n, took.Round(time.Millisecond))
	svc := inbox.NewService(store, inbox.Options{PasswordCost: 4, Clock: inboxtest.NewClock(t0.Add(24 * time.Hour)).Now})
	name, email, pw, role, lang := "Sue", "sue@example.com", "password-sue", inbox.RoleSupervisor, "de"
	if _, err := svc.CreateAgent(ctx, inbox.System, inbox.AgentInput{Name: &name, Email: &email, Password: &pw, Role: &role, Language: &lang}); err != nil {
		b.Fatal(err)
	}
	token, _, _, err := svc.Login(ctx, email, pw, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	app, _ := exportApp(b, svc)
	ln := fasthttputil.NewInmemoryListener()
	go func() { _ = app.Listener(ln) }()
	defer func() { _ = app.Shutdown(); _ = ln.Close() }()
	client := &http.Client{Transport: &http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) { return ln.Dial() }}}

	for _, ext := range []string{"csv", "xlsx"} {
		b.Run(ext, func(b *testing.B) {
			runtime.GC()
			base := exportHeapNow()
			peak := exportHeapPeak()
			start := time.Now()
			var size int64
			for i := 0; i < b.N; i++ {
				req, _ := http.NewRequest(http.MethodGet, "http://switchboard.test/api/v1/conversations."+ext+"?tz=Europe/Berlin", nil)
				req.AddCookie(&http.Cookie{Name: api.SessionCookie, Value: token})
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				size, err = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK {
					b.Fatalf("%s: %d, %d bytes, %v", ext, resp.StatusCode, size, err)
				}
			}
			elapsed := time.Since(start)
			objects, live := peak()
			rowsPerSec := float64(n) * float64(b.N) / elapsed.Seconds()
			peakMiB := float64(objects-base.objects) / (1 << 20)
			liveMiB := float64(max(live, base.live)-base.live) / (1 << 20)
			b.ReportMetric(rowsPerSec, "rows/s")
			b.ReportMetric(peakMiB, "peak-MiB")
			b.ReportMetric(liveMiB, "live-MiB")
			b.ReportMetric(float64(size)/(1<<20), "file-MiB")
			b.Logf("%s: %d rows in %s (%.0f rows/s), %.1f MiB; heap over the baseline of %.0f MiB: peak %.1f MiB, live %.1f MiB",
				ext, n, (elapsed / time.Duration(b.N)).Round(time.Millisecond), rowsPerSec, float64(size)/(1<<20),
				float64(base.objects)/(1<<20), peakMiB, liveMiB)
		})
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "excelize-*")); len(left) > 0 {
		b.Errorf("temporary files left: %v", left)
	}
}

type exportHeapSample struct{ objects, live uint64 }

var exportHeapMetrics = []string{"/memory/classes/heap/objects:bytes", "/gc/heap/live:bytes"}

func exportHeapNow() exportHeapSample {
	s := []metrics.Sample{{Name: exportHeapMetrics[0]}, {Name: exportHeapMetrics[1]}}
	metrics.Read(s)
	return exportHeapSample{s[0].Value.Uint64(), s[1].Value.Uint64()}
}

// exportHeapPeak samples the heap every 2 ms until the returned func is
// called, which gives the highest samples.
func exportHeapPeak() func() (objects, live uint64) {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var peak exportHeapSample
	wg.Go(func() {
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			s := exportHeapNow()
			peak.objects, peak.live = max(peak.objects, s.objects), max(peak.live, s.live)
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	})
	return func() (uint64, uint64) {
		close(stop)
		wg.Wait()
		return peak.objects, peak.live
	}
}

// seedExport inserts n conversations over a year straight into the
// collection, before the working set is read, with a line and plausible
// statuses, dates and timings.
func seedExport(b *testing.B, store *inbox.Store, n int) {
	b.Helper()
	ctx := context.Background()
	line := inbox.Line{ID: "line-bench", Name: "Support"}
	if err := store.InsertLine(ctx, &line); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	channels := []inbox.Channel{inbox.ChannelLiveChat, inbox.ChannelTelegram, inbox.ChannelEmail}
	ms := func(lo, hi int64) *int64 { v := lo + rng.Int64N(hi-lo); return &v }
	start := time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)
	span := int64(365 * 24 * time.Hour / time.Millisecond)
	coll := store.Database().Collection("conversations")
	const batch = 2000
	for off := 0; off < n; off += batch {
		docs := make([]any, 0, batch)
		for i := off; i < min(off+batch, n); i++ {
			created := start.Add(time.Duration(int64(i)*span/int64(n)) * time.Millisecond)
			c := inbox.Conversation{ID: bson.NewObjectID().Hex(), Number: int64(i + 1), LineID: line.ID, Channel: channels[i%3],
				Type: inbox.Incoming, ContactID: fmt.Sprintf("contact%d", i), ContactName: fmt.Sprintf("Kunde %d, \"Müller\"", i),
				Dates: inbox.Dates{Created: created, Modified: created}}
			status := inbox.StatusClosed
			if rng.IntN(10) < 8 {
				c.AgentID = fmt.Sprintf("agent%02d", rng.IntN(20))
				answered := created.Add(time.Duration(*ms(5_000, 600_000)) * time.Millisecond)
				closed := answered.Add(time.Hour)
				c.Dates.Answered, c.Dates.Accepted, c.Dates.LastMessage, c.Dates.Closed = &answered, &answered, &closed, &closed
				c.Timings.WaitingForAnswerMs, c.Timings.FirstReactionMs = ms(5_000, 600_000), ms(5_000, 600_000)
			} else {
				status = inbox.StatusNew
			}
			c.Status, c.StatusCode, c.General = status, status.Code(), status.General()
			docs = append(docs, c)
		}
		if _, err := coll.InsertMany(ctx, docs); err != nil {
			b.Fatal(err)
		}
	}
}
