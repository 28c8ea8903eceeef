package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/inbox/api"
	"github.com/switchboard-chat/switchboard/inbox/embedded"
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

	store, closeStore, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeStore()

	if err := store.EnsureIndexes(ctx); err != nil {
		return err
	}
	svc := inbox.NewService(store, inbox.Options{
		Logger:       log,
		Limits:       inbox.Limits{MessageChars: cfg.MessageMaxChars},
		PasswordCost: cfg.PasswordCost,
	})
	boot, err := bootstrap(ctx, svc, cfg)
	if err != nil {
		return err
	}

	metrics := newMetrics()
	app := newHTTP(cfg, log, metrics, store)
	api.New(svc, api.Config{
		SessionTTL:       cfg.SessionTTL,
		CookieSecure:     cfg.CookieSecure(),
		LoginMaxFailures: cfg.LoginMaxFailures,
		LoginWindow:      cfg.LoginWindow,
	}, log).Mount(app)
	mountFallback(app)

	ln, err := listen(cfg.Addr)
	if err != nil {
		return err
	}
	printWelcome(stdout, cfg, ln.Addr().String(), boot)
	log.Info("switchboard started", "addr", ln.Addr().String(), "store", storeKind(cfg))

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := app.Listener(ln); err != nil {
			return fmt.Errorf("http: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		log.Info("shutting down", "deadline", cfg.ShutdownTimeout)
		if err := app.ShutdownWithTimeout(cfg.ShutdownTimeout); err != nil {
			return fmt.Errorf("http shutdown: %w", err)
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
// the data dir and connects to it.
func openStore(ctx context.Context, cfg Config, log *slog.Logger) (*inbox.Store, func(), error) {
	uri := cfg.MongoURI
	var emb *embedded.Server
	if uri == "" {
		dir := filepath.Join(cfg.DataDir, "db")
		quiet := slog.New(log.Handler()).With("component", "embedded-store")
		var err error
		emb, err = embedded.Start(ctx, dir, quietLogger(quiet))
		if err != nil {
			return nil, nil, err
		}
		uri = emb.URI()
		log.Info("embedded store started", "dir", dir)
	}
	store, err := inbox.Connect(ctx, uri, cfg.MongoDatabase)
	if err != nil {
		if emb != nil {
			_ = emb.Close()
		}
		return nil, nil, err
	}
	closeAll := func() {
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
	return store, closeAll, nil
}

// quietLogger keeps the embedded engine to errors: it is chatty at info.
func quietLogger(l *slog.Logger) *slog.Logger {
	return slog.New(levelFilter{Handler: l.Handler(), min: slog.LevelError})
}

type levelFilter struct {
	slog.Handler
	min slog.Level
}

func (f levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= f.min && f.Handler.Enabled(ctx, l)
}

func (f levelFilter) WithAttrs(a []slog.Attr) slog.Handler {
	return levelFilter{Handler: f.Handler.WithAttrs(a), min: f.min}
}

func (f levelFilter) WithGroup(n string) slog.Handler {
	return levelFilter{Handler: f.Handler.WithGroup(n), min: f.min}
}
