// Package telegram is the Telegram connector: a bot per line, its updates
// (through a webhook or long polling) stored as inbox messages in the
// common format exactly once, and agents' replies delivered from the
// inbox's durable delivery queue with Telegram's flood limits obeyed.
//
// It speaks the Bot API through github.com/go-telegram-bot-api/telegram-bot-api/v5
// (v5.5.1), working around its gaps: requests carry the caller's context
// (the library has none), errors of uploads are read from the response
// (the library leaves their code 0), setWebhook goes through MakeRequest
// (WebhookConfig has no secret_token), getUpdates is driven here (the
// library's GetUpdatesChan sleeps a fixed 3 s and ignores retry_after),
// and file URLs are built from the configured API base (GetFileDirectURL
// ignores a custom endpoint).
package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// DefaultAPIURL is Telegram's Bot API server.
const DefaultAPIURL = "https://api.telegram.org"

// MaxDownloadBytes is the Bot API's limit on files a bot may download.
const MaxDownloadBytes = 20 << 20

// client calls the Bot API for one bot.
type client struct {
	token string
	base  string // API base URL, no trailing slash
	hc    *http.Client
}

// ctxDoer binds the library's requests to a context.
type ctxDoer struct {
	ctx context.Context
	hc  *http.Client
}

func (d ctxDoer) Do(r *http.Request) (*http.Response, error) { return d.hc.Do(r.WithContext(d.ctx)) }

func (c client) bot(ctx context.Context) *tgbotapi.BotAPI {
	b := &tgbotapi.BotAPI{Token: c.token, Client: ctxDoer{ctx, c.hc}, Buffer: 100}
	b.SetAPIEndpoint(strings.ReplaceAll(c.base, "%", "%%") + "/bot%s/%s")
	return b
}

// APIError is the Bot API's refusal: its error_code, description and
// retry_after (seconds; 0 when absent).
type APIError struct {
	Code        int
	Description string
	RetryAfter  int
}

func (e *APIError) Error() string {
	if e.RetryAfter > 0 {
		return fmt.Sprintf("telegram: %d %s (retry after %d s)", e.Code, e.Description, e.RetryAfter)
	}
	return fmt.Sprintf("telegram: %d %s", e.Code, e.Description)
}

// Temporary says whether trying again later may succeed: flood limits and
// server errors.
func (e *APIError) Temporary() bool { return e.Code == 429 || e.Code >= 500 }

// apiErr reads the Bot API's answer into an *APIError when it refused,
// or wraps a transport failure.
func apiErr(method string, resp *tgbotapi.APIResponse, err error) error {
	if resp != nil && !resp.Ok && resp.ErrorCode != 0 {
		e := &APIError{Code: resp.ErrorCode, Description: resp.Description}
		if resp.Parameters != nil {
			e.RetryAfter = resp.Parameters.RetryAfter
		}
		return fmt.Errorf("%s: %w", method, e)
	}
	var te *tgbotapi.Error
	if errors.As(err, &te) && te.Code != 0 {
		return fmt.Errorf("%s: %w", method, &APIError{Code: te.Code, Description: te.Message, RetryAfter: te.RetryAfter})
	}
	if err != nil {
		return fmt.Errorf("telegram %s: %w", method, noURL(err))
	}
	return nil
}

// noURL drops the request URL from a transport error: it holds the token.
func noURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// call makes a method call with form parameters and decodes its result.
func (c client) call(ctx context.Context, method string, params tgbotapi.Params, out any) error {
	resp, err := c.bot(ctx).MakeRequest(method, params)
	return result(method, resp, err, out)
}

// request sends a library config (which may upload files) and decodes its
// result.
func (c client) request(ctx context.Context, cfg tgbotapi.Chattable, out any) error {
	resp, err := c.bot(ctx).Request(cfg)
	return result(fmt.Sprintf("%T", cfg), resp, err, out)
}

// result decodes a call's result into out (nil: not wanted), or says why
// the call failed.
func result(method string, resp *tgbotapi.APIResponse, err error, out any) error {
	if err := apiErr(method, resp, err); err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(resp.Result, out); err != nil {
		return fmt.Errorf("telegram %s: result: %w", method, err)
	}
	return nil
}

func (c client) getMe(ctx context.Context) (tgbotapi.User, error) {
	var u tgbotapi.User
	return u, c.call(ctx, "getMe", nil, &u)
}

// download fetches a file by id: getFile, then the file path under the
// configured base (the library's GetFileDirectURL ignores it). A file
// over max is errTooBig.
func (c client) download(ctx context.Context, fileID string, max int64) ([]byte, error) {
	var f tgbotapi.File
	if err := c.call(ctx, "getFile", tgbotapi.Params{"file_id": fileID}, &f); err != nil {
		var ae *APIError
		if errors.As(err, &ae) && ae.Code == 400 && strings.Contains(strings.ToLower(ae.Description), "too big") {
			return nil, errTooBig
		}
		return nil, err
	}
	if int64(f.FileSize) > max {
		return nil, errTooBig
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/file/bot"+c.token+"/"+f.FilePath, nil)
	if err != nil {
		return nil, fmt.Errorf("telegram file: %w", err)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("telegram file: %w", noURL(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("telegram file: %w", &APIError{Code: resp.StatusCode, Description: resp.Status})
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("telegram file: %w", err)
	}
	if int64(len(b)) > max {
		return nil, errTooBig
	}
	return b, nil
}

var errTooBig = errors.New("file too big")

// httpClient is the connector's HTTP client: long polls last up to the
// poll timeout, so requests get that plus a margin.
func httpClient(pollTimeout time.Duration) *http.Client {
	return &http.Client{Timeout: pollTimeout + 30*time.Second}
}
