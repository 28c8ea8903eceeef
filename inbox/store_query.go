package inbox

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// ListConversations lists a page of the conversations the actor may see
// that match the filter (checked by its validate), with the count of all
// of them. The page starts at f.Offset and holds at most limit.
func (s *Store) ListConversations(ctx context.Context, a Actor, f ConversationFilter, limit int) ([]Conversation, int64, error) {
	if w, err := s.working(ctx); err != nil {
		return nil, 0, err
	} else if w != nil {
		var queue []string
		if !a.SeesAll() {
			if queue, err = s.QueueLineIDs(ctx, a); err != nil {
				return nil, 0, err
			}
		}
		return w.listConversations(f, f.matcher(a, queue, a.SeesAll()), limit)
	}
	q, err := s.visibleTo(ctx, a, f.query())
	if err != nil {
		return nil, 0, err
	}
	sortSpec := bson.D{{Key: "number", Value: -1}}
	emptyField, dir := "", -1 // emptyField: a date or timing sorted on, whose empty values go last
	if f.Sort != "" {
		col := strings.TrimPrefix(f.Sort, "-")
		if dir = 1; strings.HasPrefix(f.Sort, "-") {
			dir = -1
		}
		field, ok := sortFields[col]
		if !ok {
			return nil, 0, invalid("sort", "unknown column %q", col)
		}
		sortSpec = bson.D{{Key: field, Value: dir}}
		if field != "number" { // a duplicate sort key is refused by the store
			sortSpec = append(sortSpec, bson.E{Key: "number", Value: dir})
		}
		if mayBeEmpty(field) {
			emptyField = field
		}
	}
	if emptyField != "" {
		return s.emptyLast(ctx, q, emptyField, dir, sortSpec, f.Offset, limit)
	}
	items, err := findAll[Conversation](ctx, s.conversations, q,
		options.Find().SetSort(sortSpec).SetSkip(int64(f.Offset)).SetLimit(int64(limit)))
	if err != nil {
		return nil, 0, err
	}
	n, err := s.conversations.CountDocuments(ctx, q)
	if err != nil {
		return nil, 0, fmt.Errorf("store: count conversations: %w", err)
	}
	return items, n, nil
}

// visibleTo restricts a query to the conversations the actor may see:
// everything for staff, visibleFilter for an agent.
func (s *Store) visibleTo(ctx context.Context, a Actor, q bson.M) (bson.M, error) {
	if a.SeesAll() {
		return q, nil
	}
	queue, err := s.QueueLineIDs(ctx, a)
	if err != nil {
		return nil, err
	}
	return bson.M{"$and": bson.A{q, visibleFilter(a, queue)}}, nil
}

// visibleFilter is Actor.CanSee written as a query for an actor who does
// not see everything, from the same inputs: the actor's id and groups, and
// queueLines, the lines whose queue the actor is in (Actor.InQueue, as
// QueueLineIDs applies it). Branch by branch:
//
//	c.AgentID == a.AgentID                                  their own
//	offered: c.AgentID == "", c.GroupID in a.GroupIDs       their groups' unassigned
//	offered: c.AgentID == "", c.GroupID == "", a.InQueue(l) their lines' unassigned
//	rescued: a.Rescue, c.MissedAt set, active, a.InQueue(l)  missed, for a rescuer
//
// TestListShowsWhatCanSeeAllows holds the two to the same answers.
func visibleFilter(a Actor, queueLines []string) bson.M {
	or := bson.A{
		bson.M{"agentId": a.AgentID},
		bson.M{"agentId": "", "groupId": bson.M{"$in": nonNil(a.GroupIDs)}},
		bson.M{"agentId": "", "groupId": "", "lineId": bson.M{"$in": nonNil(queueLines)}},
	}
	if a.Rescue { // rescued: missed, active, on a line they work
		or = append(or, bson.M{"missedAt": bson.M{"$ne": nil}, "statusCode": activeStatus(), "lineId": bson.M{"$in": nonNil(queueLines)}})
	}
	return bson.M{"$or": or}
}

func in[T any](field string, vs []T, q bson.M) {
	if len(vs) > 0 {
		q[field] = bson.M{"$in": vs}
	}
}

