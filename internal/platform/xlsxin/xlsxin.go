// Package xlsxin reads the first sheet of an uploaded .xlsx safely: the one place where the imports of the
// capabilities (members, reading rooms, rectification feedback, the question bank) meet a file a user chose.
//
// It protects against what such a file can do to the server before any row is checked:
//   - an empty or oversized upload (refused before anything is parsed);
//   - something that is not a workbook (a CSV renamed .xlsx, a .docx, a damaged zip);
//   - a zip bomb: a small package whose parts inflate to gigabytes. The sizes the archive declares are
//     added up BEFORE excelize opens it, and excelize's own limits then hold it to them while inflating
//     (archive/zip refuses a part that inflates beyond its declared size);
//   - a sheet of endless rows: reading stops at the row limit, streaming, without loading the sheet.
//
// Read returns one of the Err values below for a refused file, so that each capability keeps its own
// message keys (its own wording) and its own header matching.
package xlsxin

import (
	"archive/zip"
	"bytes"
	"errors"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Refusals. Read returns exactly these values (compare with == or errors.Is).
var (
	ErrEmpty            = errors.New("xlsxin: the file is empty")
	ErrTooLarge         = errors.New("xlsxin: the file is too large")
	ErrUnzippedTooLarge = errors.New("xlsxin: the package inflates too far (zip bomb?)")
	ErrNotXLSX          = errors.New("xlsxin: not an .xlsx workbook")
	ErrNoHeader         = errors.New("xlsxin: no header row")
	ErrTooManyRows      = errors.New("xlsxin: too many rows")
	ErrNoRows           = errors.New("xlsxin: no data rows")
)

// xmlPartLimit is the size above which excelize streams a part through a temporary file instead of
// holding it in memory.
const xmlPartLimit = 16 << 20

// Limits bound what Read accepts.
type Limits struct {
	MaxFileBytes    int    // the upload itself
	MaxUnzipped     uint64 // all parts of the package, inflated, as the archive declares them
	MaxPartUnzipped uint64 // one part, inflated; 0: only the total counts
	MaxRows         int    // data rows after the header
}

// Row is one data row: its line in the sheet (1 is the first row, blank rows count) and its cells by the
// names the header function gave their columns, trimmed.
type Row struct {
	Line   int
	Values map[string]string
}

// HeaderFunc maps the header row's cells to names by column index; nil when the row is not the header
// the capability expects (Read then refuses with ErrNoHeader).
type HeaderFunc func(cells []string) map[int]string

// Read checks the package before excelize opens it (empty, too large, not a workbook, a zip bomb), then
// streams the first sheet: blank rows are skipped, the first non-blank row goes to header, the rows after
// it are returned, at most lim.MaxRows of them. Every refusal is one of the Err values.
func Read(data []byte, lim Limits, header HeaderFunc) ([]Row, error) {
	if len(data) == 0 {
		return nil, ErrEmpty
	}
	if len(data) > lim.MaxFileBytes {
		return nil, ErrTooLarge
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, ErrNotXLSX
	}
	var total uint64
	workbook := false
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if total > lim.MaxUnzipped || (lim.MaxPartUnzipped > 0 && f.UncompressedSize64 > lim.MaxPartUnzipped) {
			return nil, ErrUnzippedTooLarge
		}
		workbook = workbook || f.Name == "xl/workbook.xml"
	}
	if !workbook {
		return nil, ErrNotXLSX
	}
	x, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit: int64(lim.MaxUnzipped), UnzipXMLSizeLimit: min(xmlPartLimit, int64(lim.MaxUnzipped))})
	if err != nil {
		if strings.Contains(err.Error(), "size") {
			return nil, ErrUnzippedTooLarge
		}
		return nil, ErrNotXLSX
	}
	defer x.Close()
	sheets := x.GetSheetList()
	if len(sheets) == 0 {
		return nil, ErrNoHeader
	}
	it, err := x.Rows(sheets[0])
	if err != nil {
		return nil, ErrNotXLSX
	}
	defer it.Close()
	var cols map[int]string
	var out []Row
	line := 0
	for it.Next() {
		line++
		cells, err := it.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, ErrNotXLSX
		}
		if blank(cells) {
			continue
		}
		if cols == nil {
			if cols = header(cells); cols == nil {
				return nil, ErrNoHeader
			}
			continue
		}
		if len(out) >= lim.MaxRows {
			return nil, ErrTooManyRows
		}
		r := Row{Line: line, Values: map[string]string{}}
		for i, c := range cells {
			if name, ok := cols[i]; ok {
				r.Values[name] = strings.TrimSpace(c)
			}
		}
		out = append(out, r)
	}
	if it.Error() != nil {
		return nil, ErrNotXLSX
	}
	if cols == nil {
		return nil, ErrNoHeader
	}
	if len(out) == 0 {
		return nil, ErrNoRows
	}
	return out, nil
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}
