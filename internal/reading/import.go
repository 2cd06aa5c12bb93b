package reading

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
)

// Limits of a catalogue import: a room of 10,000 titles is large; the inflated size stops a zip bomb
// before excelize reads anything.
const (
	ImportMaxRows      = 10000
	ImportMaxFileBytes = 10 << 20
	importMaxUnzipped  = 100 << 20
)

// ImportColumn is one column of the catalogue template: the Chinese header the sheet carries and the
// BookInput field it fills (the key of field messages).
type ImportColumn struct {
	Header   string
	Field    string
	Required bool
	Note     string
}

// ImportColumns are the template's columns, in order.
var ImportColumns = []ImportColumn{
	{"ISBN", "isbn", true, "13位ISBN，或10位旧版ISBN（末位可为X，自动转换为13位）；请按文本格式填写"},
	{"书名", "title", true, "1至200个字"},
	{"作者", "author", false, "至多100个字"},
	{"出版社", "publisher", false, "至多100个字"},
	{"出版年份", "year", false, "四位年份，如 2019"},
	{"册数", "copies", false, "本书屋新增的册数，1至500，不填为1"},
}

// ImportOptions say how to import a sheet into a room.
type ImportOptions struct {
	RoomID      int64
	DryRun      bool // check every row, change nothing
	SkipInvalid bool // import the valid rows; otherwise all or nothing
}

// ImportRowError is one problem of one row: the sheet's row number (1 is the header), the Chinese header
// of the column and a message key (the web layer fills Message in the user's language).
type ImportRowError struct {
	Row     int            `json:"row"`
	Column  string         `json:"column"`
	Field   string         `json:"field"`
	Key     string         `json:"-"`
	Args    map[string]any `json:"-"`
	Message string         `json:"message"`
}

// ImportResult is what an import (or its dry run) found and did.
type ImportResult struct {
	DryRun   bool             `json:"dry_run"`
	Rows     int              `json:"rows"`
	Valid    int              `json:"valid"`
	Invalid  int              `json:"invalid"`
	Imported int              `json:"imported"` // rows whose copies were added
	Volumes  int              `json:"volumes"`  // copies added
	Errors   []ImportRowError `json:"errors"`
}

var errRollback = errors.New("reading import: roll back")

func importFileErr(key string) error {
	return &errs.Error{Code: errs.Unprocessable, Key: key, Fields: map[string]string{"file": key}}
}

// ImportBooks reads an .xlsx sheet of the template's columns and adds the books and their copies to a room
// in ONE write transaction: all or nothing unless SkipInvalid, nothing at all for a dry run.
func (s *Service) ImportBooks(ctx context.Context, p auth.Principal, data []byte, opt ImportOptions) (ImportResult, error) {
	room, err := s.loadRoom(ctx, opt.RoomID)
	if errs.Is(err, errs.NotFound) {
		return ImportResult{}, fieldErr("room_id", "reading.room.unknown")
	}
	if err != nil {
		return ImportResult{}, err
	}
	if err := s.auth.Authorize(ctx, p, auth.WriteBusiness, auth.Target{OrgID: room.OrgID}); err != nil {
		return ImportResult{}, err
	}
	rows, err := readSheet(data)
	if err != nil {
		return ImportResult{}, err
	}
	res := ImportResult{DryRun: opt.DryRun, Rows: len(rows)}
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		res.Valid, res.Invalid, res.Imported, res.Volumes, res.Errors = 0, 0, 0, 0, []ImportRowError{}
		seen := map[string]int{}
		for _, row := range rows {
			in, rowErrs := s.parseRow(row, opt.RoomID, seen)
			if len(rowErrs) > 0 {
				res.Invalid++
				res.Errors = append(res.Errors, rowErrs...)
				continue
			}
			res.Valid++
			if _, err := s.AddBookTx(tx, in); err != nil {
				return err
			}
			res.Imported++
			res.Volumes += in.Copies
		}
		if opt.DryRun || (res.Invalid > 0 && !opt.SkipInvalid) || res.Imported == 0 {
			return errRollback
		}
		return s.trail.Append(tx, audit.Event{Action: "reading_room.import", ObjectType: "reading_room", ObjectID: opt.RoomID,
			After:  map[string]any{"rows": res.Rows, "imported": res.Imported, "volumes": res.Volumes, "skipped": res.Invalid},
			Detail: fmt.Sprintf("rows=%d imported=%d skipped=%d", res.Rows, res.Imported, res.Invalid)})
	})
	if errors.Is(err, errRollback) {
		if !opt.DryRun {
			res.Imported, res.Volumes = 0, 0
		}
		err = nil
	}
	return res, err
}

// parseRow checks one row with the same validation as AddBook, plus an ISBN repeated in the sheet.
func (s *Service) parseRow(row sheetRow, roomID int64, seen map[string]int) (BookInput, []ImportRowError) {
	v := row.values
	in := BookInput{ISBN: v["isbn"], Title: v["title"], Author: v["author"], Publisher: v["publisher"], RoomID: roomID}
	var out []ImportRowError
	add := func(field, key string, args map[string]any) {
		out = append(out, ImportRowError{Row: row.line, Column: headerOf(field), Field: field, Key: key, Args: args})
	}
	if y := strings.TrimSpace(v["year"]); y != "" {
		n, err := strconv.Atoi(strings.TrimSuffix(y, "年"))
		if err != nil {
			add("year", "reading.book.year.range", nil)
		}
		in.Year = n
	}
	if c := strings.TrimSpace(v["copies"]); c != "" {
		n, err := strconv.Atoi(c)
		if err != nil || n == 0 {
			n = -1
		}
		in.Copies = n
	}
	f := s.checkBook(&in)
	for _, c := range ImportColumns {
		if k, ok := f[c.Field]; ok && !(c.Field == "year" && len(out) > 0) {
			add(c.Field, k, nil)
		}
	}
	if in.ISBN != "" && f["isbn"] == "" {
		if first, ok := seen[in.ISBN]; ok {
			add("isbn", "reading.import.isbn_repeated", map[string]any{"Row": first})
		} else {
			seen[in.ISBN] = row.line
		}
	}
	return in, out
}

