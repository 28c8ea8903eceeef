package inbox

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// LineByID loads a line with its secrets; ErrNotFound when there is none.
func (s *Store) LineByID(ctx context.Context, id string) (*Line, error) {
	if byID, _, ok, err := s.small(ctx, &s.linesCache, s.lines); err != nil {
		return nil, err
	} else if ok {
		raw, found := byID[id]
		if !found {
			return nil, fmt.Errorf("lines %s: %w", id, ErrNotFound)
		}
		var l Line
		if err := bson.Unmarshal(raw, &l); err != nil {
			return nil, fmt.Errorf("store: decode line %s: %w", id, err)
		}
		return &l, nil
	}
	var l Line
	if err := findOne(ctx, s.lines, id, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

// Lines lists every line by name.
func (s *Store) Lines(ctx context.Context) ([]Line, error) {
	if byID, ids, ok, err := s.small(ctx, &s.linesCache, s.lines); err != nil {
		return nil, err
	} else if ok {
		lines, err := decodeAll[Line](byID, ids)
		sortByName(lines, func(l *Line) string { return l.Name })
		return lines, err
	}
	return findAll[Line](ctx, s.lines, bson.M{}, options.Find().SetSort(bson.D{{Key: "name", Value: 1}}))
}

// QueueLineIDs lists the lines in whose queue the actor is, by the same
// rule as Actor.InQueue (the one CanSee applies): the lines' queues are
// read and the rule is applied here in Go, so it is written once.
func (s *Store) QueueLineIDs(ctx context.Context, a Actor) ([]string, error) {
	var lines []Line
	var err error
	if byID, ids, ok, serr := s.small(ctx, &s.linesCache, s.lines); serr != nil {
		return nil, serr
	} else if ok {
		lines, err = decodeAll[Line](byID, ids)
	} else {
		lines, err = findAll[Line](ctx, s.lines, bson.M{},
			options.Find().SetProjection(bson.M{"_id": 1, "agentIds": 1, "groupIds": 1}))
	}
	if err != nil {
		return nil, err
	}
	ids := []string{}
	for i := range lines {
		if a.InQueue(&lines[i]) {
			ids = append(ids, lines[i].ID)
		}
	}
	return ids, nil
}

// InsertLine stores a new line.
func (s *Store) InsertLine(ctx context.Context, l *Line) error {
	defer s.linesCache.changed()
	if _, err := s.lines.InsertOne(ctx, l); err != nil {
		return fmt.Errorf("store: insert line: %w", err)
	}
	return nil
}

// ReplaceLine saves a changed line.
func (s *Store) ReplaceLine(ctx context.Context, l *Line) error {
	defer s.linesCache.changed()
	if _, err := s.lines.ReplaceOne(ctx, bson.M{"_id": l.ID}, l); err != nil {
		return fmt.Errorf("store: save line %s: %w", l.ID, err)
	}
	return nil
}

// SetLineIdentitySecret sets (or, with "", clears) the identity secret of
// a line's widget. ErrNotFound when there is no such line.
func (s *Store) SetLineIdentitySecret(ctx context.Context, id, secret string, now time.Time) error {
	defer s.linesCache.changed()
	res, err := s.lines.UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{
		"channels.widget.identitySecret": secret, "updatedAt": now,
	}})
	if err != nil {
		return fmt.Errorf("store: set identity secret of line %s: %w", id, err)
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("lines %s: %w", id, ErrNotFound)
	}
	return nil
}

// RemoveGroupFromLines takes the group off every line's queue.
func (s *Store) RemoveGroupFromLines(ctx context.Context, groupID string) error {
	defer s.linesCache.changed()
	if _, err := s.lines.UpdateMany(ctx, bson.M{"groupIds": groupID}, bson.M{"$pull": bson.M{"groupIds": groupID}}); err != nil {
		return fmt.Errorf("store: unlink group %s from lines: %w", groupID, err)
	}
	return nil
}

// DeleteLine removes a line document; the caller deletes its
// conversations first.
func (s *Store) DeleteLine(ctx context.Context, id string) error {
	defer s.linesCache.changed()
	if _, err := s.lines.DeleteOne(ctx, bson.M{"_id": id}); err != nil {
		return fmt.Errorf("store: delete line %s: %w", id, err)
	}
	return nil
}
