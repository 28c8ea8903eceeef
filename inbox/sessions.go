package inbox

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Session is a signed-in agent's session. Only the hash of its token is
// stored, so a leaked database does not leak live sessions.
type Session struct {
	ID        string    `bson:"_id"` // sha256 of the token
	AgentID   string    `bson:"agentId"`
	CSRF      string    `bson:"csrf"`
	CreatedAt time.Time `bson:"createdAt"`
	ExpiresAt time.Time `bson:"expiresAt"`
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(t string) string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}

// Login checks an e-mail and password and opens a session. It returns the
// session token for the cookie and the session (with its CSRF token).
func (s *Service) Login(ctx context.Context, email, password string, ttl time.Duration) (token string, sess *Session, ag *Agent, err error) {
	email = strings.ToLower(strings.TrimSpace(email))
	found, ferr := s.store.AgentByEmail(ctx, email)
	if ferr != nil && !errors.Is(ferr, ErrNotFound) {
		return "", nil, nil, ferr
	}
	hash := s.dummyHash
	if ferr == nil {
		hash = []byte(found.PasswordHash)
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || ferr != nil || found.Disabled {
		return "", nil, nil, ErrUnauthorized
	}
	token = randomToken()
	now := s.Now()
	sess = &Session{ID: hashToken(token), AgentID: found.ID, CSRF: randomToken(), CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if err := s.store.InsertSession(ctx, sess); err != nil {
		return "", nil, nil, err
	}
	return token, sess, found, nil
}

// Authenticate resolves a session token to its session and agent.
func (s *Service) Authenticate(ctx context.Context, token string) (*Session, *Agent, error) {
	if token == "" {
		return nil, nil, ErrUnauthorized
	}
	sess, err := s.store.SessionByID(ctx, hashToken(token))
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, nil, ErrUnauthorized
		}
		return nil, nil, err
	}
	if !s.Now().Before(sess.ExpiresAt) {
		_ = s.store.DeleteSession(ctx, sess.ID)
		return nil, nil, ErrUnauthorized
	}
	ag, err := s.Agent(ctx, sess.AgentID)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, ErrUnauthorized
	}
	if err != nil {
		return nil, nil, err
	}
	if ag.Disabled {
		return nil, nil, ErrUnauthorized
	}
	return sess, ag, nil
}

// CheckCSRF compares a request's CSRF token with the session's in constant time.
func (sess *Session) CheckCSRF(got string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRF)) == 1
}

// Logout ends the session of token.
func (s *Service) Logout(ctx context.Context, token string) error {
	return s.store.DeleteSession(ctx, hashToken(token))
}
