package reading

import (
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
	"github.com/dangjian/dangjian/internal/platform/xlsxin"
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
	v := row.Values
	in := BookInput{ISBN: v["isbn"], Title: v["title"], Author: v["author"], Publisher: v["publisher"], RoomID: roomID}
	var out []ImportRowError
	add := func(field, key string, args map[string]any) {
		out = append(out, ImportRowError{Row: row.Line, Column: headerOf(field), Field: field, Key: key, Args: args})
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
			seen[in.ISBN] = row.Line
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

type sheetRow = xlsxin.Row

// sheetKeys are this import's messages for a refused file.
var sheetKeys = map[error]string{xlsxin.ErrEmpty: "reading.import.file.empty", xlsxin.ErrTooLarge: "reading.import.file.too_large",
	xlsxin.ErrUnzippedTooLarge: "reading.import.file.too_large", xlsxin.ErrNotXLSX: "reading.import.file.not_xlsx",
	xlsxin.ErrNoHeader: "reading.import.file.no_header", xlsxin.ErrTooManyRows: "reading.import.file.too_many_rows",
	xlsxin.ErrNoRows: "reading.import.file.no_rows"}

// readSheet reads the first sheet safely (xlsxin): the header row, then at most ImportMaxRows rows.
func readSheet(data []byte) ([]sheetRow, error) {
	rows, err := xlsxin.Read(data, xlsxin.Limits{MaxFileBytes: ImportMaxFileBytes, MaxUnzipped: importMaxUnzipped, MaxRows: ImportMaxRows}, headers)
	if key, ok := sheetKeys[err]; ok {
		return nil, &errs.Error{Code: errs.Unprocessable, Key: key, Fields: map[string]string{"file": key}, Args: map[string]any{"Max": ImportMaxRows}}
	}
	return rows, err
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
