// Package embedded runs a MongoDB-compatible server inside the process: FerretDB
// on its pure-Go SQLite backend, listening on loopback only. It lets Switchboard
// start with no external database, and lets tests run against a real wire
// protocol server in a temporary directory.
package embedded

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// Server is a running embedded store.
type Server struct {
	uri    string
	cancel context.CancelFunc
	done   chan struct{}
	ids    *idIndexer
	log    *slog.Logger
}

// indexEvery is how often the server looks for collections created since
// it last indexed _id (the engine tells nobody when it creates one).
const indexEvery = 2 * time.Second

// Start creates dir if needed and starts the engine with its data under
// dir, on a free loopback port. It returns once the server accepts
// connections. Stop it with Close.
func Start(ctx context.Context, dir string, logger *slog.Logger) (*Server, error) {
	return StartOn(ctx, dir, "127.0.0.1:0", logger)
}

// StartOn is Start listening on addr (host:port). The engine has no
// authentication: callers keep addr on loopback.
func StartOn(ctx context.Context, dir, addr string, logger *slog.Logger) (*Server, error) {
	if logger == nil {
		logger = slog.Default()
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("embedded: data dir %q: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return nil, fmt.Errorf("embedded: create data dir: %w", err)
	}
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: addr},
		Handler:   "sqlite",
		SQLiteURL: "file:" + abs + "/",
		Logger:    slog.New(levelFilter{Handler: logger.Handler(), min: slog.LevelError}),
	})
	if err != nil {
		return nil, fmt.Errorf("embedded: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &Server{cancel: cancel, done: make(chan struct{}), ids: newIDIndexer(abs), log: logger}
	running := make(chan struct{})
	go func() {
		defer close(s.done)
		defer func() { <-running }()
		_ = f.Run(runCtx)
	}()
	go func() {
		defer close(running)
		s.keepIndexed(runCtx)
	}()
	uriCh := make(chan string, 1)
	go func() { uriCh <- f.MongoDBURI() }()
	select {
	case s.uri = <-uriCh:
	case <-time.After(30 * time.Second):
		cancel()
		return nil, errors.New("embedded: server did not start within 30s")
	case <-ctx.Done():
		cancel()
		return nil, fmt.Errorf("embedded: %w", ctx.Err())
	}
	return s, nil
}

// IndexIDs gives every collection of every database the index FerretDB's
// own _id lookups need (see idindex.go) and returns how many it created.
// The server also does so every few seconds, for collections created
// later; call it after creating collections to have them indexed at once.
func (s *Server) IndexIDs(ctx context.Context) (int, error) { return s.ids.run(ctx) }

// keepIndexed indexes new collections until ctx ends.
func (s *Server) keepIndexed(ctx context.Context) {
	defer s.ids.close()
	t := time.NewTicker(indexEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := s.ids.run(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("embedded store: index _id", "err", err)
			} else if n > 0 {
				s.log.Debug("embedded store: indexed _id of new collections", "count", n)
			}
		}
	}
}

// URI is the connection string of the running server.
func (s *Server) URI() string { return s.uri }

// Close stops the server and waits for it to release its files.
func (s *Server) Close() error {
	s.cancel()
	select {
	case <-s.done:
		return nil
	case <-time.After(10 * time.Second):
		return errors.New("embedded: server did not stop within 10s")
	}
}

// levelFilter keeps the engine to errors: it logs every refused command
// and every closed connection, which is noise for Switchboard's operators.
// Attributes and groups the engine adds with Logger.With are handed to the
// handler only when a record passes: the engine adds every SQL statement
// it runs, and a text or JSON handler formats them at once (measured: 12 %
// of the gateway's CPU under a burst of messages, for lines never logged).
type levelFilter struct {
	slog.Handler
	min     slog.Level
	pending []func(slog.Handler) slog.Handler
}

func (f levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= f.min && f.Handler.Enabled(ctx, l)
}

func (f levelFilter) Handle(ctx context.Context, r slog.Record) error {
	h := f.Handler
	for _, add := range f.pending {
		h = add(h)
	}
	return h.Handle(ctx, r)
}

func (f levelFilter) WithAttrs(a []slog.Attr) slog.Handler {
	return f.with(func(h slog.Handler) slog.Handler { return h.WithAttrs(a) })
}

func (f levelFilter) WithGroup(n string) slog.Handler {
	return f.with(func(h slog.Handler) slog.Handler { return h.WithGroup(n) })
}

func (f levelFilter) with(add func(slog.Handler) slog.Handler) slog.Handler {
	return levelFilter{Handler: f.Handler, min: f.min, pending: append(slices.Clip(f.pending), add)}
}
