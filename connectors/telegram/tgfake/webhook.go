package tgfake

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"syscall"
	"time"
)

// SecretTokenHeader is the header that carries a webhook's secret_token.
const SecretTokenHeader = "X-Telegram-Bot-Api-Secret-Token"

var secretTokenChars = regexp.MustCompile(`^[A-Za-z0-9_-]*$`)

type webhookState struct {
	url           string
	secret        string
	maxConns      int
	lastErrorDate int64
	lastErrorMsg  string
}

// Webhook returns the webhook URL and secret token that setWebhook set;
// both are "" when none is set.
func (s *Server) Webhook(token string) (url, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.bot(token); b != nil {
		return b.webhook.url, b.webhook.secret
	}
	return "", ""
}

func (s *Server) setWebhook(b *bot, r *request) (any, *apiError) {
	raw := r.params["url"]
	if raw == "" {
		return s.deleteWebhook(b, r) // "Use an empty string to remove webhook integration"
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, badRequest("invalid webhook URL specified")
	}
	if u.Scheme != "https" && u.Scheme != "http" { // Telegram wants https; tests use http
		return nil, badRequest("bad webhook: An HTTPS URL must be provided for webhook")
	}
	secret := r.params["secret_token"]
	if len(secret) > 256 {
		return nil, badRequest("secret token is too long")
	}
	if !secretTokenChars.MatchString(secret) {
		return nil, badRequest("secret token contains unallowed characters")
	}
	maxConns := int(min(max(intParam(r.params, "max_connections", 40), 1), 100))
	drop := boolParam(r.params, "drop_pending_updates")

	s.mu.Lock()
	defer s.mu.Unlock()
	b.setAllowed(r.params["allowed_updates"])
	wh := &b.webhook
	if wh.url == raw && wh.secret == secret && wh.maxConns == maxConns && !drop {
		return described{true, "Webhook is already set"}, nil
	}
	if b.poll != nil {
		b.poll.terminate(conflictSetWebhook)
		b.poll = nil
	}
	if drop {
		b.queue = nil
	}
	if wh.url != raw {
		wh.lastErrorDate, wh.lastErrorMsg = 0, ""
	}
	wh.url, wh.secret, wh.maxConns = raw, secret, maxConns
	if !b.delivering && !s.closed {
		b.delivering = true
		s.wg.Add(1)
		go s.deliver(b)
	}
	b.notify()
	return described{true, "Webhook was set"}, nil
}

func (s *Server) deleteWebhook(b *bot, r *request) (any, *apiError) {
	drop := boolParam(r.params, "drop_pending_updates")
	s.mu.Lock()
	defer s.mu.Unlock()
	if drop {
		b.queue = nil
	}
	desc := "Webhook is already deleted"
	if b.webhook.url != "" {
		desc = "Webhook was deleted"
	}
	b.webhook = webhookState{}
	b.notify()
	return described{true, desc}, nil
}

func (s *Server) getWebhookInfo(b *bot, _ *request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	wh := b.webhook
	info := map[string]any{
		"url":                    wh.url,
		"has_custom_certificate": false,
		"pending_update_count":   len(b.queue),
	}
	if wh.lastErrorDate > 0 {
		info["last_error_date"] = wh.lastErrorDate
		info["last_error_message"] = wh.lastErrorMsg
	}
	if wh.maxConns > 0 {
		info["max_connections"] = wh.maxConns
	}
	if wh.url != "" {
		info["ip_address"] = "127.0.0.1"
	}
	if list := b.allowedList(); list != nil {
		info["allowed_updates"] = list
	}
	return info, nil
}

// deliver is the bot's webhook deliverer. It POSTs the queued updates one
// at a time in update_id order, drops each one its receiver confirms with a
// 2xx answer, and pauses before retrying one that failed. It ends when the
// webhook is deleted or the server closed.
func (s *Server) deliver(b *bot) {
	defer s.wg.Done()
	s.mu.Lock()
	for {
		for b.webhook.url != "" && len(b.queue) == 0 && !s.closed {
			changed := b.changed
			s.mu.Unlock()
			select {
			case <-changed:
			case <-s.ctx.Done():
			}
			s.mu.Lock()
		}
		if b.webhook.url == "" || s.closed {
			b.delivering = false
			s.mu.Unlock()
			return
		}
		u, target, secret := b.queue[0], b.webhook.url, b.webhook.secret
		s.mu.Unlock()

		status, err := s.post(target, u.raw, secret, secret != "")

		s.mu.Lock()
		if err == nil && status >= 200 && status < 300 {
			b.dropUpdate(u.id)
			b.notify()
			continue
		}
		if b.webhook.url == target {
			b.webhook.lastErrorDate = time.Now().Unix()
			b.webhook.lastErrorMsg = deliveryError(status, err)
		}
		s.mu.Unlock()
		pause := time.NewTimer(s.opts.WebhookRetryPause)
		select {
		case <-pause.C:
		case <-s.ctx.Done():
			pause.Stop()
		}
		s.mu.Lock()
	}
}

// deliveryError words a failed delivery as getWebhookInfo's last_error_message.
func deliveryError(status int, err error) string {
	switch {
	case err == nil:
		return fmt.Sprintf("Wrong response from the webhook: %d %s", status, http.StatusText(status))
	case errors.Is(err, syscall.ECONNREFUSED):
		return "Connection refused"
	case errors.Is(err, context.DeadlineExceeded):
		return "Read timeout expired"
	default:
		return "Connection failed: " + err.Error()
	}
}

// post sends one update to a webhook and returns the receiver's HTTP status.
func (s *Server) post(target string, body []byte, secret string, withSecret bool) (int, error) {
	ctx, cancel := context.WithTimeout(s.ctx, s.opts.WebhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if withSecret {
		req.Header.Set(SecretTokenHeader, secret)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, nil
}

// DeliverRaw POSTs update, verbatim (it carries its own update_id), to the
// bot's webhook once, outside the update queue, and returns the HTTP status
// the receiver answered. The X-Telegram-Bot-Api-Secret-Token header carries
// secret; it is left out altogether when secret is "" and omitSecret is
// true. It is meant for fault tests: duplicate deliveries, a wrong or
// missing secret, malformed updates. Chats and messages in the update are
// remembered as with PushUpdate. It fails when no webhook is set.
func (s *Server) DeliverRaw(token string, update []byte, secret string, omitSecret bool) (status int, err error) {
	s.mu.Lock()
	b := s.bot(token)
	if b == nil {
		s.mu.Unlock()
		return 0, fmt.Errorf("tgfake: unknown bot token %q", token)
	}
	target := b.webhook.url
	b.learnUpdate(update)
	s.mu.Unlock()
	if target == "" {
		return 0, errors.New("tgfake: DeliverRaw: no webhook set")
	}
	return s.post(target, update, secret, !(omitSecret && secret == ""))
}
