package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"time"

	"github.com/switchboard-chat/switchboard/cmd/internal/gatewayproc"
)

// buildGateway compiles ./gateway of the module the bench runs in and
// says which source it was: the commit and how many files differ from it.
func buildGateway(ctx context.Context, dir string) (bin, source string, err error) {
	root, err := gatewayproc.ModuleRoot(ctx)
	if err != nil {
		return "", "", fmt.Errorf("%w, or pass -gateway", err)
	}
	if bin, err = gatewayproc.Build(ctx, dir); err != nil {
		return "", "", err
	}
	git := func(args ...string) string {
		cmd := exec.CommandContext(ctx, "git", args...)
		cmd.Dir = root
		out, _ := cmd.Output()
		return strings.TrimSpace(string(out))
	}
	source = "built from the working tree at commit " + git("rev-parse", "--short", "HEAD")
	if st := git("status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)cmd/bench"); st != "" {
		source += fmt.Sprintf(" with %d files (outside cmd/bench) changed and not committed", len(strings.Split(st, "\n")))
	}
	return bin, source, nil
}

// sharedTransport carries every REST call of the bench.
var sharedTransport = &http.Transport{
	DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	MaxIdleConns:        1024,
	MaxIdleConnsPerHost: 1024,
	IdleConnTimeout:     30 * time.Second,
}

// setup is what the bench creates in a fresh store.
type setup struct {
	admin  *gatewayproc.Client
	agents []*agentConn
	lineID string
}

// createSetup signs the admin in (on the first node), creates the agents
// and one line with them in its queue and the bench's origin allowed, and
// brings the agents online with their websockets open: agent i signs in
// and opens its websocket on node i mod len(nodes).
func createSetup(ctx context.Context, nodes []*gatewayproc.Process, nAgents int, origin string) (*setup, error) {
	admin, err := nodes[0].SignIn(ctx, sharedTransport)
	if err != nil {
		return nil, err
	}
	s := &setup{admin: admin}
	const agentPassword = "bench-agent-password"
	ids := make([]string, nAgents)
	emails := make([]string, nAgents)
	for i := range nAgents {
		emails[i] = fmt.Sprintf("agent%03d@bench.example.com", i)
		var ag struct {
			ID string `json:"id"`
		}
		err := s.admin.Call(ctx, "POST", "/api/v1/agents", map[string]any{
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
	err = s.admin.Call(ctx, "POST", "/api/v1/lines", map[string]any{
		"name":     "Bench line",
		"channels": map[string]any{"widget": map[string]any{"enabled": true, "allowedOrigins": []string{origin}}},
		"agentIds": ids,
	}, http.StatusCreated, &line)
	if err != nil {
		return nil, fmt.Errorf("create line: %w", err)
	}
	s.lineID = line.ID
	for i := range nAgents {
		node := i % len(nodes)
		g := nodes[node]
		cl := gatewayproc.NewClient(g.BaseURL(), sharedTransport)
		if err := cl.Login(ctx, emails[i], agentPassword); err != nil {
			return nil, fmt.Errorf("agent login: %w", err)
		}
		if err := cl.Call(ctx, "PATCH", "/api/v1/me", map[string]any{"presence": "online"}, http.StatusOK, nil); err != nil {
			return nil, fmt.Errorf("agent online: %w", err)
		}
		ac, err := dialAgent(ctx, g, cl)
		if err != nil {
			return nil, fmt.Errorf("node %d: %w", node+1, err)
		}
		ac.node = node
		s.agents = append(s.agents, ac)
	}
	return s, nil
}
