// Package inbox is Switchboard's core: the common message format,
// conversations with their statuses, dates and timings, contacts, agents,
// lines and groups, the permission rules, and the MongoDB store that keeps
// them. It imports no other room of the project.
package inbox

import "time"

// Role is what an agent may do.
type Role string

// Roles, from least to most powerful.
const (
	RoleAgent      Role = "agent"
	RoleSupervisor Role = "supervisor"
	RoleAdmin      Role = "admin"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleAgent || r == RoleSupervisor || r == RoleAdmin }

// Presence is an agent's availability as chosen by them or by the scheduler.
type Presence string

// Presence states. Invisible agents look offline to visitors.
const (
	PresenceOnline    Presence = "online"
	PresenceOffline   Presence = "offline"
	PresenceInvisible Presence = "invisible"
)

// Valid reports whether p is a known presence state.
func (p Presence) Valid() bool {
	return p == PresenceOnline || p == PresenceOffline || p == PresenceInvisible
}

// Channel is how the customer reaches the business.
type Channel string

// Channels.
const (
	ChannelLiveChat Channel = "livechat"
	ChannelTelegram Channel = "telegram"
	ChannelEmail    Channel = "email"
)

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool {
	return c == ChannelLiveChat || c == ChannelTelegram || c == ChannelEmail
}

// Languages the product speaks.
var languages = map[string]bool{"en": true, "de": true, "pl": true, "ru": true}

// ValidLanguage reports whether lang is one of the product's languages.
func ValidLanguage(lang string) bool { return languages[lang] }

// Line is an entry point with its own channels, queue, hours and settings.
type Line struct {
	ID       string       `bson:"_id" json:"id"`
	Name     string       `bson:"name" json:"name"`
	Channels LineChannels `bson:"channels" json:"channels"`
	// AgentIDs and GroupIDs form the line's queue: who is offered its
	// unassigned conversations.
	AgentIDs      []string      `bson:"agentIds" json:"agentIds"`
	GroupIDs      []string      `bson:"groupIds" json:"groupIds"`
	BusinessHours BusinessHours `bson:"businessHours" json:"businessHours"`
	Settings      LineSettings  `bson:"settings" json:"settings"`
	CreatedAt     time.Time     `bson:"createdAt" json:"createdAt"`
	UpdatedAt     time.Time     `bson:"updatedAt" json:"updatedAt"`
}

// LineChannels configures the channels of a line. The connectors read it.
type LineChannels struct {
	Widget   WidgetChannel   `bson:"widget" json:"widget"`
	Telegram TelegramChannel `bson:"telegram" json:"telegram"`
	Email    EmailChannel    `bson:"email" json:"email"`
}

// WidgetChannel configures the website widget of a line.
type WidgetChannel struct {
	Enabled        bool     `bson:"enabled" json:"enabled"`
	AllowedOrigins []string `bson:"allowedOrigins" json:"allowedOrigins"`
	// IdentitySecret verifies identified visitors: the site sends the hex
	// HMAC-SHA256 of its user id keyed with it. A secret: it is never
	// returned by the API once set.
	IdentitySecret string `bson:"identitySecret" json:"identitySecret,omitempty"`
	// WidgetLook is the widget's appearance (linewidget.go).
	WidgetLook `bson:",inline"`
}

// TelegramChannel configures the Telegram bot of a line.
type TelegramChannel struct {
	Enabled bool `bson:"enabled" json:"enabled"`
	// BotToken is a secret: it is never returned by the API once set.
	BotToken string `bson:"botToken" json:"botToken,omitempty"`
	// HasToken says a token is stored (the API never shows it).
	HasToken bool   `bson:"-" json:"hasToken"`
	Mode     string `bson:"mode" json:"mode"` // "webhook" or "polling"
	// AllowGroups takes messages from groups and channels the bot is in;
	// by default only private chats reach the inbox.
	AllowGroups bool `bson:"allowGroups" json:"allowGroups"`
	// Bot is what getMe said about the token when it was saved; the
	// webhook's path and secret are generated then (connectors/telegram).
	Bot TelegramBot `bson:"bot" json:"bot"`
}

// TelegramBot is the line's bot as Telegram knows it, and the webhook
// that carries its updates.
type TelegramBot struct {
	ID       int64  `bson:"id" json:"id"`
	Username string `bson:"username" json:"username"`
	Name     string `bson:"name" json:"name"`
	// WebhookURL is the URL given to setWebhook (webhook mode); it
	// contains WebhookKey, the unguessable path part.
	WebhookURL string `bson:"webhookUrl" json:"webhookUrl"`
	WebhookKey string `bson:"webhookKey" json:"-"`
	// WebhookSecret is the secret_token Telegram sends back with every
	// update (X-Telegram-Bot-Api-Secret-Token). Never shown.
	WebhookSecret string `bson:"webhookSecret" json:"-"`
}

