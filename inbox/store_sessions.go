package inbox

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// InsertSession stores a new session.
func (s *Store) InsertSession(ctx context.Context, sess *Session) error {
	if _, err := s.sessions.InsertOne(ctx, sess); err != nil {
		return fmt.Errorf("store: insert session: %w", err)
	}
	return nil
}

// SessionByID loads a session by the hash of its token; ErrNotFound when
// there is none.
func (s *Store) SessionByID(ctx context.Context, id string) (*Session, error) {
	var sess Session
	if err := findOne(ctx, s.sessions, id, &sess); err != nil {
		return nil, err
	}
	return &sess, nil
}

// DeleteSession ends one session, by the hash of its token.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	if _, err := s.sessions.DeleteOne(ctx, bson.M{"_id": id}); err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

// DeleteSessionsOfAgent ends every session of an agent.
func (s *Store) DeleteSessionsOfAgent(ctx context.Context, agentID string) error {
	if _, err := s.sessions.DeleteMany(ctx, bson.M{"agentId": agentID}); err != nil {
		return fmt.Errorf("store: delete sessions of %s: %w", agentID, err)
	}
	return nil
}

// DeleteOtherSessions ends every session of an agent but keepID.
func (s *Store) DeleteOtherSessions(ctx context.Context, agentID, keepID string) error {
	if _, err := s.sessions.DeleteMany(ctx, bson.M{"agentId": agentID, "_id": bson.M{"$ne": keepID}}); err != nil {
		return fmt.Errorf("store: end other sessions of %s: %w", agentID, err)
	}
	return nil
}

// CountSessionsOfAgent counts an agent's open sessions.
func (s *Store) CountSessionsOfAgent(ctx context.Context, agentID string) (int64, error) {
	n, err := s.sessions.CountDocuments(ctx, bson.M{"agentId": agentID})
	if err != nil {
		return 0, fmt.Errorf("store: count sessions of %s: %w", agentID, err)
	}
	return n, nil
}
