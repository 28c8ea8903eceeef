package inbox

import (
	"context"
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
	if err := s.store.InsertGroup(ctx, g); err != nil {
		return nil, err
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
	if err := s.store.ReplaceGroup(ctx, g); err != nil {
		return nil, err
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
	if err := s.store.RemoveGroupFromAgents(ctx, id); err != nil {
		return err
	}
	if err := s.store.RemoveGroupFromLines(ctx, id); err != nil {
		return err
	}
	if err := s.store.ClearGroupOnConversations(ctx, id); err != nil {
		return err
	}
	if err := s.store.DeleteGroup(ctx, id); err != nil {
		return err
	}
	s.publish(ctx, Event{Type: EventGroupDeleted, SubjectID: id})
	return nil
}

// Group loads a group.
func (s *Service) Group(ctx context.Context, id string) (*Group, error) {
	return s.store.GroupByID(ctx, id)
}

// Groups lists every group by name.
func (s *Service) Groups(ctx context.Context) ([]Group, error) {
	return s.store.Groups(ctx)
}
