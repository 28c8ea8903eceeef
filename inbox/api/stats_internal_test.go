package api

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/inbox"
)

// Cells a spreadsheet would run as a formula get a leading apostrophe
// (OWASP, "CSV injection"); others are left alone.
func TestSafeCell(t *testing.T) {
	for in, want := range map[string]string{
		"=cmd|' /C calc'!A0": "'=cmd|' /C calc'!A0",
		"+1+1":               "'+1+1",
		"-2+3":               "'-2+3",
		"@SUM(A1:A2)":        "'@SUM(A1:A2)",
		"\t=1":               "'\t=1",
		"\r=1":               "'\r=1",
		"2026-03-01":         "2026-03-01",
		"12.5":               "12.5",
		"Spam":               "Spam",
		"a=b":                "a=b",
		"":                   "",
	} {
		if got := safeCell(in); got != want {
			t.Errorf("safeCell(%q) = %q, want %q", in, got, want)
		}
	}
}

// Every cell of the sheet goes through safeCell: a hostile value in a
// bucket comes out inert and still one cell.
func TestStatsCSVEscapesCells(t *testing.T) {
	avg := 1.5
	r := &inbox.Report{Series: []inbox.ReportBucket{{Start: "=cmd|' /C calc'!A0", Averages: inbox.TimeAverages{Duration: &avg}}}}
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	if err := writeCSV(w, headerIn(statsColumns, "ru"), [][]string{statsRow(r.Series[0])}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0][0] != "Начало периода" || rows[1][0] != "'=cmd|' /C calc'!A0" || rows[1][19] != "1.5" {
		t.Errorf("sheet %q", rows)
	}
	for _, row := range rows {
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("cell %q would run", cell)
			}
		}
	}
	if h := headerIn(statsColumns, "xx"); len(h) != len(statsColumns) || h[0] != "Period start" {
		t.Errorf("unknown language: %q", h)
	}
}
