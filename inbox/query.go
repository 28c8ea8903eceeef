package inbox

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// visitorNumberRE finds a visitor number (1000–9999) at the end of a
// client filter: "Visitor 1234", "Besucher 1234", "1234".
var visitorNumberRE = regexp.MustCompile(`(?:^|\D)([1-9]\d{3})\s*$`)

// TimeRange bounds a date column; a zero end is open.
type TimeRange struct {
	From time.Time
	To   time.Time
}

// ConversationFilter selects conversations for the list. Every set field
// narrows the result; they combine with AND.
type ConversationFilter struct {
	Number           int64
	AgentIDs         []string
	Unassigned       bool
	GroupIDs         []string
	LineIDs          []string
	Channels         []Channel
	Types            []ConversationType
	Statuses         []Status
	General          []GeneralStatus
	Active           bool // the "active" preset: statuses 1–6
	Client           string
	ContactID        string
	Spam             *bool
	Pinned           *bool
	FormFilled       *bool
	HistoryRequested *bool
	ClientRating     []int
	SupervisorRating []int
	Dates            map[string]TimeRange
	Sort             string // a column name, "-" in front for descending
	Limit            int
	Offset           int
}

// DateColumns are the filterable and sortable date columns.
var DateColumns = []string{"created", "queued", "answered", "accepted", "lastMessage", "closedByAgent", "closed", "modified"}

// TimingColumns are the sortable timing columns.
var TimingColumns = []string{"waitingForAnswer", "timeToAccept", "timeToCloseByAgent", "duration", "firstReaction", "chatBot", "responseTotal", "responseAverage", "responseMax"}

// sortFields maps a column name to its stored field.
var sortFields = func() map[string]string {
	m := map[string]string{
		"number": "number", "line": "lineId", "type": "type", "status": "statusCode",
		"detailedStatus": "statusCode", "spam": "spam", "channel": "channel", "client": "contactName",
		"agent": "agentId", "group": "groupId", "sitePage": "sitePage", "formFilled": "formFilled",
		"historyRequested": "historyRequested", "pinned": "pinned", "clientRating": "clientRating",
		"supervisorRating": "supervisorRating", "supervisorComment": "supervisorComment",
	}
	for _, d := range DateColumns {
		m[d] = "dates." + d
	}
	for _, t := range TimingColumns {
		m[t] = "timings." + t + "Ms"
	}
	return m
}()

// SortColumns lists the names Sort accepts.
func SortColumns() []string {
	out := make([]string, 0, len(sortFields))
	for k := range sortFields {
		out = append(out, k)
	}
	return out
}

func in[T any](field string, vs []T, q bson.M) {
	if len(vs) > 0 {
		q[field] = bson.M{"$in": vs}
	}
}

func (f *ConversationFilter) query() (bson.M, error) {
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
		q["statusCode"] = bson.M{"$lte": 6}
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
	in("clientRating", f.ClientRating, q)
	in("supervisorRating", f.SupervisorRating, q)
	for col, r := range f.Dates {
		if _, ok := sortFields[col]; !ok || !strings.Contains(sortFields[col], "dates.") {
			return nil, invalid(col, "is not a date column")
		}
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
	return q, nil
}

// visibleTo restricts a query to what an agent may see: their own
// conversations and unassigned ones offered to them.
func (s *Service) visibleTo(ctx context.Context, a Actor, q bson.M) (bson.M, error) {
	if a.SeesAll() {
		return q, nil
	}
	lines, err := findAll[Line](ctx, s.store.lines, bson.M{"$or": bson.A{
		bson.M{"agentIds": a.AgentID}, bson.M{"groupIds": bson.M{"$in": nonNil(a.GroupIDs)}},
	}}, options.Find().SetProjection(bson.M{"_id": 1}))
	if err != nil {
		return nil, err
	}
	lineIDs := make([]string, len(lines))
	for i, l := range lines {
		lineIDs[i] = l.ID
	}
	or := bson.A{
		bson.M{"agentId": a.AgentID},
		bson.M{"agentId": "", "groupId": bson.M{"$in": nonNil(a.GroupIDs)}},
		bson.M{"agentId": "", "groupId": "", "lineId": bson.M{"$in": lineIDs}},
	}
	return bson.M{"$and": bson.A{q, bson.M{"$or": or}}}, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Conversations lists the conversations the actor may see that match the
// filter, with the total count for paging.
func (s *Service) Conversations(ctx context.Context, a Actor, f ConversationFilter) ([]Conversation, int64, error) {
	q, err := f.query()
	if err != nil {
		return nil, 0, err
	}
	if q, err = s.visibleTo(ctx, a, q); err != nil {
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
	if f.Offset < 0 {
		return nil, 0, invalid("offset", "must not be negative")
	}
	limit := clampLimit(f.Limit, s.limits.ListMax)
	if emptyField != "" {
		return s.emptyLast(ctx, q, emptyField, dir, sortSpec, f.Offset, limit)
	}
	items, err := findAll[Conversation](ctx, s.store.conversations, q,
		options.Find().SetSort(sortSpec).SetSkip(int64(f.Offset)).SetLimit(int64(limit)))
	if err != nil {
		return nil, 0, err
	}
	n, err := s.store.conversations.CountDocuments(ctx, q)
	if err != nil {
		return nil, 0, fmt.Errorf("store: count conversations: %w", err)
	}
	return items, n, nil
}

// mayBeEmpty reports whether a sort field is a date or timing that can be
// unset: every one but the creation and modification dates.
func mayBeEmpty(field string) bool {
	switch {
	case field == "dates.created", field == "dates.modified":
		return false
	case strings.HasPrefix(field, "dates."), strings.HasPrefix(field, "timings."):
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
func (s *Service) emptyLast(ctx context.Context, q bson.M, field string, dir int, sortSpec bson.D, offset, limit int) ([]Conversation, int64, error) {
	set := bson.M{"$and": bson.A{q, bson.M{field: bson.M{"$ne": nil}}}}
	empty := bson.M{"$and": bson.A{q, bson.M{field: nil}}}
	nSet, err := s.store.conversations.CountDocuments(ctx, set)
	if err != nil {
		return nil, 0, fmt.Errorf("store: count conversations with %s: %w", field, err)
	}
	nEmpty, err := s.store.conversations.CountDocuments(ctx, empty)
	if err != nil {
		return nil, 0, fmt.Errorf("store: count conversations without %s: %w", field, err)
	}
	items := []Conversation{}
	if int64(offset) < nSet {
		items, err = findAll[Conversation](ctx, s.store.conversations, set,
			options.Find().SetSort(sortSpec).SetSkip(int64(offset)).SetLimit(int64(limit)))
		if err != nil {
			return nil, 0, err
		}
	}
	if rest := limit - len(items); rest > 0 && nEmpty > 0 {
		skip := max(int64(offset)-nSet, 0)
		if skip < nEmpty {
			more, err := findAll[Conversation](ctx, s.store.conversations, empty,
				options.Find().SetSort(bson.D{{Key: "number", Value: dir}}).SetSkip(skip).SetLimit(int64(rest)))
			if err != nil {
				return nil, 0, err
			}
			items = append(items, more...)
		}
	}
	return items, nSet + nEmpty, nil
}
