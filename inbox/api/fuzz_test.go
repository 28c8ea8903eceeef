package api

import (
	"errors"
	"testing"

	"github.com/switchboard-chat/switchboard/inbox"
)

// FuzzParseFilter: any query string either parses or is refused with a
// field-named error; it never panics.
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{
		"", "active=true", "status=waiting,answered&sort=-created&limit=10",
		"createdFrom=2026-01-01T00:00:00Z&createdTo=2026-02-01T00:00:00Z", "spam=maybe",
		"clientRating=5,4&detailedStatus=new", "%zz", "closedByAgentFrom=x", "number=-1", "client=%00%ff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		_, err := parseFilter(raw)
		var fe *inbox.FieldError
		if err != nil && !errors.As(err, &fe) {
			t.Fatalf("parseFilter(%q) = %v, not a field error", raw, err)
		}
	})
}
