package inbox

import (
	"context"
	"fmt"
)

// The supervisor's conversation list as a whole, for a spreadsheet
// (GET /api/v1/conversations.csv and .xlsx): every conversation the list
// would show the actor for a filter, on every page, in the list's order,
// handed over one at a time so that no caller needs them all in memory.

// ExportMaxRows caps the rows of one export: a filter that selects more
// is refused (ErrExportTooLarge) before anything is sent. A million rows
// fit a spreadsheet (an XLSX sheet holds 1,048,576) and make a CSV of
// some 150 MB.
const ExportMaxRows = 1_000_000

// ErrExportTooLarge: the filter selects more conversations than one
// export holds. It is an ErrInvalid: the filters must be narrowed.
var ErrExportTooLarge = fmt.Errorf("too many conversations for one export: %w", ErrInvalid)

// exportTooLarge says that more than max matched.
func exportTooLarge(max int64) error {
	return fmt.Errorf("the filters select more than %d conversations, the most one export holds; narrow them: %w", max, ErrExportTooLarge)
}

// ExportCount checks the filter as the list does and counts the
// conversations an export of it holds for the actor: all that the list
// shows them, on every page (the filter's Limit and Offset are ignored).
// More than ExportMaxRows is ErrExportTooLarge, with the count.
func (s *Service) ExportCount(ctx context.Context, a Actor, f ConversationFilter) (int64, error) {
	f.Limit, f.Offset = 0, 0
	if err := f.validate(); err != nil {
		return 0, err
	}
	n, err := s.store.CountConversations(ctx, a, f)
	if err != nil {
		return 0, err
	}
	if n > ExportMaxRows {
		return n, exportTooLarge(ExportMaxRows)
	}
	return n, nil
}

// ExportConversations calls fn with each conversation the actor may see
// that matches the filter — what the list shows them, on every page (Limit
// and Offset are ignored) — in the list's order: f.Sort, by number
// descending when none, empty dates and timings last. Each is a copy fn
// may keep or change. At most ExportMaxRows: past that the walk stops
// with ErrExportTooLarge (ExportCount says so before). An error of fn
// stops the walk and is returned as it is.
func (s *Service) ExportConversations(ctx context.Context, a Actor, f ConversationFilter, fn func(*Conversation) error) error {
	f.Limit, f.Offset = 0, 0
	if err := f.validate(); err != nil {
		return err
	}
	return s.store.ExportConversations(ctx, a, f, ExportMaxRows, fn)
}

// ContactCRMs prepares the lookup of contacts' CRM records for an export's
// CRM column. Callers ask it only for the contacts of conversations the
// actor was given.
func (s *Service) ContactCRMs(ctx context.Context) (*CRMLookup, error) {
	l, err := s.store.CRMLookup(ctx)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	return l, nil
}
