package inbox

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// MinPasswordChars is the shortest password an agent may choose.
const MinPasswordChars = 8

// AgentInput creates or changes an agent; nil fields are left as they are.
type AgentInput struct {
	Name     *string   `json:"name"`
	Email    *string   `json:"email"`
	Password *string   `json:"password"`
	Role     *Role     `json:"role"`
	Language *string   `json:"language"`
	Presence *Presence `json:"presence"`
	GroupIDs *[]string `json:"groupIds"`
	Disabled *bool     `json:"disabled"`
	// MaxChats caps the agent's routed active conversations; 0: no cap.
	MaxChats *int `json:"maxChats"`
	// PresenceMode, BusinessHours and AwayAfterMinutes: see Agent.
	PresenceMode     *PresenceMode  `json:"presenceMode"`
	BusinessHours    *BusinessHours `json:"businessHours"`
	AwayAfterMinutes *int           `json:"awayAfterMinutes"`
	// RescueWhileInvisible and EmailTranscripts: see Agent.
	RescueWhileInvisible *bool `json:"rescueWhileInvisible"`
	EmailTranscripts     *bool `json:"emailTranscripts"`
	// Reason says why the presence changes (for its event); manual when
	// empty. Set by the product, never from a request.
	Reason PresenceReason `json:"-"`
}

func normalEmail(field, v string) (string, error) {
	a, err := mail.ParseAddress(v)
	if err != nil || a.Name != "" || a.Address != v {
		return "", invalid(field, "is not an e-mail address")
	}
	return strings.ToLower(a.Address), nil
}

func (s *Service) applyAgentInput(ctx context.Context, ag *Agent, in AgentInput) error {
	if in.Name != nil {
		if err := s.checkName("name", *in.Name); err != nil {
			return err
		}
		ag.Name = NeutralName(*in.Name)
	}
	if in.Email != nil {
		e, err := normalEmail("email", *in.Email)
		if err != nil {
			return err
		}
		ag.Email = e
	}
	if in.Password != nil {
		p := *in.Password
		if utf8.RuneCountInString(p) < MinPasswordChars {
			return invalid("password", "must be at least %d characters", MinPasswordChars)
		}
		if len(p) > 72 {
			return invalid("password", "must be at most 72 bytes")
		}
		h, err := bcrypt.GenerateFromPassword([]byte(p), s.cost)
		if err != nil {
			return fmt.Errorf("hash password: %w", err)
		}
		ag.PasswordHash = string(h)
	}
	if in.Role != nil {
		if !in.Role.Valid() {
			return invalid("role", "must be agent, supervisor or admin")
		}
		ag.Role = *in.Role
	}
	if in.Language != nil {
		if !ValidLanguage(*in.Language) {
			return invalid("language", "must be en, de, pl or ru")
		}
		ag.Language = *in.Language
	}
	if in.Presence != nil {
		if !in.Presence.Valid() {
			return invalid("presence", "must be online, offline or invisible")
		}
		ag.Presence = *in.Presence
	}
	if in.GroupIDs != nil {
		if err := s.checkIDs(ctx, "groupIds", s.store.CountGroupIDs, *in.GroupIDs); err != nil {
			return err
		}
		ag.GroupIDs = *in.GroupIDs
	}
	if in.Disabled != nil {
		ag.Disabled = *in.Disabled
	}
	if in.MaxChats != nil {
		if *in.MaxChats < 0 || *in.MaxChats > MaxChatsLimit {
			return invalid("maxChats", "must be between 0 (no limit) and %d", MaxChatsLimit)
		}
		ag.MaxChats = *in.MaxChats
	}
	if in.PresenceMode != nil {
		if !in.PresenceMode.Valid() {
			return invalid("presenceMode", "must be manual or hours")
		}
		ag.PresenceMode = *in.PresenceMode
	}
	if in.BusinessHours != nil {
		if err := validHours(*in.BusinessHours); err != nil {
			return err
		}
		ag.BusinessHours = *in.BusinessHours
	}
	if in.EmailTranscripts != nil {
		if *in.EmailTranscripts && !s.transcripts {
			return invalid("emailTranscripts", "this gateway has no mail server to send them (SWITCHBOARD_SMTP_URL)")
		}
		ag.EmailTranscripts = *in.EmailTranscripts
	}
	if in.RescueWhileInvisible != nil {
		ag.RescueWhileInvisible = *in.RescueWhileInvisible
	}
	if in.AwayAfterMinutes != nil {
		if m := *in.AwayAfterMinutes; m != AwayNever && (m < 0 || m > MaxAwayAfterMinutes) {
			return invalid("awayAfterMinutes", "must be -1 (never), 0 (the default, %d) or 1 to %d minutes", DefaultAwayAfterMinutes, MaxAwayAfterMinutes)
		}
		ag.AwayAfterMinutes = *in.AwayAfterMinutes
	}
	return nil
}

// CreateAgent adds an agent. Admins only.
func (s *Service) CreateAgent(ctx context.Context, a Actor, in AgentInput) (*Agent, error) {
	if err := requireAdmin(a); err != nil {
		return nil, err
	}
	switch {
	case in.Name == nil:
		return nil, invalid("name", "is required")
	case in.Email == nil:
		return nil, invalid("email", "is required")
	case in.Password == nil:
		return nil, invalid("password", "is required")
	}
	now := s.Now()
	ag := &Agent{ID: newID(), Role: RoleAgent, Language: "en", Presence: PresenceOffline, GroupIDs: []string{}, CreatedAt: now, UpdatedAt: now}
	if err := s.applyAgentInput(ctx, ag, in); err != nil {
		return nil, err
	}
	if err := s.store.InsertAgent(ctx, ag); err != nil {
		if errors.Is(err, errDuplicateKey) {
			return nil, errEmailTaken()
		}
		return nil, err
	}
	s.publish(ctx, Event{Type: EventAgentChanged, AgentID: ag.ID, SubjectID: ag.ID})
	return ag, nil
}