// EmailChannel configures the mailbox of a line: customers' mail is
// fetched from its IMAP folder, agents' replies go out through its SMTP
// server (connectors/email).
type EmailChannel struct {
	Enabled bool `bson:"enabled" json:"enabled"`
	// Address is the mailbox's address: the From of replies, and the
	// domain of their Message-IDs and reply addresses.
	Address  string `bson:"address" json:"address"`
	FromName string `bson:"fromName" json:"fromName"`
	// Folder is the IMAP folder read, INBOX when empty.
	Folder string `bson:"folder" json:"folder"`
	// AfterStore is what happens to a fetched mail once its message is
	// stored: "seen" (the default) flags it seen, "move" moves it to MoveTo.
	AfterStore string     `bson:"afterStore" json:"afterStore"`
	MoveTo     string     `bson:"moveTo" json:"moveTo"`
	IMAP       MailServer `bson:"imap" json:"imap"`
	SMTP       MailServer `bson:"smtp" json:"smtp"`
}

// MailServer is how to reach and sign in to an IMAP or SMTP server.
type MailServer struct {
	Host string `bson:"host" json:"host"`
	Port int    `bson:"port" json:"port"`
	// Security is "tls" (implicit TLS), "starttls" or "none" (only for a
	// loopback host, or with SWITCHBOARD_MAIL_ALLOW_PLAIN).
	Security string `bson:"security" json:"security"`
	Username string `bson:"username" json:"username"`
	// Password is a secret: it is never returned by the API once set.
	Password    string `bson:"password" json:"password,omitempty"`
	HasPassword bool   `bson:"-" json:"hasPassword"`
}

// LineSettings are the line's behaviour switches.
type LineSettings struct {
	// HideWidgetWhenOffline hides the widget instead of showing messenger
	// mode when no agent of the line is online.
	HideWidgetWhenOffline bool `bson:"hideWidgetWhenOffline" json:"hideWidgetWhenOffline"`
	// ContactFormBot greets visitors and asks for name and e-mail.
	ContactFormBot bool `bson:"contactFormBot" json:"contactFormBot"`
	// Greeting is the widget's welcome text.
	Greeting string `bson:"greeting" json:"greeting"`
	// RatingTimeout is how long a conversation stays "closing" waiting for
	// the client's rating, in seconds.
	RatingTimeoutSeconds int `bson:"ratingTimeoutSeconds" json:"ratingTimeoutSeconds"`
	// MissedAfterSeconds is how long a client may wait for an agent's
	// answer before the conversation is marked missed; 0 means the
	// default, DefaultMissedAfterSeconds.
	MissedAfterSeconds int `bson:"missedAfterSeconds" json:"missedAfterSeconds"`
	// AutoCloseMinutes closes a conversation nobody waits in after this
	// long without a client message (autoclose.go); 0: never.
	AutoCloseMinutes int `bson:"autoCloseMinutes" json:"autoCloseMinutes"`
	// ReofferAfterSeconds offers a routed conversation its agent has not
	// taken (accepted or answered) within this long to the next online
	// agent (reoffer.go); 0: never.
	ReofferAfterSeconds int `bson:"reofferAfterSeconds" json:"reofferAfterSeconds"`
}

// Group is a team of agents.
type Group struct {
	ID        string    `bson:"_id" json:"id"`
	Name      string    `bson:"name" json:"name"`
	CreatedAt time.Time `bson:"createdAt" json:"createdAt"`
	UpdatedAt time.Time `bson:"updatedAt" json:"updatedAt"`
}