func headerOf(field string) string {
	for _, c := range ImportColumns {
		if c.Field == field {
			return c.Header
		}
	}
	return ""
}

type sheetRow struct {
	line   int
	values map[string]string
}

// readSheet checks the package before excelize opens it (empty, not a zip, inflating too far), then reads
// the first sheet: the header row, then at most ImportMaxRows rows.
func readSheet(data []byte) ([]sheetRow, error) {
	if len(data) == 0 {
		return nil, importFileErr("reading.import.file.empty")
	}
	if len(data) > ImportMaxFileBytes {
		return nil, importFileErr("reading.import.file.too_large")
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, importFileErr("reading.import.file.not_xlsx")
	}
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if total > importMaxUnzipped {
			return nil, importFileErr("reading.import.file.too_large")
		}
	}
	x, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: importMaxUnzipped, UnzipXMLSizeLimit: 16 << 20})
	if err != nil {
		return nil, importFileErr("reading.import.file.not_xlsx")
	}
	defer x.Close()
	sheets := x.GetSheetList()
	if len(sheets) == 0 {
		return nil, importFileErr("reading.import.file.no_header")
	}
	it, err := x.Rows(sheets[0])
	if err != nil {
		return nil, importFileErr("reading.import.file.not_xlsx")
	}
	defer it.Close()
	var cols map[int]string
	var out []sheetRow
	line := 0
	for it.Next() {
		line++
		cells, err := it.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, importFileErr("reading.import.file.not_xlsx")
		}
		empty := true
		for _, c := range cells {
			empty = empty && strings.TrimSpace(c) == ""
		}
		if empty {
			continue
		}
		if cols == nil {
			if cols = headers(cells); cols == nil {
				return nil, importFileErr("reading.import.file.no_header")
			}
			continue
		}
		if len(out) >= ImportMaxRows {
			return nil, &errs.Error{Code: errs.Unprocessable, Key: "reading.import.file.too_many_rows",
				Fields: map[string]string{"file": "reading.import.file.too_many_rows"}, Args: map[string]any{"Max": ImportMaxRows}}
		}
		r := sheetRow{line: line, values: map[string]string{}}
		for i, c := range cells {
			if f, ok := cols[i]; ok {
				r.values[f] = strings.TrimSpace(c)
			}
		}
		out = append(out, r)
	}
	if cols == nil {
		return nil, importFileErr("reading.import.file.no_header")
	}
	if len(out) == 0 {
		return nil, importFileErr("reading.import.file.no_rows")
	}
	return out, nil
}

// headers maps the header row to fields (a leading * and a note in brackets are allowed); nil unless every
// required column is present.
func headers(cells []string) map[int]string {
	cols := map[int]string{}
	for i, c := range cells {
		h := strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(c), "*＊"))
		if j := strings.IndexAny(h, "（("); j > 0 {
			h = strings.TrimSpace(h[:j])
		}
		for _, ic := range ImportColumns {
			if strings.EqualFold(h, ic.Header) {
				cols[i] = ic.Field
			}
		}
	}
	for _, ic := range ImportColumns {
		found := false
		for _, f := range cols {
			found = found || f == ic.Field
		}
		if ic.Required && !found {
			return nil
		}
	}
	return cols
}

// ImportTemplate writes the catalogue template: the 图书目录 sheet with its headers (ISBN as text, so
// Excel keeps the digits) and the 填写说明 sheet.
func ImportTemplate(w io.Writer) error {
	x := excelize.NewFile()
	defer x.Close()
	const sheet = "图书目录"
	if err := x.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	header := make([]any, len(ImportColumns))
	for i, c := range ImportColumns {
		header[i] = c.Header
	}
	if err := x.SetSheetRow(sheet, "A1", &header); err != nil {
		return err
	}
	textStyle, err := x.NewStyle(&excelize.Style{NumFmt: 49})
	if err != nil {
		return err
	}
	if err := x.SetColStyle(sheet, "A", textStyle); err != nil {
		return err
	}
	if err := x.SetColWidth(sheet, "A", "B", 24); err != nil {
		return err
	}
	example := []any{"9787020002207", "红楼梦", "曹雪芹", "人民文学出版社", 1982, 2}
	if err := x.SetSheetRow(sheet, "A2", &example); err != nil {
		return err
	}
	help := "填写说明"
	if _, err := x.NewSheet(help); err != nil {
		return err
	}
	rows := [][]any{{"列名", "是否必填", "填写说明"}}
	for _, c := range ImportColumns {
		req := "选填"
		if c.Required {
			req = "必填"
		}
		rows = append(rows, []any{c.Header, req, c.Note})
	}
	rows = append(rows, []any{}, []any{"说明", "", "第一行为表头，请勿修改；每行一种书；同一文件中ISBN不得重复。第二行为示例，导入前请删除。"},
		[]any{"", "", "先“预览”检查每一行，无误后再确认导入；导入要么全部成功，要么全部不导入，除非选择“跳过有误的行”。"},
		[]any{"", "", fmt.Sprintf("每次最多导入 %d 行。", ImportMaxRows)})
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := x.SetSheetRow(help, cell, &r); err != nil {
			return err
		}
	}
	if err := x.SetColWidth(help, "C", "C", 80); err != nil {
		return err
	}
	_, err = x.WriteTo(w)
	return err
}
