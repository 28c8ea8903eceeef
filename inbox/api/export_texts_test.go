package api

import (
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/inbox"
)

// The export speaks the inbox UI's words: its Go copies are read against
// the UI's own tables, so that neither can change alone.

// exportUIAssets is the inbox UI's directory.
var exportUIAssets = filepath.Join("..", "web", "assets")

// exportJSString matches a JavaScript string literal in single or double quotes.
const exportJSString = `'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"`

// exportUIRow matches a line "'key': ['en', 'de', 'pl', 'ru']," of i18n.js.
var exportUIRow = regexp.MustCompile(`(?m)^\s*'([^']+)':\s*\[\s*(` + exportJSString + `)\s*,\s*(` + exportJSString + `)\s*,\s*(` + exportJSString + `)\s*,\s*(` + exportJSString + `)\s*\]`)

func exportUnquoteJS(lit string) string {
	s := lit[1 : len(lit)-1]
	return strings.NewReplacer(`\'`, `'`, `\"`, `"`, `\\`, `\`).Replace(s)
}

// exportUITexts reads the UI's strings by key from i18n.js and i18n-table.js.
func exportUITexts(t *testing.T) map[string][4]string {
	t.Helper()
	out := map[string][4]string{}
	for _, name := range []string{"i18n.js", "i18n-table.js"} {
		src, err := os.ReadFile(filepath.Join(exportUIAssets, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range exportUIRow.FindAllStringSubmatch(string(src), -1) {
			out[m[1]] = [4]string{exportUnquoteJS(m[2]), exportUnquoteJS(m[3]), exportUnquoteJS(m[4]), exportUnquoteJS(m[5])}
		}
	}
	if len(out) < 100 {
		t.Fatalf("read %d strings of the UI: has the format of i18n.js changed?", len(out))
	}
	return out
}

// TestExportTextsAreTheUIs: every header, status, channel, type, yes/no
// and visitor name of the export is the UI's, in every language, and
// every exported column has its header.
func TestExportTextsAreTheUIs(t *testing.T) {
	ui := exportUITexts(t)
	for _, key := range slices.Sorted(maps.Keys(exportTexts)) {
		want, ok := ui[key]
		if !ok {
			t.Errorf("%s: the UI has no such string", key)
			continue
		}
		if got := exportTexts[key]; got != want {
			t.Errorf("%s: export %q, UI %q", key, got, want)
		}
	}
	need := []string{"table.yes", "table.no", "visitor.name", "unit.s", "tab.conversations"}
	for k := range exportCatalogue {
		need = append(need, "col."+k)
	}
	for _, s := range inbox.Statuses {
		need = append(need, "status."+string(s))
	}
	for _, g := range []inbox.GeneralStatus{inbox.GeneralWaiting, inbox.GeneralAnswered, inbox.GeneralClosed} {
		need = append(need, "general."+string(g))
	}
	for _, c := range []inbox.Channel{inbox.ChannelLiveChat, inbox.ChannelTelegram, inbox.ChannelEmail} {
		need = append(need, "channel."+string(c))
	}
	for _, ty := range []inbox.ConversationType{inbox.Incoming, inbox.Outgoing} {
		need = append(need, "type."+string(ty))
	}
	for _, k := range need {
		if _, ok := exportTexts[k]; !ok {
			t.Errorf("the export has no text for %s", k)
		}
	}
}

// TestExportCatalogueCoversTheTable: every column of the table but its
// buttons is exported, and the default columns are the UI's.
func TestExportCatalogueCoversTheTable(t *testing.T) {
	for _, k := range inbox.TableColumns {
		if _, ok := exportCatalogue[k]; ok == exportUIOnlyColumns[k] {
			t.Errorf("column %s: exported %v, UI-only %v", k, ok, exportUIOnlyColumns[k])
		}
	}
	if len(exportCatalogue)+len(exportUIOnlyColumns) != len(inbox.TableColumns) {
		t.Errorf("%d exported columns for %d of the table", len(exportCatalogue), len(inbox.TableColumns))
	}
	src, err := os.ReadFile(filepath.Join(exportUIAssets, "views", "table-columns.js"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`export const DEFAULT_COLUMNS = \[([^\]]*)\]`).FindStringSubmatch(string(src))
	if m == nil {
		t.Fatal("no DEFAULT_COLUMNS in table-columns.js")
	}
	var ui []string
	for _, lit := range regexp.MustCompile(exportJSString).FindAllString(m[1], -1) {
		ui = append(ui, exportUnquoteJS(lit))
	}
	if !slices.Equal(ui, exportDefaultColumns) {
		t.Errorf("default columns %q, the UI's %q", exportDefaultColumns, ui)
	}
}
