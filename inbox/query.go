package inbox

import (
	"context"
	"regexp"
	"strings"
	"time"
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
	Missed           *bool // marked missed (missedAt set) or not
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
		"missed": "missedAt",
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

// validate checks the filter's date columns, sort column and offset.
func (f *ConversationFilter) validate() error {
	for col := range f.Dates {
		if field, ok := sortFields[col]; !ok || !strings.Contains(field, "dates.") {
			return invalid(col, "is not a date column")
		}
	}
	if f.Sort != "" {
		col := strings.TrimPrefix(f.Sort, "-")
		if _, ok := sortFields[col]; !ok {
			return invalid("sort", "unknown column %q", col)
		}
	}
	if f.Offset < 0 {
		return invalid("offset", "must not be negative")
	}
	return nil
}

// Conversations lists the conversations the actor may see that match the
// filter, with the total count for paging.
func (s *Service) Conversations(ctx context.Context, a Actor, f ConversationFilter) ([]Conversation, int64, error) {
	if err := f.validate(); err != nil {
		return nil, 0, err
	}
	return s.store.ListConversations(ctx, a, f, clampLimit(f.Limit, s.limits.ListMax))
}
