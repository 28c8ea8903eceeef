package embedded

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

// countingHandler counts the attributes handed to WithAttrs.
type countingHandler struct {
	slog.Handler
	withAttrs *int
}

func (h countingHandler) WithAttrs(a []slog.Attr) slog.Handler {
	*h.withAttrs += len(a)
	return countingHandler{Handler: h.Handler.WithAttrs(a), withAttrs: h.withAttrs}
}

func (h countingHandler) WithGroup(n string) slog.Handler {
	return countingHandler{Handler: h.Handler.WithGroup(n), withAttrs: h.withAttrs}
}

// TestLevelFilterFormatsOnlyWhatIsLogged: the engine's Logger.With
// attributes (every SQL statement) reach the handler only with a record
// that passes the filter, and then with their groups, in order.
func TestLevelFilterFormatsOnlyWhatIsLogged(t *testing.T) {
	var out bytes.Buffer
	n := 0
	log := slog.New(levelFilter{Handler: countingHandler{Handler: slog.NewTextHandler(&out, nil), withAttrs: &n}, min: slog.LevelError})
	for range 100 {
		log.With("query", `INSERT INTO "t" VALUES (?)`).WithGroup("g").With("args", 1).Info("ran")
	}
	if n != 0 || out.Len() != 0 {
		t.Fatalf("nothing logged, yet %d attributes formatted and %q written", n, out.String())
	}
	log.With("query", "SELECT 1").WithGroup("g").With("args", 2).Error("failed", "err", "boom")
	got := out.String()
	for _, want := range []string{`query="SELECT 1"`, "g.args=2", "g.err=boom", "msg=failed"} {
		if !strings.Contains(got, want) {
			t.Fatalf("logged %q, want %s in it", got, want)
		}
	}
	if !log.Handler().Enabled(context.Background(), slog.LevelError) || log.Handler().Enabled(context.Background(), slog.LevelWarn) {
		t.Fatal("the filter lets through the wrong levels")
	}
}
