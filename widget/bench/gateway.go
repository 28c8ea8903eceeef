package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// buildGateway compiles ./gateway of the module the bench runs in and
// says which source it was: the commit and how many files differ from it.
func buildGateway(ctx context.Context, dir string) (bin, source string, err error) {
	bin, err = buildGatewayBin(ctx, dir)
	if err != nil {
		return "", "", err
	}
	root, _ := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	git := func(args ...string) string {
		cmd := exec.CommandContext(ctx, "git", args...)
		cmd.Dir = filepath.Dir(strings.TrimSpace(string(root)))
		out, _ := cmd.Output()
		return strings.TrimSpace(string(out))
	}
	source = "built from the working tree at commit " + git("rev-parse", "--short", "HEAD")
	if st := git("status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)widget/bench"); st != "" {
		source += fmt.Sprintf(" with %d files (outside widget/bench) changed and not committed", len(strings.Split(st, "\n")))
	}
	return bin, source, nil
}

func buildGatewayBin(ctx context.Context, dir string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	if root == "." || root == "" {
		return "", errors.New("not inside the switchboard module: run from /work/main or pass -gateway")
	}
	bin := filepath.Join(dir, "switchboard")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./gateway")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./gateway: %v\n%s", err, b)
	}
	return bin, nil
}

// lockedBuffer collects a process's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > 4<<20 { // keep the bench's memory bounded
		return len(p), nil
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// gateway is one running gateway process.
type gateway struct {
	cmd     *exec.Cmd
	addr    string
	base    string
	stdout  *lockedBuffer
	stderr  *lockedBuffer
	done    chan struct{}
	waitErr error
}

func (g *gateway) pid() int { return g.cmd.Process.Pid }

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// gatewayEnv is the environment every start of the gateway gets.
type gatewayEnv struct {
	bin, dataDir, mongoURI, adminPassword, secret string
	database                                      string // MONGODB_DATABASE; "" for the default
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// startGateway starts the binary on a free loopback port and waits for
// /readyz.
func startGateway(ctx context.Context, e gatewayEnv) (*gateway, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SWITCHBOARD_") && !strings.HasPrefix(kv, "MONGODB_") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"SWITCHBOARD_ADDR="+addr,
		"SWITCHBOARD_DATA_DIR="+e.dataDir,
		"SWITCHBOARD_ADMIN_PASSWORD="+e.adminPassword,
		"SWITCHBOARD_SECRET="+e.secret,
		"SWITCHBOARD_PASSWORD_COST=4",
		"SWITCHBOARD_DEMO=false",
		"SWITCHBOARD_LOG_LEVEL=warn",
		"SWITCHBOARD_SHUTDOWN_TIMEOUT=5s",
		"SWITCHBOARD_WIDGET_SESSION_RATE=1000000",
		"SWITCHBOARD_WIDGET_MESSAGE_RATE=1000000",
	)
	if e.mongoURI != "" {
		env = append(env, "MONGODB_URI="+e.mongoURI)
	}
	if e.database != "" {
		env = append(env, "MONGODB_DATABASE="+e.database)
	}
	g := &gateway{addr: addr, base: "http://" + addr, stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, done: make(chan struct{})}
	g.cmd = exec.Command(e.bin)
	g.cmd.Env = env
	g.cmd.Stdout, g.cmd.Stderr = g.stdout, g.stderr
	// If the bench dies, the gateway goes with it.
	g.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := g.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", e.bin, err)
	}
	go func() {
		g.waitErr = g.cmd.Wait()
		close(g.done)
	}()
	probe := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-g.done:
			return nil, fmt.Errorf("gateway exited before it was ready: %v\n%s%s", g.waitErr, g.stdout, g.stderr)
		case <-ctx.Done():
			g.kill()
			return nil, ctx.Err()
		default:
		}
		if resp, err := probe.Get(g.base + "/readyz"); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return g, nil
			}
		}
		if time.Now().After(deadline) {
			g.kill()
			return nil, fmt.Errorf("gateway not ready within 60s\n%s", g.stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop sends SIGTERM, waits up to 20 s, then kills.
func (g *gateway) stop() (time.Duration, error) {
	begin := time.Now()
	_ = g.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-g.done:
		return time.Since(begin), g.waitErr
	case <-time.After(20 * time.Second):
		g.kill()
		return time.Since(begin), errors.New("gateway did not stop within 20s of SIGTERM; killed")
	}
}

func (g *gateway) kill() {
	select {
	case <-g.done:
	default:
		_ = g.cmd.Process.Kill()
		<-g.done
	}
}

// logLines returns the gateway's WARN and ERROR log lines.
func (g *gateway) logLines() (warn, errs []string) {
	for _, l := range strings.Split(g.stderr.String(), "\n") {
		switch {
		case strings.Contains(l, "level=ERROR"):
			errs = append(errs, l)
		case strings.Contains(l, "level=WARN"):
			warn = append(warn, l)
		}
	}
	return warn, errs
}

// sharedTransport carries every REST call of the bench.
var sharedTransport = &http.Transport{
	DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	MaxIdleConns:        1024,
	MaxIdleConnsPerHost: 1024,
	IdleConnTimeout:     30 * time.Second,
}

// apiClient is one signed-in agent (or anonymous caller).
type apiClient struct {
	base string
	http *http.Client
	jar  http.CookieJar
	csrf string
	id   string
}

func newAPIClient(base string) *apiClient {
	jar, _ := cookiejar.New(nil)
	return &apiClient{base: base, jar: jar, http: &http.Client{Jar: jar, Transport: sharedTransport, Timeout: 60 * time.Second}}
}

// call sends JSON and decodes a JSON answer; a status other than want is
// an error carrying the body.
func (c *apiClient) call(ctx context.Context, method, path string, body any, want int, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.csrf != "" && method != http.MethodGet {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: read: %w", method, path, err)
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: status %d (want %d): %.300s", method, path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: decode: %w", method, path, err)
		}
	}
	return nil
}

