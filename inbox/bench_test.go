package inbox_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// BenchmarkAppend measures appending client messages through the service
// (idempotency check, seq, insert, status update, event) on the embedded
// engine, spread over 20 conversations.
func BenchmarkAppend(b *testing.B) {
	f := newFixture(b)
	convs := make([]*inbox.Conversation, 20)
	for i := range convs {
		convs[i] = f.open(b, fmt.Sprintf("bench %d", i))
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		c := convs[i%len(convs)]
		if _, _, err := f.svc.Append(f.ctx, inbox.System, c.ID, inbox.MessageInput{
			AuthorKind: inbox.AuthorContact, Text: "benchmark message", ClientID: fmt.Sprintf("b-%d", i)}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

// BenchmarkAppendParallel is BenchmarkAppend from GOMAXPROCS×4 goroutines,
// each on its own conversation, opened before the timer starts.
func BenchmarkAppendParallel(b *testing.B) {
	f := newFixture(b)
	const workers = 64 // more than GOMAXPROCS×4 on any machine this runs on
	b.SetParallelism(4)
	convs := make([]*inbox.Conversation, workers)
	for i := range convs {
		convs[i] = f.open(b, fmt.Sprintf("parallel %d", i))
	}
	var next, ids atomic.Int64
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		c := convs[int(next.Add(1)-1)%workers]
		for pb.Next() {
			if _, _, err := f.svc.Append(f.ctx, inbox.System, c.ID, inbox.MessageInput{
				AuthorKind: inbox.AuthorContact, Text: "benchmark message", ClientID: fmt.Sprintf("p-%d", ids.Add(1))}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

// BenchmarkScan measures the inbox's common questions at growing numbers
// of stored conversations on the embedded engine: reading them all into
// the working set at start-up, an update of one conversation by id, and
// the supervisor's first page with its total (the active list sorted by
// last message, empty values last), and a message append. On MongoDB the
// same questions go to indexes.
func BenchmarkScan(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 50_000} {
		b.Run(fmt.Sprintf("conversations=%d", n), func(b *testing.B) {
			f := newFixture(b)
			seed(b, f, n)
			c := f.open(b, "probe")
			b.Run("warm-up", func(b *testing.B) {
				db := f.svc.Store().Database().Name()
				for i := 0; i < b.N; i++ {
					st, err := inbox.Connect(f.ctx, engine.URI(), db, inbox.StoreOptions{Exclusive: true})
					if err != nil {
						b.Fatal(err)
					}
					got, _, err := st.WarmUp(f.ctx)
					_ = st.Close(f.ctx)
					if err != nil || got != n+1 {
						b.Fatalf("warm-up read %d conversations (%v), want %d", got, err, n+1)
					}
				}
			})
			b.Run("update", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if _, err := f.svc.Pin(f.ctx, inbox.System, c.ID, false); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("first-page", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					page, total, err := f.svc.Conversations(f.ctx, inbox.System, inbox.ConversationFilter{Active: true, Sort: "-lastMessage", Limit: 50})
					if err != nil {
						b.Fatal(err)
					}
					if len(page) != 50 || total < int64(n/2) {
						b.Fatalf("first page holds %d of %d", len(page), total)
					}
				}
			})
			var ids atomic.Int64 // fresh client ids across the benchmark's rounds
			b.Run("append", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if _, _, err := f.svc.Append(f.ctx, inbox.System, c.ID, inbox.MessageInput{
						AuthorKind: inbox.AuthorContact, Text: "x", ClientID: fmt.Sprintf("s-%d", ids.Add(1))}); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// seed inserts n conversations with one message each straight into the
// collections, which is much faster than opening them one by one.
func seed(b *testing.B, f *fixture, n int) {
	b.Helper()
	db := f.svc.Store().Database()
	ctx := context.Background()
	const batch = 1000
	for off := 0; off < n; off += batch {
		convs := make([]any, 0, batch)
		msgs := make([]any, 0, batch)
		for i := off; i < min(off+batch, n); i++ {
			id := bson.NewObjectID().Hex()
			convs = append(convs, bson.M{"_id": id, "number": int64(1_000_000 + i), "lineId": f.line.ID, "status": "new",
				"statusCode": 1 + i%9, "general": "waiting", "agentId": "", "groupId": "", "contactName": fmt.Sprintf("c%d", i),
				"dates": bson.M{"created": t0, "modified": t0}, "seq": int64(1), "version": int64(0)})
			msgs = append(msgs, bson.M{"_id": bson.NewObjectID().Hex(), "conversationId": id, "seq": int64(1),
				"clientId": "seed", "authorKind": "contact", "text": "hello", "createdAt": t0})
		}
		if _, err := db.Collection("conversations").InsertMany(ctx, convs); err != nil {
			b.Fatal(err)
		}
		if _, err := db.Collection("messages").InsertMany(ctx, msgs); err != nil {
			b.Fatal(err)
		}
	}
}