// Agent is a person who answers conversations.
type Agent struct {
	ID           string    `bson:"_id" json:"id"`
	Name         string    `bson:"name" json:"name"`
	Email        string    `bson:"email" json:"email"`
	Role         Role      `bson:"role" json:"role"`
	Language     string    `bson:"language" json:"language"`
	Presence     Presence  `bson:"presence" json:"presence"`
	GroupIDs     []string  `bson:"groupIds" json:"groupIds"`
	PasswordHash string    `bson:"passwordHash" json:"-"`
	Disabled     bool      `bson:"disabled" json:"disabled"`
	CreatedAt    time.Time `bson:"createdAt" json:"createdAt"`
	UpdatedAt    time.Time `bson:"updatedAt" json:"updatedAt"`

	// MaxChats caps the active conversations routing gives the agent; 0: no cap.
	MaxChats int `bson:"maxChats" json:"maxChats"`
	// PresenceMode is PresenceManual (the agent sets it) or PresenceByHours:
	// online at the start of each opening of their hours and offline at its
	// end; a manual change then lasts until the next boundary.
	PresenceMode PresenceMode `bson:"presenceMode,omitempty" json:"presenceMode"`
	// BusinessHours are the agent's own; when not enabled, an automatic
	// agent follows the hours of the lines they work (agenthours.go).
	BusinessHours BusinessHours `bson:"businessHours,omitempty" json:"businessHours"`
	// AwayAfterMinutes sets an online or invisible agent offline after this
	// long without activity in the inbox: 0 means DefaultAwayAfterMinutes,
	// AwayNever never (AwayAfter).
	AwayAfterMinutes int `bson:"awayAfterMinutes,omitempty" json:"awayAfterMinutes"`
	// RescueWhileInvisible: while invisible, the agent is offered the
	// missed conversations of their lines, and answering one takes it
	// (access.go, "rescue").
	RescueWhileInvisible bool `bson:"rescueWhileInvisible,omitempty" json:"rescueWhileInvisible"`
	// EmailTranscripts: the agent gets the transcript of every missed or
	// unanswered conversation of their lines by e-mail (outbox.go).
	EmailTranscripts bool `bson:"emailTranscripts,omitempty" json:"emailTranscripts"`
	// Notifications are the agent's own alert preferences (profile.go).
	Notifications NotifyPrefs `bson:"notify" json:"notifications"`
}

// Contact is a customer: a visitor, a Telegram user or an e-mail sender.
type Contact struct {
	ID           string            `bson:"_id" json:"id"`
	Name         string            `bson:"name" json:"name"`
	Email        string            `bson:"email" json:"email"`
	Phone        string            `bson:"phone" json:"phone"`
	CustomFields map[string]string `bson:"customFields" json:"customFields"`
	Blocked      bool              `bson:"blocked" json:"blocked"`
	CRMID        string            `bson:"crmId" json:"crmId"`
	CRMURL       string            `bson:"crmUrl" json:"crmUrl"`
	// TelegramUserID and the like let connectors find a returning contact.
	TelegramUserID int64 `bson:"telegramUserId,omitempty" json:"telegramUserId,omitempty"`
	// TelegramUsername is the Telegram user's @username, without the @.
	TelegramUsername string `bson:"telegramUsername,omitempty" json:"telegramUsername,omitempty"`
	// Unreachable says why the contact's channel refuses our messages,
	// e.g. "bot was blocked by the user"; cleared when they write again.
	Unreachable string `bson:"unreachable,omitempty" json:"unreachable,omitempty"`
	// Address is a website visitor's client address, kept only where
	// blocking by address is on.
	Address string `bson:"address,omitempty" json:"address,omitempty"`
	// VisitorNumber names a website visitor who gave no name: the inbox
	// shows "Visitor 1234" in each agent's language (see VisitorSeen).
	VisitorNumber int `bson:"visitorNumber,omitempty" json:"visitorNumber,omitempty"`
	// Client is what the visitor's browser said about itself at their
	// latest widget session.
	Client    *ClientInfo `bson:"client,omitempty" json:"client,omitempty"`
	CreatedAt time.Time   `bson:"createdAt" json:"createdAt"`
	UpdatedAt time.Time   `bson:"updatedAt" json:"updatedAt"`
}

// ConversationType says who wrote first.
type ConversationType string

// Conversation types.
const (
	Incoming ConversationType = "incoming"
	Outgoing ConversationType = "outgoing"
)

// AuthorKind says who wrote a message.
type AuthorKind string

// Author kinds.
const (
	AuthorContact AuthorKind = "contact"
	AuthorAgent   AuthorKind = "agent"
	AuthorBot     AuthorKind = "bot"
	AuthorSystem  AuthorKind = "system"
)

// Valid reports whether k is a known author kind.
func (k AuthorKind) Valid() bool {
	return k == AuthorContact || k == AuthorAgent || k == AuthorBot || k == AuthorSystem
}