func (c *apiClient) login(ctx context.Context, email, password string) error {
	var me struct {
		Agent struct {
			ID string `json:"id"`
		} `json:"agent"`
		CSRFToken string `json:"csrfToken"`
	}
	if err := c.call(ctx, "POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password}, http.StatusOK, &me); err != nil {
		return err
	}
	c.csrf, c.id = me.CSRFToken, me.Agent.ID
	return nil
}

// setup is what the bench creates in a fresh store.
type setup struct {
	admin  *apiClient
	agents []*agentConn
	lineID string
}

// createSetup signs the admin in, creates the agents and one line with
// them in its queue and the bench's origin allowed, and brings the agents
// online with their websockets open.
func createSetup(ctx context.Context, g *gateway, adminPassword string, nAgents int, origin string) (*setup, error) {
	s := &setup{admin: newAPIClient(g.base)}
	if err := s.admin.login(ctx, "admin@example.com", adminPassword); err != nil {
		return nil, fmt.Errorf("admin login: %w", err)
	}
	const agentPassword = "bench-agent-password"
	ids := make([]string, nAgents)
	emails := make([]string, nAgents)
	for i := range nAgents {
		emails[i] = fmt.Sprintf("agent%03d@bench.example.com", i)
		var ag struct {
			ID string `json:"id"`
		}
		err := s.admin.call(ctx, "POST", "/api/v1/agents", map[string]any{
			"name": fmt.Sprintf("Bench Agent %d", i), "email": emails[i], "password": agentPassword, "role": "agent",
		}, http.StatusCreated, &ag)
		if err != nil {
			return nil, fmt.Errorf("create agent: %w", err)
		}
		ids[i] = ag.ID
	}
	var line struct {
		ID string `json:"id"`
	}
	err := s.admin.call(ctx, "POST", "/api/v1/lines", map[string]any{
		"name":     "Bench line",
		"channels": map[string]any{"widget": map[string]any{"enabled": true, "allowedOrigins": []string{origin}}},
		"agentIds": ids,
	}, http.StatusCreated, &line)
	if err != nil {
		return nil, fmt.Errorf("create line: %w", err)
	}
	s.lineID = line.ID
	for i := range nAgents {
		cl := newAPIClient(g.base)
		if err := cl.login(ctx, emails[i], agentPassword); err != nil {
			return nil, fmt.Errorf("agent login: %w", err)
		}
		if err := cl.call(ctx, "PATCH", "/api/v1/me", map[string]any{"presence": "online"}, http.StatusOK, nil); err != nil {
			return nil, fmt.Errorf("agent online: %w", err)
		}
		ac, err := dialAgent(ctx, g, cl)
		if err != nil {
			return nil, err
		}
		s.agents = append(s.agents, ac)
	}
	return s, nil
}
