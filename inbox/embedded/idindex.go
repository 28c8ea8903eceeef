package embedded

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"

	_ "modernc.org/sqlite" // the SQLite driver FerretDB itself uses
)

// FerretDB v1.24's SQLite backend keeps each collection in a table with
// one JSON column, _ferretdb_sjson, lists the tables in
// _ferretdb_collections, and creates its unique _id index on the
// expression _ferretdb_sjson->"_id" — while it queries by _id with
// _ferretdb_sjson->'$._id'. SQLite uses an expression index only for the
// very expression, so every find, update, replace and delete by _id
// scans the table. idExpr is the query's expression; an index on it makes
// those lookups index searches. (Measured at 50,000 documents: FindOne by
// _id 223 ms → 0.7 ms.) The layout is FerretDB's, pinned at v1.24.x: a
// test fails if a new version no longer matches.
const (
	collectionsTable = "_ferretdb_collections"
	idExpr           = `_ferretdb_sjson->'$._id'`
	idIndexSuffix    = "_switchboard_id"
)

// idIndexer adds the missing _id index to every collection table of the
// engine's databases. It keeps one connection pool per database file.
type idIndexer struct {
	dir    string
	mu     sync.Mutex
	dbs    map[string]*sql.DB
	closed bool
}

func newIDIndexer(dir string) *idIndexer { return &idIndexer{dir: dir, dbs: map[string]*sql.DB{}} }

// run indexes every collection of every database now; it returns how many
// indexes it created.
func (x *idIndexer) run(ctx context.Context) (int, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return 0, errors.New("embedded: the server is closed")
	}
	files, err := filepath.Glob(filepath.Join(x.dir, "*.sqlite"))
	if err != nil {
		return 0, fmt.Errorf("embedded: list databases: %w", err)
	}
	// Forget databases dropped since (their files are gone).
	present := make(map[string]bool, len(files))
	for _, f := range files {
		present[f] = true
	}
	for f, db := range x.dbs {
		if !present[f] {
			_ = db.Close()
			delete(x.dbs, f)
		}
	}
	created := 0
	var errs []error
	for _, f := range files {
		n, err := x.indexFile(ctx, f)
		created += n
		if err != nil {
			errs = append(errs, err)
		}
	}
	return created, errors.Join(errs...)
}

func (x *idIndexer) indexFile(ctx context.Context, file string) (int, error) {
	db := x.dbs[file]
	if db == nil {
		var err error
		// Same pragmas as FerretDB: wait for its writers rather than fail.
		db, err = sql.Open("sqlite", "file:"+file+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(wal)")
		if err != nil {
			return 0, fmt.Errorf("embedded: open %s: %w", filepath.Base(file), err)
		}
		db.SetMaxOpenConns(1)
		x.dbs[file] = db
	}
	tables, err := stringsOf(ctx, db, `SELECT table_name FROM "`+collectionsTable+`"`)
	if err != nil {
		return 0, fmt.Errorf("embedded: collections of %s: %w", filepath.Base(file), err)
	}
	have, err := stringsOf(ctx, db, `SELECT name FROM sqlite_master WHERE type = 'index'`)
	if err != nil {
		return 0, fmt.Errorf("embedded: indexes of %s: %w", filepath.Base(file), err)
	}
	exists := make(map[string]bool, len(have))
	for _, h := range have {
		exists[h] = true
	}
	created := 0
	for _, t := range tables {
		name := t + idIndexSuffix
		if exists[name] {
			continue
		}
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (%s)`, name, t, idExpr)
		if _, err := db.ExecContext(ctx, q); err != nil {
			// The collection may have been dropped meanwhile.
			return created, fmt.Errorf("embedded: index _id of %s in %s: %w", t, filepath.Base(file), err)
		}
		created++
	}
	return created, nil
}

func (x *idIndexer) close() {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.closed = true
	for f, db := range x.dbs {
		_ = db.Close()
		delete(x.dbs, f)
	}
}

func stringsOf(ctx context.Context, db *sql.DB, q string) ([]string, error) {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
