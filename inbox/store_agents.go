package inbox

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// AgentByID loads an agent; ErrNotFound when there is none.
func (s *Store) AgentByID(ctx context.Context, id string) (*Agent, error) {
	if byID, _, ok, err := s.small(ctx, &s.agentsCache, s.agents); err != nil {
		return nil, err
	} else if ok {
		raw, found := byID[id]
		if !found {
			return nil, fmt.Errorf("agents %s: %w", id, ErrNotFound)
		}
		var ag Agent
		if err := bson.Unmarshal(raw, &ag); err != nil {
			return nil, fmt.Errorf("store: decode agent %s: %w", id, err)
		}
		return &ag, nil
	}
	var ag Agent
	if err := findOne(ctx, s.agents, id, &ag); err != nil {
		return nil, err
	}
	return &ag, nil
}

// AgentByEmail loads the agent with a (normalised) e-mail address;
// ErrNotFound when there is none.
func (s *Store) AgentByEmail(ctx context.Context, email string) (*Agent, error) {
	var ag Agent
	err := s.agents.FindOne(ctx, bson.M{"email": email}).Decode(&ag)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, fmt.Errorf("agent by e-mail: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: find agent by email: %w", err)
	}
	return &ag, nil
}

// Agents lists every agent by name.
func (s *Store) Agents(ctx context.Context) ([]Agent, error) {
	return findAll[Agent](ctx, s.agents, bson.M{}, options.Find().SetSort(bson.D{{Key: "name", Value: 1}}))
}

// CountAgents counts every agent.
func (s *Store) CountAgents(ctx context.Context) (int64, error) {
	n, err := s.agents.CountDocuments(ctx, bson.M{})
	if err != nil {
		return 0, fmt.Errorf("store: count agents: %w", err)
	}
	return n, nil
}

// CountAgentIDs counts the agents among ids that exist.
func (s *Store) CountAgentIDs(ctx context.Context, ids []string) (int64, error) {
	return countIDs(ctx, s.agents, ids)
}

// CountAdminsExcept counts the enabled admins other than the agent except.
func (s *Store) CountAdminsExcept(ctx context.Context, except string) (int64, error) {
	n, err := s.agents.CountDocuments(ctx, bson.M{"role": RoleAdmin, "disabled": false, "_id": bson.M{"$ne": except}})
	if err != nil {
		return 0, fmt.Errorf("store: count admins: %w", err)
	}
	return n, nil
}

// InsertAgent stores a new agent. A taken e-mail address is errDuplicateKey.
func (s *Store) InsertAgent(ctx context.Context, ag *Agent) error {
	defer s.agentsCache.changed()
	if _, err := s.agents.InsertOne(ctx, ag); err != nil {
		return writeErr("insert agent", err)
	}
	return nil
}

// ReplaceAgent saves a changed agent. A taken e-mail address is errDuplicateKey.
func (s *Store) ReplaceAgent(ctx context.Context, ag *Agent) error {
	defer s.agentsCache.changed()
	if _, err := s.agents.ReplaceOne(ctx, bson.M{"_id": ag.ID}, ag); err != nil {
		return writeErr("save agent "+ag.ID, err)
	}
	return nil
}

// DeleteAgent removes an agent.
func (s *Store) DeleteAgent(ctx context.Context, id string) error {
	defer s.agentsCache.changed()
	if _, err := s.agents.DeleteOne(ctx, bson.M{"_id": id}); err != nil {
		return fmt.Errorf("store: delete agent %s: %w", id, err)
	}
	return nil
}

// SetAgentNotifications records an agent's alert preferences; nil ones
// stay. ErrNotFound when there is no such agent.
func (s *Store) SetAgentNotifications(ctx context.Context, id string, sound, desktop *bool, now time.Time) error {
	defer s.agentsCache.changed()
	set := bson.M{"updatedAt": now}
	if sound != nil {
		set["notify.soundOff"] = !*sound
	}
	if desktop != nil {
		set["notify.desktopOff"] = !*desktop
	}
	return s.setAgentFields(ctx, id, set)
}

