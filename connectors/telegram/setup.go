package telegram

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/switchboard-chat/switchboard/inbox"
)

// Setup checks a line's bot when its settings are saved and tells
// Telegram where the bot's updates go (inbox.BotSetup).
type Setup struct {
	api, public string
	hc          *http.Client
	log         *slog.Logger
}

var _ inbox.BotSetup = (*Setup)(nil)

// NewSetup builds the setup over the Bot API at apiURL; webhooks are
// given under publicURL, the gateway's public address.
func NewSetup(apiURL, publicURL string, log *slog.Logger) *Setup {
	if log == nil {
		log = slog.Default()
	}
	return &Setup{api: strings.TrimRight(apiURL, "/"), public: strings.TrimRight(publicURL, "/"), hc: httpClient(0), log: log}
}

// WebhookPath is where a line's webhook is served; the key is random.
const WebhookPath = "/telegram/webhook/"

// allowedUpdates are the update kinds the connector takes.
var allowedUpdates = []string{"message", "edited_message", "channel_post", "edited_channel_post"}

// SetupBot checks the token with getMe, then sets the webhook (with a new
// secret_token) or deletes it for polling; a switched-off bot's webhook
// is deleted. A refusal is a field error in Telegram's own words.
func (s *Setup) SetupBot(ctx context.Context, lineID string, old, now inbox.TelegramChannel) (inbox.TelegramChannel, error) {
	oldc := client{token: old.BotToken, base: s.api, hc: s.hc}
	if !now.Enabled {
		if old.Enabled && old.BotToken != "" && old.Bot.WebhookURL != "" {
			if err := s.deleteWebhook(ctx, oldc); err != nil {
				s.log.Warn("telegram: delete webhook of switched-off bot", "line", lineID, "err", err)
			}
		}
		now.Bot.WebhookURL, now.Bot.WebhookSecret = "", ""
		return now, nil
	}
	if now.BotToken == "" {
		return now, &inbox.FieldError{Field: "channels.telegram.botToken", Message: "is required to connect a bot"}
	}
	c := client{token: now.BotToken, base: s.api, hc: s.hc}
	me, err := c.getMe(ctx)
	if err != nil {
		return now, &inbox.FieldError{Field: "channels.telegram.botToken", Message: telegramSays(err)}
	}
	if !me.IsBot {
		return now, &inbox.FieldError{Field: "channels.telegram.botToken", Message: "this token is not a bot's"}
	}
	if now.Mode == "" {
		now.Mode = "polling"
		if strings.HasPrefix(s.public, "https://") {
			now.Mode = "webhook"
		}
	}
	bot := inbox.TelegramBot{ID: me.ID, Username: me.UserName, Name: strings.TrimSpace(me.FirstName + " " + me.LastName)}
	if old.BotToken != "" && old.BotToken != now.BotToken && old.Bot.WebhookURL != "" {
		if err := s.deleteWebhook(ctx, oldc); err != nil {
			s.log.Warn("telegram: delete webhook of replaced token", "line", lineID, "err", err)
		}
	}
	if now.Mode == "polling" {
		if err := s.deleteWebhook(ctx, c); err != nil {
			return now, &inbox.FieldError{Field: "channels.telegram.mode", Message: telegramSays(err)}
		}
		now.Bot = bot
		return now, nil
	}
	bot.WebhookKey = old.Bot.WebhookKey
	if bot.WebhookKey == "" || old.BotToken != now.BotToken {
		bot.WebhookKey = randomHex(24)
	}
	bot.WebhookSecret = randomHex(32)
	bot.WebhookURL = s.public + WebhookPath + bot.WebhookKey
	allowed, _ := json.Marshal(allowedUpdates)
	err = c.call(ctx, "setWebhook", tgbotapi.Params{
		"url": bot.WebhookURL, "secret_token": bot.WebhookSecret, "allowed_updates": string(allowed), "max_connections": "40",
	}, nil)
	if err != nil {
		return now, &inbox.FieldError{Field: "channels.telegram.mode", Message: telegramSays(err)}
	}
	now.Bot = bot
	return now, nil
}

func (s *Setup) deleteWebhook(ctx context.Context, c client) error {
	return c.call(ctx, "deleteWebhook", tgbotapi.Params{"drop_pending_updates": "false"}, nil)
}

// telegramSays words a failed call for the admin: Telegram's own
// description, or that it could not be reached.
func telegramSays(err error) string {
	var ae *APIError
	if errors.As(err, &ae) {
		return "Telegram says: " + ae.Description
	}
	return fmt.Sprintf("Telegram could not be reached: %v", errors.Unwrap(err))
}

func randomHex(n int) string {
	b := make([]byte, n/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
