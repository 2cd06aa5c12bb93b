package org

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/dangjian/dangjian/internal/platform/audit"
	"github.com/dangjian/dangjian/internal/platform/auth"
	"github.com/dangjian/dangjian/internal/platform/db"
	"github.com/dangjian/dangjian/internal/platform/errs"
	"github.com/dangjian/dangjian/internal/platform/validate"
	"github.com/dangjian/dangjian/internal/platform/xlsxin"
	"github.com/xuri/excelize/v2"
)

// Limits of a member import. A sheet of 100,000 rows is a large city's whole roster (the size issue 3
// benchmarks); the uncompressed limit stops a zip bomb before excelize inflates anything.
const (
	ImportMaxRows         = 100000
	ImportMaxFileBytes    = 20 << 20  // the upload itself
	ImportMaxUnzipped     = 200 << 20 // all parts of the package, inflated
	importMaxUnzippedPart = 100 << 20 // one part (a worksheet), inflated
)

// ImportColumn is one column of the import template: its Chinese header (what the sheet carries) and the
// NewMember field it fills (the key of field messages).
type ImportColumn struct {
	Header   string
	Field    string
	Required bool
}

// ImportColumns are the template's columns in order. The headers are the contract with the users' sheets.
var ImportColumns = []ImportColumn{
	{"姓名", "name", true},
	{"身份证号码", "id_number", true},
	{"性别", "gender", false},
	{"出生日期", "birth_date", false},
	{"民族", "ethnicity", true},
	{"手机号码", "phone", false},
	{"学历", "education", false},
	{"所在支部", "org_id", true},
	{"人员类别", "status", true},
	{"入党日期", "joined_on", false},
	{"转正日期", "full_on", false},
	{"是否党员领导干部", "is_leading_cadre", false},
}

// ImportOptions say how to import a sheet.
type ImportOptions struct {
	OrgID       int64  // the scope: every row's branch must lie in its subtree
	FileName    string // recorded with the batch
	DryRun      bool   // check every row, change nothing
	SkipInvalid bool   // import the valid rows and leave the others out; otherwise all or nothing
	// Progress, when set, hears how many data rows are checked of how many (total 0: the file is still
	// being read), every importProgressEvery rows; it must be quick and safe from another goroutine.
	Progress func(done, total int)
}

// importProgressEvery is how often (in rows) ImportMembers reports progress.
const importProgressEvery = 500

// ImportRowError is one problem of one row: Row is the sheet's row number (1 is the header row), Column
// the Chinese header, Key a message key the web layer translates (Args fill it).
type ImportRowError struct {
	Row    int            `json:"row"`
	Column string         `json:"column"`
	Field  string         `json:"field"`
	Key    string         `json:"-"`
	Args   map[string]any `json:"-"`
	// Message is filled by the web layer in the user's language.
	Message string `json:"message"`
}

// ImportResult is what an import (or its dry run) found and did.
type ImportResult struct {
	ImportID int64            `json:"import_id,omitempty"` // 0 for a dry run or when nothing was kept
	DryRun   bool             `json:"dry_run"`
	Rows     int              `json:"rows"`     // data rows in the sheet
	Valid    int              `json:"valid"`    // rows without a problem
	Invalid  int              `json:"invalid"`  // rows with at least one problem
	Imported int              `json:"imported"` // members created (0 for a dry run or a refused import)
	Errors   []ImportRowError `json:"errors"`
}

// errRollback ends a transaction whose work must not be kept (dry run, all-or-nothing refusal).
var errRollback = errors.New("import: roll back")

// importRow is one data row of the sheet as read (Values: field → cell text).
type importRow = xlsxin.Row

