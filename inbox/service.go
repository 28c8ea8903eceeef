package inbox

import (
	"context"
	"log/slog"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/switchboard-chat/switchboard/inbox/keyed"
	"golang.org/x/crypto/bcrypt"
)

// Limits are the inbox's size limits; every one is a named setting.
type Limits struct {
	// MessageChars is the longest message text, in characters.
	MessageChars int
	// NameChars is the longest name of a line, group, agent or contact.
	NameChars int
	// AttachmentsPerMessage caps the attachments of one message.
	AttachmentsPerMessage int
	// ListMax caps one page of a list.
	ListMax int
}

// DefaultLimits are used for zero fields of Options.Limits.
var DefaultLimits = Limits{MessageChars: 10000, NameChars: 200, AttachmentsPerMessage: 10, ListMax: 200}

// Options configure a Service.
type Options struct {
	Clock func() time.Time
	// Events receives every change; gateway wires the EventLog (and, later,
	// the real-time hubs) here.
	Events EventSink
	Logger *slog.Logger
	Limits Limits
	// PasswordCost is the bcrypt cost; tests lower it.
	PasswordCost int
	// Transcripts says the gateway can send mail (an outbox worker runs):
	// agents may ask for transcripts of missed conversations (outbox.go).
	Transcripts bool
	// Bots sets up the lines' Telegram bots; nil: bots are stored unchecked.
	Bots BotSetup
	// OnDelivery is told that a reply was queued for a channel
	// (delivery.go), so that the connector sends it at once.
	OnDelivery func(lineID string, ch Channel)
	// Outbound are the channels whose replies a connector delivers: an
	// agent's reply there is queued (delivery.go).
	Outbound []Channel
	// Mailboxes signs in to a line's mail servers when its mailbox is
	// saved; nil: mailboxes are stored unchecked.
	Mailboxes MailboxSetup
	// AllowPlainMail allows mail servers without TLS on other machines
	// (SWITCHBOARD_MAIL_ALLOW_PLAIN).
	AllowPlainMail bool
}

// Service performs the inbox's operations: it checks permissions, applies
// status transitions, stores the result and publishes an event.
type Service struct {
	store       *Store
	now         func() time.Time
	events      EventSink
	log         *slog.Logger
	limits      Limits
	transcripts bool
	bots        BotSetup
	onDelivery  func(lineID string, ch Channel)
	outbound    map[Channel]bool
	mailboxes   MailboxSetup
	// allowPlainMail: see Options.AllowPlainMail.
	allowPlainMail bool
	cost           int
	// load remembers agents' active conversation counts for routing.
	load loadCache
	// convLocks serialises changes to one conversation within the process.
	// MongoDB makes each single-document update atomic, but the embedded
	// engine does not (two findAndModify $inc calls can read the same
	// value): per conversation, seq, insert and status update keep one
	// order on a node; across nodes the unique indexes and the version
	// check stay the arbiters.
	convLocks keyed.Mutex
	// visitorLocks: one visitor's tabs sending a first message at once
	// open one conversation, not two.
	visitorLocks keyed.Mutex
	// dummyHash makes a login for an unknown e-mail cost as much as a real one.
	dummyHash []byte
	// reports keeps recent statistics reports (stats_cache.go).
	reports reportCache
}

// NewService builds the service over a connected store.
func NewService(store *Store, o Options) *Service {
	s := &Service{store: store, now: o.Clock, events: o.Events, log: o.Logger, limits: o.Limits, cost: o.PasswordCost, transcripts: o.Transcripts,
		bots: o.Bots, onDelivery: o.OnDelivery, outbound: map[Channel]bool{}, mailboxes: o.Mailboxes, allowPlainMail: o.AllowPlainMail}
	for _, ch := range o.Outbound {
		s.outbound[ch] = true
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.events == nil {
		s.events = MultiSink{}
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	d := DefaultLimits
	if s.limits.MessageChars <= 0 {
		s.limits.MessageChars = d.MessageChars
	}
	if s.limits.NameChars <= 0 {
		s.limits.NameChars = d.NameChars
	}
	if s.limits.AttachmentsPerMessage <= 0 {
		s.limits.AttachmentsPerMessage = d.AttachmentsPerMessage
	}
	if s.limits.ListMax <= 0 {
		s.limits.ListMax = d.ListMax
	}
	if s.cost == 0 {
		s.cost = 10
	}
	s.dummyHash, _ = bcrypt.GenerateFromPassword([]byte("switchboard-timing-guard"), s.cost)
	return s
}

// Store returns the underlying store.
func (s *Service) Store() *Store { return s.store }

// Now is the service's clock, truncated to the store's millisecond precision.
func (s *Service) Now() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// publish sends an event; a failure is logged, not returned, because the
// change it reports is already stored.
func (s *Service) publish(ctx context.Context, ev Event) {
	s.reports.changed()
	ev.ID = newID()
	if ev.At.IsZero() {
		ev.At = s.Now()
	}
	if err := s.events.Publish(context.WithoutCancel(ctx), ev); err != nil {
		s.log.Error("publish event", "type", ev.Type, "err", err)
	}
}

// checkName validates a required display name.
func (s *Service) checkName(field, v string) error {
	if v == "" {
		return invalid(field, "is required")
	}
	return s.checkText(field, v, s.limits.NameChars)
}

// checkText validates optional text: valid UTF-8 and at most max characters.
func (s *Service) checkText(field, v string, max int) error {
	if !utf8.ValidString(v) {
		return invalid(field, "is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(v); n > max {
		return invalid(field, "is %d characters long; the limit is %d", n, max)
	}
	return nil
}

// NeutralName removes the Unicode controls that reorder the text around
// them (bidi embeddings, overrides, isolates and marks), so a name such as
// "Admin\u202Egnp.exe" cannot make agents read something else. Names are
// shown inside other text everywhere; they never need these.
func NeutralName(v string) string {
	if !strings.ContainsFunc(v, isBidiControl) {
		return v
	}
	return strings.Map(func(r rune) rune {
		if isBidiControl(r) {
			return -1
		}
		return r
	}, v)
}

func isBidiControl(r rune) bool {
	switch {
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069, r == 0x200E, r == 0x200F, r == 0x061C:
		return true
	}
	return false
}

// checkFieldKey validates a custom field's key: a name that is safe as a
// document field (no leading "$", no ".", no control characters).
func (s *Service) checkFieldKey(k string) error {
	const field = "customFields"
	if err := s.checkName(field, k); err != nil {
		return err
	}
	switch {
	case strings.HasPrefix(k, "$"):
		return invalid(field, "key %q must not start with $", k)
	case strings.Contains(k, "."):
		return invalid(field, "key %q must not contain a dot", k)
	case strings.ContainsFunc(k, unicode.IsControl):
		return invalid(field, "key %q must not contain control characters", k)
	}
	return nil
}

func requireAdmin(a Actor) error {
	if !a.IsAdmin() {
		return ErrForbidden
	}
	return nil
}

func requireStaff(a Actor) error {
	if !a.SeesAll() {
		return ErrForbidden
	}
	return nil
}
