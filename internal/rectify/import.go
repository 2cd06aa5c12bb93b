package rectify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/xlsxin"
)

// Limits of a feedback import: a feedback document has tens of findings, not thousands.
const (
	ImportMaxRows      = maxFindings
	ImportMaxFileBytes = 10 << 20
	importMaxUnzipped  = 50 << 20
)

// ImportColumn is one column of the feedback template: its Chinese header and the field it fills.
type ImportColumn struct {
	Header   string
	Field    string
	Required bool
}

// ImportColumns are the template's columns in order (the contract with the users' sheets).
var ImportColumns = []ImportColumn{
	{"序号", "no", false},
	{"问题", "finding", true},
	{"问题标题", "title", false},
	{"问题类别", "category", false},
	{"落实单位", "implementing_org_ids", true},
	{"责任人", "responsible_person", false},
	{"整改措施", "measures", false},
	{"整改时限", "due_on", true},
	{"长期坚持", "long_term", false},
	{"报告周期（月）", "report_months", false},
}

// ImportOptions say how to import a sheet.
type ImportOptions struct {
	DryRun      bool // check every row, change nothing
	SkipInvalid bool // record the valid rows and leave the others out; otherwise all or nothing
}

// RowError is one problem of one row: Row is the sheet's row number, Column the Chinese header, Key a
// message key the web layer translates into Message.
type RowError struct {
	Row     int    `json:"row"`
	Column  string `json:"column"`
	Field   string `json:"field"`
	Key     string `json:"-"`
	Message string `json:"message"`
}

// ImportResult is what an import (or its dry run) found and did.
type ImportResult struct {
	FeedbackID int64      `json:"feedback_id,omitempty"`
	DryRun     bool       `json:"dry_run"`
	Rows       int        `json:"rows"`
	Valid      int        `json:"valid"`
	Invalid    int        `json:"invalid"`
	Imported   int        `json:"imported"`
	Errors     []RowError `json:"errors"`
}

func fileErr(key string) error {
	return &errs.Error{Code: errs.Unprocessable, Key: key, Fields: map[string]string{"file": key}}
}

// ImportFeedback reads the findings of a feedback document from an .xlsx sheet (the template's columns)
// and records the document with them in ONE transaction: all or nothing, or only the valid rows with
// opt.SkipInvalid. header carries the document's own fields; its Findings are ignored.
func (s *Service) ImportFeedback(ctx context.Context, p auth.Principal, header NewFeedback, data []byte, opt ImportOptions) (ImportResult, error) {
	f := errs.Fields{}
	on := s.checkHeader(&header, f)
	if err := f.Err(); err != nil {
		return ImportResult{}, err
	}
	if err := s.auth.Authorize(ctx, p, auth.WriteBusiness, auth.Target{OrgID: header.SupervisorOrgID}); err != nil {
		return ImportResult{}, err
	}
	rows, err := readSheet(data)
	if err != nil {
		return ImportResult{}, err
	}
	supPath, err := s.auth.OrgPath(ctx, header.SupervisorOrgID)
	if err != nil {
		return ImportResult{}, err
	}
	names, err := s.orgNames(ctx, supPath)
	if err != nil {
		return ImportResult{}, err
	}
	res := ImportResult{DryRun: opt.DryRun, Rows: len(rows), Errors: []RowError{}}
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		res.Valid, res.Invalid, res.Imported, res.FeedbackID = 0, 0, 0, 0
		res.Errors = res.Errors[:0]
		head := NewItem{ResponsibleOrgID: header.ResponsibleOrgID, SupervisorOrgID: header.SupervisorOrgID}
		hf := errs.Fields{}
		if err := checkOrgs(tx, &head, hf); err != nil {
			return err
		}
		if err := hf.Err(); err != nil {
			return err
		}
		header.Findings = make([]FeedbackFinding, len(rows))
		id, err := s.insertFeedback(tx, p, header, on)
		if err != nil {
			return err
		}
		for k, row := range rows {
			ff, rowErrs := parseRow(row, names)
			header.Findings[k] = ff
			item := header.item(k)
			item.feedbackID, item.on = id, on
			sub := errs.Fields{}
			s.check(&item, sub)
			if err := checkOrgs(tx, &item, sub); err != nil {
				return err
			}
			for _, c := range ImportColumns {
				if key, ok := sub[c.Field]; ok && !hasField(rowErrs, c.Field) {
					rowErrs = append(rowErrs, RowError{Row: row.Line, Column: c.Header, Field: c.Field, Key: key})
				}
			}
			if len(rowErrs) > 0 {
				res.Invalid++
				res.Errors = append(res.Errors, rowErrs...)
				continue
			}
			res.Valid++
			if _, err := s.createTx(tx, p, item, errs.Fields{}); err != nil {
				return err
			}
			res.Imported++
		}
		if opt.DryRun || (res.Invalid > 0 && !opt.SkipInvalid) || res.Imported == 0 {
			res.Imported = 0
			return errRollback
		}
		res.FeedbackID = id
		return nil
	})
	if errors.Is(err, errRollback) {
		err = nil
	}
	return res, err
}

func hasField(es []RowError, field string) bool {
	for _, e := range es {
		if e.Field == field {
			return true
		}
	}
	return false
}

type sheetRow = xlsxin.Row

// orgNames maps the names of the live organisations under the supervisor to their ids (a name may be
// shared: such a row must give the id).
func (s *Service) orgNames(ctx context.Context, path string) (map[string][]int64, error) {
	rows, err := s.db.Query(ctx, "SELECT id, name FROM orgs WHERE path LIKE ? AND dissolved_on IS NULL", path+"%")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]int64{}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		out[name] = append(out[name], id)
	}
	return out, rows.Err()
}

