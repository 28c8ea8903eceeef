package inbox

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// LineInput creates or changes a line; nil fields are left as they are.
type LineInput struct {
	Name          *string        `json:"name"`
	Channels      *LineChannels  `json:"channels"`
	AgentIDs      *[]string      `json:"agentIds"`
	GroupIDs      *[]string      `json:"groupIds"`
	BusinessHours *BusinessHours `json:"businessHours"`
	Settings      *LineSettings  `json:"settings"`
}

var (
	hhmm     = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$`)
	weekdays = map[string]bool{"mon": true, "tue": true, "wed": true, "thu": true, "fri": true, "sat": true, "sun": true}
)

// Redacted returns the line without its secrets, as the API shows it.
func (l Line) Redacted() Line {
	l.Channels.Telegram.HasToken = l.Channels.Telegram.BotToken != ""
	l.Channels.Telegram.BotToken = ""
	for _, srv := range []*MailServer{&l.Channels.Email.IMAP, &l.Channels.Email.SMTP} {
		srv.HasPassword, srv.Password = srv.Password != "", ""
	}
	l.Channels.Widget.IdentitySecretSet = l.Channels.Widget.IdentitySecret != ""
	l.Channels.Widget.IdentitySecret = ""
	return l
}

func validOrigin(o string) bool {
	u, err := url.Parse(o)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" &&
		u.Path == "" && u.RawQuery == "" && u.User == nil && !strings.HasSuffix(o, "/")
}

func (s *Service) applyLineInput(ctx context.Context, l *Line, in LineInput) error {
	if in.Name != nil {
		if err := s.checkName("name", *in.Name); err != nil {
			return err
		}
		l.Name = *in.Name
	}
	if in.Channels != nil {
		ch := *in.Channels
		for i, o := range ch.Widget.AllowedOrigins {
			if !validOrigin(o) {
				return invalid(fmt.Sprintf("channels.widget.allowedOrigins[%d]", i), "%q is not an origin like https://example.com", o)
			}
		}
		if m := ch.Telegram.Mode; m != "" && m != "webhook" && m != "polling" {
			return invalid("channels.telegram.mode", "must be webhook or polling")
		}
		if err := s.checkLook(&ch.Widget.WidgetLook); err != nil {
			return err
		}
		if ch.Widget.AllowedOrigins == nil {
			ch.Widget.AllowedOrigins = []string{}
		}
		// Secrets are write-only: an empty value keeps the stored one.
		if ch.Telegram.BotToken == "" {
			ch.Telegram.BotToken = l.Channels.Telegram.BotToken
		}
		if len(ch.Telegram.BotToken) > 200 {
			return invalid("channels.telegram.botToken", "is not a bot token")
		}
		// What Telegram said about the bot is the server's to set.
		ch.Telegram.Bot = l.Channels.Telegram.Bot
		if ch.Email.IMAP.Password == "" {
			ch.Email.IMAP.Password = l.Channels.Email.IMAP.Password
		}
		if ch.Email.SMTP.Password == "" {
			ch.Email.SMTP.Password = l.Channels.Email.SMTP.Password
		}
		if err := s.checkMailbox(&ch.Email); err != nil {
			return err
		}
		if ch.Widget.IdentitySecret == "" {
			ch.Widget.IdentitySecret = l.Channels.Widget.IdentitySecret
		}
		l.Channels = ch
	}
	if in.AgentIDs != nil {
		if err := s.checkIDs(ctx, "agentIds", s.store.CountAgentIDs, *in.AgentIDs); err != nil {
			return err
		}
		l.AgentIDs = *in.AgentIDs
	}
	if in.GroupIDs != nil {
		if err := s.checkIDs(ctx, "groupIds", s.store.CountGroupIDs, *in.GroupIDs); err != nil {
			return err
		}
		l.GroupIDs = *in.GroupIDs
	}
	if in.BusinessHours != nil {
		if err := validHours(*in.BusinessHours); err != nil {
			return err
		}
		l.BusinessHours = *in.BusinessHours
	}
	if in.Settings != nil {
		if err := s.checkLineSettings(*in.Settings); err != nil {
			return err
		}
		l.Settings = *in.Settings
	}
	return nil
}

// checkIDs reports an unknown id among ids as a field error; count is the
// store's count of the existing ones.
func (s *Service) checkIDs(ctx context.Context, field string, count func(context.Context, []string) (int64, error), ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	n, err := count(ctx, ids)
	if err != nil {
		return fmt.Errorf("check %s: %w", field, err)
	}
	if int(n) != len(uniq(ids)) {
		return invalid(field, "names an unknown id")
	}
	return nil
}

func uniq(ids []string) map[string]bool {
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// CreateLine adds a line. Admins only.
func (s *Service) CreateLine(ctx context.Context, a Actor, in LineInput) (*Line, error) {
	if err := requireAdmin(a); err != nil {
		return nil, err
	}
	now := s.Now()
	l := &Line{ID: newID(), AgentIDs: []string{}, GroupIDs: []string{}, CreatedAt: now, UpdatedAt: now,
		Channels: LineChannels{Widget: WidgetChannel{Enabled: true, AllowedOrigins: []string{}, WidgetLook: WidgetLook{Position: "right"}}},
		Settings: LineSettings{RatingTimeoutSeconds: 300, MissedAfterSeconds: DefaultMissedAfterSeconds}}
	if in.Name == nil {
		return nil, invalid("name", "is required")
	}
	if err := s.applyLineInput(ctx, l, in); err != nil {
		return nil, err
	}
	if err := s.setupMailbox(ctx, l, EmailChannel{}); err != nil {
		return nil, err
	}
	if err := s.setupBot(ctx, l, TelegramChannel{}); err != nil {
		return nil, err
	}
	if err := s.store.InsertLine(ctx, l); err != nil {
		return nil, err
	}
	s.publish(ctx, Event{Type: EventLineChanged, LineID: l.ID, SubjectID: l.ID})
	return l, nil
}

// UpdateLine changes a line. Admins only.
func (s *Service) UpdateLine(ctx context.Context, a Actor, id string, in LineInput) (*Line, error) {
	if err := requireAdmin(a); err != nil {
		return nil, err
	}
	l, err := s.Line(ctx, id)
	if err != nil {
		return nil, err
	}
	old, oldMail := l.Channels.Telegram, l.Channels.Email
	if err := s.applyLineInput(ctx, l, in); err != nil {
		return nil, err
	}
	// The mailbox is only checked; the bot's setup tells Telegram of a
	// new webhook secret, so it comes last.
	if err := s.setupMailbox(ctx, l, oldMail); err != nil {
		return nil, err
	}
	if err := s.setupBot(ctx, l, old); err != nil {
		return nil, err
	}
	l.UpdatedAt = s.Now()
	if err := s.store.ReplaceLine(ctx, l); err != nil {
		return nil, err
	}
	s.publish(ctx, Event{Type: EventLineChanged, LineID: l.ID, SubjectID: l.ID})
	return l, nil
}

// BotSetup checks a line's Telegram bot and tells Telegram where its
// updates go (connectors/telegram): on a new token, mode or switch. It
// returns the channel as it is to be stored (with what Telegram said
// about the bot and a chosen mode), or a field error with Telegram's own
// words.
type BotSetup interface {
	SetupBot(ctx context.Context, lineID string, old, now TelegramChannel) (TelegramChannel, error)
}

func (s *Service) setupBot(ctx context.Context, l *Line, old TelegramChannel) error {
	now := l.Channels.Telegram
	if s.bots == nil || (now.BotToken == old.BotToken && now.Mode == old.Mode && now.Enabled == old.Enabled && (now.Bot.ID != 0 || !now.Enabled)) {
		return nil
	}
	if !now.Enabled && !old.Enabled {
		return nil
	}
	ch, err := s.bots.SetupBot(ctx, l.ID, old, now)
	if err != nil {
		return err
	}
	l.Channels.Telegram = ch
	return nil
}

// Line loads a line with its secrets; callers showing it use Redacted.
func (s *Service) Line(ctx context.Context, id string) (*Line, error) {
	return s.store.LineByID(ctx, id)
}

// Lines lists every line by name.
func (s *Service) Lines(ctx context.Context) ([]Line, error) {
	return s.store.Lines(ctx)
}

// deleteLineBatch is how many conversations DeleteLine deletes at a time.
const deleteLineBatch = 500

// DeleteLine deletes a line and every conversation of it, with their
// messages. Admins only. Without transactions the order matters: messages
// first, then conversations, then the line, so a crash midway leaves a line
// that can be deleted again rather than orphans.
func (s *Service) DeleteLine(ctx context.Context, a Actor, id string) (deleted int64, err error) {
	if err := requireAdmin(a); err != nil {
		return 0, err
	}
	l, err := s.Line(ctx, id)
	if err != nil {
		return 0, err
	}
	if tg := l.Channels.Telegram; s.bots != nil && tg.Enabled {
		// The bot's webhook goes with the line (best effort: Telegram
		// unreachable is no reason to keep the line).
		off := tg
		off.Enabled = false
		if _, err := s.bots.SetupBot(ctx, id, tg, off); err != nil {
			s.log.Warn("delete line: switch its bot off", "line", id, "err", err)
		}
	}
	for {
		ids, err := s.store.ConversationIDsOfLine(ctx, id, deleteLineBatch)
		if err != nil {
			return deleted, err
		}
		if len(ids) == 0 {
			break
		}
		if err := s.store.DeleteMessagesOfConversations(ctx, ids); err != nil {
			return deleted, fmt.Errorf("line %s: %w", id, err)
		}
		n, err := s.store.DeleteConversations(ctx, ids)
		if err != nil {
			return deleted, fmt.Errorf("line %s: %w", id, err)
		}
		deleted += n
		for _, cid := range ids {
			s.publish(ctx, Event{Type: EventConversationDeleted, ConversationID: cid, LineID: id})
		}
	}
	if err := s.store.DeleteLine(ctx, id); err != nil {
		return deleted, err
	}
	s.publish(ctx, Event{Type: EventLineDeleted, LineID: id, SubjectID: id})
	return deleted, nil
}
