package inbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Store is the MongoDB persistence of the inbox. It works the same on a
// MongoDB replica set and on the embedded engine: it uses only CRUD,
// unique and compound indexes, findOneAndUpdate and capped collections.
//
// It is the package's one door to the database: every query is a method
// named after the question it answers, in a file named after its noun
// (store_conversations.go, store_messages.go, …). The service files never
// see the driver or bson (TestOneStoreBoundary). Absence is ErrNotFound;
// a unique index refusing a write is errDuplicateKey where callers branch
// on it; every other failure is wrapped as "store: …".
type Store struct {
	client        *mongo.Client
	db            *mongo.Database
	lines         *mongo.Collection
	groups        *mongo.Collection
	agents        *mongo.Collection
	contacts      *mongo.Collection
	conversations *mongo.Collection
	messages      *mongo.Collection
	counters      *mongo.Collection
	sessions      *mongo.Collection
	events        *mongo.Collection
	// latest points from (contact, line, channel) to the newest
	// conversation, keyed by _id: the one lookup the embedded engine does
	// without decoding every conversation.
	latest *mongo.Collection
	// blocks maps a blocked contact's identities (verified user id,
	// e-mail, client address) to the contact, keyed by _id, so a blocked
	// visitor with a new token is still that blocked contact.
	blocks *mongo.Collection
	// leases are held by the nodes for work that runs on one at a time
	// (store_leases.go).
	leases *mongo.Collection
	// outbox holds mail to send (store_outbox.go).
	outbox *mongo.Collection
	// deliveries are replies waiting for a connector, updates are
	// channel updates waiting to be stored (store_deliveries.go).
	deliveries, updates *mongo.Collection
	// kept holds the kept updates in exclusive mode (store_deliveries.go).
	kept updateQueue
	// mailIDs point mail ids to conversations; cursors keep workers'
	// positions (store_mailids.go).
	mailIDs, cursors *mongo.Collection
	// presence is the agents' presence history (store_presence.go).
	presence *mongo.Collection
	// meta keeps the store's own state: whether the last run ended
	// cleanly (store_recovery.go).
	meta *mongo.Collection
	// signIns holds failed sign-ins on a shared store, so that every
	// gateway counts them (store_signin.go); signInPurged is when expired
	// ones were last deleted, in Unix nanoseconds of the callers' clock.
	signIns      *mongo.Collection
	signInPurged atomic.Int64
	// counterMu serialises counters within the process; see keyedMutex.
	counterMu sync.Mutex
	// exclusive is set when this process is the database's only writer (the
	// embedded engine). See ReplaceConversation.
	exclusive bool
	// ferret is set when the server is the embedded engine (FerretDB),
	// reached directly or through MONGODB_URI: its tailable cursors read
	// the whole capped collection every 10 ms, so the event tail probes
	// by _id there instead (store_events_probe.go).
	ferret bool
	// linesCache and agentsCache hold those small collections in
	// exclusive mode (store_smallcache.go).
	linesCache, agentsCache smallColl
	// inserts batches message inserts (store_groupcommit.go).
	inserts insertBatcher
	// convWrites writes conversations in exclusive mode
	// (store_writebehind.go).
	convWrites convWriter
	log        *slog.Logger
	// ws is the in-memory working set of conversations, in exclusive mode
	// only (store_workingset.go).
	ws *workingSet
	// presenceLog is the statistics' copy of the presence history, in
	// exclusive mode only (store_stats.go).
	presenceLog presenceCopy
	// revision counts writes to agents and the presence history (Revision).
	revision atomic.Uint64
}

// StoreOptions tune a Store to its server.
type StoreOptions struct {
	// Exclusive says this process is the only writer, as with the embedded
	// engine, which only listens on loopback inside the process.
	Exclusive bool
	// Log receives what the store does on its own (writes behind, warm-up
	// recovery); slog.Default when nil.
	Log *slog.Logger
}

// Exclusive reports whether this process is the store's only writer (the
// embedded engine); false on a shared MongoDB.
func (s *Store) Exclusive() bool { return s.exclusive }

// EventLogBytes is the default size of the capped event collection.
const EventLogBytes = 64 << 20