// ImportMembers reads an .xlsx sheet of members (the template's columns) and, unless opt.DryRun, adds them
// in ONE write transaction: all or nothing, or only the valid rows with opt.SkipInvalid. Each member goes
// through CreateMember's validation and insert (member.create audited) and the batch is recorded in
// imports with one member.import entry, so that the last import can be rolled back.
func (s *Service) ImportMembers(ctx context.Context, p auth.Principal, data []byte, opt ImportOptions) (ImportResult, error) {
	if opt.OrgID == 0 {
		return ImportResult{}, fieldErr("org_id", validate.KeyRequired)
	}
	if err := s.auth.Authorize(ctx, p, auth.WriteBusiness, auth.Target{OrgID: opt.OrgID}); err != nil {
		return ImportResult{}, err
	}
	progress := func(done, total int) {
		if opt.Progress != nil {
			opt.Progress(done, total)
		}
	}
	progress(0, 0)
	rows, err := readImportSheet(data)
	if err != nil {
		return ImportResult{}, err
	}
	progress(0, len(rows))
	scope, err := s.auth.OrgPath(ctx, opt.OrgID)
	if err != nil {
		return ImportResult{}, err
	}
	branches, err := s.importBranches(ctx)
	if err != nil {
		return ImportResult{}, err
	}
	res := ImportResult{DryRun: opt.DryRun, Rows: len(rows), Errors: []ImportRowError{}}
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		res.Valid, res.Invalid, res.Imported, res.ImportID = 0, 0, 0, 0
		res.Errors = res.Errors[:0]
		keep := !opt.DryRun
		now := db.Millis(s.clock.Now())
		var batch int64
		if keep {
			var err error
			batch, err = tx.Insert(`INSERT INTO imports(org_id, file_name, rows_total, status, created_by, created_at)
				VALUES (?, ?, ?, 'imported', ?, ?)`, opt.OrgID, truncate(opt.FileName, 200), len(rows), p.UserID, now)
			if err != nil {
				return err
			}
		}
		seen := map[string]int{} // normalised ID number → first row
		var created []int64
		for i, row := range rows {
			if i%importProgressEvery == 0 && i > 0 {
				progress(i, len(rows))
			}
			n, pre := parseImportRow(row, opt.OrgID, scope, branches, seen)
			var rowErrs []ImportRowError
			if len(pre) > 0 {
				// Still run the member validation so the row shows every problem at once.
				_, err := s.checkMember(tx, n)
				rowErrs = append(pre, fieldErrors(row.Line, err, pre)...)
				if err != nil && len(fieldErrors(row.Line, err, nil)) == 0 {
					return err
				}
			} else {
				m, err := s.createMemberTx(tx, n, batch)
				if err != nil {
					rowErrs = fieldErrors(row.Line, err, nil)
					if len(rowErrs) == 0 {
						return err // not a problem of the row: stop the whole import
					}
				} else {
					created = append(created, m.ID)
				}
			}
			if len(rowErrs) > 0 {
				res.Invalid++
				res.Errors = append(res.Errors, rowErrs...)
			} else {
				res.Valid++
			}
		}
		if !keep || (res.Invalid > 0 && !opt.SkipInvalid) || len(created) == 0 {
			return errRollback
		}
		if _, err := tx.Exec("UPDATE imports SET imported = ?, skipped = ? WHERE id = ?", len(created), res.Invalid, batch); err != nil {
			return err
		}
		res.ImportID, res.Imported = batch, len(created)
		summary := map[string]any{"org_id": opt.OrgID, "rows": len(rows), "imported": len(created), "skipped": res.Invalid}
		return s.trail.Append(tx, audit.Event{Action: "member.import", ObjectType: "import", ObjectID: batch, After: summary,
			Detail: fmt.Sprintf("rows=%d imported=%d skipped=%d", len(rows), len(created), res.Invalid)})
	})
	if errors.Is(err, errRollback) {
		err = nil
	}
	if err != nil {
		return ImportResult{}, err
	}
	return res, nil
}

// fieldErrors turns a validation or duplicate error of a row into row errors (nil for any other error).
// Fields already reported in pre are left out, and so is org_id when pre has a problem with the branch.
func fieldErrors(line int, err error, pre []ImportRowError) []ImportRowError {
	e, ok := errs.As(err)
	if !ok || (e.Code != errs.Unprocessable && e.Code != errs.Conflict) || len(e.Fields) == 0 {
		return nil
	}
	done := map[string]bool{}
	for _, p := range pre {
		done[p.Field] = true
	}
	var out []ImportRowError
	for _, c := range ImportColumns { // in column order, so the preview reads left to right
		k, ok := e.Fields[c.Field]
		if !ok || done[c.Field] {
			continue
		}
		out = append(out, ImportRowError{Row: line, Column: c.Header, Field: c.Field, Key: k})
	}
	for f, k := range e.Fields { // fields without a column of their own (cell_id, leading_group_id)
		if columnOf(f) == "" && !done[f] {
			out = append(out, ImportRowError{Row: line, Field: f, Key: k})
		}
	}
	return out
}

