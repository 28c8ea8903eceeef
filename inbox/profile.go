package inbox

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// MaxChatsLimit is the highest maximum of concurrent chats an agent can have.
const MaxChatsLimit = 100

// NotifyPrefs are an agent's alert preferences. They are stored as what is
// switched off, so agents from before the setting existed have every alert
// on; the API shows and takes them as what is on.
type NotifyPrefs struct {
	SoundOff   bool `bson:"soundOff"`
	DesktopOff bool `bson:"desktopOff"`
}

// notifyJSON is NotifyPrefs as the API shows them.
type notifyJSON struct {
	Sound   bool `json:"sound"`
	Desktop bool `json:"desktop"`
}

// MarshalJSON shows the preferences as what is on.
func (p NotifyPrefs) MarshalJSON() ([]byte, error) {
	return json.Marshal(notifyJSON{Sound: !p.SoundOff, Desktop: !p.DesktopOff})
}

// NotifyInput changes an agent's alert preferences; nil fields stay.
type NotifyInput struct {
	Sound   *bool `json:"sound"`
	Desktop *bool `json:"desktop"`
}

// SetNotifications changes the actor's own alert preferences.
func (s *Service) SetNotifications(ctx context.Context, a Actor, in NotifyInput) (*Agent, error) {
	if a.AgentID == "" {
		return nil, ErrForbidden
	}
	if err := s.store.SetAgentNotifications(ctx, a.AgentID, in.Sound, in.Desktop, s.Now()); err != nil {
		return nil, err
	}
	s.agentChanged(ctx, a.AgentID)
	return s.Agent(ctx, a.AgentID)
}

// agentChanged publishes a change of an agent's document.
func (s *Service) agentChanged(ctx context.Context, id string) {
	s.publish(ctx, Event{Type: EventAgentChanged, AgentID: id, SubjectID: id})
}

// ErrWrongPassword is a password change whose current password is wrong.
var ErrWrongPassword = &FieldError{Field: "currentPassword", Message: "is not your current password"}

// ChangePassword sets the actor's own password after checking the current
// one, and ends every other session of theirs; keepSession (the session
// the change came from, by token) stays signed in. A wrong current
// password returns ErrWrongPassword and changes nothing.
func (s *Service) ChangePassword(ctx context.Context, a Actor, current, next, keepToken string) (*Agent, error) {
	if a.AgentID == "" {
		return nil, ErrForbidden
	}
	ag, err := s.Agent(ctx, a.AgentID)
	if err != nil {
		return nil, err
	}
	if err := CheckPassword("newPassword", next); err != nil {
		return nil, err
	}
	if bcrypt.CompareHashAndPassword([]byte(ag.PasswordHash), []byte(current)) != nil {
		return nil, ErrWrongPassword
	}
	if current == next {
		return nil, invalid("newPassword", "must differ from the current password")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(next), s.cost)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	if err := s.store.SetAgentPasswordHash(ctx, ag.ID, string(h), s.Now()); err != nil {
		return nil, err
	}
	s.agentChanged(ctx, ag.ID)
	if err := s.store.DeleteOtherSessions(ctx, ag.ID, hashToken(keepToken)); err != nil {
		return nil, err
	}
	return s.Agent(ctx, ag.ID)
}

// CheckPassword applies the rules of a new password; field names it.
func CheckPassword(field, p string) error {
	if utf8.RuneCountInString(p) < MinPasswordChars {
		return invalid(field, "must be at least %d characters", MinPasswordChars)
	}
	if len(p) > 72 {
		return invalid(field, "must be at most 72 bytes")
	}
	return nil
}

// CountSessions counts an agent's open sessions.
func (s *Service) CountSessions(ctx context.Context, agentID string) (int64, error) {
	return s.store.CountSessionsOfAgent(ctx, agentID)
}

// SetGroupMembers makes agentIDs the members of group id: the group is
// added to each of them and taken off every other agent. Unknown ids
// change nothing. Admins only.
func (s *Service) SetGroupMembers(ctx context.Context, a Actor, id string, agentIDs []string) ([]string, error) {
	if err := requireAdmin(a); err != nil {
		return nil, err
	}
	if _, err := s.Group(ctx, id); err != nil {
		return nil, err
	}
	if agentIDs == nil {
		agentIDs = []string{}
	}
	if err := s.checkIDs(ctx, "agentIds", s.store.CountAgentIDs, agentIDs); err != nil {
		return nil, err
	}
	before, err := s.GroupMembers(ctx, id)
	if err != nil {
		return nil, err
	}
	if len(agentIDs) > 0 {
		if err := s.store.AddAgentsToGroup(ctx, id, agentIDs); err != nil {
			return nil, err
		}
	}
	if err := s.store.RemoveGroupFromAgentsExcept(ctx, id, agentIDs); err != nil {
		return nil, err
	}
	s.publish(ctx, Event{Type: EventGroupChanged, SubjectID: id})
	// Each agent who joined or left is changed: their live connections
	// reload what they may see.
	for _, ag := range symmetricDiff(before, agentIDs) {
		s.publish(ctx, Event{Type: EventAgentChanged, AgentID: ag, SubjectID: ag})
	}
	return s.GroupMembers(ctx, id)
}

// symmetricDiff lists the ids in exactly one of a and b.
func symmetricDiff(a, b []string) []string {
	in := map[string]int{}
	for _, x := range a {
		in[x] |= 1
	}
	for _, x := range b {
		in[x] |= 2
	}
	var out []string
	for x, v := range in {
		if v != 3 {
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return out
}

// GroupMembers lists the ids of a group's agents.
func (s *Service) GroupMembers(ctx context.Context, id string) ([]string, error) {
	return s.store.AgentIDsInGroup(ctx, id)
}

// AgentLoads counts every agent's active conversations (statuses 1–6).
// Supervisors and admins.
func (s *Service) AgentLoads(ctx context.Context, a Actor) (map[string]int, error) {
	if err := requireStaff(a); err != nil {
		return nil, err
	}
	return s.store.AllActiveLoads(ctx)
}

// UnmarshalJSON reads the preferences as the API shows them.
func (p *NotifyPrefs) UnmarshalJSON(b []byte) error {
	v := notifyJSON{Sound: true, Desktop: true}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	p.SoundOff, p.DesktopOff = !v.Sound, !v.Desktop
	return nil
}