// Connect opens the database dbName at uri and checks that it answers.
func Connect(ctx context.Context, uri, dbName string, o StoreOptions) (*Store, error) {
	client, err := mongo.Connect(options.Client().ApplyURI(uri).SetAppName("switchboard"))
	if err != nil {
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := client.Ping(pctx, nil); err != nil {
		_ = client.Disconnect(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("store: ping: %w", err)
	}
	db := client.Database(dbName)
	var info bson.M
	if err := client.Database("admin").RunCommand(pctx, bson.D{{Key: "buildInfo", Value: 1}}).Decode(&info); err != nil {
		_ = client.Disconnect(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("store: buildInfo: %w", err)
	}
	_, ferret := info["ferretdbVersion"]
	var ws *workingSet
	if o.Exclusive {
		ws = &workingSet{}
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return &Store{
		log:           o.Log,
		ws:            ws,
		client:        client,
		db:            db,
		lines:         db.Collection("lines"),
		groups:        db.Collection("groups"),
		agents:        db.Collection("agents"),
		contacts:      db.Collection("contacts"),
		conversations: db.Collection("conversations"),
		messages:      db.Collection("messages"),
		counters:      db.Collection("counters"),
		sessions:      db.Collection("sessions"),
		events:        db.Collection("events"),
		latest:        db.Collection("latest"),
		blocks:        db.Collection("blocks"),
		meta:          db.Collection("meta"),
		leases:        db.Collection("leases"),
		outbox:        db.Collection("outbox"),
		presence:      db.Collection("presence_history"),
		deliveries:    db.Collection("deliveries"),
		updates:       db.Collection("channel_updates"),
		mailIDs:       db.Collection("mail_ids"),
		cursors:       db.Collection("cursors"),
		signIns:       db.Collection("signin_failures"),
		exclusive:     o.Exclusive,
		ferret:        ferret,
	}, nil
}

// Close disconnects from the server.
func (s *Store) Close(ctx context.Context) error {
	// In exclusive mode: write what is still behind, then record that this
	// run ended cleanly (a run that could not is recovered at the next
	// start).
	if w := s.ws; w != nil {
		w.mu.RLock()
		ready := w.ready
		w.mu.RUnlock()
		if ready {
			if err := s.Flush(ctx); err != nil {
				s.log.Error("embedded store: conversations still unwritten at close; the next start recovers them", "err", err)
			} else if err := s.setRunClean(ctx, true); err != nil {
				s.log.Error("embedded store: could not record a clean stop; the next start checks every conversation", "err", err)
			}
		}
	}
	if err := s.client.Disconnect(ctx); err != nil {
		return fmt.Errorf("store: disconnect: %w", err)
	}
	return nil
}

// Ping reports whether the server answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.client.Ping(ctx, nil); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// Database exposes the database for rooms that keep their own collections
// (files, outbox, leases).
func (s *Store) Database() *mongo.Database { return s.db }

// EnsureIndexes creates the collections and indexes the queries rely on.
// It is idempotent and runs at every start.
func (s *Store) EnsureIndexes(ctx context.Context) error {
	idx := func(keys bson.D, unique bool) mongo.IndexModel {
		o := options.Index()
		if unique {
			o.SetUnique(true)
		}
		return mongo.IndexModel{Keys: keys, Options: o}
	}
	plan := map[*mongo.Collection][]mongo.IndexModel{
		s.agents: {idx(bson.D{{Key: "email", Value: 1}}, true)},
		s.contacts: {
			idx(bson.D{{Key: "email", Value: 1}}, false),
			idx(bson.D{{Key: "telegramUserId", Value: 1}}, false),
		},
		s.conversations: {
			idx(bson.D{{Key: "number", Value: 1}}, true),
			idx(bson.D{{Key: "lineId", Value: 1}, {Key: "statusCode", Value: 1}}, false),
			idx(bson.D{{Key: "agentId", Value: 1}, {Key: "statusCode", Value: 1}}, false),
			idx(bson.D{{Key: "contactId", Value: 1}}, false),
			idx(bson.D{{Key: "dates.modified", Value: -1}}, false),
			// The statistics read the conversations created in a period
			// (store_stats.go).
			idx(bson.D{{Key: "dates.created", Value: 1}}, false),
		},
		s.messages:   MessageIndexes(),
		s.sessions:   {idx(bson.D{{Key: "agentId", Value: 1}}, false)},
		s.presence:   {idx(bson.D{{Key: "agentId", Value: 1}, {Key: "at", Value: 1}}, false)},
		s.deliveries: {idx(bson.D{{Key: "lineId", Value: 1}, {Key: "channel", Value: 1}, {Key: "createdAt", Value: 1}}, false)},
		s.updates:    {idx(bson.D{{Key: "lineId", Value: 1}, {Key: "seq", Value: 1}}, false)},
	}
	for coll, models := range plan {
		for _, m := range models { // one by one: FerretDB 1.24 panics when a batch of several already exists (FerretDB#3858)
			if _, err := coll.Indexes().CreateOne(ctx, m); err != nil {
				return fmt.Errorf("store: indexes on %s: %w", coll.Name(), err)
			}
		}
	}
	if err := s.ensureCapped(ctx, s.events.Name(), EventLogBytes); err != nil {
		return err
	}
	if !s.exclusive {
		if err := s.ensureSignInIndexes(ctx); err != nil {
			return err
		}
	}
	return nil
}

// MessageIndexes are the messages collection's indexes: (conversation,
// seq) and (conversation, client id), both unique. A benchmark's raw
// baseline gives its collection the same, so that it pays what a message
// write pays.
func MessageIndexes() []mongo.IndexModel {
	return []mongo.IndexModel{
		{Keys: bson.D{{Key: "conversationId", Value: 1}, {Key: "seq", Value: 1}}, Options: options.Index().SetUnique(true)},
		{Keys: bson.D{{Key: "conversationId", Value: 1}, {Key: "clientId", Value: 1}}, Options: options.Index().SetUnique(true)},
	}
}

func (s *Store) ensureCapped(ctx context.Context, name string, size int64) error {
	names, err := s.db.ListCollectionNames(ctx, bson.M{"name": name})
	if err != nil {
		return fmt.Errorf("store: list collections: %w", err)
	}
	if len(names) > 0 {
		return nil
	}
	err = s.db.CreateCollection(ctx, name, options.CreateCollection().SetCapped(true).SetSizeInBytes(size))
	var ce mongo.CommandError
	if err != nil && !(errors.As(err, &ce) && ce.Code == 48) { // 48: NamespaceExists
		return fmt.Errorf("store: create capped %s: %w", name, err)
	}
	return nil
}

// nextNumber hands out the next value of a named counter.
func (s *Store) nextNumber(ctx context.Context, name string) (int64, error) {
	s.counterMu.Lock()
	defer s.counterMu.Unlock()
	var doc struct {
		N int64 `bson:"n"`
	}
	opts := options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)
	for attempt := 0; ; attempt++ {
		err := s.counters.FindOneAndUpdate(ctx, bson.M{"_id": name}, bson.M{"$inc": bson.M{"n": int64(1)}}, opts).Decode(&doc)
		if err == nil {
			return doc.N, nil
		}
		// Two first-ever upserts can race; the loser retries and increments.
		if mongo.IsDuplicateKeyError(err) && attempt < 3 {
			continue
		}
		return 0, fmt.Errorf("store: counter %s: %w", name, err)
	}
}

// errDuplicateKey is a write refused by a unique index. Store methods
// wrap it where a caller branches on it (a taken e-mail, a taken number,
// a retried message); callers test it with errors.Is.
var errDuplicateKey = errors.New("duplicate key")

// writeErr wraps a failed write as "store: what: …", marking a duplicate
// key with errDuplicateKey.
func writeErr(what string, err error) error {
	if mongo.IsDuplicateKeyError(err) {
		return fmt.Errorf("store: %s: %w: %w", what, errDuplicateKey, err)
	}
	return fmt.Errorf("store: %s: %w", what, err)
}

// countIDs counts the documents of c whose _id is among ids.
func countIDs(ctx context.Context, c *mongo.Collection, ids []string) (int64, error) {
	n, err := c.CountDocuments(ctx, bson.M{"_id": bson.M{"$in": ids}})
	if err != nil {
		return 0, fmt.Errorf("store: count %s ids: %w", c.Name(), err)
	}
	return n, nil
}

// findOne loads one document by id into out, mapping absence to ErrNotFound.
func findOne(ctx context.Context, c *mongo.Collection, id string, out any) error {
	err := c.FindOne(ctx, bson.M{"_id": id}).Decode(out)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return fmt.Errorf("%s %s: %w", c.Name(), id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("store: load %s %s: %w", c.Name(), id, err)
	}
	return nil
}

// findAll runs a query and decodes every result.
func findAll[T any](ctx context.Context, c *mongo.Collection, filter any, opts ...options.Lister[options.FindOptions]) ([]T, error) {
	cur, err := c.Find(ctx, filter, opts...)
	if err != nil {
		return nil, fmt.Errorf("store: find %s: %w", c.Name(), err)
	}
	out := []T{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("store: read %s: %w", c.Name(), err)
	}
	return out, nil
}

func newID() string { return bson.NewObjectID().Hex() }

func findNewest(limit int64) *options.FindOptionsBuilder {
	return options.Find().SetSort(bson.D{{Key: "$natural", Value: -1}}).SetLimit(limit)
}
