// Package gatewayproc builds the real gateway binary, starts it on a free
// 127.0.0.1 port, waits until it is ready and signs in to its REST API. It
// is shared by the commands that measure a running gateway (cmd/bench,
// cmd/hostpage).
package gatewayproc

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// AdminEmail is the first admin's address (the gateway's default
// SWITCHBOARD_ADMIN_EMAIL).
const AdminEmail = "admin@example.com"

const (
	readyTimeout = 60 * time.Second // from start until /readyz answers 200
	stopTimeout  = 20 * time.Second // from SIGTERM until the process is killed
	outputLimit  = 4 << 20          // bytes of stdout and of stderr kept
)

// ModuleRoot is the directory of the go.mod of the module the command
// runs in, as `go env GOMOD` says.
func ModuleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	if root == "." || root == "" {
		return "", errors.New("not inside the switchboard module: run from the module's directory")
	}
	return root, nil
}

// Build compiles ./gateway of the module the command runs in into dir
// and returns the binary's path.
func Build(ctx context.Context, dir string) (string, error) {
	root, err := ModuleRoot(ctx)
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "switchboard")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./gateway")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./gateway: %w\n%s", err, b)
	}
	return bin, nil
}

// RandomHex returns n random bytes, hex encoded: for passwords and
// secrets.
func RandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Config is what one start of the gateway gets.
type Config struct {
	Bin           string // the gateway binary
	DataDir       string // SWITCHBOARD_DATA_DIR
	AdminPassword string // SWITCHBOARD_ADMIN_PASSWORD of AdminEmail, 8 characters or more
	Secret        string // SWITCHBOARD_SECRET, 32 characters or more
	MongoURI      string // MONGODB_URI; "" for the gateway's own embedded store
	Database      string // MONGODB_DATABASE; "" for the default
	Demo          bool   // SWITCHBOARD_DEMO: seed the demo line
	// Logger receives the start and stop of the process; nil discards.
	Logger *slog.Logger
}

// environ is the process environment for c on addr: the caller's, less
// any SWITCHBOARD_ and MONGODB_ variable, plus c's and generous rate
// limits, so that the gateway measured is the one configured here.
func (c Config) environ(addr string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SWITCHBOARD_") && !strings.HasPrefix(kv, "MONGODB_") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"SWITCHBOARD_ADDR="+addr,
		"SWITCHBOARD_PUBLIC_URL=http://"+addr,
		"SWITCHBOARD_DATA_DIR="+c.DataDir,
		"SWITCHBOARD_ADMIN_PASSWORD="+c.AdminPassword,
		"SWITCHBOARD_SECRET="+c.Secret,
		"SWITCHBOARD_PASSWORD_COST=4",
		fmt.Sprintf("SWITCHBOARD_DEMO=%t", c.Demo),
		"SWITCHBOARD_LOG_LEVEL=warn",
		"SWITCHBOARD_SHUTDOWN_TIMEOUT=5s",
		"SWITCHBOARD_WIDGET_SESSION_RATE=1000000",
		"SWITCHBOARD_WIDGET_MESSAGE_RATE=1000000",
	)
	if c.MongoURI != "" {
		env = append(env, "MONGODB_URI="+c.MongoURI)
	}
	if c.Database != "" {
		env = append(env, "MONGODB_DATABASE="+c.Database)
	}
	return env
}

// Process is one running gateway.
type Process struct {
	cfg     Config
	log     *slog.Logger
	cmd     *exec.Cmd
	addr    string
	stdout  *lockedBuffer
	stderr  *lockedBuffer
	done    chan struct{}
	waitErr error
}

// Start starts cfg.Bin on a free loopback port and waits until its
// /readyz answers 200. The process is killed if the caller dies (Linux).
func Start(ctx context.Context, cfg Config) (*Process, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, fmt.Errorf("free port: %w", err)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Process{cfg: cfg, log: log, addr: addr, stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(cfg.Bin)
	p.cmd.Env = cfg.environ(addr)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	p.cmd.SysProcAttr = procAttr()
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", cfg.Bin, err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.done)
	}()
	log.Debug("gateway started", "pid", p.Pid(), "addr", addr)
	if err := p.waitReady(ctx); err != nil {
		return nil, err
	}
	log.Info("gateway ready", "pid", p.Pid(), "url", p.BaseURL())
	return p, nil
}

// waitReady polls /readyz until it answers 200; on failure the process is
// killed.
func (p *Process) waitReady(ctx context.Context) error {
	probe := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(readyTimeout)
	for {
		select {
		case <-p.done:
			return fmt.Errorf("gateway exited before it was ready: %w\n%s%s", exitErr(p.waitErr), p.stdout, p.stderr)
		case <-ctx.Done():
			p.Kill()
			return fmt.Errorf("gateway not ready: %w", ctx.Err())
		default:
		}
		if resp, err := probe.Get(p.BaseURL() + "/readyz"); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			p.Kill()
			return fmt.Errorf("gateway not ready within %.0fs\n%s", readyTimeout.Seconds(), p.stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// exitErr is err, or a stand-in when the process exited with status 0.
func exitErr(err error) error {
	if err == nil {
		return errors.New("exit status 0")
	}
	return err
}

// Addr is the host:port the gateway listens on.
func (p *Process) Addr() string { return p.addr }

// BaseURL is http:// and Addr, also the gateway's SWITCHBOARD_PUBLIC_URL.
func (p *Process) BaseURL() string { return "http://" + p.addr }

// Pid is the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Stdout is what the process wrote to its standard output so far (the
// first 4 MiB).
func (p *Process) Stdout() string { return p.stdout.String() }

// Stderr is what the process wrote to its standard error (its log) so far
// (the first 4 MiB).
func (p *Process) Stderr() string { return p.stderr.String() }

// Stop sends SIGTERM and waits up to 20 s for the process to exit, then
// kills it. It returns how long that took and how the process ended.
func (p *Process) Stop() (time.Duration, error) {
	begin := time.Now()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		p.log.Debug("gateway stopped", "pid", p.Pid(), "took", time.Since(begin), "err", p.waitErr)
		return time.Since(begin), p.waitErr
	case <-time.After(stopTimeout):
		p.Kill()
		p.log.Warn("gateway did not stop after SIGTERM; killed", "pid", p.Pid())
		return time.Since(begin), fmt.Errorf("gateway did not stop within %.0fs of SIGTERM; killed", stopTimeout.Seconds())
	}
}

// Kill kills the process, if it still runs, and waits for it.
func (p *Process) Kill() {
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// LogLines returns the gateway's WARN and ERROR log lines.
func (p *Process) LogLines() (warn, errs []string) {
	for _, l := range strings.Split(p.stderr.String(), "\n") {
		switch {
		case strings.Contains(l, "level=ERROR"):
			errs = append(errs, l)
		case strings.Contains(l, "level=WARN"):
			warn = append(warn, l)
		}
	}
	return warn, errs
}

// freeAddr is a loopback address with a port free at the time of the
// call.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// lockedBuffer collects a process's output, up to outputLimit bytes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > outputLimit { // keep the caller's memory bounded
		return len(p), nil
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