// UpdateAgent changes an agent. Admins change anyone; an agent changes
// their own name, language, presence and password only.
func (s *Service) UpdateAgent(ctx context.Context, a Actor, id string, in AgentInput) (*Agent, error) {
	self := a.AgentID == id && !a.System
	if !a.IsAdmin() {
		if !self || in.Email != nil || in.Role != nil || in.GroupIDs != nil || in.Disabled != nil || in.MaxChats != nil {
			return nil, ErrForbidden
		}
	}
	if self && ((in.Role != nil && *in.Role != RoleAdmin) || (in.Disabled != nil && *in.Disabled)) && a.Role == RoleAdmin {
		if err := s.keepAnAdmin(ctx, id); err != nil {
			return nil, err
		}
	}
	ag, err := s.Agent(ctx, id)
	if err != nil {
		return nil, err
	}
	oldPresence := ag.Presence
	if err := s.applyAgentInput(ctx, ag, in); err != nil {
		return nil, err
	}
	ag.UpdatedAt = s.Now()
	if err := s.store.ReplaceAgent(ctx, ag); err != nil {
		if errors.Is(err, errDuplicateKey) {
			return nil, errEmailTaken()
		}
		return nil, err
	}
	if in.Password != nil || ag.Disabled {
		if err := s.store.DeleteSessionsOfAgent(ctx, id); err != nil {
			return nil, err
		}
	}
	s.publish(ctx, Event{Type: EventAgentChanged, AgentID: id, SubjectID: id})
	if ag.Presence != oldPresence {
		reason := in.Reason
		if reason == "" {
			reason = ReasonManual
		}
		// The history statistics count time in each presence from. The
		// change is made: its history is written even if the caller has
		// gone meanwhile (a request cancelled, the process stopping).
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		err := s.store.RecordPresence(hctx, &PresenceChange{ID: newID(), AgentID: id, Presence: ag.Presence, Reason: reason, At: ag.UpdatedAt})
		cancel()
		if err != nil {
			s.log.Error("presence history", "agent", id, "err", err)
		}
		s.publish(ctx, Event{Type: EventPresenceChanged, AgentID: id, SubjectID: id, Presence: ag.Presence, Reason: reason})
		if ag.Presence == PresenceOnline {
			// Their clients are no longer missed: the wait starts again.
			if err := s.clearMissedOf(ctx, id); err != nil {
				s.log.Error("clear missed conversations", "agent", id, "err", err)
			}
			// Whoever waited while nobody was online is offered to them now.
			if err := s.RouteWaiting(ctx, id); err != nil {
				s.log.Error("route waiting conversations", "agent", id, "err", err)
			}
		}
	}
	return ag, nil
}

// SetPresence changes an agent's presence: the agent themself, an admin,
// or the scheduler.
func (s *Service) SetPresence(ctx context.Context, a Actor, id string, p Presence) (*Agent, error) {
	return s.UpdateAgent(ctx, a, id, AgentInput{Presence: &p})
}

// keepAnAdmin refuses a change that would leave no enabled admin.
func (s *Service) keepAnAdmin(ctx context.Context, leaving string) error {
	n, err := s.store.CountAdminsExcept(ctx, leaving)
	if err != nil {
		return err
	}
	if n == 0 {
		return conflict("this is the last admin")
	}
	return nil
}

// DeleteAgent removes an agent. Their active conversations go back to their
// line's queue. Admins only; the last admin cannot be deleted.
func (s *Service) DeleteAgent(ctx context.Context, a Actor, id string) error {
	if err := requireAdmin(a); err != nil {
		return err
	}
	ag, err := s.Agent(ctx, id)
	if err != nil {
		return err
	}
	if ag.Role == RoleAdmin {
		if err := s.keepAnAdmin(ctx, id); err != nil {
			return err
		}
	}
	active, err := s.store.ActiveConversationsOfAgent(ctx, id)
	if err != nil {
		return err
	}
	for _, c := range active {
		if _, err := s.mutate(ctx, System, c.ID, func(c *Conversation, now time.Time) error {
			return c.forward(ForwardTarget{LineID: c.LineID}, now)
		}); err != nil && !errors.Is(err, ErrConflict) {
			return err
		}
	}
	if err := s.store.DeleteAgent(ctx, id); err != nil {
		return err
	}
	if err := s.store.DeleteSessionsOfAgent(ctx, id); err != nil {
		return err
	}
	if err := s.store.DeletePrefs(ctx, id); err != nil {
		return err
	}
	s.publish(ctx, Event{Type: EventAgentDeleted, AgentID: id, SubjectID: id})
	return nil
}

// Agent loads an agent.
func (s *Service) Agent(ctx context.Context, id string) (*Agent, error) {
	return s.store.AgentByID(ctx, id)
}

// Agents lists every agent by name.
func (s *Service) Agents(ctx context.Context) ([]Agent, error) {
	return s.store.Agents(ctx)
}

// CountAgents counts the agents; start-up uses it to know a first run.
func (s *Service) CountAgents(ctx context.Context) (int64, error) {
	return s.store.CountAgents(ctx)
}

// errEmailTaken is an agent e-mail address another agent already has.
func errEmailTaken() error {
	return &FieldError{Field: "email", Message: "is already used by another agent"}
}