// parseRow reads a row's cells into a finding; problems only the sheet can have (an unknown name, a
// yes/no that is neither) are reported here, the rest by the item's own checks.
func parseRow(r sheetRow, names map[string][]int64) (FeedbackFinding, []RowError) {
	v := r.Values
	ff := FeedbackFinding{Title: v["title"], Finding: v["finding"], Category: v["category"],
		ResponsiblePerson: v["responsible_person"], Measures: v["measures"], DueOn: sheetDate(v["due_on"])}
	var out []RowError
	bad := func(field, key string) {
		out = append(out, RowError{Row: r.Line, Column: columnOf(field), Field: field, Key: key})
	}
	for _, part := range strings.FieldsFunc(v["implementing_org_ids"], func(c rune) bool { return strings.ContainsRune("、,，;；\n", c) }) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if id, err := strconv.ParseInt(part, 10, 64); err == nil {
			ff.ImplementingIDs = append(ff.ImplementingIDs, id)
			continue
		}
		switch ids := names[part]; len(ids) {
		case 0:
			bad("implementing_org_ids", "rectify.import.org_unknown")
		case 1:
			ff.ImplementingIDs = append(ff.ImplementingIDs, ids[0])
		default:
			bad("implementing_org_ids", "rectify.import.org_ambiguous")
		}
	}
	switch strings.TrimSpace(v["long_term"]) {
	case "", "否", "N", "n", "no":
	case "是", "Y", "y", "yes":
		ff.LongTerm = true
	default:
		bad("long_term", "rectify.import.yes_no")
	}
	if m := strings.TrimSpace(v["report_months"]); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil {
			bad("report_months", "rectify.report_months.invalid")
		}
		ff.ReportMonths = n
	}
	return ff, out
}

func columnOf(field string) string {
	for _, c := range ImportColumns {
		if c.Field == field {
			return c.Header
		}
	}
	return ""
}

// sheetDate accepts 2026-06-30, 2026/6/30, 2026年6月30日, 2026.6.30 or an Excel date serial.
func sheetDate(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f > 1 && f < 2958466 && len(s) <= 8 && !strings.ContainsAny(s, "eE") {
		if t, err := excelize.ExcelDateToTime(f, false); err == nil {
			return t.Format(time.DateOnly)
		}
	}
	r := strings.NewReplacer("年", "-", "月", "-", "日", "", "/", "-", ".", "-")
	parts := strings.Split(r.Replace(s), "-")
	if len(parts) == 3 {
		y, e1 := strconv.Atoi(parts[0])
		m, e2 := strconv.Atoi(parts[1])
		d, e3 := strconv.Atoi(parts[2])
		if e1 == nil && e2 == nil && e3 == nil {
			return fmt.Sprintf("%04d-%02d-%02d", y, m, d)
		}
	}
	return s
}

// sheetKeys are this import's messages for a refused file.
var sheetKeys = map[error]string{xlsxin.ErrEmpty: "rectify.import.empty", xlsxin.ErrTooLarge: "rectify.import.too_large",
	xlsxin.ErrUnzippedTooLarge: "rectify.import.too_large", xlsxin.ErrNotXLSX: "rectify.import.not_xlsx",
	xlsxin.ErrNoHeader: "rectify.import.no_header", xlsxin.ErrTooManyRows: "rectify.import.too_many_rows",
	xlsxin.ErrNoRows: "rectify.import.no_rows"}

// readSheet reads the first sheet safely (xlsxin): a header row with the template's headers, then at most
// ImportMaxRows rows.
func readSheet(data []byte) ([]sheetRow, error) {
	rows, err := xlsxin.Read(data, xlsxin.Limits{MaxFileBytes: ImportMaxFileBytes, MaxUnzipped: importMaxUnzipped, MaxRows: ImportMaxRows}, headerCols)
	if key, ok := sheetKeys[err]; ok {
		return nil, fileErr(key)
	}
	return rows, err
}

// headerCols maps the header row to fields (a leading * marks a required column); nil unless every
// required column is there.
func headerCols(cells []string) map[int]string {
	cols := map[int]string{}
	for i, c := range cells {
		h := strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(c), "*＊"))
		for _, ic := range ImportColumns {
			if h == ic.Header {
				cols[i] = ic.Field
			}
		}
	}
	for _, ic := range ImportColumns {
		found := !ic.Required
		for _, f := range cols {
			found = found || f == ic.Field
		}
		if !found {
			return nil
		}
	}
	return cols
}

// WriteTemplate writes the import template: the headers (required ones marked *) and one example row.
func WriteTemplate(w io.Writer) error {
	x := excelize.NewFile()
	defer x.Close()
	const sheet = "巡察反馈问题"
	if err := x.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	for i, c := range ImportColumns {
		h := c.Header
		if c.Required {
			h = "*" + h
		}
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		if err := x.SetCellStr(sheet, cell, h); err != nil {
			return err
		}
	}
	example := []string{"1", "（示例）党组织生活不够规范，“三会一课”记录不完整", "“三会一课”不规范", "组织建设",
		"示例市某局机关党委（名称或编号，多个用、分隔）", "张三", "逐月检查会议记录，建立台账", "2026-06-30", "否", ""}
	for i, v := range example {
		cell, _ := excelize.CoordinatesToCellName(i+1, 2)
		if err := x.SetCellStr(sheet, cell, v); err != nil {
			return err
		}
	}
	_ = x.SetColWidth(sheet, "B", "B", 40)
	_ = x.SetColWidth(sheet, "C", "G", 18)
	_, err := x.WriteTo(w)
	return err
}
