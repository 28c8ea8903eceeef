package inbox

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// GroupByID loads a group; ErrNotFound when there is none.
func (s *Store) GroupByID(ctx context.Context, id string) (*Group, error) {
	var g Group
	if err := findOne(ctx, s.groups, id, &g); err != nil {
		return nil, err
	}
	return &g, nil
}

// Groups lists every group by name.
func (s *Store) Groups(ctx context.Context) ([]Group, error) {
	return findAll[Group](ctx, s.groups, bson.M{}, options.Find().SetSort(bson.D{{Key: "name", Value: 1}}))
}

// CountGroupIDs counts the groups among ids that exist.
func (s *Store) CountGroupIDs(ctx context.Context, ids []string) (int64, error) {
	return countIDs(ctx, s.groups, ids)
}

// InsertGroup stores a new group.
func (s *Store) InsertGroup(ctx context.Context, g *Group) error {
	if _, err := s.groups.InsertOne(ctx, g); err != nil {
		return fmt.Errorf("store: insert group: %w", err)
	}
	return nil
}

// ReplaceGroup saves a changed group.
func (s *Store) ReplaceGroup(ctx context.Context, g *Group) error {
	if _, err := s.groups.ReplaceOne(ctx, bson.M{"_id": g.ID}, g); err != nil {
		return fmt.Errorf("store: save group %s: %w", g.ID, err)
	}
	return nil
}

// DeleteGroup removes a group document; the caller unlinks it first.
func (s *Store) DeleteGroup(ctx context.Context, id string) error {
	if _, err := s.groups.DeleteOne(ctx, bson.M{"_id": id}); err != nil {
		return fmt.Errorf("store: delete group %s: %w", id, err)
	}
	return nil
}