// query is the filter as a query; its date columns are checked by validate.
func (f *ConversationFilter) query() bson.M {
	q := bson.M{}
	if f.Number > 0 {
		q["number"] = f.Number
	}
	in("agentId", f.AgentIDs, q)
	if f.Unassigned {
		q["agentId"] = ""
	}
	in("groupId", f.GroupIDs, q)
	in("lineId", f.LineIDs, q)
	in("channel", f.Channels, q)
	in("type", f.Types, q)
	in("status", f.Statuses, q)
	in("general", f.General, q)
	if f.Active {
		q["statusCode"] = activeStatus()
	}
	if f.Client != "" {
		name := bson.M{"contactName": bson.M{"$regex": regexp.QuoteMeta(f.Client), "$options": "i"}}
		// A visitor without a name is shown as "Visitor 1234" (in the
		// agent's language): its number finds it too.
		if m := visitorNumberRE.FindStringSubmatch(f.Client); m != nil {
			n, _ := strconv.Atoi(m[1])
			q["$and"] = bson.A{bson.M{"$or": bson.A{name, bson.M{"visitorNumber": n}}}}
		} else {
			q["contactName"] = name["contactName"]
		}
	}
	if f.ContactID != "" {
		q["contactId"] = f.ContactID
	}
	for field, v := range map[string]*bool{"spam": f.Spam, "pinned": f.Pinned, "formFilled": f.FormFilled, "historyRequested": f.HistoryRequested} {
		if v != nil {
			q[field] = *v
		}
	}
	if f.Missed != nil {
		if *f.Missed {
			q["missedAt"] = bson.M{"$ne": nil}
		} else {
			q["missedAt"] = nil
		}
	}
	in("clientRating", f.ClientRating, q)
	in("supervisorRating", f.SupervisorRating, q)
	for col, r := range f.Dates {
		cond := bson.M{}
		if !r.From.IsZero() {
			cond["$gte"] = r.From
		}
		if !r.To.IsZero() {
			cond["$lt"] = r.To
		}
		if len(cond) > 0 {
			q["dates."+col] = cond
		}
	}
	return q
}

// mayBeEmpty reports whether a sort field is a date or timing that can be
// unset: every one but the creation and modification dates.
func mayBeEmpty(field string) bool {
	switch {
	case field == "dates.created", field == "dates.modified":
		return false
	case strings.HasPrefix(field, "dates."), strings.HasPrefix(field, "timings."), field == "missedAt":
		return true
	}
	return false
}

// emptyLast pages through conversations sorted on field with the empty
// (null or absent) values last whatever the direction: first the
// conversations whose field is set, sorted by sortSpec, then those where it
// is empty, by number in the same direction. Both engines sort null first
// ascending, so one sorted query cannot do it. The page [offset,
// offset+limit) is cut from the concatenation of the two groups.
func (s *Store) emptyLast(ctx context.Context, q bson.M, field string, dir int, sortSpec bson.D, offset, limit int) ([]Conversation, int64, error) {
	set := bson.M{"$and": bson.A{q, bson.M{field: bson.M{"$ne": nil}}}}
	empty := bson.M{"$and": bson.A{q, bson.M{field: nil}}}
	nSet, err := s.conversations.CountDocuments(ctx, set)
	if err != nil {
		return nil, 0, fmt.Errorf("store: count conversations with %s: %w", field, err)
	}
	nEmpty, err := s.conversations.CountDocuments(ctx, empty)
	if err != nil {
		return nil, 0, fmt.Errorf("store: count conversations without %s: %w", field, err)
	}
	items := []Conversation{}
	if int64(offset) < nSet {
		items, err = findAll[Conversation](ctx, s.conversations, set,
			options.Find().SetSort(sortSpec).SetSkip(int64(offset)).SetLimit(int64(limit)))
		if err != nil {
			return nil, 0, err
		}
	}
	if rest := limit - len(items); rest > 0 && nEmpty > 0 {
		skip := max(int64(offset)-nSet, 0)
		if skip < nEmpty {
			more, err := findAll[Conversation](ctx, s.conversations, empty,
				options.Find().SetSort(bson.D{{Key: "number", Value: dir}}).SetSkip(skip).SetLimit(int64(rest)))
			if err != nil {
				return nil, 0, err
			}
			items = append(items, more...)
		}
	}
	return items, nSet + nEmpty, nil
}
