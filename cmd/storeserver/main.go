// Command storeserver runs only the embedded MongoDB-compatible engine
// (FerretDB on SQLite, the one the gateway embeds), so that several
// gateways on one machine can share one store for development and tests:
//
//	go run ./cmd/storeserver -dir ./data/shared -listen 127.0.0.1:27017
//	MONGODB_URI=mongodb://127.0.0.1:27017/ SWITCHBOARD_ADDR=:8080 go run ./gateway
//	MONGODB_URI=mongodb://127.0.0.1:27017/ SWITCHBOARD_ADDR=:8081 go run ./gateway
//
// It prints the URI to give the gateways on its first line. The engine has
// no authentication, so it listens on loopback only. Production runs
// MongoDB (a replica set) instead; see docs/operations.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/switchboard-chat/switchboard/inbox/embedded"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "storeserver:", err)
		os.Exit(1)
	}
}

func run() error {
	dir := flag.String("dir", "data/shared", "directory of the store's files")
	listen := flag.String("listen", "127.0.0.1:27017", "loopback host:port to listen on")
	flag.Parse()
	host, _, err := net.SplitHostPort(*listen)
	if err != nil {
		return fmt.Errorf("-listen %q: %w", *listen, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("-listen %q: the engine has no authentication; listen on a loopback address", *listen)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := embedded.StartOn(ctx, *dir, *listen, log)
	if err != nil {
		return err
	}
	fmt.Printf("MONGODB_URI=%s\n", srv.URI())
	log.Info("store server started", "dir", *dir, "uri", srv.URI())
	<-ctx.Done()
	log.Info("store server stopping")
	return srv.Close()
}