// SetAgentPasswordHash records an agent's new password hash. ErrNotFound
// when there is no such agent.
func (s *Store) SetAgentPasswordHash(ctx context.Context, id, hash string, now time.Time) error {
	return s.setAgentFields(ctx, id, bson.M{"passwordHash": hash, "updatedAt": now})
}

func (s *Store) setAgentFields(ctx context.Context, id string, set bson.M) error {
	defer s.agentsCache.changed()
	res, err := s.agents.UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": set})
	if err != nil {
		return fmt.Errorf("store: update agent %s: %w", id, err)
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("agents %s: %w", id, ErrNotFound)
	}
	return nil
}

// EnabledAgentsOfLine lists the enabled agents in a line's queue, directly
// or through one of its groups, by id.
func (s *Store) EnabledAgentsOfLine(ctx context.Context, l *Line) ([]Agent, error) {
	if byID, ids, ok, err := s.small(ctx, &s.agentsCache, s.agents); err != nil {
		return nil, err
	} else if ok {
		all, err := decodeAll[Agent](byID, ids)
		if err != nil {
			return nil, err
		}
		out := []Agent{}
		for _, ag := range all {
			if !ag.Disabled && (slices.Contains(l.AgentIDs, ag.ID) || slices.ContainsFunc(ag.GroupIDs, func(g string) bool { return slices.Contains(l.GroupIDs, g) })) {
				out = append(out, ag)
			}
		}
		return out, nil
	}
	or := bson.A{bson.M{"_id": bson.M{"$in": nonNil(l.AgentIDs)}}}
	if len(l.GroupIDs) > 0 {
		or = append(or, bson.M{"groupIds": bson.M{"$in": l.GroupIDs}})
	}
	return findAll[Agent](ctx, s.agents, bson.M{"$or": or, "disabled": false},
		options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
}

// AgentIDsInGroup lists the ids of a group's agents.
func (s *Store) AgentIDsInGroup(ctx context.Context, groupID string) ([]string, error) {
	rows, err := findAll[struct {
		ID string `bson:"_id"`
	}](ctx, s.agents, bson.M{"groupIds": groupID})
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	return ids, nil
}

// AddAgentsToGroup puts the group on each of agentIDs.
func (s *Store) AddAgentsToGroup(ctx context.Context, groupID string, agentIDs []string) error {
	defer s.agentsCache.changed()
	if _, err := s.agents.UpdateMany(ctx, bson.M{"_id": bson.M{"$in": agentIDs}},
		bson.M{"$addToSet": bson.M{"groupIds": groupID}}); err != nil {
		return fmt.Errorf("store: add members to group %s: %w", groupID, err)
	}
	return nil
}

// RemoveGroupFromAgentsExcept takes the group off every agent but keep.
func (s *Store) RemoveGroupFromAgentsExcept(ctx context.Context, groupID string, keep []string) error {
	defer s.agentsCache.changed()
	if _, err := s.agents.UpdateMany(ctx, bson.M{"groupIds": groupID, "_id": bson.M{"$nin": nonNil(keep)}},
		bson.M{"$pull": bson.M{"groupIds": groupID}}); err != nil {
		return fmt.Errorf("store: remove members from group %s: %w", groupID, err)
	}
	return nil
}

// RemoveGroupFromAgents takes the group off every agent.
func (s *Store) RemoveGroupFromAgents(ctx context.Context, groupID string) error {
	defer s.agentsCache.changed()
	if _, err := s.agents.UpdateMany(ctx, bson.M{"groupIds": groupID}, bson.M{"$pull": bson.M{"groupIds": groupID}}); err != nil {
		return fmt.Errorf("store: unlink group %s from agents: %w", groupID, err)
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
