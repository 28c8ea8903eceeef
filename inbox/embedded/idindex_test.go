package embedded_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/inbox/embedded"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	_ "modernc.org/sqlite"
)

// pinnedFerretDB is the FerretDB release whose SQLite layout idindex.go
// relies on (its _id query expression, its collections table).
const pinnedFerretDB = "v1.24.0"

func start(t testing.TB) (*embedded.Server, *mongo.Client, string) {
	t.Helper()
	dir := t.TempDir()
	srv, err := embedded.Start(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	c, err := mongo.Connect(options.Client().ApplyURI(srv.URI()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	return srv, c, dir
}

// TestFerretDBIsThePinnedRelease fails loudly when FerretDB changes: the
// _id index is made for v1.24's SQLite layout and query expression.
func TestFerretDBIsThePinnedRelease(t *testing.T) {
	mod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(mod), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "github.com/FerretDB/FerretDB" {
			if f[1] != pinnedFerretDB {
				t.Fatalf("go.mod requires FerretDB %s, the _id index is made for %s: check its SQLite backend "+
					"(internal/backends/sqlite/metadata: IDColumn, the collections table) and update idindex.go and this pin", f[1], pinnedFerretDB)
			}
			return
		}
	}
	t.Fatal("FerretDB is not required by go.mod any more: remove the _id index workaround")
}

// TestIDLookupsUseTheIndex: after IndexIDs, the query FerretDB runs for a
// lookup by _id is an index search in SQLite, for every collection, and
// FerretDB still finds, updates and deletes by _id.
func TestIDLookupsUseTheIndex(t *testing.T) {
	srv, c, dir := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	coll := c.Database("idx").Collection("things")
	for i := range 50 {
		if _, err := coll.InsertOne(ctx, bson.M{"_id": fmt.Sprintf("id-%03d", i), "n": i}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Database("idx").Collection("others").InsertOne(ctx, bson.M{"_id": "x"}); err != nil {
		t.Fatal(err)
	}
	n, err := srv.IndexIDs(ctx)
	if err != nil || n != 2 {
		t.Fatalf("IndexIDs created %d indexes (%v), want 2 (one per collection)", n, err)
	}
	if n, err := srv.IndexIDs(ctx); err != nil || n != 0 {
		t.Fatalf("a second IndexIDs created %d (%v), want 0", n, err)
	}

	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "idx.sqlite")+"?_pragma=busy_timeout(10000)&mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var table string
	if err := db.QueryRowContext(ctx, `SELECT table_name FROM _ferretdb_collections WHERE name = 'things'`).Scan(&table); err != nil {
		t.Fatalf("FerretDB's collections table: %v", err)
	}
	// The statement FerretDB runs for FindOne({_id}) (its query.go and
	// metadata.IDColumn), as SQLite plans it.
	rows, err := db.QueryContext(ctx, fmt.Sprintf(`EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM %q WHERE _ferretdb_sjson->'$._id' = ?`, table), `"id-007"`)
	if err != nil {
		t.Fatal(err)
	}
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	rows.Close()
	if got := strings.Join(plan, "; "); !strings.Contains(got, "USING INDEX "+table+"_switchboard_id") {
		t.Fatalf("lookup by _id is planned as %q, want an index search", got)
	}

	// FerretDB's own operations by _id are unchanged.
	var doc struct{ N int }
	if err := coll.FindOne(ctx, bson.M{"_id": "id-007"}).Decode(&doc); err != nil || doc.N != 7 {
		t.Fatalf("find by _id: %+v, %v", doc, err)
	}
	if r, err := coll.UpdateOne(ctx, bson.M{"_id": "id-008"}, bson.M{"$set": bson.M{"n": 80}}); err != nil || r.ModifiedCount != 1 {
		t.Fatalf("update by _id: %+v, %v", r, err)
	}
	if r, err := coll.DeleteOne(ctx, bson.M{"_id": "id-009"}); err != nil || r.DeletedCount != 1 {
		t.Fatalf("delete by _id: %+v, %v", r, err)
	}
	if _, err := coll.InsertOne(ctx, bson.M{"_id": "id-007"}); !mongo.IsDuplicateKeyError(err) {
		t.Fatalf("a second id-007: %v, want a duplicate key error", err)
	}
}

// TestNewCollectionsAreIndexed: a collection created while the server
// runs gets its index within a few seconds, without a call.
func TestNewCollectionsAreIndexed(t *testing.T) {
	_, c, dir := start(t)
	ctx := context.Background()
	if _, err := c.Database("later").Collection("fresh").InsertOne(ctx, bson.M{"_id": 1}); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "later.sqlite")+"?_pragma=busy_timeout(10000)&mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name LIKE '%_switchboard_id'`).Scan(&n)
		if err == nil && n == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the new collection has %d _id indexes 10 s after it was created (%v)", n, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// BenchmarkByID measures FindOne and UpdateOne by _id on conversation-
// sized documents, at 1,000 and 50,000 documents, with and without the
// index: go test ./inbox/embedded/ -run XXX -bench ByID -benchtime 100x
func BenchmarkByID(b *testing.B) {
	for _, docs := range []int{1_000, 50_000} {
		for _, indexed := range []bool{false, true} {
			srv, c, _ := start(b)
			ctx := context.Background()
			coll := c.Database("bench").Collection("docs")
			batch := make([]any, 0, 1000)
			for i := range docs {
				batch = append(batch, conversationLike(i))
				if len(batch) == cap(batch) {
					if _, err := coll.InsertMany(ctx, batch); err != nil {
						b.Fatal(err)
					}
					batch = batch[:0]
				}
			}
			if indexed {
				if _, err := srv.IndexIDs(ctx); err != nil {
					b.Fatal(err)
				}
			}
			name := fmt.Sprintf("docs=%d/indexed=%v", docs, indexed)
			b.Run("FindOne/"+name, func(b *testing.B) {
				for i := 0; b.Loop(); i++ {
					if err := coll.FindOne(ctx, bson.M{"_id": fmt.Sprintf("doc-%06d", (i*7919)%docs)}).Err(); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("UpdateOne/"+name, func(b *testing.B) {
				for i := 0; b.Loop(); i++ {
					if _, err := coll.UpdateOne(ctx, bson.M{"_id": fmt.Sprintf("doc-%06d", (i*7919)%docs)}, bson.M{"$set": bson.M{"n": i}}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// conversationLike is a document the size and shape of a stored
// conversation (about 1.5 KB of JSON).
func conversationLike(i int) bson.M {
	t := time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC)
	return bson.M{
		"_id": fmt.Sprintf("doc-%06d", i), "number": i, "lineId": "6650a1c2e4b0f1a2b3c4d5e1", "channel": "livechat",
		"type": "incoming", "status": "answered", "statusCode": 6, "general": "active", "spam": false,
		"contactId": fmt.Sprintf("c-%06d", i), "contactName": "Visitor " + fmt.Sprint(1000+i%9000), "agentId": "6650a1c2e4b0f1a2b3c4d5e2",
		"groupId": "", "pinned": false, "sitePage": "https://shop.example.com/products/some-long-product-name?ref=campaign",
		"formFilled": true, "historyRequested": false, "clientRating": 0, "supervisorRating": 0, "supervisorComment": "",
		"dates": bson.M{"created": t, "queued": t, "answered": t, "accepted": t, "lastMessage": t, "closedByAgent": nil, "closed": nil, "modified": t},
		"timings": bson.M{"waitingForAnswerMs": 1200, "timeToAcceptMs": 3400, "timeToCloseByAgentMs": nil, "durationMs": 56000,
			"firstReactionMs": 3400, "chatBotMs": nil, "responseTotalMs": 9000, "responseAverageMs": 3000, "responseMaxMs": 5000, "responses": 3},
		"marks":       bson.M{"lastClientAt": t, "waitingSince": nil, "answeredCount": 3, "pendingClientMessages": 0},
		"lastMessage": bson.M{"text": "Thank you, that answers my question about the delivery times to Poland.", "authorKind": "contact", "files": 0},
		"seq":         12, "version": 14,
	}
}
