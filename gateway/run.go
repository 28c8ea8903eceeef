package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/inbox/embedded"
	"github.com/switchboard-chat/switchboard/inbox/lease"
	"golang.org/x/sync/errgroup"
)

// run wires every part and serves until ctx ends, then shuts down within
// the configured deadline.
func run(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := LoadConfig(getenv, nil)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)

	store, closeStore, indexIDs, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeStore()

	if err := store.EnsureIndexes(ctx); err != nil {
		return err
	}
	// The embedded mode keeps every conversation in memory (the store's
	// working set): read it now, not on the first request.
	if n, took, err := store.WarmUp(ctx); err != nil {
		return err
	} else if storeKind(cfg) == "embedded" {
		log.Info("working set warmed", "conversations", n, "took", took.Round(time.Millisecond))
	}
	metrics := newMetrics()
	node := nodeName()
	parts, boot, err := assemble(ctx, cfg, log, store, metrics, node)
	if err != nil {
		if boot.AdminPassword != "" {
			fmt.Fprintf(stdout, "Admin login: %s  password: %s\n", boot.AdminEmail, boot.AdminPassword)
		}
		return err
	}
	app := parts.app
	if indexIDs != nil {
		// Every collection exists now: give each its _id index at once.
		if n, err := indexIDs(ctx); err != nil {
			return err
		} else if n > 0 {
			log.Info("embedded store: indexed _id", "collections", n)
		}
	}

	ln, err := listen(cfg.Addr)
	if err != nil {
		return err
	}
	printWelcome(stdout, cfg, ln.Addr().String(), boot)
	log.Info("switchboard started", "addr", ln.Addr().String(), "store", storeKind(cfg))

	g, gctx := errgroup.WithContext(ctx)
	// The event log outlives the HTTP server so that changes made by the
	// last in-flight requests are still written.
	logCtx, stopLog := context.WithCancel(context.WithoutCancel(ctx))
	defer stopLog()
	g.Go(func() error { return parts.events.Run(logCtx) })
	g.Go(func() error { return parts.widget.Run(gctx) })
	if parts.tail != nil { // several gateways on one store: their events come through the log
		g.Go(func() error { return parts.tail.Run(gctx) })
	}
	// The scheduler's work runs in the one process that holds its lease.
	g.Go(func() error {
		return lease.Run(gctx, store, "scheduler", node, lease.Options{TTL: cfg.LeaseTTL, OnHeld: metrics.leaseHeldFunc("scheduler"), Log: log},
			func(ctx context.Context) error {
				w, wctx := errgroup.WithContext(ctx)
				w.Go(func() error { return parts.scheduler.Run(wctx) })
				w.Go(func() error { return parts.missed.Run(wctx) })
				w.Go(func() error { return parts.hours.Run(wctx) })
				w.Go(func() error { return parts.outbox.Run(wctx) })
				return w.Wait()
			})
	})
	g.Go(func() error { return parts.agents.RunPresence(gctx) })
	// Each Telegram bot runs under its line's lease.
	g.Go(func() error { return parts.telegram.Run(gctx) })
	// Each mailbox runs under its line's lease.
	g.Go(func() error { return parts.email.Run(gctx) })
	g.Go(func() error {
		if err := app.Listener(ln); err != nil && gctx.Err() == nil {
			return fmt.Errorf("http: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		log.Info("shutting down", "deadline", cfg.ShutdownTimeout)
		defer stopLog()
		// While the server waits for requests to finish, connections that
		// have not got a request to a handler are cut after a second.
		sweepDone := make(chan struct{})
		defer close(sweepDone)
		go func() {
			t := time.NewTicker(200 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-sweepDone:
					return
				case <-t.C:
					if n := parts.conns.closeUnstarted(time.Second); n > 0 {
						log.Info("shutdown: closed connections whose request had not begun", "count", n)
					}
				}
			}
		}()
		err := app.ShutdownWithTimeout(cfg.ShutdownTimeout)
		// If shutdown came before the server started serving, closing the
		// listener is what stops it.
		_ = ln.Close()
		if err != nil {
			return fmt.Errorf("http shutdown: %w; still busy: %s", err, parts.conns.busy())
		}
		return nil
	})
	err = g.Wait()
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	log.Info("stopped")
	return nil
}

func storeKind(cfg Config) string {
	if cfg.MongoURI == "" {
		return "embedded"
	}
	return "mongodb"
}

// openStore connects to MONGODB_URI, or starts the embedded engine under
// the data dir and connects to it; then indexIDs (nil on MongoDB) gives
// the engine's collections their _id index.
func openStore(ctx context.Context, cfg Config, log *slog.Logger) (_ *inbox.Store, closeAll func(), indexIDs func(context.Context) (int, error), _ error) {
	uri := cfg.MongoURI
	var emb *embedded.Server
	if uri == "" {
		dir := filepath.Join(cfg.DataDir, "db")
		var err error
		emb, err = embedded.Start(ctx, dir, log.With("component", "embedded-store"))
		if err != nil {
			return nil, nil, nil, err
		}
		indexIDs = emb.IndexIDs
		uri = emb.URI()
		log.Info("embedded store started", "dir", dir)
	}
	store, err := inbox.Connect(ctx, uri, cfg.MongoDatabase, inbox.StoreOptions{Exclusive: emb != nil, Log: log.With("component", "store")})
	if err != nil {
		if emb != nil {
			_ = emb.Close()
		}
		return nil, nil, nil, err
	}
	closeAll = func() {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := store.Close(cctx); err != nil {
			log.Warn("close store", "err", err)
		}
		if emb != nil {
			if err := emb.Close(); err != nil {
				log.Warn("close embedded store", "err", err)
			}
		}
	}
	return store, closeAll, indexIDs, nil
}

// nodeName names this process among the gateways on one store: host, pid
// and a random part (a restarted process is another holder).
func nodeName() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s/%d/%x", host, os.Getpid(), b)
}
