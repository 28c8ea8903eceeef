package gatewayproc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"time"
)

// Client is one caller of the gateway's REST API: anonymous, or signed in
// as an agent after Login.
type Client struct {
	base string
	http *http.Client
	jar  http.CookieJar
	csrf string
	id   string
}

// NewClient returns an anonymous client of the gateway at base (a
// BaseURL) whose requests go through rt (nil: http.DefaultTransport) and
// time out after 60 s.
func NewClient(base string, rt http.RoundTripper) *Client {
	jar, _ := cookiejar.New(nil) // cookiejar.New never fails without options
	return &Client{base: base, jar: jar, http: &http.Client{Jar: jar, Transport: rt, Timeout: 60 * time.Second}}
}

// SignIn returns a client signed in as the admin (AdminEmail with the
// Config's AdminPassword), its requests going through rt.
func (p *Process) SignIn(ctx context.Context, rt http.RoundTripper) (*Client, error) {
	c := NewClient(p.BaseURL(), rt)
	if err := c.Login(ctx, AdminEmail, p.cfg.AdminPassword); err != nil {
		return nil, fmt.Errorf("admin login: %w", err)
	}
	return c, nil
}

// Call sends body (nil: none) as JSON with the session's CSRF token and
// decodes a JSON answer into out (nil: ignored); a status other than want
// is an error carrying the start of the body.
func (c *Client) Call(ctx context.Context, method, path string, body any, want int, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("%s %s: encode: %w", method, path, err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
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

// Login signs the client in; its session cookie and CSRF token then go
// with every call.
func (c *Client) Login(ctx context.Context, email, password string) error {
	var me struct {
		Agent struct {
			ID string `json:"id"`
		} `json:"agent"`
		CSRFToken string `json:"csrfToken"`
	}
	if err := c.Call(ctx, http.MethodPost, "/api/v1/auth/login", map[string]any{"email": email, "password": password}, http.StatusOK, &me); err != nil {
		return err
	}
	c.csrf, c.id = me.CSRFToken, me.Agent.ID
	return nil
}

// AgentID is the id of the agent signed in, or "".
func (c *Client) AgentID() string { return c.id }

// Jar holds the client's cookies, the session among them: for a
// websocket dialed as the same agent.
func (c *Client) Jar() http.CookieJar { return c.jar }