// Message is the common format every channel is translated into.
type Message struct {
	ID             string     `bson:"_id" json:"id"`
	ConversationID string     `bson:"conversationId" json:"conversationId"`
	Seq            int64      `bson:"seq" json:"seq"`
	AuthorKind     AuthorKind `bson:"authorKind" json:"authorKind"`
	AuthorID       string     `bson:"authorId" json:"authorId"`
	AuthorName     string     `bson:"authorName" json:"authorName"`
	Text           string     `bson:"text" json:"text"`
	// Comment messages are internal: agents see them, customers never do.
	Comment     bool         `bson:"comment" json:"comment"`
	Attachments []Attachment `bson:"attachments" json:"attachments"`
	// ClientID is the sender-chosen id that makes retries idempotent.
	ClientID  string      `bson:"clientId" json:"clientId"`
	Refs      ChannelRefs `bson:"refs" json:"refs"`
	CreatedAt time.Time   `bson:"createdAt" json:"createdAt"`
	// ReplyTo quotes the message this one answers (a Telegram reply).
	ReplyTo *Quote `bson:"replyTo,omitempty" json:"replyTo,omitempty"`
	// EditedAt is set when the author changed the text after sending it
	// (a Telegram edit); Edits keeps every earlier text, oldest first.
	EditedAt *time.Time `bson:"editedAt,omitempty" json:"editedAt,omitempty"`
	Edits    []Edit     `bson:"edits,omitempty" json:"edits,omitempty"`
	// Delivery is the state of an agent's reply on its way to a channel
	// (delivery.go); nil for messages nothing has to carry.
	Delivery *Delivery `bson:"delivery,omitempty" json:"delivery,omitempty"`
	// Email is what an e-mail message has beyond the common format.
	Email *MailMeta `bson:"email,omitempty" json:"email,omitempty"`
}

// MailMeta is an e-mail's envelope and bodies: Text of the message is the
// mail with quoted history and signature folded away, FullText the whole.
type MailMeta struct {
	Subject  string        `bson:"subject" json:"subject"`
	From     MailAddress   `bson:"from" json:"from"`
	To       []MailAddress `bson:"to" json:"to"`
	Cc       []MailAddress `bson:"cc,omitempty" json:"cc"`
	FullText string        `bson:"fullText,omitempty" json:"fullText"`
	// HTML is the mail's HTML, sanitised; served by its own route, never
	// in lists.
	HTML            string   `bson:"html,omitempty" json:"-"`
	HasHTML         bool     `bson:"hasHtml" json:"hasHtml"`
	HasRemoteImages bool     `bson:"hasRemoteImages" json:"hasRemoteImages"`
	Notes           []string `bson:"notes,omitempty" json:"notes"`
}

// MailAddress is a name and an e-mail address.
type MailAddress struct {
	Name  string `bson:"name,omitempty" json:"name"`
	Email string `bson:"email" json:"email"`
}

// Quote is a quoted message: its id and the start of its text.
type Quote struct {
	MessageID  string `bson:"messageId" json:"messageId"`
	AuthorName string `bson:"authorName" json:"authorName"`
	Text       string `bson:"text" json:"text"`
}

// Edit is an earlier text of an edited message.
type Edit struct {
	Text string    `bson:"text" json:"text"`
	At   time.Time `bson:"at" json:"at"`
}

// Attachment describes a stored file.
type Attachment struct {
	FileID      string `bson:"fileId" json:"fileId"`
	Name        string `bson:"name" json:"name"`
	ContentType string `bson:"contentType" json:"contentType"`
	Size        int64  `bson:"size" json:"size"`
	// ContentID names an e-mail's inline image (cid:), shown in its HTML.
	ContentID string `bson:"contentId,omitempty" json:"contentId,omitempty"`
	Inline    bool   `bson:"isInline,omitempty" json:"inline,omitempty"`
}

// ChannelRefs are a channel's own ids for a message.
type ChannelRefs struct {
	TelegramChatID    int64 `bson:"tgChatId,omitempty" json:"telegramChatId,omitempty"`
	TelegramMessageID int   `bson:"tgMessageId,omitempty" json:"telegramMessageId,omitempty"`
	TelegramUpdateID  int   `bson:"tgUpdateId,omitempty" json:"telegramUpdateId,omitempty"`
	// TelegramParts are the Telegram message ids an album was made of.
	TelegramParts []int `bson:"tgParts,omitempty" json:"telegramParts,omitempty"`
	// TelegramSent are the ids of the Telegram messages a reply was sent
	// as (a long text is split, an album is several).
	TelegramSent    []int    `bson:"tgSent,omitempty" json:"telegramSent,omitempty"`
	EmailMessageID  string   `bson:"emailMessageId,omitempty" json:"emailMessageId,omitempty"`
	EmailInReplyTo  string   `bson:"emailInReplyTo,omitempty" json:"emailInReplyTo,omitempty"`
	EmailReferences []string `bson:"emailReferences,omitempty" json:"emailReferences,omitempty"`
}
