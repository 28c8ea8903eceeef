package api_test

import (
	"bytes"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/xuri/excelize/v2"
)

// The XLSX export holds the CSV's cells: numbers and seconds as numbers,
// dates as date-time cells (a serial number with a date format) in the
// zone asked for, text as text — a name that starts with "=" is a string,
// never a formula, so it needs no apostrophe. The header is bold and
// frozen; the sheet is named in the agent's language; no temporary file
// is left behind.
func TestExportXLSX(t *testing.T) {
	w := newExportWorld(t)
	h := w.h
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // excelize's temporary files go here
	w.setLanguage(w.sue, "de")
	query := q("columns", exportAllColumns, "tz", "Europe/Berlin", "sort", "number")
	sheetCSV := exportRows(t, h.do(http.MethodGet, "/api/v1/conversations.csv?"+query, nil, w.sue).want(http.StatusOK))
	r := h.do(http.MethodGet, "/api/v1/conversations.xlsx?"+query, nil, w.sue).want(http.StatusOK)
	if ct := r.resp.Header.Get("Content-Type"); ct != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Errorf("Content-Type %q", ct)
	}
	if cd := r.resp.Header.Get("Content-Disposition"); cd != `attachment; filename="switchboard-conversations-2025-05-05.xlsx"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	f, err := excelize.OpenReader(bytes.NewReader(r.body))
	if err != nil {
		t.Fatalf("the workbook does not open: %v", err)
	}
	defer f.Close()
	const sheet = "Konversationen"
	if names := f.GetSheetList(); len(names) != 1 || names[0] != sheet {
		t.Fatalf("sheets %q, want [%s]", names, sheet)
	}
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(sheetCSV) {
		t.Fatalf("%d rows in the workbook, %d in the CSV", len(rows), len(sheetCSV))
	}
	head := sheetCSV[0]
	keys := slices.DeleteFunc(slices.Clone(inbox.TableColumns), func(k string) bool { return k == "actions" })
	checked := map[string]int{} // cells checked by kind
	for ri, want := range sheetCSV {
		got := append(rows[ri], make([]string, len(want))...)[:len(want)] // trailing empty cells are not listed
		for ci := range want {
			ref, _ := excelize.CoordinatesToCellName(ci+1, ri+1)
			csvCell := want[ci]
			if strings.HasPrefix(csvCell, "'") && strings.ContainsRune("=+-@", rune(got[ci][0])) {
				csvCell = csvCell[1:] // the CSV's apostrophe against formulas
			}
			if got[ci] != csvCell {
				t.Errorf("%s (%s): %q in the workbook, %q in the CSV", ref, head[ci], got[ci], csvCell)
			}
			if ri == 0 || csvCell == "" {
				continue
			}
			if formula, _ := f.GetCellFormula(sheet, ref); formula != "" {
				t.Errorf("%s is a formula: %q", ref, formula)
			}
			raw, err := f.GetCellValue(sheet, ref, excelize.Options{RawCellValue: true})
			if err != nil {
				t.Fatal(err)
			}
			typ, _ := f.GetCellType(sheet, ref)
			switch col := keys[ci]; {
			case slices.Contains(inbox.TimingColumns, col), col == "number", col == "clientRating", col == "supervisorRating":
				checked["number"]++
				if _, err := strconv.ParseFloat(raw, 64); err != nil || typ == excelize.CellTypeInlineString {
					t.Errorf("%s (%s) is not a number: %q (%v)", ref, head[ci], raw, typ)
				}
			case slices.Contains(inbox.DateColumns, col), col == "missed":
				checked["date"]++
				serial, err := strconv.ParseFloat(raw, 64)
				if err != nil {
					t.Errorf("%s (%s) is not a date cell: %q", ref, head[ci], raw)
					continue
				}
				at, err := excelize.ExcelDateToTime(serial, false)
				if err != nil || at.Round(time.Second).Format("2006-01-02 15:04:05") != csvCell {
					t.Errorf("%s (%s): serial %v is %v, want %s (Berlin)", ref, head[ci], serial, at, csvCell)
				}
			default:
				checked["text"]++
				if typ != excelize.CellTypeInlineString {
					t.Errorf("%s (%s) is not text: %v", ref, head[ci], typ)
				}
			}
		}
	}
	if checked["number"] < 20 || checked["date"] < 20 || checked["text"] < 20 {
		t.Errorf("cells checked: %v", checked)
	}
	// The hostile client (conversation 1, the first row) is a string cell
	// that starts with "=".
	ref, _ := excelize.CoordinatesToCellName(slices.Index(keys, "client")+1, 2)
	if v, _ := f.GetCellValue(sheet, ref); v != hostileName {
		t.Errorf("%s: %q, want the client's name as it is", ref, v)
	}
	if panes, err := f.GetPanes(sheet); err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("panes %+v (%v): want the header row frozen", panes, err)
	}
	if style, err := f.GetCellStyle(sheet, "A1"); err != nil {
		t.Error(err)
	} else if st, err := f.GetStyle(style); err != nil || st.Font == nil || !st.Font.Bold {
		t.Errorf("header style %+v (%v): want bold", st, err)
	}
	created, _ := excelize.ColumnNumberToName(slices.Index(keys, "created") + 1)
	if width, err := f.GetColWidth(sheet, created); err != nil || width < 15 {
		t.Errorf("created column width %v (%v)", width, err)
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "excelize-*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
