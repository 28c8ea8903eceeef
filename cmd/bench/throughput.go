package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// throughputResult is part (b).
type throughputResult struct {
	conc              int
	duration          time.Duration
	gatewayN, rawN    int64
	gatewayRate, raw  float64
	gatewayAck        summary
	rawInsert         summary
	gatewayFailed     int64
	rawFailed         int64
	storeDesc, rawErr string
	gwCPU, rawCPU     *cpuMeter
	trace             string
	serialTrace       string
	quiet             time.Duration // waited for the previous phase's work to end
	// The same with one message (one insert) in flight: the per-write cost
	// without contention.
	serialGw, serialRaw       float64
	serialGwAck, serialRawIns summary
}

func (r throughputResult) ratio() float64 {
	if r.raw == 0 {
		return 0
	}
	return r.gatewayRate / r.raw
}

// gatewayThroughput has conc visitors send as fast as their acks come
// back (one message in flight each) for dur.
func gatewayThroughput(ctx context.Context, vs []*visitorClient, conc int, dur time.Duration) (n, failed int64, ack summary, elapsed time.Duration) {
	conc = min(conc, len(vs))
	rec := &recorder{}
	var ok, bad atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	end := start.Add(dur)
	for i := range conc {
		v := vs[i]
		wg.Go(func() {
			for k := 0; time.Now().Before(end) && ctx.Err() == nil; k++ {
				id := fmt.Sprintf("t-%d-%d", v.idx, k)
				t0 := time.Now()
				if err := v.write(map[string]any{"type": "send", "clientId": id, "text": messageText}); err != nil {
					bad.Add(1)
					return
				}
				if err := v.waitAck(id, 60*time.Second); err != nil {
					bad.Add(1)
					continue
				}
				if done := time.Now(); !done.After(end) {
					ok.Add(1)
					rec.add(done.Sub(t0))
				}
			}
		})
	}
	wg.Wait()
	return ok.Load(), bad.Load(), rec.summary(), dur
}

// rawThroughput inserts message-shaped documents with the official driver
// into a scratch collection with the messages collection's indexes, conc
// inserts in flight, for dur; the collection is dropped afterwards.
func rawThroughput(ctx context.Context, uri, dbName string, conc int, dur time.Duration) (n, failed int64, ins summary, err error) {
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	client, err := mongo.Connect(options.Client().ApplyURI(uri).SetAppName("switchboard-bench").SetMaxPoolSize(uint64(conc + 4)))
	if err != nil {
		return 0, 0, summary{}, err
	}
	defer func() { _ = client.Disconnect(context.WithoutCancel(ctx)) }()
	if err := client.Ping(cctx, nil); err != nil {
		return 0, 0, summary{}, err
	}
	coll := client.Database(dbName).Collection("bench_raw_messages")
	_ = coll.Drop(cctx)
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_ = coll.Drop(dctx)
	}()
	// The same indexes as the messages collection: the baseline pays what
	// a message write pays (one by one: FerretDB#3858).
	for _, m := range inbox.MessageIndexes() {
		if _, err := coll.Indexes().CreateOne(cctx, m); err != nil {
			return 0, 0, summary{}, fmt.Errorf("raw collection index: %w", err)
		}
	}
	// Warm the connection pool.
	if _, err := coll.InsertOne(cctx, rawDoc(-1, 0)); err != nil {
		return 0, 0, summary{}, fmt.Errorf("first insert: %w", err)
	}
	rec := &recorder{}
	var ok, bad atomic.Int64
	var wg sync.WaitGroup
	end := time.Now().Add(dur)
	for w := range conc {
		wg.Go(func() {
			for k := 0; time.Now().Before(end) && ctx.Err() == nil; k++ {
				t0 := time.Now()
				ictx, cancel := context.WithTimeout(ctx, 30*time.Second)
				_, err := coll.InsertOne(ictx, rawDoc(w, k))
				cancel()
				if err != nil {
					bad.Add(1)
					continue
				}
				if done := time.Now(); !done.After(end) {
					ok.Add(1)
					rec.add(done.Sub(t0))
				}
			}
		})
	}
	wg.Wait()
	return ok.Load(), bad.Load(), rec.summary(), nil
}

// rawDoc has the fields and sizes of a stored inbox message.
func rawDoc(w, k int) bson.D {
	return bson.D{
		{Key: "_id", Value: bson.NewObjectID().Hex()},
		{Key: "conversationId", Value: fmt.Sprintf("%024x", w+1)},
		{Key: "seq", Value: int64(k + 1)},
		{Key: "authorKind", Value: "contact"},
		{Key: "authorId", Value: bson.NewObjectID().Hex()},
		{Key: "authorName", Value: "Visitor 1234"},
		{Key: "text", Value: messageText},
		{Key: "comment", Value: false},
		{Key: "attachments", Value: bson.A{}},
		{Key: "clientId", Value: fmt.Sprintf("r-%d-%d", w, k)},
		{Key: "refs", Value: bson.D{}},
		{Key: "createdAt", Value: time.Now().UTC()},
	}
}

func (r throughputResult) report() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "throughput: %d in flight, %s each, store: %s\n", r.conc, r.duration, r.storeDesc)
	fmt.Fprintf(&sb, "  (started after waiting %s for the gateway and store to go quiet)\n", r.quiet.Round(time.Second))
	fmt.Fprintf(&sb, "  gateway: %d visitor sends acknowledged = %.1f msg/s (failed %d); send→ack %s\n",
		r.gatewayN, r.gatewayRate, r.gatewayFailed, r.gatewayAck)
	fmt.Fprintf(&sb, "    %s\n", r.gwCPU)
	sb.WriteString(r.trace)
	if r.rawErr != "" {
		fmt.Fprintf(&sb, "  raw insert: failed: %s\n", r.rawErr)
	} else {
		fmt.Fprintf(&sb, "  raw insert: %d documents = %.1f docs/s (failed %d); insert %s\n", r.rawN, r.raw, r.rawFailed, r.rawInsert)
		fmt.Fprintf(&sb, "    %s\n", r.rawCPU)
		fmt.Fprintf(&sb, "  ratio gateway/raw = %.3f\n", r.ratio())
	}
	fmt.Fprintf(&sb, "  one in flight: gateway %.1f msg/s (send→ack %s), raw %.1f docs/s (insert %s)\n",
		r.serialGw, r.serialGwAck, r.serialRaw, r.serialRawIns)
	sb.WriteString(r.serialTrace)
	return sb.String()
}