func columnOf(field string) string {
	for _, c := range ImportColumns {
		if c.Field == field {
			return c.Header
		}
	}
	return ""
}

// branchRef is a branch an import row may name.
type branchRef struct {
	id   int64
	path string
}

type branchIndex struct {
	byID   map[int64]branchRef
	byName map[string][]branchRef
}

func (s *Service) importBranches(ctx context.Context) (branchIndex, error) {
	idx := branchIndex{byID: map[int64]branchRef{}, byName: map[string][]branchRef{}}
	rows, err := s.db.Query(ctx, "SELECT id, name, path FROM orgs WHERE kind = 'branch' AND dissolved_on IS NULL")
	if err != nil {
		return idx, err
	}
	defer rows.Close()
	for rows.Next() {
		var b branchRef
		var name string
		if err := rows.Scan(&b.id, &name, &b.path); err != nil {
			return idx, err
		}
		idx.byID[b.id] = b
		idx.byName[name] = append(idx.byName[name], b)
	}
	return idx, rows.Err()
}

// parseImportRow turns the cells of a row into a NewMember, with the problems only the sheet can have:
// the branch by name or id (unknown, outside the caller's subtree, ambiguous), a yes/no cell, and an ID
// number repeated in the file. Everything else is CreateMember's validation.
func parseImportRow(row importRow, scopeID int64, scope string, branches branchIndex, seen map[string]int) (NewMember, []ImportRowError) {
	v := row.Values
	var pre []ImportRowError
	add := func(field, key string, args map[string]any) {
		pre = append(pre, ImportRowError{Row: row.Line, Column: columnOf(field), Field: field, Key: key, Args: args})
	}
	n := NewMember{Name: v["name"], IDNumber: v["id_number"], Ethnicity: v["ethnicity"], Phone: v["phone"],
		BirthDate: importDate(v["birth_date"]), JoinedOn: importDate(v["joined_on"]), FullOn: importDate(v["full_on"]),
		Gender: importGender(v["gender"]), Education: importEducation(v["education"]), Status: importStatus(v["status"])}

	// The branch: its id or its name, inside the scope.
	ref := strings.TrimSpace(v["org_id"])
	inScope := func(b branchRef) bool { return strings.HasPrefix(b.path, scope) }
	switch {
	case ref == "":
		if b, ok := branches.byID[scopeID]; ok {
			n.OrgID = b.id // importing into one branch: the column may stay empty
		} else {
			add("org_id", "member_import.org.required", nil)
		}
	case isDigits(ref):
		id, _ := strconv.ParseInt(ref, 10, 64)
		if b, ok := branches.byID[id]; !ok {
			add("org_id", "member_import.org.unknown", map[string]any{"Branch": ref})
		} else if !inScope(b) {
			add("org_id", "member_import.org.out_of_scope", map[string]any{"Branch": ref})
		} else {
			n.OrgID = b.id
		}
	default:
		var in []branchRef
		all := branches.byName[ref]
		for _, b := range all {
			if inScope(b) {
				in = append(in, b)
			}
		}
		switch {
		case len(in) == 1:
			n.OrgID = in[0].id
		case len(in) > 1:
			add("org_id", "member_import.org.ambiguous", map[string]any{"Branch": ref})
		case len(all) > 0:
			add("org_id", "member_import.org.out_of_scope", map[string]any{"Branch": ref})
		default:
			add("org_id", "member_import.org.unknown", map[string]any{"Branch": ref})
		}
	}

	switch strings.ToLower(strings.TrimSpace(v["is_leading_cadre"])) {
	case "", "否", "n", "no", "false", "0":
	case "是", "y", "yes", "true", "1":
		n.IsLeadingCadre = true
	default:
		add("is_leading_cadre", "member_import.yes_no", nil)
	}

	// The same person twice in one sheet: the second row is the problem.
	if info, err := validate.IDNumber(n.IDNumber); err == nil {
		if first, ok := seen[info.Number]; ok {
			add("id_number", "member_import.id_number.duplicate_in_file", map[string]any{"Row": first})
		} else {
			seen[info.Number] = row.Line
		}
	}
	return n, pre
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

func importGender(s string) string {
	switch strings.TrimSpace(s) {
	case "男", "male":
		return "male"
	case "女", "female":
		return "female"
	}
	return strings.TrimSpace(s) // anything else is the validator's to refuse
}

var educationLabels = map[string]string{
	"博士": "doctorate", "博士研究生": "doctorate", "研究生（博士）": "doctorate", "研究生(博士)": "doctorate",
	"硕士": "master", "硕士研究生": "master", "研究生（硕士）": "master", "研究生(硕士)": "master",
	"本科": "bachelor", "大学本科": "bachelor", "大学": "bachelor",
	"大专": "college", "大学专科": "college", "专科": "college",
	"中专": "secondary_vocational", "中等专科": "secondary_vocational", "中技": "secondary_vocational",
	"高中": "high_school",
	"初中": "junior_or_below", "初中及以下": "junior_or_below", "小学": "junior_or_below",
}

func importEducation(s string) string {
	s = strings.TrimSpace(s)
	if c, ok := educationLabels[s]; ok {
		return c
	}
	return s
}

var statusLabels = map[string]Status{
	"入党申请人": Applicant, "申请人": Applicant,
	"入党积极分子": Activist, "积极分子": Activist,
	"发展对象": Candidate,
	"预备党员": Probationary,
	"正式党员": Full, "党员": Full,
}

func importStatus(s string) Status {
	s = strings.TrimSpace(s)
	if c, ok := statusLabels[s]; ok {
		return c
	}
	return Status(s)
}

var cnDate = regexp.MustCompile(`^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$`)

// importDate normalises the ways a sheet writes a date (2020-07-01, 2020/7/1, 2020.7.1, 2020年7月1日, or
// an Excel serial number) to YYYY-MM-DD; anything else is passed on for the validator to refuse.
func importDate(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if m := cnDate.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		d, _ := strconv.Atoi(m[3])
		return fmt.Sprintf("%04d-%02d-%02d", y, mo, d)
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f > 1 && f < 2958466 && !strings.ContainsAny(s, "eE") && len(s) <= 8 {
		if t, err := excelize.ExcelDateToTime(f, false); err == nil {
			return t.Format(time.DateOnly)
		}
	}
	return s
}

// sheetKeys are this import's messages for a refused file.
var sheetKeys = map[error]string{xlsxin.ErrEmpty: "member_import.file.empty", xlsxin.ErrTooLarge: "member_import.file.too_large",
	xlsxin.ErrUnzippedTooLarge: "member_import.file.unzipped_too_large", xlsxin.ErrNotXLSX: "member_import.file.not_xlsx",
	xlsxin.ErrNoHeader: "member_import.file.no_header", xlsxin.ErrTooManyRows: "member_import.file.too_many_rows",
	xlsxin.ErrNoRows: "member_import.file.no_rows"}

// readImportSheet reads the first sheet safely (xlsxin: empty, not a workbook, a zip bomb, one part
// inflating too far): a header row with the template's headers, then at most ImportMaxRows rows.
func readImportSheet(data []byte) ([]importRow, error) {
	rows, err := xlsxin.Read(data, xlsxin.Limits{MaxFileBytes: ImportMaxFileBytes, MaxUnzipped: ImportMaxUnzipped,
		MaxPartUnzipped: importMaxUnzippedPart, MaxRows: ImportMaxRows}, headerColumns)
	if key, ok := sheetKeys[err]; ok {
		return nil, &errs.Error{Code: errs.Unprocessable, Key: key, Fields: map[string]string{"file": key}, Args: map[string]any{"Max": ImportMaxRows}}
	}
	return rows, err
}

// headerColumns maps the header row to fields; a header may carry a note ("所在支部（名称或编号）") or a
// required mark ("*姓名"). Nil unless every required column is there.
func headerColumns(cells []string) map[int]string {
	cols := map[int]string{}
	for i, c := range cells {
		h := strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(c), "*＊"))
		if j := strings.IndexAny(h, "（("); j > 0 {
			h = strings.TrimSpace(h[:j])
		}
		for _, ic := range ImportColumns {
			if h == ic.Header {
				cols[i] = ic.Field
			}
		}
	}
	for _, ic := range ImportColumns {
		if !ic.Required || ic.Field == "org_id" || ic.Field == "ethnicity" || ic.Field == "status" {
			continue // these have a default or a validator message of their own
		}
		found := false
		for _, f := range cols {
			found = found || f == ic.Field
		}
		if !found {
			return nil
		}
	}
	return cols
}
