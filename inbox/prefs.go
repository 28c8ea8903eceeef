package inbox

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// An agent's UI preferences: a small document per agent, kept on the
// server so that it follows them to another browser. Today it holds the
// columns of the conversation table, in the order the agent chose.

// TableColumns are the column ids of the conversation table, in the
// product's order: general; CRM and actions; ratings and comments; dates;
// timings.
var TableColumns = slices.Concat(
	[]string{"number", "line", "type", "status", "detailedStatus", "spam", "missed", "channel", "client", "agent"},
	[]string{"crm", "sitePage", "actions", "formFilled", "historyRequested", "pinned"},
	[]string{"clientRating", "supervisorComment", "supervisorRating"},
	DateColumns,
	TimingColumns,
)

// PrefsMaxBytes caps the size of a preferences document as sent.
const PrefsMaxBytes = 4 << 10

// Prefs are an agent's UI preferences. A missing part means the defaults.
type Prefs struct {
	Table *TablePrefs `bson:"table,omitempty" json:"table,omitempty"`
}

// TablePrefs are the conversation table's preferences.
type TablePrefs struct {
	// Columns are the shown columns, in order.
	Columns []string `bson:"columns" json:"columns"`
}

// Prefs returns the actor's own preferences; an agent who never stored any
// gets an empty document (the defaults).
func (s *Service) Prefs(ctx context.Context, a Actor) (*Prefs, error) {
	if a.AgentID == "" {
		return nil, ErrForbidden
	}
	p, err := s.store.PrefsOf(ctx, a.AgentID)
	if errors.Is(err, ErrNotFound) {
		return &Prefs{}, nil
	}
	return p, err
}

// SetPrefs replaces the actor's own preferences after checking them.
func (s *Service) SetPrefs(ctx context.Context, a Actor, p Prefs) (*Prefs, error) {
	if a.AgentID == "" {
		return nil, ErrForbidden
	}
	if err := p.validate(); err != nil {
		return nil, err
	}
	if err := s.store.SavePrefs(ctx, a.AgentID, p, s.Now()); err != nil {
		return nil, err
	}
	return &p, nil
}

// validate accepts known column ids only, each once, at least one.
func (p *Prefs) validate() error {
	if p.Table == nil {
		return nil
	}
	cols := p.Table.Columns
	if cols == nil {
		return invalid("table.columns", "is required")
	}
	if len(cols) == 0 {
		return invalid("table.columns", "must name at least one column")
	}
	seen := make(map[string]bool, len(cols))
	for i, c := range cols {
		if !slices.Contains(TableColumns, c) {
			return invalid(fmt.Sprintf("table.columns[%d]", i), "%.40q is not a column", c)
		}
		if seen[c] {
			return invalid(fmt.Sprintf("table.columns[%d]", i), "%q is named twice", c)
		}
		seen[c] = true
	}
	return nil
}
