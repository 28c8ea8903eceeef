package api

import (
	"archive/zip"
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"
)

// The export's files, written row by row as the conversations are read:
// nothing holds more than a batch of rows (exportBatchRows), and the XLSX
// sheet spills to a temporary file (excelize's StreamWriter) that is
// removed at the end.

// exportFlushRows is how many CSV rows are sent at a time.
const exportFlushRows = 500

// exportDateLayout is a date cell of the CSV, in the export's zone.
const exportDateLayout = "2006-01-02 15:04:05"

// exportDateFormat is the XLSX number format of date cells.
const exportDateFormat = "yyyy-mm-dd hh:mm:ss"

// csvText is a cell's text in the CSV.
func csvText(v any, loc *time.Location) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case time.Time:
		return v.In(loc).Format(exportDateLayout)
	}
	return fmt.Sprint(v)
}

// writeExportCSV writes the export as a spreadsheet-ready CSV (as
// writeCSV: a byte-order mark, CRLF, every cell through safeCell), sent
// every exportFlushRows rows.
func writeExportCSV(ctx context.Context, w *bufio.Writer, j *exportJob) error {
	if _, err := w.WriteString("\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(safeCells(j.header())); err != nil {
		return err
	}
	row := make([]string, len(j.cols))
	n := 0
	send := func() error {
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		return w.Flush()
	}
	err := j.rows(ctx, func(cells []any) error {
		for i, v := range cells {
			row[i] = safeCell(csvText(v, j.loc))
		}
		if err := cw.Write(row); err != nil {
			return err
		}
		if n++; n%exportFlushRows == 0 {
			return send()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return send()
}

// writeExportXLSX writes the export as a workbook of one sheet: a bold,
// frozen header row, columns sized by kind, numbers and seconds as
// numbers, dates as date-time cells in the export's zone, and text as
// text (inline strings: a leading "=" is never a formula). The sheet
// goes to a temporary file as it is written; the workbook is then zipped
// straight into w, not into memory.
func writeExportXLSX(ctx context.Context, w *bufio.Writer, j *exportJob) (err error) {
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil { // removes the temporary files
			err = cerr
		}
	}()
	sheet := exportTexts["tab.conversations"][j.lang]
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	dateFmt := exportDateFormat
	dates, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt})
	if err != nil {
		return err
	}
	for i, col := range j.cols {
		if err := sw.SetColWidth(i+1, i+1, col.width); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	vals := make([]any, len(j.cols))
	for i, h := range j.header() {
		vals[i] = excelize.Cell{StyleID: bold, Value: h}
	}
	if err := sw.SetRow("A1", vals); err != nil {
		return err
	}
	row := 1
	err = j.rows(ctx, func(cells []any) error {
		row++
		for i, v := range cells {
			if t, ok := v.(time.Time); ok {
				vals[i] = excelize.Cell{StyleID: dates, Value: t.In(j.loc)}
			} else {
				vals[i] = v
			}
		}
		ref, err := excelize.CoordinatesToCellName(1, row)
		if err != nil {
			return err
		}
		return sw.SetRow(ref, vals)
	})
	if err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	// WriteToBuffer zips into the writer the ZipWriter hook gives it: the
	// response, so the buffer it returns stays empty.
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(w) })
	if _, err := f.WriteToBuffer(); err != nil {
		return err
	}
	return w.Flush()
}
