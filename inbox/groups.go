package inbox

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// GroupInput creates or renames a group.
type GroupInput struct {
	Name *string `json:"name"`
}

// CreateGroup adds a group. Admins only.
func (s *Service) CreateGroup(ctx context.Context, a Actor, in GroupInput) (*Group, error) {
	if err := requireAdmin(a); err != nil {
		return nil, err
	}
	if in.Name == nil {
		return nil, invalid("name", "is required")
	}
	if err := s.checkName("name", *in.Name); err != nil {
		return nil, err
	}
	now := s.Now()
	g := &Group{ID: newID(), Name: *in.Name, CreatedAt: now, UpdatedAt: now}
	if _, err := s.store.groups.InsertOne(ctx, g); err != nil {
		return nil, fmt.Errorf("store: insert group: %w", err)
	}
	s.publish(ctx, Event{Type: EventGroupChanged, SubjectID: g.ID})
	return g, nil
}

// UpdateGroup renames a group. Admins only.
func (s *Service) UpdateGroup(ctx context.Context, a Actor, id string, in GroupInput) (*Group, error) {
	if err := requireAdmin(a); err != nil {
		return nil, err
	}
	g, err := s.Group(ctx, id)
	if err != nil {
		return nil, err
	}
	if in.Name != nil {
		if err := s.checkName("name", *in.Name); err != nil {
			return nil, err
		}
		g.Name = *in.Name
	}
	g.UpdatedAt = s.Now()
	if _, err := s.store.groups.ReplaceOne(ctx, bson.M{"_id": id}, g); err != nil {
		return nil, fmt.Errorf("store: save group %s: %w", id, err)
	}
	s.publish(ctx, Event{Type: EventGroupChanged, SubjectID: id})
	return g, nil
}

// DeleteGroup removes a group and takes it off agents and lines.
// Conversations assigned to it stay with their line. Admins only.
func (s *Service) DeleteGroup(ctx context.Context, a Actor, id string) error {
	if err := requireAdmin(a); err != nil {
		return err
	}
	if _, err := s.Group(ctx, id); err != nil {
		return err
	}
	pull := bson.M{"$pull": bson.M{"groupIds": id}}
	if _, err := s.store.agents.UpdateMany(ctx, bson.M{"groupIds": id}, pull); err != nil {
		return fmt.Errorf("store: unlink group %s from agents: %w", id, err)
	}
	if _, err := s.store.lines.UpdateMany(ctx, bson.M{"groupIds": id}, pull); err != nil {
		return fmt.Errorf("store: unlink group %s from lines: %w", id, err)
	}
	if _, err := s.store.conversations.UpdateMany(ctx, bson.M{"groupId": id}, bson.M{"$set": bson.M{"groupId": ""}, "$inc": bson.M{"version": 1}}); err != nil {
		return fmt.Errorf("store: unlink group %s from conversations: %w", id, err)
	}
	if _, err := s.store.groups.DeleteOne(ctx, bson.M{"_id": id}); err != nil {
		return fmt.Errorf("store: delete group %s: %w", id, err)
	}
	s.publish(ctx, Event{Type: EventGroupDeleted, SubjectID: id})
	return nil
}

// Group loads a group.
func (s *Service) Group(ctx context.Context, id string) (*Group, error) {
	var g Group
	if err := findOne(ctx, s.store.groups, id, &g); err != nil {
		return nil, err
	}
	return &g, nil
}

// Groups lists every group by name.
func (s *Service) Groups(ctx context.Context) ([]Group, error) {
	return findAll[Group](ctx, s.store.groups, bson.M{}, options.Find().SetSort(bson.D{{Key: "name", Value: 1}}))
}
